package nodes

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/expr-lang/expr"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/spec"
	"github.com/truss-dev/truss/validators"
)

// echoMode returns whatever the test sets as its outputs.
type echoMode struct{ outputs map[string]formats.Value }

func (e echoMode) Run(context.Context, modes.Request) (map[string]formats.Value, error) {
	return e.outputs, nil
}

func testEnv(t *testing.T, m modes.Mode) Env {
	reg := formats.Default()
	return Env{Formats: reg, Converters: converters.Default(reg), Validators: validators.Default(reg),
		Modes: modes.Set{"echo": m}, WorkDir: t.TempDir(), Log: io.Discard}
}

func num(n string) *spec.Port { return &spec.Port{Name: n, Type: "number", Format: "number"} }

func TestValidateNode(t *testing.T) {
	prog, err := expr.Compile("value >= 10", expr.Env(dag.ConstraintEnv{}), expr.AsBool())
	if err != nil {
		t.Fatal(err)
	}
	n := &dag.Node{ID: "input:x~validate", Kind: dag.KindValidate, Port: num("x"), Type: "number", Format: "number",
		Validate: true, Constraint: &dag.Expr{Text: "value >= 10", Pos: spec.Pos{File: "w.yaml", Line: 3, Col: 5}, Program: prog}}
	env := testEnv(t, nil)
	for _, tc := range []struct {
		data any
		want string
	}{
		{int64(12), ""},
		{"abc", `input x is not valid number/number: expected a number, got string "abc"`},
		{true, "input x is not valid number/number"},
		{int64(3), `input x = 3 violates constraint "value >= 10" (w.yaml:3:5)`},
	} {
		_, err := Execute(context.Background(), n, map[string]formats.Value{dag.ValuePort: {Type: "number", Format: "number", Data: tc.data}}, env)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: err = %v, want %q", tc.data, err, tc.want)
		}
	}
}

func TestStepChecksOutputs(t *testing.T) {
	task := &spec.Task{Mode: "echo", Outputs: []*spec.Port{num("b")}}
	n := &dag.Node{ID: "s", Kind: dag.KindStep, Step: &dag.Step{Name: "s", Task: task, Validate: true}}
	for _, tc := range []struct {
		outs map[string]formats.Value
		want string
	}{
		{map[string]formats.Value{"b": {Data: 1.5}}, ""},
		{map[string]formats.Value{}, `step s: output "b" was not set`},
		{map[string]formats.Value{"b": {Data: "x"}}, "step s: output b is not valid number/number"},
	} {
		out, err := Execute(context.Background(), n, nil, testEnv(t, echoMode{tc.outs}))
		if tc.want == "" {
			if err != nil || out["b"].Format != "number" {
				t.Errorf("%v: %v, %v", tc.outs, out, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.outs, err, tc.want)
		}
	}
}

func TestOutputConvertsAndPushes(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "out.tsv")
	n := &dag.Node{ID: "output:t", Kind: dag.KindOutput, Port: &spec.Port{Name: "t", Type: "table", Format: "rows"}, Type: "table", Format: "rows"}
	env := testEnv(t, nil)
	env.Binding = &spec.Binding{Mode: "local", Path: dest, Format: "tsv"}
	rows := &formats.Rows{Fields: []string{"a", "b"}, Rows: []formats.Row{{Cells: []any{int64(1), "x"}}}}
	out, err := Execute(context.Background(), n, map[string]formats.Value{dag.ValuePort: {Type: "table", Format: "rows", Data: rows}}, env)
	if err != nil {
		t.Fatal(err)
	}
	if out[dag.ValuePort].Format != "tsv" {
		t.Errorf("result format %s, want tsv", out[dag.ValuePort].Format)
	}
	if b, _ := os.ReadFile(dest); string(b) != "a\tb\r\n1\tx\r\n" {
		t.Errorf("file = %q", b)
	}
}

func TestInputDefaultIsRelativeToSpec(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "d.csv"), []byte("a\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &spec.Port{Name: "t", Type: "table", Format: "rows", Pos: spec.Pos{File: filepath.Join(dir, "w.yaml"), Line: 1, Col: 1},
		Default: &spec.Binding{Mode: "local", Path: "d.csv", Format: "csv"}}
	n := &dag.Node{ID: "input:t", Kind: dag.KindInput, Port: p, External: true, Type: "table", Format: "rows"}
	out, err := Execute(context.Background(), n, nil, testEnv(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := out[dag.ValuePort].Data.(*formats.Rows); !ok || len(r.Rows) != 1 {
		t.Errorf("default not read and converted: %v", out[dag.ValuePort])
	}
}
