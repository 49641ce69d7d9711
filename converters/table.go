package converters

import (
	"context"
	"fmt"

	"github.com/truss-dev/truss/formats"
)

// addTable registers Girder Worker's table converters (the R ones belong
// to the R runtime) plus objectlist → jsonlines, which it lacked.
//
// Lossy marks edges whose output cannot give back the input for ordinary
// tables, so the path search avoids them when it has a choice:
//   - the column.names family keeps the names and drops every value;
//   - rows → objectlist drops the field order (and, for keys "a" and "a.b"
//     in one row, one of them);
//   - rows → csv/tsv turn every cell into text: null and "" both become an
//     empty cell, the string "7" reads back as the integer 7, booleans as
//     "True".
//
// The parsing directions (csv → rows, objectlist → rows, …) are not marked:
// they interpret text or reshape data as Girder Worker did, and every path
// out of those formats starts with them anyway.
func addTable(r *Registry) {
	add := func(from, to string, lossy bool, run func(formats.Value) (formats.Value, error)) {
		r.MustAdd(Converter{Type: "table", From: from, To: to, Lossy: lossy, Run: tableConv(run)})
	}
	add("csv", "rows", false, csvToRows)
	// Girder Worker read tsv with the same sniffing parser as csv.
	add("tsv", "rows", false, csvToRows)
	add("csv", "column.names", true, csvToColumnNames)
	add("rows", "csv", true, rowsToDelimited(','))
	add("rows", "tsv", true, rowsToDelimited('\t'))
	add("rows", "rows.json", false, rowsToJSON)
	add("rows.json", "rows", false, jsonToRows)
	add("rows", "objectlist", true, rowsToObjectList)
	add("objectlist", "rows", false, objectListToRows)
	add("objectlist", "objectlist.json", false, objectListToJSON)
	add("objectlist.json", "objectlist", false, jsonToObjectList)
	add("objectlist", "objectlist.bson", false, objectListToBSON)
	add("objectlist.bson", "objectlist", false, bsonToObjectList)
	add("jsonlines", "objectlist", false, jsonLinesToObjectList)
	add("objectlist", "jsonlines", false, objectListToJSONLines)
	add("rows", "column.names", true, rowsColumns(func(r *formats.Rows) ([]any, error) { return formats.ColumnNames(r), nil }))
	add("rows", "column.names.continuous", true, rowsColumns(formats.ContinuousColumns))
	add("rows", "column.names.discrete", true, rowsColumns(formats.DiscreteColumns))
}

// tableConv adapts a value-to-value function to a converter Func.
func tableConv(f func(formats.Value) (formats.Value, error)) Func {
	return func(ctx context.Context, _ Env, in formats.Value) (formats.Value, error) {
		if err := ctx.Err(); err != nil {
			return formats.Value{}, err
		}
		return f(in)
	}
}

func csvToRows(in formats.Value) (formats.Value, error) {
	text, err := textInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	rows, err := formats.ParseCSV(text)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Data: rows}, nil
}

func csvToColumnNames(in formats.Value) (formats.Value, error) {
	text, err := textInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	names, err := formats.CSVColumnNames(text)
	if err != nil {
		return formats.Value{}, err
	}
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = n
	}
	return formats.Value{Data: out}, nil
}

func rowsToDelimited(delim byte) func(formats.Value) (formats.Value, error) {
	return func(in formats.Value) (formats.Value, error) {
		rows, err := rowsInput(in)
		if err != nil {
			return formats.Value{}, err
		}
		b, err := formats.WriteCSV(rows, delim)
		if err != nil {
			return formats.Value{}, err
		}
		return formats.Value{Bytes: b}, nil
	}
}

func rowsToJSON(in formats.Value) (formats.Value, error) {
	rows, err := rowsInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	b, err := formats.EncodeJSON(rows)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Bytes: b}, nil
}

func jsonToRows(in formats.Value) (formats.Value, error) {
	text, err := textInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	v, err := formats.ParseJSONText(text)
	if err != nil {
		return formats.Value{}, fmt.Errorf("rows.json: %w", err)
	}
	rows, err := formats.RowsFromJSON(v)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Data: rows}, nil
}

func rowsToObjectList(in formats.Value) (formats.Value, error) {
	rows, err := rowsInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	list, err := formats.RowsToObjectList(rows)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Data: list}, nil
}

// rowsInput returns the table of a rows value (a *formats.Rows, or the
// JSON-like {"fields", "rows"} form).
func rowsInput(in formats.Value) (*formats.Rows, error) {
	return formats.RowsFromJSON(in.Data)
}

// objectListInput returns the list of an objectlist value.
func objectListInput(in formats.Value) ([]any, error) {
	list, ok := in.Data.([]any)
	if !ok {
		return nil, fmt.Errorf("table/objectlist: expected a list of objects, got %s", formats.Describe(in.Data))
	}
	return list, nil
}

func objectListToRows(in formats.Value) (formats.Value, error) {
	list, err := objectListInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	rows, err := formats.ObjectListToRows(list)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Data: rows}, nil
}

func objectListToJSON(in formats.Value) (formats.Value, error) {
	list, err := objectListInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	b, err := formats.EncodeJSON(list)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Bytes: b}, nil
}

func jsonToObjectList(in formats.Value) (formats.Value, error) {
	text, err := textInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	v, err := formats.ParseJSONText(text)
	if err != nil {
		return formats.Value{}, fmt.Errorf("objectlist.json: %w", err)
	}
	if _, ok := v.([]any); !ok {
		return formats.Value{}, fmt.Errorf("objectlist.json: expected a JSON list, got %s", formats.Describe(v))
	}
	return formats.Value{Data: v}, nil
}

func objectListToBSON(in formats.Value) (formats.Value, error) {
	list, err := objectListInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	b, err := formats.EncodeBSON(list)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Bytes: b}, nil
}

func bsonToObjectList(in formats.Value) (formats.Value, error) {
	b, err := textInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	list, err := formats.DecodeBSON(b)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Data: list}, nil
}

func jsonLinesToObjectList(in formats.Value) (formats.Value, error) {
	text, err := textInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	list, err := formats.ParseJSONLines(text)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Data: list}, nil
}

func objectListToJSONLines(in formats.Value) (formats.Value, error) {
	list, err := objectListInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	b, err := formats.WriteJSONLines(list)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Bytes: b}, nil
}

func rowsColumns(f func(*formats.Rows) ([]any, error)) func(formats.Value) (formats.Value, error) {
	return func(in formats.Value) (formats.Value, error) {
		rows, err := rowsInput(in)
		if err != nil {
			return formats.Value{}, err
		}
		names, err := f(rows)
		if err != nil {
			return formats.Value{}, err
		}
		return formats.Value{Data: names}, nil
	}
}
