package dag

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/spec"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testConverters is a converter graph with a few Go edges; the functions
// are never run by compile tests.
func testConverters(t testing.TB) *converters.Registry {
	t.Helper()
	r := converters.New(formats.Default())
	noop := func(_ context.Context, _ converters.Env, v formats.Value) (formats.Value, error) { return v, nil }
	for _, e := range [][3]string{
		{"table", "csv", "rows"}, {"table", "rows", "csv"}, {"table", "rows", "rows.json"}, {"table", "rows.json", "rows"},
		{"table", "tsv", "rows"}, {"table", "rows", "tsv"},
		{"number", "number", "json"}, {"number", "json", "number"},
	} {
		r.MustAdd(converters.Converter{Type: e[0], From: e[1], To: e[2], Run: noop})
	}
	return r
}

func port(name, typ, format string) *spec.Port {
	return &spec.Port{Name: name, Type: typ, Format: format, Pos: spec.Pos{File: "wf.yaml", Line: 1, Col: 1}}
}

func task(script string, ins, outs []*spec.Port) *spec.Task {
	return &spec.Task{Mode: "python", Script: script, Inputs: ins, Outputs: outs}
}

func edge(fromStep, fromPort, toStep, toPort string) *spec.Edge {
	return &spec.Edge{FromStep: fromStep, FromPort: fromPort, ToStep: toStep, ToPort: toPort}
}

func step(name string, t *spec.Task) *spec.Step {
	return &spec.Step{Name: name, Task: t, Pos: spec.Pos{File: "wf.yaml", Line: 2, Col: 3}}
}

// girderWorkflow is Girder Worker's workflow_test: (x+3)*(y+2).
func girderWorkflow() *spec.Task {
	num := func(n string) *spec.Port { return port(n, "number", "number") }
	x := num("x")
	x.Default = &spec.Binding{Format: "number", Data: int64(10), HasData: true}
	return &spec.Task{Mode: "workflow",
		Inputs:  []*spec.Port{x, num("y")},
		Outputs: []*spec.Port{num("result")},
		Steps: []*spec.Step{
			step("add3", task("b = a + 3", []*spec.Port{num("a")}, []*spec.Port{num("b")})),
			step("add2", task("b = a + 2", []*spec.Port{num("a")}, []*spec.Port{num("b")})),
			step("mul", task("out = in1 * in2", []*spec.Port{num("in1"), num("in2")}, []*spec.Port{num("out")})),
		},
		Edges: []*spec.Edge{
			edge("", "x", "add3", "a"), edge("", "y", "add2", "a"),
			edge("add3", "b", "mul", "in1"), edge("add2", "b", "mul", "in2"),
			edge("mul", "out", "", "result"),
		},
	}
}

func ids(p *Plan) []string {
	out := make([]string, len(p.Order))
	for i, k := range p.Order {
		out[i] = p.Nodes[k].ID
	}
	return out
}

func mustCompile(t *testing.T, task *spec.Task, opts Options) *Plan {
	t.Helper()
	p, diags := Compile(task, opts)
	if diags.HasErrors() {
		t.Fatalf("unexpected diagnostics:\n%v", diags)
	}
	return p
}

