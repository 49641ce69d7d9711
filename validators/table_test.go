package validators

import (
	"testing"

	"github.com/truss-dev/truss/formats"
)

// TestEveryFormatHasAValidator covers every type and format the default
// registry knows, runtime formats (python, R) included.
func TestEveryFormatHasAValidator(t *testing.T) {
	reg := formats.Default()
	r := Default(reg)
	for _, f := range reg.Formats("") {
		if _, ok := r.Get(f.Type, f.Name); !ok {
			t.Errorf("no validator for %s", f.Key())
		}
	}
}

func TestTableValidators(t *testing.T) {
	rows, err := formats.ParseCSV([]byte("a,b\n1,x\n"))
	if err != nil {
		t.Fatal(err)
	}
	bson, err := formats.EncodeBSON([]any{map[string]any{"a": int64(1)}})
	if err != nil {
		t.Fatal(err)
	}
	runScalarTableCases(t, []scalarTableCase{
		{"table", "rows", stData(rows), ""},
		{"table", "rows", stData(map[string]any{"fields": []any{"a"}, "rows": []any{map[string]any{"a": int64(1)}}}), ""},
		{"table", "rows", stData(map[string]any{"fields": []any{"a"}}), `must have both "fields" and "rows"`},
		{"table", "rows", stData(map[string]any{"fields": "a", "rows": []any{}}), `"fields" must be a list, got string`},
		{"table", "rows", stData([]any{}), "expected a table"},
		{"table", "rows", stData((*formats.Rows)(nil)), "nil *formats.Rows"},
		{"table", "rows", stData(&formats.Rows{Fields: []string{"a"}, Rows: []formats.Row{{Cells: []any{int64(1), int64(2)}}}}), "row 0 has 2 cells for 1 fields"},
		{"table", "rows", stText("a,b"), "expected a value in Data"},
		{"table", "objectlist", stData([]any{}), ""},
		{"table", "objectlist", stData([]any{map[string]any{}, int64(1)}), ""}, // Girder Worker checks the first element only
		{"table", "objectlist", stData([]any{int64(1)}), "its first element is integer 1"},
		{"table", "objectlist", stData(map[string]any{}), "expected a list of objects, got object"},
		{"table", "rows.json", stText(`{"fields": [], "rows": []}`), ""},
		{"table", "rows.json", stText(`{"fields": [`), "invalid JSON"},
		{"table", "objectlist.json", stText(`[{"_id": {"$oid": "530cdb1add29bc5628984303"}}]`), ""},
		{"table", "objectlist.json", stText("[1,,2]"), "invalid JSON at byte offset 3"},
		{"table", "csv", stText("a,b\n1,2"), ""},
		{"table", "csv", stText("a\xff"), "not UTF-8"},
		{"table", "tsv", stText("a\tb"), ""},
		{"table", "jsonlines", stText("{}\n{}"), ""},
		{"table", "objectlist.bson", stBinary(bson), ""},
		{"table", "objectlist.bson", stBinary([]byte{}), ""},
		{"table", "objectlist.bson", stBinary(bson[:len(bson)-1]), "document 0 at byte 0: length"},
		{"table", "objectlist.bson", stBinary([]byte("text")), "too few for a document"},
		{"table", "column.names", stData([]any{"a", ""}), ""},
		{"table", "column.names", stData([]string{"a"}), ""},
		{"table", "column.names.discrete", stData([]any{"a", int64(1)}), "element 1 is integer 1"},
		{"table", "column.names.continuous", stData("a"), "expected a list of column names, got string"},
	})
}
