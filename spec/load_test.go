package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/truss-dev/truss/formats"
)

// TestLoadGolden loads every good spec and compares the model (and any
// warnings) with its golden rendering.
func TestLoadGolden(t *testing.T) {
	for _, file := range []string{
		"gw/workflow.json",
		"gw/multi_input.json",
		"gw/visualization.json",
		"gw/dotted.json",
		"gw/fit_continuous.json",
		"gw/docker.json",
		"gw/flu.json",
		"truss/workflow.yaml",
		"truss/sub.yaml",
		"truss/shell.yaml",
		"truss/scripts.yaml",
		"truss/tasks/add.yaml",
	} {
		t.Run(file, func(t *testing.T) {
			task, ds := LoadFile(filepath.Join("testdata", file), Options{Formats: formats.Default()})
			if ds.HasErrors() {
				t.Errorf("unexpected errors:\n%v", ds.Errors())
			}
			golden(t, strings.NewReplacer("/", "_", ".", "_").Replace(file)+".golden.json", render(task, ds))
		})
	}
}

// TestScriptPos checks that line N of a script is line ScriptPos.Line+N-1
// of the file holding it, so interpreter errors map back onto the spec.
func TestScriptPos(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Pos
	}{
		{"testdata/truss/tasks/add_three.yaml", Pos{File: "testdata/truss/tasks/add_three.yaml", Line: 7, Col: 3}},
		{"testdata/truss/scripts.yaml", Pos{File: "testdata/truss/scripts.yaml", Line: 6, Col: 5}},
		{"testdata/truss/folded.yaml", Pos{File: "testdata/truss/folded.yaml", Line: 4, Col: 10}},
		{"testdata/truss/tasks/add.yaml", Pos{File: "testdata/truss/tasks/add.yaml", Line: 7, Col: 9}},
		{"testdata/truss/tasks/add_two.json", Pos{File: "testdata/truss/tasks/add_two.json", Line: 5, Col: 14}},
		{"testdata/gw/flu.json", Pos{File: "testdata/gw/scripts/flu.py", Line: 1, Col: 1}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			task, ds := LoadFile(tc.file, Options{})
			if ds.HasErrors() {
				t.Fatalf("errors:\n%v", ds)
			}
			if diff := cmp.Diff(tc.want, task.ScriptPos); diff != "" {
				t.Errorf("ScriptPos (-want +got):\n%s", diff)
			}
			data, err := os.ReadFile(task.ScriptPos.File)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(data), "\n")
			for n, scriptLine := range strings.Split(strings.TrimSuffix(task.Script, "\n"), "\n") {
				specLine := lines[task.ScriptPos.Line+n-1]
				if scriptLine == "" {
					if strings.TrimSpace(specLine) != "" {
						t.Errorf("script line %d is blank but spec line %d is %q", n+1, task.ScriptPos.Line+n, specLine)
					}
					continue
				}
				// The script text starts at ScriptPos.Col on its first line
				// and at the block's indentation on the others.
				if got := []rune(specLine)[task.ScriptPos.Col-1:]; !strings.HasPrefix(string(got), scriptLine) {
					t.Errorf("script line %d = %q, but spec line %d from column %d = %q", n+1, scriptLine, task.ScriptPos.Line+n, task.ScriptPos.Col, string(got))
				}
			}
		})
	}
}
