package validators

import (
	"context"
	"fmt"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
)

// addTable registers the table validators. Girder Worker only looked at
// the shape of in-memory values (rows: a dict with "fields" and "rows";
// objectlist: a list whose first element, if any, is a dict; column names:
// a list) and accepted any string as text. These keep those rules and go a
// little further where a check is cheap and saves a confusing failure
// later: rows must be well formed, column names must be strings, texts
// must be UTF-8, JSON texts must parse and BSON must frame as documents.
func addTable(r *Registry) {
	add := func(format string, run Func) {
		r.MustAdd(Validator{Type: "table", Format: format, Run: run})
	}
	add("rows", validRows)
	add("objectlist", validObjectList)
	for _, f := range []string{"rows.json", "objectlist.json"} {
		add(f, jsonText)
	}
	for _, f := range []string{"csv", "tsv", "jsonlines"} {
		add(f, utf8Text)
	}
	add("objectlist.bson", bsonBytes)
	for _, f := range []string{"column.names", "column.names.discrete", "column.names.continuous"} {
		add(f, columnNames)
	}
}

func validRows(_ context.Context, _ converters.Env, v formats.Value) error {
	if err := dataPayload(v); err != nil {
		return err
	}
	if _, ok := v.Data.(map[string]any); ok {
		_, err := formats.RowsFromJSON(v.Data) // says which part is wrong
		return err
	}
	rows, ok := v.Data.(*formats.Rows)
	if !ok {
		return fmt.Errorf("expected a table (*formats.Rows or {\"fields\": […], \"rows\": […]}), got %s", formats.Describe(v.Data))
	}
	if rows == nil {
		return fmt.Errorf("expected a table, got a nil *formats.Rows")
	}
	for i, row := range rows.Rows {
		if len(row.Cells) > len(rows.Fields) {
			return fmt.Errorf("row %d has %d cells for %d fields", i, len(row.Cells), len(rows.Fields))
		}
	}
	return nil
}

func validObjectList(_ context.Context, _ converters.Env, v formats.Value) error {
	if err := dataPayload(v); err != nil {
		return err
	}
	list, ok := v.Data.([]any)
	if !ok {
		return fmt.Errorf("expected a list of objects, got %s", formats.Describe(v.Data))
	}
	if len(list) > 0 {
		if _, ok := list[0].(map[string]any); !ok {
			return fmt.Errorf("expected a list of objects, but its first element is %s", formats.Describe(list[0]))
		}
	}
	return nil
}

func jsonText(_ context.Context, _ converters.Env, v formats.Value) error {
	text, err := textPayload(v)
	if err != nil {
		return err
	}
	return formats.CheckJSONText(text)
}

func bsonBytes(_ context.Context, _ converters.Env, v formats.Value) error {
	b, err := textPayload(v)
	if err != nil {
		return err
	}
	return formats.CheckBSON(b)
}

func columnNames(_ context.Context, _ converters.Env, v formats.Value) error {
	if err := dataPayload(v); err != nil {
		return err
	}
	switch l := v.Data.(type) {
	case []string:
		return nil
	case []any:
		for i, e := range l {
			if _, ok := e.(string); !ok {
				return fmt.Errorf("expected a list of column names, but element %d is %s", i, formats.Describe(e))
			}
		}
		return nil
	}
	return fmt.Errorf("expected a list of column names, got %s", formats.Describe(v.Data))
}
