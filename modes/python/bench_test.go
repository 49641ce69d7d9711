package python

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
)

// addOne is the benchmark step: b = a + 1.
func addOne(t testing.TB) *modes.Task {
	return step{
		name:    "add1",
		script:  "b = a + 1",
		inputs:  []modes.Port{port(t, "a", "integer", "integer")},
		outputs: []modes.Port{port(t, "b", "integer", "integer")},
	}.task()
}

// chainMode runs n add-one steps, each fed the previous output, through m.
func chainMode(ctx context.Context, t testing.TB, m *Mode, workDir string, n int) (int64, error) {
	task := addOne(t)
	v := formats.Value{Type: "integer", Format: "integer", Data: int64(0)}
	for range n {
		out, err := m.Run(ctx, modes.Request{Task: task, Inputs: map[string]formats.Value{"a": v}, WorkDir: workDir})
		if err != nil {
			return 0, err
		}
		v = out["b"]
	}
	return v.Data.(int64), nil
}

// chainCold does the same work with one cold interpreter per step, which
// is what a step costs without the zygote.
func chainCold(ctx context.Context, exe string, n int) (int64, error) {
	a := int64(0)
	for range n {
		out, err := exec.CommandContext(ctx, exe, "-c", "import json, sys\na = json.loads(sys.argv[1])\nprint(json.dumps(a + 1))", strconv.FormatInt(a, 10)).Output()
		if err != nil {
			return 0, err
		}
		if a, err = strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err != nil {
			return 0, err
		}
	}
	return a, nil
}

func realExecutable(ctx context.Context, exe string) (string, error) {
	out, err := exec.CommandContext(ctx, exe, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// BenchmarkPythonStep is one warm step (b = a + 1) through the mode.
func BenchmarkPythonStep(b *testing.B) {
	m := newMode(b, Options{Slots: 1})
	ctx := context.Background()
	dir := b.TempDir()
	if _, err := chainMode(ctx, b, m, dir, 1); err != nil { // start the zygote
		b.Fatal(err)
	}
	task := addOne(b)
	in := map[string]formats.Value{"a": {Type: "integer", Format: "integer", Data: int64(1)}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Run(ctx, modes.Request{Task: task, Inputs: in, WorkDir: dir}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPythonStepParallel runs steps from many goroutines over all
// slots.
func BenchmarkPythonStepParallel(b *testing.B) {
	m := newMode(b, Options{})
	ctx := context.Background()
	if err := m.Warm(ctx); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	task := addOne(b)
	in := map[string]formats.Value{"a": {Type: "integer", Format: "integer", Data: int64(1)}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Run(ctx, modes.Request{Task: task, Inputs: in, WorkDir: dir}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkChain100 runs a chain of 100 add-one steps through the mode and
// the same 100 steps as cold `python3 -c` runs, reporting per-step
// milliseconds of each and their ratio.
func BenchmarkChain100(b *testing.B) {
	m := newMode(b, Options{Slots: 1})
	ctx := context.Background()
	dir := b.TempDir()
	if _, err := chainMode(ctx, b, m, dir, 1); err != nil {
		b.Fatal(err)
	}
	var warm, cold time.Duration
	for b.Loop() {
		w, c, err := compareChain(ctx, b, m, dir, 100)
		if err != nil {
			b.Fatal(err)
		}
		warm += w
		cold += c
	}
	n := float64(b.N * 100)
	b.ReportMetric(float64(warm.Microseconds())/1000/n, "ms/step-mode")
	b.ReportMetric(float64(cold.Microseconds())/1000/n, "ms/step-cold")
	b.ReportMetric(float64(cold)/float64(warm), "cold/mode")
}

func compareChain(ctx context.Context, t testing.TB, m *Mode, dir string, n int) (warm, cold time.Duration, err error) {
	start := time.Now()
	got, err := chainMode(ctx, t, m, dir, n)
	warm = time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	if got != int64(n) {
		return 0, 0, fmt.Errorf("mode chain gave %d, want %d", got, n)
	}
	// The real interpreter, not a launcher such as a pyenv shim, which
	// would add its own start-up to every cold run.
	exe, err := realExecutable(ctx, m.exe)
	if err != nil {
		return 0, 0, err
	}
	start = time.Now()
	got, err = chainCold(ctx, exe, n)
	cold = time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	if got != int64(n) {
		return 0, 0, fmt.Errorf("cold chain gave %d, want %d", got, n)
	}
	return warm, cold, nil
}
