package formats

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func tableRowsOf(t testing.TB, jsonText string) *Rows {
	t.Helper()
	v, err := DecodeJSON([]byte(jsonText))
	if err != nil {
		t.Fatal(err)
	}
	r, err := RowsFromJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestObjectListToRows(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Girder Worker's test_objectlist_to_rows.
		{"nested keys", `[{"a": {"b": 5}}, {"a": {"b": {"c": 3}}}]`, `{"fields":["a.b","a.b.c"],"rows":[{"a.b":5},{"a.b.c":3}]}`},
		{"lists are leaves, empty objects vanish", `[{"x": [1, {"y": 2}], "e": {}, "n": null}]`, `{"fields":["n","x"],"rows":[{"n":null,"x":[1,{"y":2}]}]}`},
		{"non-object element gives an empty row", `[{"a": 1}, 5, {"b": 2}]`, `{"fields":["a","b"],"rows":[{"a":1},{},{"b":2}]}`},
		{"fields in order of first appearance", `[{"z": 1}, {"a": 2, "z": 3}]`, `{"fields":["z","a"],"rows":[{"z":1},{"z":3,"a":2}]}`},
		{"a literal dotted key and a nested one: the later wins", `[{"a": {"b": 1}, "a.b": 2}]`, `{"fields":["a.b"],"rows":[{"a.b":2}]}`},
		{"empty", `[]`, `{"fields":[],"rows":[]}`},
		{"mongo ids", `[{"_id": {"$oid": "530cdb1add29bc5628984303"}, "bar": 2.0, "foo": 1.0}]`,
			`{"fields":["_id","bar","foo"],"rows":[{"_id":{"$oid":"530cdb1add29bc5628984303"},"bar":2.0,"foo":1.0}]}`},
		{"other extended JSON leaves", `[{"d": {"$date": 5}, "b": {"$binary": "AQI=", "$type": "00"}, "o": {"$oid": "short"}}]`,
			`{"fields":["b","d","o.$oid"],"rows":[{"b":{"$binary":"AQI=","$type":"00"},"d":{"$date":5},"o.$oid":"short"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := DecodeJSON([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			r, err := ObjectListToRows(v.([]any))
			if err != nil {
				t.Fatal(err)
			}
			if got := tableJSON(t, r); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestRowsToObjectList(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// The inverse of Girder Worker's test_objectlist_to_rows example.
		{"nested keys", `{"fields":["a.b","a.b.c"],"rows":[{"a.b":5},{"a.b.c":3}]}`, `[{"a":{"b":5}},{"a":{"b":{"c":3}}}]`},
		// Girder Worker kept only one of these (its BUG).
		{"keys sharing a prefix both survive", `{"fields":["a.b","a.c","a.d.e"],"rows":[{"a.b":1,"a.c":2,"a.d.e":3}]}`, `[{"a":{"b":1,"c":2,"d":{"e":3}}}]`},
		{"later key wins a conflict", `{"fields":["a","a.b"],"rows":[{"a":1,"a.b":2}]}`, `[{"a":{"b":2}}]`},
		{"extra keys are kept", `{"fields":["a"],"rows":[{"a":1,"z":2}]}`, `[{"a":1,"z":2}]`},
		{"missing keys are absent, null kept", `{"fields":["a","b"],"rows":[{"b":null}]}`, `[{"b":null}]`},
		{"Girder Worker's test_objectlist", `{"fields":["a","b"],"rows":[{"a":1,"b":"x"},{"a":4,"b":"y"}]}`, `[{"a":1,"b":"x"},{"a":4,"b":"y"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := RowsToObjectList(tableRowsOf(t, tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := EncodeJSON(list)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// objectlist → rows → objectlist gives the list back (Girder Worker's
// round trip), and a parsed csv survives rows → objectlist → rows.
func TestObjectListRoundTrip(t *testing.T) {
	v, _ := DecodeJSON([]byte(`[{"a": {"b": 5}}, {"a": {"b": {"c": 3}}}]`))
	r, err := ObjectListToRows(v.([]any))
	if err != nil {
		t.Fatal(err)
	}
	back, err := RowsToObjectList(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v, any(back)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	table := mustParseCSV(t, tableFixture(t, "test.csv"))
	list, err := RowsToObjectList(table)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ObjectListToRows(list)
	if err != nil {
		t.Fatal(err)
	}
	// Field order is lost on the way: compare the records.
	for i := range table.Rows {
		if diff := cmp.Diff(table.Map(i), again.Map(i)); diff != "" {
			t.Fatalf("row %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestColumnNames(t *testing.T) {
	r := tableRowsOf(t, `{"fields":["a","b","disc","flag","none"],"rows":[{"a":6,"b":5.5,"disc":"yes","flag":true,"none":null},{"a":"x"}]}`)
	if diff := cmp.Diff([]any{"a", "b", "disc", "flag", "none"}, ColumnNames(r)); diff != "" {
		t.Errorf("ColumnNames (-want +got):\n%s", diff)
	}
	cont, err := ContinuousColumns(r)
	if err != nil {
		t.Fatal(err)
	}
	// A boolean is not continuous (it was in Python 2).
	if diff := cmp.Diff([]any{"a", "b"}, cont); diff != "" {
		t.Errorf("ContinuousColumns (-want +got):\n%s", diff)
	}
	disc, err := DiscreteColumns(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{"disc"}, disc); diff != "" {
		t.Errorf("DiscreteColumns (-want +got):\n%s", diff)
	}

	for _, tt := range []struct{ in, want string }{
		{`{"fields":["a"],"rows":[]}`, "the table has no rows"},
		{`{"fields":["a","b"],"rows":[{"a":1}]}`, `column "b" has no value in the first row`},
	} {
		for _, f := range []func(*Rows) ([]any, error){ContinuousColumns, DiscreteColumns} {
			if _, err := f(tableRowsOf(t, tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: error %v, want %q", tt.in, err, tt.want)
			}
		}
	}
}
