package formats

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tableCmp compares tables cell by cell, Missing included.
var tableCmp = cmp.Comparer(func(a, b missing) bool { return true })

// The parallel parse must give the sequential result whatever the cuts,
// in particular when quoted fields span them.
func TestParseCSVChunkedMatchesSequential(t *testing.T) {
	texts := map[string][]byte{
		"flu":       tableFixture(t, "flu.csv"),
		"test":      tableFixture(t, "test.csv"),
		"anolis CR": tableFixture(t, "anolisDataAppended.csv"),
		"multiline quotes": []byte(`a,b,c` + "\n" + strings.Repeat("1,\"x\ny\nz\",3\n\n\"p,\nq\",\"\"\"\n\",r\n", 40) +
			"tail,\"never closed\n\n\nx,y\n"),
		"CRLF with quoted CRLF": []byte("a,b\r\n" + strings.Repeat("\"1\r\n2\",3\r\n4,\"5\r\n\"\r\n", 50)),
		"empty lines":           []byte("a,b\n" + strings.Repeat("\n\n1,2\n\r\n", 60)),
		"bench":                 benchCSV(64 << 10),
	}
	for name, text := range texts {
		seq, err := parseCSV(text, csvSequential())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sizes := []int{1, 3, 7, 16, 64, 333, 4096}
		if len(text) > 20000 {
			sizes = []int{64, 333, 4096}
		}
		for _, size := range sizes {
			par, err := parseCSV(text, csvSplit{workers: 3, chunkSize: size})
			if err != nil {
				t.Fatalf("%s, chunks of %d: %v", name, size, err)
			}
			if diff := cmp.Diff(seq, par, tableCmp); diff != "" {
				t.Fatalf("%s, chunks of %d (-sequential +parallel):\n%s", name, size, diff)
			}
		}
	}
}

func TestParseCSVChunkedRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{",", ",", "\"", "\"", "\n", "\r\n", "\r", "a", "1", "2.5", " ", "\"\"", "x,y"}
	for i := 0; i < 400; i++ {
		var b strings.Builder
		b.WriteString("h1,h2,h3\n")
		for j := rng.IntN(300); j > 0; j-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		text := []byte(b.String())
		seq, err := parseCSV(text, csvSequential())
		for _, size := range []int{1, 5, 17} {
			par, perr := parseCSV(text, csvSplit{workers: 2, chunkSize: size})
			if (err == nil) != (perr == nil) {
				t.Fatalf("%q: sequential error %v, parallel error %v", text, err, perr)
			}
			if err == nil && !cmp.Equal(seq, par, tableCmp) {
				t.Fatalf("%q, chunks of %d: %s", text, size, cmp.Diff(seq, par, tableCmp))
			}
		}
	}
}

func TestCSVCuts(t *testing.T) {
	s := "h\n" + strings.Repeat("aaaa\r\n", 10)
	cuts := csvCuts(s, 2, csvSplit{workers: 2, chunkSize: 7})
	for i, c := range cuts {
		if c != 2 && s[c-1] != '\n' {
			t.Errorf("cut %d at %d is not a line start", i, c)
		}
		if i > 0 && c <= cuts[i-1] {
			t.Errorf("cuts not increasing: %v", cuts)
		}
	}
	if len(cuts) < 3 {
		t.Errorf("cuts %v: want several", cuts)
	}
}
