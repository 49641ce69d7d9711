package formats

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixture reads a Girder Worker test file copied under testdata/table.
func tableFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "table", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParseCSV(t testing.TB, text []byte) *Rows {
	t.Helper()
	r, err := ParseCSV(text)
	if err != nil {
		t.Fatalf("ParseCSV(%s): %v", Excerpt(text), err)
	}
	return r
}

func tableJSON(t testing.TB, r *Rows) string {
	t.Helper()
	b, err := EncodeJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The expected outputs were checked against Girder Worker's csv_to_rows
// run under Python 2.7.18.
func TestParseCSV(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// The "Derived examples" of the reference, section 7.6.
		{"simple", "a,b,c\n1,2,3", `{"fields":["a","b","c"],"rows":[{"a":1,"b":2,"c":3}]}`},
		{"first line is the header", "1,2,3\n7,10,\n,11,\n,12,",
			`{"fields":["1","2","3"],"rows":[{"1":7,"2":10,"3":""},{"1":"","2":11,"3":""},{"1":"","2":12,"3":""}]}`},
		{"one line", "A,one,two", `{"fields":["A","one","two"],"rows":[]}`},
		{"no comma or tab on the first line", "x;y\n1;2", `{"fields":["x;y"],"rows":[{"x;y":"1;2"}]}`},
		// Girder Worker's table_test.
		{"header detection", "a,b,c\n7,1,c\n8,2,f\n9,3,i",
			`{"fields":["a","b","c"],"rows":[{"a":7,"b":1,"c":"c"},{"a":8,"b":2,"c":"f"},{"a":9,"b":3,"c":"i"}]}`},
		{"single column", "A\none\ntwo", `{"fields":["A"],"rows":[{"A":"one"},{"A":"two"}]}`},
		// Lines and records.
		{"empty lines are skipped", "a,b\n\n1,2\n\n\n3,4\n", `{"fields":["a","b"],"rows":[{"a":1,"b":2},{"a":3,"b":4}]}`},
		{"empty first line is an empty header", "\na,b\n1,2", `{"fields":[],"rows":[{"null":["a","b"]},{"null":["1","2"]}]}`},
		{"bare CR", "a,b\r1,2\r3,4\r", `{"fields":["a","b"],"rows":[{"a":1,"b":2},{"a":3,"b":4}]}`},
		{"CRLF", "a,b\r\n1,2\r\n", `{"fields":["a","b"],"rows":[{"a":1,"b":2}]}`},
		{"short row gets null", "a,b,c\n1\n", `{"fields":["a","b","c"],"rows":[{"a":1,"b":null,"c":null}]}`},
		{"long row keeps extras under null", "a,b\n1,2,3,4\n", `{"fields":["a","b"],"rows":[{"a":1,"b":2,"null":["3","4"]}]}`},
		{"repeated header name: last column wins", "a,a,b\n1,2,3\n4\n", `{"fields":["a","a","b"],"rows":[{"a":2,"b":3},{"a":null,"b":null}]}`},
		{"space-only line is one empty field", "a,b\n \n", `{"fields":["a","b"],"rows":[{"a":"","b":null}]}`},
		// Quoting.
		{"quoted comma, leading space skipped (sniffed)", "a,b\n1, \"x, y\"\n2, z\n", `{"fields":["a","b"],"rows":[{"a":1,"b":"x, y"},{"a":2,"b":"z"}]}`},
		{"text after the closing quote is kept", "a,b\n1,\"ab\"cd\n", `{"fields":["a","b"],"rows":[{"a":1,"b":"abcd"}]}`},
		{"text ends inside quotes", "a,b\n\"open,2\n", `{"fields":["a","b"],"rows":[{"a":"open,2","b":null}]}`},
		// The sniffer saw no quotes in its sample (the last line is
		// dropped from it), so "" is not an escaped quote here.
		{"doublequote off when the sample has no quotes", "a,b\n\"q\"\"r\",2\n", `{"fields":["a","b"],"rows":[{"a":"q\"r\"","b":2}]}`},
		{"excel dialect doubles quotes", "a\n\"q\"\"r\"", `{"fields":["a"],"rows":[{"a":"q\"r"}]}`},
		{"line break inside quotes is dropped", "a\n\"x\ny\"\n", `{"fields":["a"],"rows":[{"a":"xy"}]}`},
		// Dialects.
		{"tab", "a\tb\tc\n1\t2\t3\n", `{"fields":["a","b","c"],"rows":[{"a":1,"b":2,"c":3}]}`},
		{"sniffed space after comma", "a, b, c\n1, 2, 3\n", `{"fields":["a","b","c"],"rows":[{"a":1,"b":2,"c":3}]}`},
		{"single quotes", "'a','b'\n'1','2'\n", `{"fields":["a","b"],"rows":[{"a":1,"b":2}]}`},
		{"one line with a comma and a line end", "only one line, with comma\n", `{"fields":["only one line"," with comma"],"rows":[]}`},
		// Numbers.
		{"int() quirks", "a,b\n - 5 ,+7\n", `{"fields":["a","b"],"rows":[{"a":-5,"b":7}]}`},
		{"leading zeros", "a,b\n007,+0\n", `{"fields":["a","b"],"rows":[{"a":7,"b":0}]}`},
		{"floats", "a,b\n1e5,.5\n", `{"fields":["a","b"],"rows":[{"a":100000.0,"b":0.5}]}`},
		{"5. is a float, 1e is not", "a,b\n5.,1e\n", `{"fields":["a","b"],"rows":[{"a":5.0,"b":"1e"}]}`},
		{"inf and nan stay strings", "a,b\ninf,nan\n1e999,-infinity\n", `{"fields":["a","b"],"rows":[{"a":"inf","b":"nan"},{"a":"1e999","b":"-infinity"}]}`},
		{"Go-only syntax stays text", "a,b\n0x10,1_000\n", `{"fields":["a","b"],"rows":[{"a":"0x10","b":"1_000"}]}`},
		{"int64 limits", "a,b\n12345678901234567890,-9223372036854775808\n", `{"fields":["a","b"],"rows":[{"a":1.2345678901234567e+19,"b":-9223372036854775808}]}`},
		{"empty text", "", `{"fields":[],"rows":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tableJSON(t, mustParseCSV(t, []byte(tt.in)))
			if got != tt.want {
				t.Errorf("ParseCSV(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseCSVErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Girder Worker fails the same way: the sniffer's sample is
		// `a,b\n"x` (the last line is dropped) and nothing in it is
		// consistent.
		{"quoted line break in the sample", "a,b\n\"x\ny\",2\n", "could not determine the csv delimiter"},
		{"no consistent delimiter", "h1,h2\nx|y|z\nq|r|s\n", "could not determine the csv delimiter"},
		// Girder Worker loops forever on these.
		{"no complete line to sniff", "\r,x", "could not determine the csv delimiter: the text has no complete line"},
		{"NUL byte", "a,b\n1,\x002\n", "csv line 2 contains a NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseCSV(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
			}
			if sniffing := strings.Contains(tt.want, "delimiter"); errors.Is(err, ErrCSVDelimiter) != sniffing {
				t.Errorf("errors.Is(%v, ErrCSVDelimiter) = %v", err, !sniffing)
			}
		})
	}
}

