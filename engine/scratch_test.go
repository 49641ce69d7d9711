package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/spec"
)

// dirMode uses its work directory: "touch" leaves a file there, "noop"
// nothing, "fail" fails.
type dirMode struct{}

func (dirMode) Run(_ context.Context, req modes.Request) (map[string]formats.Value, error) {
	if _, err := os.Stat(req.WorkDir); err != nil {
		return nil, err
	}
	switch req.Task.Script {
	case "touch":
		if err := os.WriteFile(filepath.Join(req.WorkDir, "left"), []byte("x"), 0o644); err != nil {
			return nil, err
		}
	case "fail":
		return nil, errors.New("boom")
	}
	return out("b", 1), nil
}

// A chain a (writes nothing) → b (leaves a file) → c (fails) → d, and e
// on its own: the failed run keeps what there is to debug (b's file, c's
// directory) and no empty directory of a node that succeeded or never ran.
func TestScratchKeptOnlyWhereUseful(t *testing.T) {
	wf := &spec.Task{Mode: "workflow"}
	for _, s := range []struct{ name, script string }{{"a", "noop"}, {"b", "touch"}, {"c", "fail"}, {"d", "noop"}, {"e", "noop"}} {
		st := wfStep(s.name, s.script, []string{"a"}, []string{"b"})
		st.Task.Mode = "dir"
		st.Task.Inputs[0].Default = bind(int64(1))
		wf.Steps = append(wf.Steps, st)
	}
	wf.Edges = []*spec.Edge{e("a", "b", "b", "a"), e("b", "b", "c", "a"), e("c", "b", "d", "a")}
	h := newHarness()
	p := h.compile(t, wf)
	run := func(keep bool) (*Result, string) {
		work := filepath.Join(t.TempDir(), "run")
		res, err := Run(context.Background(), p, Options{Jobs: 1, Formats: h.reg, Converters: h.conv, Validators: h.val,
			Modes: modes.Set{"dir": dirMode{}}, WorkDir: work, KeepWork: keep, RetryDelay: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return res, work
	}
	res, work := run(false)
	if res.Status != Failed {
		t.Fatalf("status %s, want failed", res.Status)
	}
	for step, want := range map[string]bool{"a": false, "b": true, "c": true, "d": false, "e": false} {
		_, err := os.Stat(filepath.Join(work, DirName(step)))
		if got := err == nil; got != want {
			t.Errorf("work directory of %s kept = %v, want %v", step, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(work, DirName("b"), "left")); err != nil {
		t.Errorf("b's file: %v", err)
	}
	_, work = run(true)
	for _, step := range []string{"a", "b", "c", "e"} {
		if _, err := os.Stat(filepath.Join(work, DirName(step))); err != nil {
			t.Errorf("--keep-work: %v", err)
		}
	}
}