func TestCompileGirderWorkflow(t *testing.T) {
	p := mustCompile(t, girderWorkflow(), Options{Converters: testConverters(t)})
	want := []string{"input:x", "input:x~validate", "input:y", "input:y~validate", "add3", "add2", "mul", "output:result"}
	if diff := cmp.Diff(want, ids(p)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	mul, _ := p.Node("mul")
	if got := len(p.Pred[mul.Index]); got != 2 {
		t.Errorf("mul has %d predecessors, want 2", got)
	}
}

func TestCompileNoValidateDropsValidateNodes(t *testing.T) {
	p := mustCompile(t, girderWorkflow(), Options{Converters: testConverters(t), NoValidate: true})
	if n := p.Counts()[KindValidate]; n != 0 {
		t.Errorf("%d validate nodes with NoValidate", n)
	}
}

func TestCompileInsertsOneConvertNodePerHop(t *testing.T) {
	wf := &spec.Task{Mode: "workflow",
		Inputs:  []*spec.Port{port("t", "table", "csv")},
		Outputs: []*spec.Port{port("out", "table", "tsv")},
		Steps: []*spec.Step{
			step("a", task("b = t", []*spec.Port{port("t", "table", "rows")}, []*spec.Port{port("b", "table", "rows.json")})),
			step("c", task("d = t", []*spec.Port{port("t", "table", "rows")}, []*spec.Port{port("d", "table", "rows")})),
		},
		Edges: []*spec.Edge{edge("", "t", "a", "t"), edge("", "t", "c", "t"), edge("a", "b", "", "out")},
	}
	p := mustCompile(t, wf, Options{Converters: testConverters(t)})
	want := []string{
		"input:t", "input:t~validate", "input:t~csv>rows", "a", "c",
		"a.b~rows.json>rows", "a.b~rows>tsv", "output:out",
	}
	if diff := cmp.Diff(want, ids(p)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	conv, _ := p.Node("input:t~csv>rows")
	if got := len(p.Succ[conv.Index]); got != 2 {
		t.Errorf("the csv→rows node feeds %d consumers, want both steps (shared chain)", got)
	}
}

func TestCompileDiagnostics(t *testing.T) {
	num := func(n string) *spec.Port { return port(n, "number", "number") }
	cases := []struct {
		name string
		wf   *spec.Task
		opts Options
		want []string
	}{
		{
			name: "cycle",
			wf: &spec.Task{Mode: "workflow", Steps: []*spec.Step{
				step("a", task("b = a", []*spec.Port{num("a")}, []*spec.Port{num("b")})),
				step("b", task("b = a", []*spec.Port{num("a")}, []*spec.Port{num("b")})),
				step("c", task("b = a", []*spec.Port{num("a")}, []*spec.Port{num("b")})),
			}, Edges: []*spec.Edge{edge("a", "b", "b", "a"), edge("b", "b", "a", "a"), edge("c", "b", "c", "a")}},
			want: []string{
				"wf.yaml:2:3: cycle among steps: a → b → a",
				"wf.yaml:2:3: cycle among steps: c → c",
			},
		},
		{
			name: "type mismatch",
			wf: &spec.Task{Mode: "workflow", Inputs: []*spec.Port{port("t", "table", "csv")}, Steps: []*spec.Step{
				step("a", task("b = a", []*spec.Port{num("a")}, nil)),
			}, Edges: []*spec.Edge{edge("", "t", "a", "a")}},
			want: []string{"wf.yaml:1:1: step a input a wants type number but workflow input t is of type table (types are never converted into one another)"},
		},
		{
			name: "no converter path",
			wf: &spec.Task{Mode: "workflow", Inputs: []*spec.Port{port("t", "table", "csv")}, Steps: []*spec.Step{
				step("a", task("b = a", []*spec.Port{port("a", "table", "objectlist")}, nil)),
			}, Edges: []*spec.Edge{edge("", "t", "a", "a")}},
			want: []string{"wf.yaml:1:1: step a input a wants table/objectlist but workflow input t is table/csv: no conversion path from table/csv to table/objectlist; table/csv converts to: rows, rows.json, tsv"},
		},
		{
			name: "auto convert off",
			wf: &spec.Task{Mode: "workflow", Inputs: []*spec.Port{port("t", "table", "csv")}, Steps: []*spec.Step{
				step("a", task("b = a", []*spec.Port{port("a", "table", "rows")}, nil)),
			}, Edges: []*spec.Edge{edge("", "t", "a", "a")}},
			opts: Options{NoAutoConvert: true},
			want: []string{"wf.yaml:1:1: step a input a wants table/rows but workflow input t is table/csv, and auto_convert is off"},
		},
		{
			name: "bad when",
			wf: &spec.Task{Mode: "workflow", Steps: []*spec.Step{
				{Name: "a", Task: task("", nil, nil), When: "input.x >", WhenPos: spec.Pos{File: "wf.yaml", Line: 9, Col: 11}},
			}},
			want: []string{`wf.yaml:9:11: when "input.x >" does not compile:`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Converters == nil {
				tc.opts.Converters = testConverters(t)
			}
			p, diags := Compile(tc.wf, tc.opts)
			if p != nil {
				t.Fatal("plan returned despite errors")
			}
			if len(diags) != len(tc.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%v", len(diags), len(tc.want), diags)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(diags[i].String(), w) {
					t.Errorf("diagnostic %d:\n got %s\nwant %s", i, diags[i], w)
				}
			}
		})
	}
}

func TestCompileInlinesSubWorkflow(t *testing.T) {
	num := func(n string) *spec.Port { return port(n, "number", "number") }
	inner := &spec.Task{Mode: "workflow",
		Inputs:  []*spec.Port{port("v", "number", "json")},
		Outputs: []*spec.Port{num("w")},
		Steps:   []*spec.Step{step("twice", task("w = v * 2", []*spec.Port{num("v")}, []*spec.Port{num("w")}))},
		Edges:   []*spec.Edge{edge("", "v", "twice", "v"), edge("twice", "w", "", "w")},
	}
	outer := &spec.Task{Mode: "workflow",
		Inputs:  []*spec.Port{num("x")},
		Outputs: []*spec.Port{port("y", "number", "json")},
		Steps:   []*spec.Step{step("sub", inner)},
		Edges:   []*spec.Edge{edge("", "x", "sub", "v"), edge("sub", "w", "", "y")},
	}
	p := mustCompile(t, outer, Options{Converters: testConverters(t)})
	want := []string{"input:x", "input:x~validate", "input:x~number>json", "input:x~number>json~json>number", "sub/twice", "sub/twice.w~number>json", "output:y"}
	if diff := cmp.Diff(want, ids(p)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestRenderGolden(t *testing.T) {
	wf := girderWorkflow()
	wf.Inputs = append(wf.Inputs, port("t", "table", "csv"))
	wf.Steps = append(wf.Steps, step("count", task("n = len(t['rows'])", []*spec.Port{port("t", "table", "rows")}, []*spec.Port{port("n", "number", "number")})))
	wf.Steps[3].When = "inputs.y > 1"
	wf.Edges = append(wf.Edges, edge("", "t", "count", "t"))
	p := mustCompile(t, wf, Options{Converters: testConverters(t)})
	for _, r := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"plan.txt", func(b *bytes.Buffer) error { return p.WriteText(b) }},
		{"plan.dot", func(b *bytes.Buffer) error { return p.WriteDOT(b) }},
		{"plan.mmd", func(b *bytes.Buffer) error { return p.WriteMermaid(b) }},
		{"plan.json", func(b *bytes.Buffer) error { return p.WriteJSON(b) }},
	} {
		var b bytes.Buffer
		if err := r.write(&b); err != nil {
			t.Fatal(err)
		}
		testenv.Golden(t, filepath.Join("testdata", r.name), b.Bytes())
	}
}

// chainWorkflow is n steps where each step's rows output feeds the next
// step's csv input, so every edge gets a converter node.
func chainWorkflow(n int) *spec.Task {
	wf := &spec.Task{Mode: "workflow", Inputs: []*spec.Port{port("t", "table", "csv")}, Outputs: []*spec.Port{port("out", "table", "rows")}}
	wf.Steps = make([]*spec.Step, n)
	wf.Edges = make([]*spec.Edge, 0, n+1)
	prev := ""
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("s%d", i)
		wf.Steps[i] = step(name, task("b = a", []*spec.Port{port("a", "table", "csv")}, []*spec.Port{port("b", "table", "rows")}))
		if prev == "" {
			wf.Edges = append(wf.Edges, edge("", "t", name, "a"))
		} else {
			wf.Edges = append(wf.Edges, edge(prev, "b", name, "a"))
		}
		prev = name
	}
	wf.Edges = append(wf.Edges, edge(prev, "b", "", "out"))
	return wf
}