func TestParseCSVFixtures(t *testing.T) {
	tests := []struct {
		file           string
		fields, rows   int
		firstFields    []string
		checkFirstCell any
	}{
		{"flu.csv", 162, 552, []string{"Date", "United States", "Alabama"}, "2003-09-28"},
		{"test.csv", 32, 14, []string{"FACILITY", "ADDRESS", "DATE OF INSPECTION"}, "ELLENVILLE ELEMENTARY               "},
		{"RadiomicsData.csv", 454, 99, []string{"GLCM_autocorr", "GLCM_clusProm", "GLCM_clusShade"}, 1530.1442},
		// Bare CR line ends, and an empty first header name.
		{"anolisDataAppended.csv", 11, 100, []string{"", "SVL", "PCI_limbs"}, "ahli"},
		{"mammal_lnMass_tiny.csv", 2, 19, []string{"name", "ln_mass_kg"}, "Abditomys_latidens"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := mustParseCSV(t, tableFixture(t, tt.file))
			if len(r.Fields) != tt.fields || len(r.Rows) != tt.rows {
				t.Fatalf("%d fields and %d rows, want %d and %d", len(r.Fields), len(r.Rows), tt.fields, tt.rows)
			}
			if diff := cmp.Diff(tt.firstFields, r.Fields[:len(tt.firstFields)]); diff != "" {
				t.Errorf("first fields (-want +got):\n%s", diff)
			}
			if got := r.Rows[0].Cells[0]; got != tt.checkFirstCell {
				t.Errorf("first cell = %#v, want %#v", got, tt.checkFirstCell)
			}
		})
	}
}

