package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truss-dev/truss/internal/testenv"
)

// TestShellStepInWorkflow: python step → shell step → python step. The
// first step makes a table (rows); a converter turns it into the csv file
// the shell step reads ($input{table}, target: filepath); the shell step
// writes a tsv file (target: filepath) with tr; a converter reads it back
// into rows for the last step.
func TestShellStepInWorkflow(t *testing.T) {
	testenv.Tool(t, "sh")
	testenv.Tool(t, "tr")
	testenv.Tool(t, "sed")
	spec := writeFile(t, "wf.yaml", `
mode: workflow
inputs:
  - {name: n, type: number, format: number}
outputs:
  - {name: total, type: number, format: number, from: sum.total}
  - {name: log, type: string, format: text, from: tsv._stdout}
steps:
  - name: make
    in: {n: n}
    task:
      script: |
        table = {"fields": ["name", "value"], "rows": [{"name": "r%d" % i, "value": i * 10} for i in range(int(n))]}
      inputs: [{name: n, type: number, format: number}]
      outputs: [{name: table, type: table, format: rows}]
  - name: tsv
    in: {table: make.table}
    task:
      mode: shell
      inputs: [{name: table, type: table, format: csv, target: filepath}]
      outputs:
        - {name: out, type: table, format: tsv, target: filepath}
        - {name: _stdout, type: string, format: text}
      command: [sh, -c, "tr ',' '\t' < \"$1\" | sed 's/\r$//' > \"$2\" && wc -l < \"$2\" | tr -d ' '", sh]
      container_args: ["$input{table}", "$output{out}"]
  - name: sum
    in: {t: tsv.out}
    task:
      script: |
        total = sum(r["value"] for r in t["rows"]) + len(t["fields"])
      inputs: [{name: t, type: table, format: rows}]
      outputs: [{name: total, type: number, format: number}]
`)
	doc := runDoc(t, spec, "-i", "n=4")
	if got := string(doc.Outputs["total"].Data); got != "62" { // 0+10+20+30 + 2 fields
		t.Errorf("total = %s, want 62", got)
	}
	if got := strings.TrimSpace(dataString(t, doc.Outputs["log"].Data)); got != "5" {
		t.Errorf("log = %q, want 5 (lines of the tsv)", got)
	}

	plan := truss(t, "plan", spec)
	if plan.code != 0 {
		t.Fatalf("plan: exit %d\n%s", plan.code, plan.stderr)
	}
	// Converters on both sides of the shell step.
	for _, w := range []string{"rows", "csv", "tsv"} {
		if !strings.Contains(plan.stdout, w) {
			t.Errorf("plan misses %q:\n%s", w, plan.stdout)
		}
	}
}

// TestShellStepFailure: a failing command fails the run with its exit code
// and stderr in the message.
func TestShellStepFailure(t *testing.T) {
	testenv.Tool(t, "sh")
	spec := writeFile(t, "fail.yaml", `
mode: shell
inputs: [{name: x, type: string, format: text}]
outputs: [{name: _stdout, type: string, format: text}]
command: [sh, -c, "echo bad input $0 >&2; exit 4", "$input{x}"]
`)
	o := truss(t, "run", spec, "-i", "x=oops")
	if o.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", o.code, o.stderr)
	}
	for _, w := range []string{"Non-zero exit code from command sh (4).", "bad input oops"} {
		if !strings.Contains(o.stderr, w) {
			t.Errorf("stderr misses %q:\n%s", w, o.stderr)
		}
	}
}

// shellChainSpec writes a workflow of n shell steps, each running
// /bin/true after the previous one (a _stdout output feeds the next step's
// input, so the steps run in a row).
func shellChainSpec(tb testing.TB, n int) string {
	var b strings.Builder
	b.WriteString("mode: workflow\n")
	fmt.Fprintf(&b, "outputs:\n  - {name: y, type: string, format: text, from: s%d._stdout}\nsteps:\n", n-1)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - name: s%d\n", i)
		if i > 0 {
			fmt.Fprintf(&b, "    in: {a: s%d._stdout}\n", i-1)
			fmt.Fprintf(&b, "    task: {mode: shell, command: [/bin/true, s%d], inputs: [{name: a, type: string, format: text}], outputs: [{name: _stdout, type: string, format: text}]}\n", i)
		} else {
			b.WriteString("    task: {mode: shell, command: [/bin/true, s0], outputs: [{name: _stdout, type: string, format: text}]}\n")
		}
	}
	p := filepath.Join(tb.TempDir(), "shellchain.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkShellChain100 runs a chain of 100 shell steps, each `/bin/true
// sN` (distinct, so the cache cannot reuse one step for the next), through
// `truss run`, and in the same benchmark a bash script running the same
// 100 commands in a row; it reports both and their ratio (issue 5 target:
// ratio ≤ 1.3).
func BenchmarkShellChain100(b *testing.B) {
	const n = 100
	bash := testenv.Tool(b, "bash")
	testenv.Tool(b, "true")
	spec := shellChainSpec(b, n)
	script := filepath.Join(b.TempDir(), "chain.sh")
	var cmds strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&cmds, "/bin/true s%d\n", i)
	}
	os.WriteFile(script, []byte(cmds.String()), 0o755)
	env := map[string]string{"TRUSS_CONFIG": filepath.Join(b.TempDir(), "c.yaml")}
	var trussT, bashT time.Duration
	for i := 0; i < b.N; i++ {
		out, took := timedRun(b, env, spec)
		trussT += took
		if !strings.Contains(out, `"failed": 0`) || !strings.Contains(out, `"cached": 0`) {
			b.Fatalf("chain did not run 100 steps: %s", out)
		}
		start := time.Now()
		if err := exec.Command(bash, script).Run(); err != nil {
			b.Fatal(err)
		}
		bashT += time.Since(start)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 / float64(b.N) }
	b.ReportMetric(ms(trussT), "ms/run-truss")
	b.ReportMetric(ms(bashT), "ms/run-bash")
	b.ReportMetric(ms(trussT)/ms(bashT), "ratio")
}
