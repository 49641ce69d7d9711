package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truss-dev/truss/internal/testenv"
)

// chainSpec writes a workflow of n python steps, each `b = a + 1`.
func chainSpec(tb testing.TB, n int) string {
	var b strings.Builder
	b.WriteString("mode: workflow\ninputs:\n  - {name: x, type: number, format: number}\n")
	fmt.Fprintf(&b, "outputs:\n  - {name: y, type: number, format: number, from: s%d.b}\nsteps:\n", n-1)
	for i := 0; i < n; i++ {
		src := "x"
		if i > 0 {
			src = fmt.Sprintf("s%d.b", i-1)
		}
		fmt.Fprintf(&b, "  - name: s%d\n    in: {a: %s}\n    task: {script: \"b = a + 1\", inputs: [{name: a, type: number, format: number}], outputs: [{name: b, type: number, format: number}]}\n", i, src)
	}
	p := filepath.Join(tb.TempDir(), "chain.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// projectStore makes a store directory where a user's would be: in the
// working directory (the package directory here), not under /tmp — on some
// machines /tmp makes every directory create far slower, which would be
// measured as truss overhead.
func projectStore(b *testing.B) string {
	dir, err := os.MkdirTemp(".", ".bench-store-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// timedRun runs `truss run SPEC ARGS… --jobs 1 --json` with a fresh
// store in the project directory and returns its stdout and how long it
// took; a non-zero exit fails b.
func timedRun(b *testing.B, env map[string]string, spec string, args ...string) (string, time.Duration) {
	b.Helper()
	args = append(append([]string{"run", spec}, args...), "--jobs", "1", "--store", filepath.Join(projectStore(b), "s"), "--json")
	var out, errOut bytes.Buffer
	start := time.Now()
	code := Main(args, nil, &out, &errOut, false, func(k string) string { return env[k] })
	took := time.Since(start)
	if code != 0 {
		b.Fatalf("exit %d: %s", code, errOut.String())
	}
	return out.String(), took
}

// BenchmarkPythonChain100 runs a chain of 100 python steps through
// `truss run` and, in the same benchmark, 100 cold `python3 -c` runs of
// the same arithmetic; it reports milliseconds per step for both.
func BenchmarkPythonChain100(b *testing.B) {
	const n = 100
	py := testenv.Python(b)
	spec := chainSpec(b, n)
	env := map[string]string{"TRUSS_CONFIG": filepath.Join(b.TempDir(), "c.yaml"), "TRUSS_PYTHON_EXECUTABLE": py}
	var truss, cold time.Duration
	for i := 0; i < b.N; i++ {
		out, took := timedRun(b, env, spec, "-i", "x=0")
		truss += took
		if !strings.Contains(out, `"data": 100`) {
			b.Fatalf("chain result wrong: %s", out)
		}
		start := time.Now()
		a := 0
		for k := 0; k < n; k++ {
			res, err := exec.Command(py, "-c", fmt.Sprintf("a = %d\nb = a + 1\nprint(b)", a)).Output()
			if err != nil {
				b.Fatal(err)
			}
			fmt.Sscan(string(res), &a)
		}
		cold += time.Since(start)
	}
	perTruss := float64(truss.Microseconds()) / 1e3 / float64(b.N*n)
	perCold := float64(cold.Microseconds()) / 1e3 / float64(b.N*n)
	b.ReportMetric(perTruss, "ms/step-truss")
	b.ReportMetric(perCold, "ms/step-cold")
	b.ReportMetric(perCold/perTruss, "speedup")
}
