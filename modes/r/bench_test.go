package r

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/modes"
)

// BenchmarkStepChain runs a chain of 50 steps `b <- a + 1` through the mode
// (each step's output is the next one's input), and, in the same run, the
// same step as a cold `Rscript -e` per step (5 per iteration: one costs
// ~200 ms). Metrics: warm-ms/step, cold-ms/step and their ratio.
//
//	go test ./modes/r -run '^$' -bench StepChain -benchtime 5x
func BenchmarkStepChain(b *testing.B) {
	exe := testenv.Tool(b, "Rscript")
	m, err := New(Options{Slots: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if err := m.Warm(context.Background()); err != nil {
		b.Fatal(err)
	}
	a := modes.Port{Name: "a", Type: "number", Format: "number", Rep: formats.RepData}
	out := modes.Port{Name: "b", Type: "number", Format: "number", Rep: formats.RepData}
	task := &modes.Task{Name: "inc", Script: "b <- a + 1", Inputs: []modes.Port{a}, Outputs: []modes.Port{out}}
	dir := b.TempDir()
	const chain, cold = 50, 5
	var warm, coldTotal time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		v := formats.Value{Type: "number", Format: "number", Data: int64(0)}
		for range chain {
			res, err := m.Run(context.Background(), modes.Request{Task: task, Inputs: map[string]formats.Value{"a": v}, WorkDir: dir})
			if err != nil {
				b.Fatal(err)
			}
			v = res["b"]
		}
		warm += time.Since(start)
		if v.Data != int64(chain) {
			b.Fatalf("chain ended at %v", v.Data)
		}
		start = time.Now()
		for i := range cold {
			if err := exec.Command(exe, "-e", fmt.Sprintf("a <- %d; b <- a + 1; cat(b)", i)).Run(); err != nil {
				b.Fatal(err)
			}
		}
		coldTotal += time.Since(start)
	}
	warmStep := float64(warm.Microseconds()) / 1000 / float64(b.N*chain)
	coldStep := float64(coldTotal.Microseconds()) / 1000 / float64(b.N*cold)
	b.ReportMetric(warmStep, "warm-ms/step")
	b.ReportMetric(coldStep, "cold-ms/step")
	b.ReportMetric(coldStep/warmStep, "cold/warm")
}
