package spec

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truss-dev/truss/formats"
)

// seeds adds every spec under testdata whose name matches one of globs.
func seeds(f *testing.F, globs ...string) {
	for _, g := range globs {
		files, err := filepath.Glob(filepath.Join("testdata", g))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// checkParse runs Parse and ParseBindings on data and checks that every
// position they report in the file lies inside it.
func checkParse(t *testing.T, reg *formats.Registry, file string, data []byte) {
	// Count lines independently of lineIndex: any of \n, \r\n, \r, NEL,
	// LS, PS ends one (YAML's breaks; a superset of JSON's).
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	lines := 1 + strings.Count(text, "\n") + strings.Count(text, "\r") +
		strings.Count(text, "\u0085") + strings.Count(text, "\u2028") + strings.Count(text, "\u2029")
	inFile := func(what string, p Pos) {
		if p.File != file {
			return // another file (an include) or no position
		}
		if p.Line < 1 || p.Line > lines || p.Col < 1 {
			t.Errorf("%s at %v: outside the %d lines of the input", what, p, lines)
		}
	}
	task, ds := Parse(file, data, Options{Formats: reg})
	for _, d := range ds {
		inFile("diagnostic "+d.Message, d.Pos)
	}
	if task != nil {
		inFile("task", task.Pos)
		inFile("script", task.ScriptPos)
		for _, p := range append(append([]*Port{}, task.Inputs...), task.Outputs...) {
			inFile("port "+p.Name, p.Pos)
			if p.Constraint != "" {
				inFile("constraint", p.ConstraintPos)
			}
			if p.From != "" {
				inFile("from", p.FromPos)
			}
		}
		for _, s := range task.Steps {
			inFile("step "+s.Name, s.Pos)
			if s.When != "" {
				inFile("when", s.WhenPos)
			}
		}
		for _, e := range task.Edges {
			inFile("edge", e.Pos)
		}
	}
	_, ds = ParseBindings(file, data)
	for _, d := range ds {
		inFile("binding diagnostic "+d.Message, d.Pos)
	}
}

func FuzzParseYAML(f *testing.F) {
	seeds(f, "truss/*.yaml", "truss/tasks/*.yaml", "broken/*.yaml", "gw/*.yaml", "bindings/*.yaml")
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n"))
	f.Add([]byte("steps:\n  - {name: s, task: {script: x}, in: {a: b.c}}\n"))
	reg := formats.Default() // read-only: shared by all inputs
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, reg, "fuzz.yaml", data)
	})
}

func FuzzParseJSON(f *testing.F) {
	seeds(f, "gw/*.json", "truss/tasks/*.json", "broken/*.json", "bindings/*.json")
	f.Add([]byte(`{"a": {"b": [1, 2.5, -3e400, true, null, "x"]}}`))
	reg := formats.Default()
	f.Fuzz(func(t *testing.T, data []byte) {
		// Keep the input on the JSON path: JSON is chosen by a leading {.
		if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
			data = append([]byte("{"), data...)
		}
		checkParse(t, reg, "fuzz.json", data)
	})
}
