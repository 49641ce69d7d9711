package formats

import (
	"fmt"
	"sort"
	"strings"
)

// rowKeys calls fn for each key of row i that has a value: fields in
// order (the last column of a repeated name wins, as in a Python dict),
// then the extra keys sorted.
func (r *Rows) rowKeys(i int, fn func(key string, v any)) {
	row := &r.Rows[i]
	for j, c := range row.Cells {
		if j < len(r.Fields) && !IsMissing(c) {
			fn(r.Fields[j], c)
		}
	}
	if len(row.Extra) > 0 {
		keys := make([]string, 0, len(row.Extra))
		for k := range row.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fn(k, row.Extra[k])
		}
	}
}

// RowsToObjectList is table rows → objectlist: each row becomes an object
// whose dotted keys are split into nested objects ({"a.b": 5} gives
// {"a": {"b": 5}}); fields order is lost. Unlike Girder Worker, keys
// sharing a prefix ("a.b" and "a.c") both survive. When a key needs an
// object where another key put a value ("a" and "a.b"), the later key in
// fields order wins, as Girder Worker's overwrite did (in its arbitrary
// dict order).
func RowsToObjectList(r *Rows) ([]any, error) {
	if r == nil {
		return nil, fmt.Errorf("rows to objectlist: no rows")
	}
	out := make([]any, len(r.Rows))
	for i := range r.Rows {
		item := map[string]any{}
		r.rowKeys(i, func(key string, v any) { setDotted(item, key, v) })
		out[i] = item
	}
	return out, nil
}

// setDotted sets obj[a][b][c] = v for key "a.b.c", creating (or replacing
// non-object values with) the objects on the way.
func setDotted(obj map[string]any, key string, v any) {
	for {
		head, rest, nested := strings.Cut(key, ".")
		if !nested {
			obj[key] = v
			return
		}
		child, ok := obj[head].(map[string]any)
		if !ok {
			child = map[string]any{}
			obj[head] = child
		}
		obj, key = child, rest
	}
}

// ObjectListToRows is table objectlist → rows, as Girder Worker does it:
// nested objects are flattened to dot-joined keys (lists and other values
// are leaves, empty objects contribute nothing, an element that is not an
// object gives an empty row), and fields are the keys in order of first
// appearance, visiting object keys in sorted order (Go maps, like the JSON
// they come from, have no order of their own). ObjectIds, datetimes and
// binary data ({"$oid": …} and the like, see bson.go) are leaves, as the
// Python objects they stood for in Girder Worker were.
func ObjectListToRows(list []any) (*Rows, error) {
	index := map[string]int{}
	var fields []string
	type kv struct {
		col int
		v   any
	}
	flat := make([][]kv, len(list))
	for i, el := range list {
		obj, ok := el.(map[string]any)
		if !ok {
			continue
		}
		var row []kv
		flattenObject(nil, obj, func(key string, v any) {
			col, seen := index[key]
			if !seen {
				col = len(fields)
				index[key] = col
				fields = append(fields, key)
			}
			row = append(row, kv{col, v})
		})
		flat[i] = row
	}
	out := &Rows{Fields: fields, Rows: make([]Row, len(list))}
	if out.Fields == nil {
		out.Fields = []string{}
	}
	for i, row := range flat {
		cells := make([]any, len(fields))
		for j := range cells {
			cells[j] = Missing
		}
		for _, e := range row {
			cells[e.col] = e.v // a repeated flat key: the later value wins
		}
		out.Rows[i] = Row{Cells: cells}
	}
	return out, nil
}

func flattenObject(path []string, obj map[string]any, fn func(key string, v any)) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := append(path[:len(path):len(path)], k)
		if child, ok := obj[k].(map[string]any); ok && !isExtendedJSON(child) {
			flattenObject(p, child, fn)
			continue
		}
		fn(strings.Join(p, "."), obj[k])
	}
}

// isExtendedJSON reports whether m is the extended-JSON form of an
// ObjectId, a datetime or binary data.
func isExtendedJSON(m map[string]any) bool {
	_, _, ok := bsonSpecial(m)
	return ok
}

// ColumnNames is table rows → column.names: the fields, as a JSON-like
// list.
func ColumnNames(r *Rows) []any {
	out := make([]any, len(r.Fields))
	for i, f := range r.Fields {
		out[i] = f
	}
	return out
}

// ContinuousColumns is rows → column.names.continuous: the fields whose
// value in the first row is a number (int64 or float64; unlike Girder
// Worker, where bool is an int, booleans are not numbers).
func ContinuousColumns(r *Rows) ([]any, error) {
	return columnsByFirstValue(r, "continuous", func(v any) bool {
		switch v.(type) {
		case int64, float64:
			return true
		}
		return false
	})
}

// DiscreteColumns is rows → column.names.discrete: the fields whose value
// in the first row is a string.
func DiscreteColumns(r *Rows) ([]any, error) {
	return columnsByFirstValue(r, "discrete", func(v any) bool {
		_, ok := v.(string)
		return ok
	})
}

func columnsByFirstValue(r *Rows, kind string, keep func(any) bool) ([]any, error) {
	if r == nil || len(r.Rows) == 0 {
		return nil, fmt.Errorf("%s column names: the table has no rows, and the first row decides", kind)
	}
	first := map[string]any{}
	r.rowKeys(0, func(key string, v any) { first[key] = v })
	out := []any{}
	for _, f := range r.Fields {
		v, ok := first[f]
		if !ok {
			return nil, fmt.Errorf("%s column names: column %q has no value in the first row", kind, f)
		}
		if keep(v) {
			out = append(out, f)
		}
	}
	return out, nil
}