func TestCompileChainInsertsConverterPerEdge(t *testing.T) {
	p := mustCompile(t, chainWorkflow(50), Options{Converters: testConverters(t)})
	if got := p.Counts()[KindConvert]; got != 49 {
		t.Errorf("%d convert nodes, want 49", got)
	}
	if len(p.Order) != len(p.Nodes) {
		t.Errorf("order has %d of %d nodes", len(p.Order), len(p.Nodes))
	}
}

func benchmarkCompile(b *testing.B, n int) {
	conv := testConverters(b)
	wf := chainWorkflow(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p, diags := Compile(wf, Options{Converters: conv}); p == nil {
			b.Fatal(diags)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/compile")
}

func BenchmarkCompile10kSteps(b *testing.B)  { benchmarkCompile(b, 10_000) }
func BenchmarkCompile100kSteps(b *testing.B) { benchmarkCompile(b, 100_000) }

// chainYAML is the text of chainWorkflow(n) as a user would write it.
func chainYAML(n int) []byte {
	var b strings.Builder
	b.WriteString("mode: workflow\ninputs:\n  - {name: t, type: table, format: csv}\n")
	fmt.Fprintf(&b, "outputs:\n  - {name: out, type: table, format: rows, from: s%d.b}\nsteps:\n", n-1)
	for i := 0; i < n; i++ {
		src := "t"
		if i > 0 {
			src = fmt.Sprintf("s%d.b", i-1)
		}
		fmt.Fprintf(&b, "  - name: s%d\n    in: {a: %s}\n    task:\n      script: b = a\n      inputs: [{name: a, type: table, format: csv}]\n      outputs: [{name: b, type: table, format: rows}]\n", i, src)
	}
	return []byte(b.String())
}

func TestLoadAndCompileGeneratedYAML(t *testing.T) {
	task, diags := spec.Parse("chain.yaml", chainYAML(20), spec.Options{Formats: formats.Default()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := mustCompile(t, task, Options{Converters: testConverters(t)})
	if got := p.Counts()[KindConvert]; got != 19 {
		t.Errorf("%d convert nodes, want 19", got)
	}
}

// benchmarkLoadAndCompile parses a generated YAML workflow of n steps and
// compiles it: what `truss plan` does with a user's file.
func benchmarkLoadAndCompile(b *testing.B, n int) {
	conv := testConverters(b)
	reg := formats.Default()
	text := chainYAML(n)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		task, diags := spec.Parse("chain.yaml", text, spec.Options{Formats: reg})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		if p, diags := Compile(task, Options{Converters: conv}); p == nil {
			b.Fatal(diags)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/load+compile")
}

func BenchmarkLoadAndCompile10kSteps(b *testing.B)  { benchmarkLoadAndCompile(b, 10_000) }
func BenchmarkLoadAndCompile100kSteps(b *testing.B) { benchmarkLoadAndCompile(b, 100_000) }
