package formats

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/truss-dev/truss/internal/testenv"
)

// The -update flag rewrites golden files; other test files of the package
// may register it too, so it is registered only once.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata")
	}
}

// tableGolden compares got with testdata/table/golden/<name>, rewriting
// it under -update.
func tableGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", "table", "golden", name), got)
}

// Outputs derived from the Girder Worker fixtures, kept as golden files so
// a change in any conversion shows up as a diff.
func TestTableGolden(t *testing.T) {
	for _, name := range []string{"test.csv", "anolisDataAppended.csv", "mammal_lnMass_tiny.csv"} {
		r := mustParseCSV(t, tableFixture(t, name))
		js, err := EncodeJSON(r)
		if err != nil {
			t.Fatal(err)
		}
		tableGolden(t, name+".rows.json", append(js, '\n'))
		tsv, err := WriteCSV(r, '\t')
		if err != nil {
			t.Fatal(err)
		}
		tableGolden(t, name+".tsv", tsv)
		list, err := RowsToObjectList(r)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := WriteJSONLines(list)
		if err != nil {
			t.Fatal(err)
		}
		tableGolden(t, name+".jsonlines", lines)
		bson, err := EncodeBSON(list)
		if err != nil {
			t.Fatal(err)
		}
		tableGolden(t, name+".objectlist.bson", bson)
	}
	flu := mustParseCSV(t, tableFixture(t, "flu.csv"))
	names, err := EncodeJSON(ColumnNames(flu))
	if err != nil {
		t.Fatal(err)
	}
	tableGolden(t, "flu.csv.column.names.json", append(names, '\n'))
	cont, err := ContinuousColumns(flu)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := EncodeJSON(cont)
	tableGolden(t, "flu.csv.column.names.continuous.json", append(js, '\n'))
}
