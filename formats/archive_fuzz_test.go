package formats

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/truss-dev/truss/internal/testenv"
)

// fuzzArchive extracts arbitrary bytes and checks the one property that
// matters: nothing appears outside the destination, whatever the input.
func fuzzArchive(f *testing.F, seeds [][]byte, extract func(context.Context, string, string, ExtractLimits) error) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		work := t.TempDir()
		archive := filepath.Join(work, "in")
		if err := os.WriteFile(archive, data, 0o644); err != nil {
			t.Fatal(err)
		}
		box := filepath.Join(work, "box")
		if err := os.Mkdir(box, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = extract(context.Background(), archive, filepath.Join(box, "out"), ExtractLimits{MaxBytes: 1 << 20, MaxEntries: 200})
		entries, _ := os.ReadDir(work)
		if len(entries) != 2 {
			t.Fatalf("extraction wrote outside its directory: %v", entries)
		}
		inBox, _ := os.ReadDir(box)
		if len(inBox) > 1 || (len(inBox) == 1 && inBox[0].Name() != "out") {
			t.Fatalf("extraction left %v next to its destination", inBox)
		}
	})
}

func archiveSeeds(f *testing.F, names ...string) [][]byte {
	var out [][]byte
	for _, n := range names {
		if b, err := os.ReadFile(testenv.Fixture(f, n)); err == nil {
			out = append(out, b)
		}
	}
	return append(out, []byte{}, bytes.Repeat([]byte{0}, 1024))
}

func FuzzExtractZip(f *testing.F) {
	fuzzArchive(f, archiveSeeds(f, "testZip.zip"), ExtractZip)
}

func FuzzExtractTarGz(f *testing.F) {
	fuzzArchive(f, archiveSeeds(f, "testTar.tar.gz"), ExtractTarGz)
}
