package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/truss-dev/truss/internal/testenv"
)

// chain200 writes a chain of n python steps; step i adds i and appends its
// name to the side file given as input `log`.
func chain200(t *testing.T, dir string, n int) string {
	var b strings.Builder
	b.WriteString("mode: workflow\ninputs:\n  - {name: x, type: number, format: number}\n  - {name: log, type: string, format: text}\n")
	fmt.Fprintf(&b, "outputs:\n  - {name: y, type: number, format: number, from: s%d.out}\nsteps:\n", n-1)
	for i := 0; i < n; i++ {
		src := "x"
		if i > 0 {
			src = fmt.Sprintf("s%d.out", i-1)
		}
		fmt.Fprintf(&b, "  - name: s%d\n    in: {v: %s, log: log}\n    task:\n      inputs: [{name: v, type: number, format: number}, {name: log, type: string, format: text}]\n      outputs: [{name: out, type: number, format: number}]\n      script: |\n        import time\n        open(log, 'a').write('s%d\\n')\n        time.sleep(0.005)\n        out = v + %d\n", i, src, i, i)
	}
	p := filepath.Join(dir, "chain.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSIGKILLThenResume kills the engine with SIGKILL in the middle of a
// 200-step workflow; after `truss resume` the run succeeds, every step ran
// exactly once except those running at the kill, and the output equals an
// uninterrupted run's.
func TestSIGKILLThenResume(t *testing.T) {
	py := testenv.Python(t)
	bin := buildTruss(t)
	dir := t.TempDir()
	const n, jobs = 200, 2
	spec := chain200(t, dir, n)
	log := filepath.Join(dir, "executions")
	store := filepath.Join(dir, "store")
	env := append(os.Environ(), "TRUSS_PYTHON_EXECUTABLE="+py, "TRUSS_CONFIG="+filepath.Join(dir, "c.yaml"))

	cmd := exec.Command(bin, "run", spec, "-i", "x=1000", "-i", "log="+log, "--jobs", fmt.Sprint(jobs), "--store", store)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(log)
		if strings.Count(string(b), "\n") >= n/3 {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the run never got a third of the way: %q", b)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	time.Sleep(200 * time.Millisecond) // orphaned step children finish their last write

	out, err := runBin(bin, env, "runs", "--json", "--store", store)
	if err != nil {
		t.Fatalf("runs: %v\n%s", err, out)
	}
	var runs []struct {
		ID     string `json:"run_id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(out, &runs); err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %s", err, out)
	}
	if runs[0].Status != "interrupted" {
		t.Errorf("a killed run shows %q, want interrupted (it never finished, and no truss runs it)", runs[0].Status)
	}

	out, err = runBin(bin, env, "resume", runs[0].ID, "--json", "--jobs", fmt.Sprint(jobs), "--store", store)
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	var doc struct {
		Status  string                                `json:"status"`
		Outputs map[string]struct{ Data json.Number } `json:"outputs"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("resume output: %v\n%s", err, out)
	}
	want := fmt.Sprint(1000 + n*(n-1)/2)
	if doc.Status != "succeeded" || doc.Outputs["y"].Data.String() != want {
		t.Errorf("resume: status %s, y = %s, want succeeded and %s", doc.Status, doc.Outputs["y"].Data, want)
	}
	counts := map[string]int{}
	b, _ := os.ReadFile(log)
	for _, name := range strings.Fields(string(b)) {
		counts[name]++
	}
	twice := 0
	for i := 0; i < n; i++ {
		switch c := counts[fmt.Sprintf("s%d", i)]; {
		case c == 2:
			twice++
		case c != 1:
			t.Errorf("step s%d ran %d times", i, c)
		}
	}
	if twice > jobs {
		t.Errorf("%d steps ran twice, want at most --jobs=%d (those running at the kill)", twice, jobs)
	}
}

func runBin(bin string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return append(out, stderr.String()...), err
	}
	return out, nil
}
