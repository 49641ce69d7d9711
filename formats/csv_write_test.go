package formats

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteCSV(t *testing.T) {
	rows := func(fields []string, cells ...[]any) *Rows {
		r := &Rows{Fields: fields}
		for _, c := range cells {
			r.Rows = append(r.Rows, Row{Cells: c})
		}
		return r
	}
	tests := []struct {
		name  string
		in    *Rows
		delim byte
		want  string
	}{
		{"Girder Worker's test_csv", rows([]string{"a", "b", "c"}, []any{int64(1), int64(2), int64(3)}, []any{int64(4), int64(5), int64(6)}), ',',
			"a,b,c\r\n1,2,3\r\n4,5,6\r\n"},
		{"tsv", rows([]string{"a", "b"}, []any{"x,y", "p\tq"}), '\t', "a\tb\r\nx,y\t\"p\tq\"\r\n"},
		{"quoting only when needed", rows([]string{"f"}, []any{`say "hi"`}, []any{"line\nbreak"}, []any{"cr\r"}, []any{" pad "}, []any{"a,b"}), ',',
			"f\r\n\"say \"\"hi\"\"\"\r\n\"line\nbreak\"\r\n\"cr\r\"\r\n pad \r\n\"a,b\"\r\n"},
		{"python str of values", rows([]string{"i", "f", "g", "b", "n", "m"},
			[]any{int64(-3), 4.0, 1e16, true, nil, Missing},
			[]any{int64(0), 0.1, math.NaN(), false, "", Missing}), ',',
			"i,f,g,b,n,m\r\n-3,4.0,1e+16,True,,\r\n0,0.1,nan,False,,\r\n"},
		{"infinities", rows([]string{"a", "b"}, []any{math.Inf(1), math.Inf(-1)}), ',', "a,b\r\ninf,-inf\r\n"},
		{"a line's only empty value is quoted", rows([]string{"a"}, []any{""}, []any{nil}, []any{Missing}), ',',
			"a\r\n\"\"\r\n\"\"\r\n\"\"\r\n"},
		{"empty header name alone", rows([]string{""}), ',', "\"\"\r\n"},
		{"no fields", rows(nil, []any{}), ',', "\r\n\r\n"},
		{"nested values as JSON", rows([]string{"l", "o"}, []any{[]any{int64(1), "x"}, map[string]any{"k": 1.5}}), ',',
			"l,o\r\n\"[1,\"\"x\"\"]\",\"{\"\"k\"\":1.5}\"\r\n"},
		{"short cells are empty", rows([]string{"a", "b"}, []any{int64(1)}), ',', "a,b\r\n1,\r\n"},
		{"repeated field shows its one value", rows([]string{"a", "a", "b"}, []any{Missing, int64(2), int64(3)}), ',', "a,a,b\r\n2,2,3\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WriteCSV(tt.in, tt.delim)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestWriteCSVErrors(t *testing.T) {
	extra := &Rows{Fields: []string{"a"}, Rows: []Row{{Cells: []any{int64(1)}}, {Cells: []any{int64(2)}, Extra: map[string]any{"null": []any{"x"}}}}}
	if _, err := WriteCSV(extra, ','); err == nil || !strings.Contains(err.Error(), `row 1 has keys that are not fields: "null"`) {
		t.Errorf("extra key: %v", err)
	}
	nul := &Rows{Fields: []string{"a"}, Rows: []Row{{Cells: []any{"x\x00y"}}}}
	if _, err := WriteCSV(nul, ','); err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("NUL: %v", err)
	}
	if _, err := WriteCSV(&Rows{}, '"'); err == nil {
		t.Error("quote as delimiter: no error")
	}
	if _, err := WriteCSV(nil, ','); err == nil {
		t.Error("nil rows: no error")
	}
}

// rows → csv → rows gives the table back for tables csv can hold.
func TestCSVRoundTrip(t *testing.T) {
	for _, name := range []string{"flu.csv", "test.csv", "RadiomicsData.csv", "anolisDataAppended.csv", "mammal_lnMass_tiny.csv"} {
		t.Run(name, func(t *testing.T) {
			r := mustParseCSV(t, tableFixture(t, name))
			for _, delim := range []byte{',', '\t'} {
				text, err := WriteCSV(r, delim)
				if err != nil {
					t.Fatal(err)
				}
				back := mustParseCSV(t, text)
				if diff := cmp.Diff(r, back, tableCmp); diff != "" {
					t.Errorf("delimiter %q (-first +round trip):\n%s", delim, diff)
				}
			}
		})
	}
	// Girder Worker's single-column and single-row tests.
	for in, want := range map[string]string{"A\none\ntwo": "A\r\none\r\ntwo\r\n", "A,one,two": "A,one,two\r\n"} {
		got, err := WriteCSV(mustParseCSV(t, []byte(in)), ',')
		if err != nil || string(got) != want {
			t.Errorf("%q → %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestAppendPyFloatMatchesPyFloat(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1.5, 1e16, 1e17, 1e-4, 1e-5, 123456789012345680, 1.7976931348623157e308,
		5e-324, 0.0001234, 12345.678, -2.5e-7, math.NaN(), math.Inf(1), math.Inf(-1), 9007199254740993, 1e22, 100}
	for i := 0; i < 2000; i++ {
		vals = append(vals, math.Float64frombits(uint64(i)*0x9E3779B97F4A7C15))
	}
	for _, f := range vals {
		if got, want := string(appendPyFloat(nil, f)), PyFloat(f); got != want {
			t.Errorf("appendPyFloat(%v) = %s, PyFloat %s", f, got, want)
		}
	}
}