// Girder Worker's test_nan: RadiomicsData's NaN cells stay strings, so no
// float in the table is NaN or infinite.
func TestParseCSVRadiomicsNaN(t *testing.T) {
	r := mustParseCSV(t, tableFixture(t, "RadiomicsData.csv"))
	nanStrings := 0
	for _, row := range r.Rows {
		for _, c := range row.Cells {
			switch x := c.(type) {
			case float64:
				if x != x || x-x != 0 {
					t.Fatalf("non-finite float %v", x)
				}
			case string:
				if x == "NaN" {
					nanStrings++
				}
			}
		}
	}
	if nanStrings != 162 {
		t.Errorf("%d NaN strings, want 162", nanStrings)
	}
}

// flu.json of Girder Worker's xdata analysis drops the 11-line preamble of
// the Google Flu Trends export and reads the rest as csv.
func TestParseCSVFluTrends(t *testing.T) {
	text := tableFixture(t, "flutrends_us_data.txt")
	lines := bytes.SplitN(text, []byte("\n"), 12)
	r := mustParseCSV(t, lines[11])
	if diff := cmp.Diff([]string{"Date", "United States", "Alabama"}, r.Fields[:3]); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if len(r.Fields) != 160 || len(r.Rows) != 619 {
		t.Errorf("%d fields and %d rows, want 160 and 619", len(r.Fields), len(r.Rows))
	}
	flu := mustParseCSV(t, tableFixture(t, "flu.csv"))
	if got, want := r.Rows[0].Cells[:3], flu.Rows[0].Cells[:3]; !cmp.Equal(got, want) {
		t.Errorf("first row starts %v, flu.csv's %v", got, want)
	}
}

