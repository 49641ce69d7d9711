package cli

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// chainSpecWithLog writes a workflow a → b → c whose steps append their name
// to a side file, so tests can count executions; b's script is given.
func chainSpecWithLog(t *testing.T, dir, bScript string) string {
	t.Helper()
	step := func(name, in, script string) string {
		return "  - name: " + name + "\n    in: {v: " + in + ", log: log}\n    task:\n      inputs: [{name: v, type: number, format: number}, {name: log, type: string, format: text}]\n      outputs: [{name: out, type: number, format: number}]\n      script: |\n        open(log, 'a').write('" + name + "\\n')\n        " + script + "\n"
	}
	spec := "mode: workflow\ninputs:\n  - {name: x, type: number, format: number}\n  - {name: log, type: string, format: text}\n" +
		"outputs:\n  - {name: y, type: number, format: number, from: c.out}\nsteps:\n" +
		step("a", "x", "out = v + 1") + step("b", "a.out", bScript) + step("c", "b.out", "out = v * 10")
	p := filepath.Join(dir, "chain.yaml")
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var runIDPattern = regexp.MustCompile(`run (\w{26}) `)

func runID(t *testing.T, stderr string) string {
	t.Helper()
	m := runIDPattern.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no run id in:\n%s", stderr)
	}
	return m[1]
}

func executions(t *testing.T, log string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// trussStore runs truss against one store directory.
func trussStore(t *testing.T, store string, args ...string) outcome {
	t.Helper()
	return trussIn(t, "", append(args, "--store", store)...)
}

func TestResumeRerunsFixedStepAndDependantsOnly(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	log := filepath.Join(dir, "executions")
	spec := chainSpecWithLog(t, dir, "raise RuntimeError('b is broken')")
	o := trussStore(t, store, "run", spec, "-i", "x=1", "-i", "log="+log)
	if o.code != 1 || !strings.Contains(o.stderr, "b is broken") {
		t.Fatalf("first run: exit %d\n%s", o.code, o.stderr)
	}
	id := runID(t, o.stderr)
	if got := executions(t, log); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("executions after the failed run: %v", got)
	}
	// Fix b and resume: b and c run, a does not.
	chainSpecWithLog(t, dir, "out = v * 2")
	o = trussStore(t, store, "resume", id, "--json")
	if o.code != 0 {
		t.Fatalf("resume: exit %d\n%s", o.code, o.stderr)
	}
	var doc runJSON
	if err := json.Unmarshal([]byte(o.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if string(doc.Outputs["y"].Data) != "40" || doc.RunID != id {
		t.Errorf("resumed run %s gave y = %s, want run %s and (1+1)*2*10 = 40", doc.RunID, doc.Outputs["y"].Data, id)
	}
	if got := executions(t, log); !slices.Equal(got, []string{"a", "b", "b", "c"}) {
		t.Errorf("executions = %v, want a once, b twice, c once", got)
	}
	// The store says the same: a kept its first record; b ran again and why.
	o = trussStore(t, store, "show", id, "--json")
	var shown struct {
		Status string `json:"status"`
		Nodes  []struct {
			ID, Status, Reason string
			Attempts           int
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &shown); err != nil {
		t.Fatalf("show --json: %v\n%s", err, o.stdout)
	}
	byID := map[string]string{}
	for _, n := range shown.Nodes {
		byID[n.ID] = n.Status + "|" + n.Reason
	}
	if shown.Status != "succeeded" || byID["a"] != "succeeded|" || byID["b"] != "succeeded|it failed before; its definition changed" {
		t.Errorf("show: status %s, nodes %v", shown.Status, byID)
	}
}

func TestCacheAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	log := filepath.Join(dir, "executions")
	spec := chainSpecWithLog(t, dir, "out = v * 2")
	for i, args := range [][]string{
		{"run", spec, "-i", "x=1", "-i", "log=" + log, "--json"},
		{"run", spec, "-i", "x=1", "-i", "log=" + log, "--json"},
		{"run", spec, "-i", "x=1", "-i", "log=" + log, "--json", "--no-cache"},
	} {
		o := trussStore(t, store, args...)
		var doc runJSON
		if err := json.Unmarshal([]byte(o.stdout), &doc); err != nil || o.code != 0 {
			t.Fatalf("run %d: exit %d %v\n%s", i, o.code, err, o.stderr)
		}
		if string(doc.Outputs["y"].Data) != "40" {
			t.Errorf("run %d: y = %s", i, doc.Outputs["y"].Data)
		}
		wantCached := []int{0, 3, 0}[i] // the three steps (validate nodes cache too, so count at least)
		if i == 1 && doc.Nodes["cached"] < wantCached || i != 1 && doc.Nodes["cached"] != 0 {
			t.Errorf("run %d: %d cached nodes", i, doc.Nodes["cached"])
		}
	}
	// Runs 1 and 3 executed the steps; run 2 took them from the cache.
	if got := executions(t, log); len(got) != 6 {
		t.Errorf("executions = %v, want the three steps twice", got)
	}
}

func TestRunsShowLogs(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	o := trussStore(t, store, "run", "../examples/quickstart/workflow.yaml", "-i", "x=10", "-i", "y=3")
	if o.code != 0 {
		t.Fatalf("exit %d\n%s", o.code, o.stderr)
	}
	id := runID(t, o.stderr)
	o = trussStore(t, store, "runs")
	if !strings.Contains(o.stdout, id) || !strings.Contains(o.stdout, "succeeded") {
		t.Errorf("runs:\n%s", o.stdout)
	}
	o = trussStore(t, store, "show", id)
	for _, want := range []string{"summarize", "input:readings~csv>rows", "succeeded", "truss logs " + id + " summarize"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, o.stdout)
		}
	}
	o = trussStore(t, store, "logs", id, "summarize")
	if o.stdout != "summarized 5 stations\n" {
		t.Errorf("logs = %q (%s)", o.stdout, o.stderr)
	}
	o = trussStore(t, store, "logs", id, "sumarize")
	if o.code != 2 || !strings.Contains(o.stderr, `did you mean "summarize"?`) {
		t.Errorf("logs of a mistyped node: exit %d %s", o.code, o.stderr)
	}
	o = trussStore(t, store, "show", "01NOSUCHRUN")
	if o.code != 2 || !strings.Contains(o.stderr, "truss runs") {
		t.Errorf("show of an unknown run: exit %d %s", o.code, o.stderr)
	}
}

// TestSecretsNeverStored: binding fields that carry credentials (a Girder
// token, HTTP headers) are not written to any file of the store.
func TestSecretsNeverStored(t *testing.T) {
	spec := writeFile(t, "t.yaml", `
inputs: [{name: x, type: number, format: number}]
outputs: [{name: y, type: number, format: number}]
script: "y = x + 1"
`)
	in := writeFile(t, "in.json", `{"x": {"mode": "inline", "format": "number", "data": 1,
  "token": "tok-s3cret", "headers": {"Authorization": "Bearer hdr-s3cret"}}}`)
	store := filepath.Join(t.TempDir(), "store")
	if o := truss(t, "run", spec, "--inputs", in, "--store", store); o.code != 0 {
		t.Fatalf("exit %d\n%s", o.code, o.stderr)
	}
	files := 0
	err := filepath.WalkDir(store, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, secret := range []string{"tok-s3cret", "hdr-s3cret"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds the secret %s", p, secret)
			}
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walk %s: %v (%d files)", store, err, files)
	}
}
