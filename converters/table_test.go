package converters

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/formats"
)

func TestTableConverterEdges(t *testing.T) {
	r := scalarTableRegistry(t)
	want := map[string]bool{ // edge → lossy
		"csv->rows": false, "tsv->rows": false, "csv->column.names": true,
		"rows->csv": true, "rows->tsv": true, "rows->rows.json": false, "rows.json->rows": false,
		"rows->objectlist": true, "objectlist->rows": false,
		"objectlist->objectlist.json": false, "objectlist.json->objectlist": false,
		"objectlist->objectlist.bson": false, "objectlist.bson->objectlist": false,
		"jsonlines->objectlist": false, "objectlist->jsonlines": false,
		"rows->column.names": true, "rows->column.names.continuous": true, "rows->column.names.discrete": true,
	}
	got := map[string]bool{}
	for _, c := range r.All() {
		if c.Type == "table" {
			got[c.From+"->"+c.To] = c.Lossy
			if c.Runtime != formats.RuntimeGo {
				t.Errorf("%s runs in %q, want Go", c.Key(), c.Runtime)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table edges (-want +got):\n%s", diff)
	}
}

// The paths the reference names (section 7.5).
func TestTablePaths(t *testing.T) {
	r := scalarTableRegistry(t)
	tests := []struct {
		from, to string
		via      []string
	}{
		{"csv", "tsv", []string{"csv", "rows", "tsv"}},
		{"objectlist.bson", "rows", []string{"objectlist.bson", "objectlist", "rows"}},
		{"jsonlines", "csv", []string{"jsonlines", "objectlist", "rows", "csv"}},
		{"rows", "jsonlines", []string{"rows", "objectlist", "jsonlines"}},
	}
	for _, tt := range tests {
		path, err := r.Path("table", tt.from, tt.to)
		if err != nil {
			t.Fatal(err)
		}
		via := []string{path[0].From}
		for _, c := range path {
			via = append(via, c.To)
		}
		if diff := cmp.Diff(tt.via, via); diff != "" {
			t.Errorf("%s → %s (-want +got):\n%s", tt.from, tt.to, diff)
		}
	}
}

func tableValue(format string, payload any) formats.Value {
	v := formats.Value{Type: "table", Format: format}
	switch p := payload.(type) {
	case string:
		v.Bytes = []byte(p)
	case []byte:
		v.Bytes = p
	default:
		v.Data = p
	}
	return v
}

// Girder Worker's table_test, converter by converter.
func TestTableConverters(t *testing.T) {
	r := scalarTableRegistry(t)
	jsonOf := func(t *testing.T, v formats.Value) string {
		t.Helper()
		if v.Bytes != nil {
			return string(v.Bytes)
		}
		b, err := formats.EncodeJSON(v.Data)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name string
		in   formats.Value
		to   string
		want string
	}{
		{"csv to rows", tableValue("csv", "a,b,c\n1,2,3"), "rows", `{"fields":["a","b","c"],"rows":[{"a":1,"b":2,"c":3}]}`},
		{"tsv to rows", tableValue("tsv", "a\tb\tc\n4\t5\t6"), "rows", `{"fields":["a","b","c"],"rows":[{"a":4,"b":5,"c":6}]}`},
		{"csv to tsv", tableValue("csv", "a,b,c\n1,2,3"), "tsv", "a\tb\tc\r\n1\t2\t3\r\n"},
		{"rows.json to csv", tableValue("rows.json", `{"fields": ["aa", "bb"], "rows": [{"aa": 1, "bb": 2}, {"aa": 3, "bb": 4}]}`), "csv", "aa,bb\r\n1,2\r\n3,4\r\n"},
		{"rows map to rows.json", tableValue("rows", map[string]any{"fields": []any{"aa", "bb"}, "rows": []any{map[string]any{"aa": int64(1), "bb": int64(2)}}}), "rows.json",
			`{"fields":["aa","bb"],"rows":[{"aa":1,"bb":2}]}`},
		{"csv column names", tableValue("csv", ",a,b,longer name\n1,1,1,1\n2,2,2,2\n3,3,3,3\n"), "column.names", `["","a","b","longer name"]`},
		{"objectlist to rows", tableValue("objectlist", []any{map[string]any{"a": map[string]any{"b": int64(5)}}, map[string]any{"a": map[string]any{"b": map[string]any{"c": int64(3)}}}}), "rows",
			`{"fields":["a.b","a.b.c"],"rows":[{"a.b":5},{"a.b.c":3}]}`},
		{"rows to objectlist", tableValue("rows.json", `{"fields":["a.b","a.c"],"rows":[{"a.b":1,"a.c":2}]}`), "objectlist", `[{"a":{"b":1,"c":2}}]`},
		{"discrete", tableValue("rows.json", `{"fields":["a","b","disc"],"rows":[{"a":6,"b":5,"disc":"yes"}]}`), "column.names.discrete", `["disc"]`},
		{"continuous", tableValue("rows.json", `{"fields":["a","b","disc"],"rows":[{"a":6,"b":5,"disc":"yes"}]}`), "column.names.continuous", `["a","b"]`},
		{"column names", tableValue("rows.json", `{"fields":["a","b"],"rows":[{"a":6,"b":5}]}`), "column.names", `["a","b"]`},
		{"jsonlines", tableValue("jsonlines", "{\"a\": 1, \"b\": 2}\n{\"a\": 3, \"b\": 4}"), "objectlist", `[{"a":1,"b":2},{"a":3,"b":4}]`},
		{"objectlist to jsonlines", tableValue("objectlist.json", `[{"b": 2, "a": 1}, {}]`), "jsonlines", "{\"a\":1,\"b\":2}\n{}\n"},
		{"empty objectlist to jsonlines", tableValue("objectlist", []any{}), "jsonlines", ""},
		// Girder Worker's test_mongo_to_python, with the documents as BSON.
		{"bson to rows", tableValue("objectlist.json", `[{"_id": {"$oid": "530cdb1add29bc5628984303"}, "bar": 2.0, "foo": 1.0}]`), "objectlist.bson", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := scalarTableConvert(t, r, tt.in, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if out.Type != "table" || out.Format != tt.to {
				t.Errorf("labelled %s/%s", out.Type, out.Format)
			}
			if tt.to == "objectlist.bson" {
				rows, err := scalarTableConvert(t, r, out, "rows")
				if err != nil {
					t.Fatal(err)
				}
				if got := jsonOf(t, rows); got != `{"fields":["_id","bar","foo"],"rows":[{"_id":{"$oid":"530cdb1add29bc5628984303"},"bar":2.0,"foo":1.0}]}` {
					t.Errorf("bson → rows = %s", got)
				}
				return
			}
			if out.Bytes == nil && out.Data == nil {
				t.Fatal("no payload")
			}
			if got := jsonOf(t, out); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// objectlist → objectlist.json → objectlist and → objectlist.bson →
// objectlist give the list back.
func TestObjectListRoundTrips(t *testing.T) {
	r := scalarTableRegistry(t)
	list := []any{map[string]any{"a": int64(1), "b": "x"}, map[string]any{"a": int64(4), "b": "y", "n": []any{nil, 2.5}}}
	for _, via := range []string{"objectlist.json", "objectlist.bson", "jsonlines", "rows"} {
		mid, err := scalarTableConvert(t, r, tableValue("objectlist", list), via)
		if err != nil {
			t.Fatal(err)
		}
		back, err := scalarTableConvert(t, r, mid, "objectlist")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(list, back.Data); diff != "" {
			t.Errorf("via %s (-want +got):\n%s", via, diff)
		}
	}
}

func TestTableConverterErrors(t *testing.T) {
	r := scalarTableRegistry(t)
	tests := []struct {
		name    string
		in      formats.Value
		to      string
		wantErr string
	}{
		{"unsniffable csv", tableValue("csv", "h1,h2\nx|y|z\nq|r|s\n"), "rows", "could not determine the csv delimiter"},
		{"extra values cannot be written", tableValue("csv", "a,b\n1,2,3\n"), "tsv", `row 0 has keys that are not fields: "null"`},
		{"rows.json not an object", tableValue("rows.json", "[1]"), "rows", `table/rows must be an object`},
		{"rows.json bad JSON", tableValue("rows.json", "{"), "rows", "rows.json: invalid JSON"},
		{"objectlist.json not a list", tableValue("objectlist.json", "{}"), "objectlist", "expected a JSON list, got object"},
		{"objectlist not a list", tableValue("objectlist", "x"), "rows", "expected a list of objects"},
		{"non-object to bson", tableValue("objectlist", []any{map[string]any{}, int64(3)}), "objectlist.bson", "element 1: expected an object"},
		{"bad bson", tableValue("objectlist.bson", []byte{9, 0, 0, 0, 8, 'x', 0, 7, 0}), "objectlist", "boolean byte is 0x07"},
		{"blank jsonline", tableValue("jsonlines", "{}\n\n{}"), "objectlist", "line 2 is blank"},
		{"empty rows have no first row", tableValue("rows.json", `{"fields":["a"],"rows":[]}`), "column.names.continuous", "the table has no rows"},
		{"nil rows", tableValue("rows", (*formats.Rows)(nil)), "csv", "table/rows value is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scalarTableConvert(t, r, tt.in, tt.to)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, _ := r.Get("table", "csv", "rows")
	if _, err := Convert(ctx, Env{}, c, tableValue("csv", "a\n1")); err == nil {
		t.Error("a cancelled context converted")
	}
}