func TestCSVColumnNames(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []string
	}{
		{"Girder Worker's test_column_names_csv", []byte(",a,b,longer name\n1,1,1,1\n2,2,2,2\n3,3,3,3\n"), []string{"", "a", "b", "longer name"}},
		{"first line only, excel dialect", []byte("a, b\n1, 2\n"), []string{"a", " b"}},
		{"flu", tableFixture(t, "flu.csv"), nil},
		{"bare CR: the whole text is the first line", tableFixture(t, "anolisDataAppended.csv"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CSVColumnNames(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == nil {
				want = mustParseCSV(t, tt.in).Fields
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPySingleLine(t *testing.T) {
	for in, want := range map[string]bool{
		"": false, "a": true, "a\n": true, "a\r\n": true, "a\r": true,
		"a\n\n": false, "a\nb": false, "a\rb": false, "\n": true,
	} {
		if got := pySingleLine([]byte(in)); got != want {
			t.Errorf("pySingleLine(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSniffSample(t *testing.T) {
	long := strings.Repeat("x", 6000)
	tests := []struct{ in, want string }{
		{"a,b\n1,2\n3,4", "a,b\n1,2"},         // the last, partial, line is dropped
		{"a,b\n1,2\n", "a,b"},                 // and so is a last complete one
		{"a,b\r\n1,2\r3,4", "a,b\n1,2"},       // lines joined with \n
		{"\n\na,b", "\n"},                     // two empty lines are a sample
		{"a,b\n" + long + "\nc", "a,b"},       // whole lines of the first 5000 bytes
		{long + ",\nb,c\nd", long + ",\nb,c"}, // grown to 10000 for a long first line
		{"a,b\n1,2\n" + long, "a,b\n1,2"},     // a sample never holds the last line
	}
	for _, tt := range tests {
		got, err := sniffSample([]byte(tt.in))
		if err != nil {
			t.Errorf("sniffSample(%s): %v", Excerpt([]byte(tt.in)), err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("sniffSample(%s) = %s, want %s", Excerpt([]byte(tt.in)), Excerpt(got), Excerpt([]byte(tt.want)))
		}
	}
}

func TestSniffCSV(t *testing.T) {
	tests := []struct {
		sample string
		want   csvDialect
	}{
		{"a,b\n1,2", csvDialect{delim: ',', quote: '"'}},
		{"a;b;c\n1;2;3", csvDialect{delim: ';', quote: '"'}},
		{"a|b\n1|2", csvDialect{delim: '|', quote: '"'}},
		// , and ; are both consistent: the preferred list picks ,
		{"a,b;c\n1,2;3", csvDialect{delim: ',', quote: '"'}},
		{"x,'a b',y\nx,'c d',y", csvDialect{delim: ',', quote: '\''}},
		{`x,"a ""b"" c",y`, csvDialect{delim: ',', quote: '"', doubleQuote: true}},
		{"\"a\";\"b\"\n\"c\";\"d\"", csvDialect{delim: ';', quote: '"'}},
	}
	for _, tt := range tests {
		got, err := sniffCSV([]byte(tt.sample))
		if err != nil {
			t.Errorf("sniffCSV(%q): %v", tt.sample, err)
			continue
		}
		if got != tt.want {
			t.Errorf("sniffCSV(%q) = %+v, want %+v", tt.sample, got, tt.want)
		}
	}
}

// py2DictOrder against the key order CPython 2.7.18 iterates dicts in.
func TestPy2DictOrder(t *testing.T) {
	tests := []struct{ inserted, iterated string }{
		{"\x53", "\x53"},
		{"\x27", "\x27"},
		{"\xa6\x13", "\x13\xa6"},
		{"\x89\x5e", "\x89\x5e"},
		{"\x0f\x82\x0a", "\x0a\x82\x0f"},
		{"\x6f\x12\x18", "\x18\x12\x6f"},
		{"\x6d\xd3\x20\x39\xa0", "\x39\x20\xd3\x6d\xa0"},
		{"\xf2\x94\x66\xf9\x0c", "\xf9\xf2\x0c\x94\x66"},
		{"\xdb\x4a\x25\x1f\x4f\xd1", "\x25\x4a\x4f\xd1\xdb\x1f"},
		{"\x2f\x95\xa3\x5f\x8c\x11", "\xa3\x8c\x2f\x11\x95\x5f"},
		{"\x10\x35\xae\x6e\x51\x96\x74", "\x6e\x51\x10\x35\x74\x96\xae"},
		{"\x4d\xcb\xb3\x3f\x93\x86\xe0", "\xe0\x86\xcb\x4d\x93\xb3\x3f"},
		{"\xbb\x4a\xfa\x1f\x6b\xc2\x27\x7d\x0a\xab\xc3\x93", "\xc3\xc2\x27\x0a\x6b\x4a\x93\xbb\xfa\x7d\xab\x1f"},
		{"\xe0\x51\xb2\x98\x94\x75\xd7\xf1\x79\xaa\x10\xb3", "\xe0\x10\xaa\x51\xf1\xb3\xb2\x75\x94\xd7\x79\x98"},
		{"\xa6\xfe\xd2\x49\x63\xab\x06\x76\x2b\x1e\x10\xc4\x21\x40\x64\xdf\x15\x73\x8d\xe2", "\x21\x40\x63\xe2\xc4\xa6\x49\xab\x06\x8d\x64\x10\x73\xd2\x15\x76\x1e\x2b\xdf\xfe"},
		{"\xd1\xdd\x47\x6a\x5c\xe2\xf5\x27\x2d\x3c\x7c\x97\x44\x02\x6b\x5f\x91\xf4\xb1\x84", "\x91\xb1\xe2\x27\x47\x6b\x6a\x2d\x44\x3c\xd1\x02\xf5\xf4\x97\x84\xdd\x5c\x5f\x7c"},
		{"\x9e\xac\x0e\xe3\xc4\xdb\xc7\x62\x63\x1a\x9c\x10\x11\x33\x28\x52\x0d\x01\x24\x18\x56\x06\xcc\x8f\x23\x3b\x50\x54\x1c\xc0\xe0\x69\x6c\x14\x17\x4c\x3a\xb5\xed\x05", "\x01\x05\x06\x0d\x8f\x0e\x11\x10\x14\x17\x18\x1a\x9c\x4c\x9e\x23\x24\x28\xac\x1c\x33\xb5\x3b\x3a\xc0\xc4\xc7\x63\xcc\x50\x52\x54\x56\xdb\xe0\xe3\x62\x69\xed\x6c"},
		{"\xf3\x87\x26\x89\x07\x85\xf4\xd7\xac\x41\x5a\x29\xbc\x81\xff\x50\x36\xc2\xea\xca\xbe\xc0\xad\x35\x78\x52\xfb\xe5\x40\x3b\x9c\xf8\x64\xd1\xdb\xd3\xf0\x31\x32\x2b", "\x81\x85\x87\x40\x89\x9c\x07\x26\x29\x2b\xad\xac\x31\x32\x35\x36\x3b\xbc\xbe\x41\xc0\xc2\xca\xd1\x50\xd3\x52\xd7\xf8\xdb\x5a\xe5\x64\xea\xf0\xf3\xf4\x78\xfb\xff"},
	}
	for _, tt := range tests {
		if got := string(py2DictOrder([]byte(tt.inserted))); got != tt.iterated {
			t.Errorf("py2DictOrder(%q) = %q, want %q", tt.inserted, got, tt.iterated)
		}
	}
	// A tie between the two quotes goes to the later in dict order: '.
	c := newPyCounter()
	c.add('"')
	c.add('\'')
	if got := c.argmax(); got != '\'' {
		t.Errorf("quote tie → %q, want '", got)
	}
}
