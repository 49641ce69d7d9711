package formats

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func FuzzCSVToRows(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n1,2,3", "1,2,3\n7,10,\n,11,\n,12,", "A,one,two", "x;y\n1;2", "",
		"a,b\n\"x\ny\",2\n", "a,a,b\n1,2,3\n4\n", "a,b\r1,2\r", "'a','b'\n'1','2'\n",
		"a, b\n1, \"x, \"\"y\"\"\"\n2,\"open\n", "h1,h2\tx\n\"q\"|'r'\n\r\n - 5,1e999,nan,0x1\n",
	} {
		f.Add([]byte(s))
	}
	f.Add(tableFixture(f, "test.csv"))
	f.Add(tableFixture(f, "mammal_lnMass_tiny.csv"))
	f.Fuzz(func(t *testing.T, text []byte) {
		r, err := ParseCSV(text)
		par, perr := parseCSV(text, csvSplit{workers: 2, chunkSize: 3})
		if (err == nil) != (perr == nil) {
			t.Fatalf("ParseCSV error %v, cut in chunks %v", err, perr)
		}
		if err != nil {
			return
		}
		if diff := cmp.Diff(r, par, tableCmp); diff != "" {
			t.Fatalf("chunked parse differs (-whole +chunked):\n%s", diff)
		}
		for i, row := range r.Rows {
			if len(row.Cells) != len(r.Fields) {
				t.Fatalf("row %d has %d cells for %d fields", i, len(row.Cells), len(r.Fields))
			}
		}
		if _, err := EncodeJSON(r); err != nil {
			t.Fatalf("EncodeJSON: %v", err)
		}
		if _, err := CSVColumnNames(text); err != nil && len(r.Fields) > 0 && err.Error() == "" {
			t.Fatal("empty error")
		}
		// Writing back works unless a row has extra values or a cell a
		// NUL (impossible after parsing); reading that back must not fail.
		hasExtra := false
		for _, row := range r.Rows {
			hasExtra = hasExtra || len(row.Extra) > 0
		}
		out, err := WriteCSV(r, ',')
		if hasExtra {
			if err == nil {
				t.Fatal("rows with extra values were written")
			}
			return
		}
		if err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		if _, err := ParseCSV(out); err != nil && len(r.Fields) > 1 {
			// A written table has a consistent delimiter on every line,
			// but the sniffer may still be fooled by a one-column table or
			// by quotes; it must fail cleanly, which it did.
			t.Logf("re-reading %q: %v", out, err)
		}
	})
}

func FuzzBSONDecode(f *testing.F) {
	good, _ := EncodeBSON([]any{
		map[string]any{"s": "text", "a": []any{int64(1), 2.5, nil, true}, "o": map[string]any{"$oid": "530cdb1add29bc5628984303"}},
		map[string]any{"d": map[string]any{"$date": int64(1)}, "b": map[string]any{"$binary": "AQI=", "$type": "05"}, "l": int64(1) << 40},
	})
	f.Add(good)
	f.Add([]byte{5, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := DecodeBSON(b)
		if cerr := CheckBSON(b); err == nil && cerr != nil {
			t.Fatalf("decoded but CheckBSON says %v", cerr)
		}
		if err != nil {
			return
		}
		again, err := EncodeBSON(list)
		if err != nil {
			t.Fatalf("re-encoding decoded documents: %v", err)
		}
		back, err := DecodeBSON(again)
		if err != nil {
			t.Fatalf("decoding re-encoded documents: %v", err)
		}
		if diff := cmp.Diff(list, back, cmpopts.EquateNaNs()); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
		if _, err := EncodeJSON(list); err != nil {
			t.Fatalf("EncodeJSON: %v", err)
		}
	})
}

func FuzzJSONLines(f *testing.F) {
	for _, s := range []string{
		"{\"a\": 1, \"b\": 2}\n{\"a\": 3, \"b\": 4}", "{}\r\n{\"x\": [1, 2.5, null]}\r", "\n", "{} {}", "[1]",
		"{\"$oid\": \"530cdb1add29bc5628984303\"}\n", "{\"a\": NaN}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		list, err := ParseJSONLines(text)
		if err != nil {
			return
		}
		out, err := WriteJSONLines(list)
		if err != nil {
			t.Fatalf("WriteJSONLines: %v", err)
		}
		back, err := ParseJSONLines(out)
		if err != nil {
			t.Fatalf("reading written lines %q: %v", out, err)
		}
		if diff := cmp.Diff(list, back, cmpopts.EquateNaNs()); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
