package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/engine/store"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/spec"
	"github.com/truss-dev/truss/validators"
)

// fakeMode runs Go functions named by the task's script.
type fakeMode struct {
	funcs map[string]func(ctx context.Context, in map[string]formats.Value) (map[string]formats.Value, error)
}

func (f *fakeMode) Run(ctx context.Context, req modes.Request) (map[string]formats.Value, error) {
	fn, ok := f.funcs[req.Task.Script]
	if !ok {
		return nil, fmt.Errorf("fake mode: no function %q", req.Task.Script)
	}
	return fn(ctx, req.Inputs)
}

// ScratchFree: the fake mode never uses its work directory.
func (f *fakeMode) ScratchFree() {}

func num(v formats.Value) float64 {
	switch x := v.Data.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func out(name string, x float64) map[string]formats.Value {
	return map[string]formats.Value{name: {Type: "number", Format: "number", Data: x}}
}

func arith() *fakeMode {
	type fn = func(context.Context, map[string]formats.Value) (map[string]formats.Value, error)
	add := func(k float64) fn {
		return func(_ context.Context, in map[string]formats.Value) (map[string]formats.Value, error) {
			return out("b", num(in["a"])+k), nil
		}
	}
	return &fakeMode{funcs: map[string]fn{
		"add3": add(3), "add2": add(2),
		"mul": func(_ context.Context, in map[string]formats.Value) (map[string]formats.Value, error) {
			return out("out", num(in["in1"])*num(in["in2"])), nil
		},
		"fail": func(context.Context, map[string]formats.Value) (map[string]formats.Value, error) {
			return nil, errors.New("boom")
		},
		"sleep": func(ctx context.Context, _ map[string]formats.Value) (map[string]formats.Value, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
	}}
}

func numPort(n string) *spec.Port { return &spec.Port{Name: n, Type: "number", Format: "number"} }

func wfStep(name, script string, ins, outs []string) *spec.Step {
	t := &spec.Task{Mode: "fake", Script: script}
	for _, i := range ins {
		t.Inputs = append(t.Inputs, numPort(i))
	}
	for _, o := range outs {
		t.Outputs = append(t.Outputs, numPort(o))
	}
	return &spec.Step{Name: name, Task: t}
}

func e(fs, fp, ts, tp string) *spec.Edge {
	return &spec.Edge{FromStep: fs, FromPort: fp, ToStep: ts, ToPort: tp}
}

func girderWorkflow() *spec.Task {
	x := numPort("x")
	x.Default = &spec.Binding{Format: "number", Data: int64(10), HasData: true}
	return &spec.Task{Mode: "workflow",
		Inputs: []*spec.Port{x, numPort("y")}, Outputs: []*spec.Port{numPort("result")},
		Steps: []*spec.Step{
			wfStep("add3", "add3", []string{"a"}, []string{"b"}),
			wfStep("add2", "add2", []string{"a"}, []string{"b"}),
			wfStep("mul", "mul", []string{"in1", "in2"}, []string{"out"}),
		},
		Edges: []*spec.Edge{e("", "x", "add3", "a"), e("", "y", "add2", "a"), e("add3", "b", "mul", "in1"), e("add2", "b", "mul", "in2"), e("mul", "out", "", "result")},
	}
}

type harness struct {
	reg  *formats.Registry
	conv *converters.Registry
	val  *validators.Registry
}

func newHarness() harness {
	reg := formats.Default()
	return harness{reg: reg, conv: converters.New(reg), val: validators.New(reg)}
}

func (h harness) compile(t testing.TB, task *spec.Task) *dag.Plan {
	t.Helper()
	p, diags := dag.Compile(task, dag.Options{Converters: h.conv, NoValidate: true})
	if p == nil {
		t.Fatal(diags)
	}
	return p
}

func (h harness) run(t testing.TB, ctx context.Context, p *dag.Plan, m modes.Mode, in map[string]*spec.Binding, jobs int) *Result {
	t.Helper()
	res, err := Run(ctx, p, Options{Jobs: jobs, Formats: h.reg, Converters: h.conv, Validators: h.val,
		Modes: modes.Set{"fake": m}, WorkDir: filepath.Join(t.TempDir(), "run"), Inputs: in, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func bind(v any) *spec.Binding { return &spec.Binding{Format: "number", Data: v, HasData: true} }

func TestGirderWorkflowResult(t *testing.T) {
	h := newHarness()
	p := h.compile(t, girderWorkflow())
	res := h.run(t, context.Background(), p, arith(), map[string]*spec.Binding{"y": bind(int64(2))}, 2)
	if res.Status != Succeeded {
		t.Fatalf("status %s: %v", res.Status, res.Failures)
	}
	if got := num(res.Outputs["result"]); got != 52 {
		t.Errorf("result = %v, want (10+3)*(2+2) = 52", got)
	}
	res = h.run(t, context.Background(), p, arith(), map[string]*spec.Binding{"x": bind(int64(1)), "y": bind(int64(2))}, 1)
	if got := num(res.Outputs["result"]); got != 16 {
		t.Errorf("result = %v, want (1+3)*(2+2) = 16", got)
	}
}

func TestFailureStopsDependantsOnly(t *testing.T) {
	wf := girderWorkflow()
	wf.Steps[1].Task.Script = "fail" // add2 fails: mul and the output are skipped, add3 still runs
	h := newHarness()
	res := h.run(t, context.Background(), h.compile(t, wf), arith(), map[string]*spec.Binding{"y": bind(int64(2))}, 2)
	if res.Status != Failed {
		t.Fatalf("status %s, want failed", res.Status)
	}
	status := map[string]Status{}
	for _, n := range res.Nodes {
		status[n.ID] = n.Status
	}
	want := map[string]Status{"add3": Succeeded, "add2": Failed, "mul": Skipped, "output:result": Skipped}
	for id, s := range want {
		if status[id] != s {
			t.Errorf("%s: %s, want %s", id, status[id], s)
		}
	}
	if len(res.Failures) != 1 || res.Failures[0].Node != "add2" || !strings.Contains(res.Failures[0].Message, "boom") {
		t.Errorf("failures = %+v", res.Failures)
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	var calls atomic.Int32
	m := arith()
	m.funcs["flaky"] = func(_ context.Context, in map[string]formats.Value) (map[string]formats.Value, error) {
		if calls.Add(1) < 3 {
			return nil, errors.New("transient")
		}
		return out("b", num(in["a"])), nil
	}
	wf := girderWorkflow()
	wf.Steps[0].Task.Script = "flaky"
	wf.Steps[0].Task.Retries = 2
	h := newHarness()
	res := h.run(t, context.Background(), h.compile(t, wf), m, map[string]*spec.Binding{"y": bind(int64(2))}, 2)
	if res.Status != Succeeded {
		t.Fatalf("status %s: %v", res.Status, res.Failures)
	}
	for _, n := range res.Nodes {
		if n.ID == "add3" && n.Attempts != 3 {
			t.Errorf("add3 attempts = %d, want 3", n.Attempts)
		}
	}
	// One retry fewer than needed fails.
	calls.Store(0)
	wf.Steps[0].Task.Retries = 1
	res = h.run(t, context.Background(), h.compile(t, wf), m, map[string]*spec.Binding{"y": bind(int64(2))}, 2)
	if res.Status != Failed {
		t.Errorf("status %s with too few retries, want failed", res.Status)
	}
}

func TestTimeoutFailsStep(t *testing.T) {
	wf := girderWorkflow()
	wf.Steps[0].Task.Script = "sleep"
	wf.Steps[0].Task.Timeout = 30 * time.Millisecond
	h := newHarness()
	res := h.run(t, context.Background(), h.compile(t, wf), arith(), map[string]*spec.Binding{"y": bind(int64(2))}, 2)
	if res.Status != Failed || len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Message, "timed out after 30ms") {
		t.Fatalf("status %s, failures %+v", res.Status, res.Failures)
	}
}

func TestCancelStopsRunningSteps(t *testing.T) {
	wf := girderWorkflow()
	wf.Steps[0].Task.Script = "sleep"
	wf.Steps[1].Task.Script = "sleep"
	h := newHarness()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	res := h.run(t, ctx, h.compile(t, wf), arith(), map[string]*spec.Binding{"y": bind(int64(2))}, 2)
	if res.Status != Cancelled {
		t.Fatalf("status %s, want cancelled", res.Status)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %s", d)
	}
	for _, n := range res.Nodes {
		if n.Status == Running || n.Status == Pending {
			t.Errorf("%s left %s", n.ID, n.Status)
		}
	}
}

func TestWhenFalseSkipsStepAndDependants(t *testing.T) {
	wf := girderWorkflow()
	wf.Steps[0].When = "inputs.x > 100"
	h := newHarness()
	p, diags := dag.Compile(wf, dag.Options{Converters: h.conv, NoValidate: true})
	if p == nil {
		t.Fatal(diags)
	}
	res := h.run(t, context.Background(), p, arith(), map[string]*spec.Binding{"y": bind(int64(2))}, 2)
	if res.Status != Succeeded {
		t.Fatalf("status %s: %v", res.Status, res.Failures)
	}
	if _, ok := res.Outputs["result"]; ok {
		t.Error("result produced although its producer was skipped")
	}
	for _, n := range res.Nodes {
		if (n.ID == "add3" || n.ID == "mul") && n.Status != Skipped {
			t.Errorf("%s: %s, want skipped", n.ID, n.Status)
		}
		if n.ID == "add2" && n.Status != Succeeded {
			t.Errorf("add2: %s, want succeeded", n.ID)
		}
	}
}

// TestIndependentStepsRunInParallel needs both steps running at once to
// finish: each waits for the other at a barrier.
func TestIndependentStepsRunInParallel(t *testing.T) {
	var wg sync.WaitGroup
	wg.Add(2)
	m := arith()
	barrier := func(ctx context.Context, in map[string]formats.Value) (map[string]formats.Value, error) {
		wg.Done()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
			return out("b", num(in["a"])), nil
		case <-time.After(5 * time.Second):
			return nil, errors.New("the other step never ran alongside")
		}
	}
	m.funcs["barrier"] = barrier
	wf := girderWorkflow()
	wf.Steps[0].Task.Script = "barrier"
	wf.Steps[1].Task.Script = "barrier"
	h := newHarness()
	res := h.run(t, context.Background(), h.compile(t, wf), m, map[string]*spec.Binding{"y": bind(int64(2))}, 2)
	if res.Status != Succeeded {
		t.Fatalf("status %s: %v", res.Status, res.Failures)
	}
}

func TestJobsBoundsConcurrency(t *testing.T) {
	var running, peak atomic.Int32
	m := &fakeMode{funcs: map[string]func(context.Context, map[string]formats.Value) (map[string]formats.Value, error){
		"count": func(context.Context, map[string]formats.Value) (map[string]formats.Value, error) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
			running.Add(-1)
			return map[string]formats.Value{}, nil
		},
	}}
	wf := &spec.Task{Mode: "workflow"}
	for i := 0; i < 20; i++ {
		wf.Steps = append(wf.Steps, &spec.Step{Name: fmt.Sprintf("s%d", i), Task: &spec.Task{Mode: "fake", Script: "count"}})
	}
	h := newHarness()
	res := h.run(t, context.Background(), h.compile(t, wf), m, nil, 3)
	if res.Status != Succeeded {
		t.Fatalf("status %s", res.Status)
	}
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak concurrency %d, want between 2 and --jobs=3", p)
	}
}

func TestRunIDsSortByTime(t *testing.T) {
	a := NewRunID(time.UnixMilli(1_700_000_000_000))
	b := NewRunID(time.UnixMilli(1_700_000_000_001))
	if len(a) != 26 || a >= b {
		t.Errorf("ids %q, %q: want 26 characters, increasing", a, b)
	}
}

// noopPlan is n independent untyped steps in a fake mode that does nothing.
func noopPlan(b testing.TB, h harness, n int, chain bool) *dag.Plan {
	wf := &spec.Task{Mode: "workflow"}
	for i := 0; i < n; i++ {
		st := &spec.Step{Name: fmt.Sprintf("s%d", i), Task: &spec.Task{Mode: "fake", Script: "noop",
			Inputs: []*spec.Port{{Name: "a"}}, Outputs: []*spec.Port{{Name: "b"}}}}
		if i == 0 || !chain {
			st.Task.Inputs[0].Default = &spec.Binding{Data: int64(1), HasData: true}
		} else {
			wf.Edges = append(wf.Edges, e(fmt.Sprintf("s%d", i-1), "b", st.Name, "a"))
		}
		wf.Steps = append(wf.Steps, st)
	}
	return h.compile(b, wf)
}

func benchmarkScheduler(b *testing.B, chain bool) {
	h := newHarness()
	m := &fakeMode{funcs: map[string]func(context.Context, map[string]formats.Value) (map[string]formats.Value, error){
		"noop": func(_ context.Context, in map[string]formats.Value) (map[string]formats.Value, error) {
			return map[string]formats.Value{"b": in["a"]}, nil
		},
	}}
	p := noopPlan(b, h, 10_000, chain)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := h.run(b, context.Background(), p, m, nil, 0)
		if res.Status != Succeeded {
			b.Fatal(res.Failures)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(p.Nodes))/1e3, "µs/node")
}

// BenchmarkScheduler10kWide: 10,000 independent no-op steps (20,000 nodes
// with their default inputs).
func BenchmarkScheduler10kWide(b *testing.B) { benchmarkScheduler(b, false) }

// BenchmarkScheduler10kChain: a chain of 10,000 no-op steps.
func BenchmarkScheduler10kChain(b *testing.B) { benchmarkScheduler(b, true) }

// BenchmarkCheckpoint10k runs the 10,000-step wide no-op plan without a
// store and with one (fsync on), side by side, then resumes the finished
// run (everything reused).
func BenchmarkCheckpoint10k(b *testing.B) {
	h := newHarness()
	m := &fakeMode{funcs: map[string]func(context.Context, map[string]formats.Value) (map[string]formats.Value, error){
		"noop": func(_ context.Context, in map[string]formats.Value) (map[string]formats.Value, error) {
			return map[string]formats.Value{"b": in["a"]}, nil
		},
	}}
	p := noopPlan(b, h, 10_000, false)
	run := func(st *store.Store, id string, prev map[string]*store.Node) *Result {
		res, err := Run(context.Background(), p, Options{RunID: id, Formats: h.reg, Converters: h.conv, Validators: h.val,
			Modes: modes.Set{"fake": m}, WorkDir: filepath.Join(b.TempDir(), "run"), Store: st, Previous: prev})
		if err != nil || res.Status != Succeeded {
			b.Fatal(err, res.Failures)
		}
		return res
	}
	var plain, stored, resumed time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		run(nil, "plain", nil)
		plain += time.Since(start)

		st, err := store.Open(filepath.Join(b.TempDir(), "store"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		run(st, "first", nil)
		stored += time.Since(start)

		recs, err := st.Nodes("first")
		if err != nil {
			b.Fatal(err)
		}
		prev := make(map[string]*store.Node, len(recs))
		for _, r := range recs {
			prev[r.ID] = r
		}
		start = time.Now()
		res := run(st, "first", prev)
		resumed += time.Since(start)
		if n := res.Count(Succeeded); n != len(p.Nodes) {
			b.Fatalf("resume: %d of %d nodes succeeded", n, len(p.Nodes))
		}
		st.Close()
	}
	nodes := float64(len(p.Nodes))
	b.ReportMetric(float64(plain.Microseconds())/1e3/float64(b.N), "ms/run-no-store")
	b.ReportMetric(float64(stored.Microseconds())/1e3/float64(b.N), "ms/run-store")
	b.ReportMetric(float64(stored)/float64(plain), "x-overhead")
	b.ReportMetric(nodes*float64(b.N)/stored.Seconds(), "records/s")
	b.ReportMetric(float64(resumed.Microseconds())/1e3/float64(b.N), "ms/resume")
}

// dirSize is the disk space a tree uses (allocated blocks, as du counts).
func dirSize(t testing.TB, dir string) int64 {
	var total int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			var st syscall.Stat_t
			if syscall.Stat(p, &st) == nil {
				total += st.Blocks * 512
			}
		}
		return nil
	})
	return total
}

