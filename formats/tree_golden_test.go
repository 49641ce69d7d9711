package formats

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/truss-dev/truss/internal/testenv"
)

// The -update flag rewrites golden files. Other test files of this
// package may register the same flag, so it is registered only if nobody
// has.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata")
	}
}

// treeGraphGolden compares got with testdata/<name> (tree/… or graph/…),
// rewriting it under -update.
func treeGraphGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", filepath.FromSlash(name)), got)
}

// treeGraphTestdata reads testdata/<name>. The Girder Worker fixtures
// (anolis.phy, geospiza_from_otl.phy, clique.json, facebook-*) are copied
// there so the tests do not depend on the shared tree.
func treeGraphTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
