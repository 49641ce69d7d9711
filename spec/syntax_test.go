package spec

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/truss-dev/truss/formats"
)

// TestSameModel loads one workflow written three ways — Girder Worker
// JSON, the same legacy form in YAML, and truss sugar — and expects the
// same model apart from positions and the sugar's own from: fields.
func TestSameModel(t *testing.T) {
	load := func(file string) *Task {
		t.Helper()
		task, ds := LoadFile(filepath.Join("testdata", "gw", file), Options{Formats: formats.Default()})
		if len(ds) > 0 {
			t.Fatalf("%s:\n%v", file, ds)
		}
		return task
	}
	want := load("workflow.json")
	ignore := cmp.Options{
		cmpopts.IgnoreTypes(Pos{}),
		cmpopts.IgnoreFields(Task{}, "File"),
	}
	if diff := cmp.Diff(want, load("workflow.yaml"), ignore); diff != "" {
		t.Errorf("legacy YAML differs from JSON (-json +yaml):\n%s", diff)
	}
	if diff := cmp.Diff(want, load("workflow_sugar.yaml"), ignore, cmpopts.IgnoreFields(Port{}, "From")); diff != "" {
		t.Errorf("sugar YAML differs from JSON (-json +yaml):\n%s", diff)
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"script", "script_file", "mode", "inputs", "outputs", "format", "type", "add3", "x"}
	for _, tc := range []struct{ name, want string }{
		{"scirpt", "script"},  // transposition
		{"scripts", "script"}, // insertion
		{"Mode", "mode"},      // case
		{"fromat", "format"},  // transposition
		{"inptus", "inputs"},  // transposition
		{"ad3", "add3"},       // deletion in a short name
		{"y", ""},             // one letter: too short to guess
		{"banana", ""},        // nothing close
		{"script", ""},        // exact: not a typo
		{"typ", "type"},
	} {
		if got := suggest(tc.name, cands); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := osaDistance([]rune("ca"), []rune("abc")); got != 3 {
		t.Errorf("osaDistance(ca, abc) = %d, want 3 (restricted Damerau)", got)
	}
}