// TestStoreSizeAfter100Runs runs a 100-step workflow 100 times on one store
// with values that differ every run, and checks the store stays under
// 20 MB, and under a budget after gc and compaction.
func TestStoreSizeAfter100Runs(t *testing.T) {
	h := newHarness()
	p := noopPlan(t, h, 100, true)
	dir := filepath.Join(t.TempDir(), "store")
	st, err := store.Open(dir, store.Options{NoSync: true}) // size does not depend on fsync
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < 100; r++ {
		m := &fakeMode{funcs: map[string]func(context.Context, map[string]formats.Value) (map[string]formats.Value, error){
			"noop": func(_ context.Context, in map[string]formats.Value) (map[string]formats.Value, error) {
				return map[string]formats.Value{"b": {Data: fmt.Sprintf("run %d: %v", r, in["a"].Data)}}, nil
			},
		}}
		id := fmt.Sprintf("run%03d", r)
		if err := st.PutRun(&store.Run{ID: id, Status: "succeeded", Created: time.Now(), Updated: time.Now()}); err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), p, Options{RunID: id, Formats: h.reg, Converters: h.conv, Validators: h.val,
			Modes: modes.Set{"fake": m}, WorkDir: filepath.Join(t.TempDir(), "w"), Store: st})
		if err != nil || res.Status != Succeeded {
			t.Fatal(err, res.Failures)
		}
	}
	st.Close()
	size := dirSize(t, dir)
	t.Logf("100 runs x 100 steps (%d nodes each): store uses %.1f MB on disk", len(p.Nodes), float64(size)/1e6)
	if size > 20e6 {
		t.Errorf("store uses %d bytes after 100 runs, over the 20 MB budget", size)
	}
	st, err = store.Open(dir, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.GC(store.GCOptions{KeepRuns: 10}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := store.Compact(dir); err != nil {
		t.Fatal(err)
	}
	after := dirSize(t, dir)
	t.Logf("after gc --keep 10 and compaction: %.1f MB", float64(after)/1e6)
	if after > size/5 {
		t.Errorf("gc keeping 10 of 100 runs left %d of %d bytes", after, size)
	}
}
