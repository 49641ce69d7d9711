package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truss-dev/truss/modes/docker/dockertest"
)

// BenchmarkDockerChain20 runs a chain of 20 container steps (each runs
// `true sN` — distinct, so the cache cannot reuse one step's result for the
// next; its _stdout feeds the next) through `truss run`, and in the same
// benchmark 20 `docker run --rm IMAGE true` in a row; it reports
// milliseconds per step for both and truss's overhead per step.
func BenchmarkDockerChain20(b *testing.B) {
	const n = 20
	img := dockertest.Busybox(b)
	cli := dockertest.Docker(b)
	var sb strings.Builder
	fmt.Fprintf(&sb, "mode: workflow\noutputs:\n  - {name: y, type: string, format: text, from: s%d._stdout}\nsteps:\n", n-1)
	for i := 0; i < n; i++ {
		in := ""
		if i > 0 {
			in = fmt.Sprintf("    in: {prev: s%d._stdout}\n", i-1)
		}
		fmt.Fprintf(&sb, "  - name: s%d\n%s    task:\n      mode: docker\n      docker_image: %s\n      pull_image: false\n      entrypoint: [\"true\", \"s%d\"]\n", i, in, img, i)
		if i > 0 {
			sb.WriteString("      inputs: [{name: prev, type: string, format: text}]\n")
		}
		sb.WriteString("      outputs: [{name: _stdout, type: string, format: text}]\n")
	}
	spec := filepath.Join(b.TempDir(), "chain.yaml")
	if err := os.WriteFile(spec, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	env := map[string]string{"TRUSS_CONFIG": filepath.Join(b.TempDir(), "c.yaml")}
	var truss, raw time.Duration
	for i := 0; i < b.N; i++ {
		_, took := timedRun(b, env, spec)
		truss += took
		start := time.Now()
		for k := 0; k < n; k++ {
			if out, err := exec.Command(cli, "run", "--rm", img, "true").CombinedOutput(); err != nil {
				b.Fatalf("docker run: %v\n%s", err, out)
			}
		}
		raw += time.Since(start)
	}
	perTruss := float64(truss.Microseconds()) / 1e3 / float64(b.N*n)
	perRaw := float64(raw.Microseconds()) / 1e3 / float64(b.N*n)
	b.ReportMetric(perTruss, "ms/step-truss")
	b.ReportMetric(perRaw, "ms/step-docker-run")
	b.ReportMetric(perTruss-perRaw, "ms/step-overhead")
	b.ReportMetric(100*(perTruss/perRaw-1), "%overhead")
}
