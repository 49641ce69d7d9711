package shell

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/modes"
)

func run(t *testing.T, ctx context.Context, m *Mode, task *modes.Task, in map[string]formats.Value) (map[string]formats.Value, string, error) {
	t.Helper()
	var log testenv.SyncBuffer
	if task.Name == "" {
		task.Name = "step"
	}
	task.Mode = "shell"
	out, err := m.Run(ctx, modes.Request{Task: task, Inputs: in, WorkDir: t.TempDir(), Log: &log})
	return out, log.String(), err
}

func TestRunExpandsAndCollects(t *testing.T) {
	testenv.Tool(t, "sh")
	task := &modes.Task{
		Inputs: []modes.Port{
			{Name: "table", Type: "table", Format: "csv", Target: "filepath"},
			{Name: "n", Type: "number", Format: "number"},
			{Name: "verbose", Type: "boolean", Format: "boolean"},
			{Name: "quiet", Type: "boolean", Format: "boolean"},
		},
		Outputs: []modes.Port{
			{Name: "out", Type: "table", Format: "tsv", Target: "filepath"},
			{Name: "_stdout", Type: "string", Format: "text", Rep: formats.RepText},
			{Name: "_stderr", Type: "string", Format: "text", Rep: formats.RepText},
		},
		Options: map[string]any{
			"command":        []any{"sh", "-c", `tr , '\t' < "$1" > "$2"; echo "n=$3 $4 $5 [$6]"; echo warn >&2; pwd`, "sh"},
			"container_args": []any{"$input{table}", "$output{out}", "$input{n}", "$flag{verbose}", "$flag{quiet}", "$input{_tempdir}"},
		},
	}
	in := map[string]formats.Value{
		"table":   {Type: "table", Format: "csv", Bytes: []byte("a,b\n1,2\n")},
		"n":       {Type: "number", Format: "number", Data: 2.5},
		"verbose": {Data: true},
		"quiet":   {Data: false},
	}
	out, log, err := run(t, context.Background(), New(), task, in)
	if err != nil {
		t.Fatal(err)
	}
	p := out["out"].Path
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "a\tb\n1\t2\n" {
		t.Errorf("out %s = %q, %v", p, b, err)
	}
	dir := filepath.Dir(p)
	// quiet is dropped, so $6 is the tempdir.
	wantOut := fmt.Sprintf("n=2.5 verbose %s []\n%s\n", dir, dir)
	if got := string(out["_stdout"].Bytes); got != wantOut {
		t.Errorf("_stdout = %q, want %q", got, wantOut)
	}
	if got := string(out["_stderr"].Bytes); got != "warn\n" {
		t.Errorf("_stderr = %q", got)
	}
	for _, w := range []string{"n=2.5", "warn"} {
		if !strings.Contains(log, w) {
			t.Errorf("log misses %q: %q", w, log)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "table")); string(b) != "a,b\n1,2\n" {
		t.Errorf("filepath input not written to the work dir: %q", b)
	}
}

func TestEntrypointAndPathInput(t *testing.T) {
	cat := testenv.Tool(t, "cat")
	src := filepath.Join(t.TempDir(), "given.txt")
	os.WriteFile(src, []byte("hello\n"), 0o644)
	task := &modes.Task{
		Inputs:  []modes.Port{{Name: "f", Type: "string", Format: "text", Target: "filepath"}},
		Outputs: []modes.Port{{Name: "_stdout"}},
		Options: map[string]any{"entrypoint": cat, "container_args": []any{"$input{f}"}},
	}
	out, _, err := run(t, context.Background(), New(), task, map[string]formats.Value{"f": {Path: src}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out["_stdout"].Data; got != "hello\n" {
		t.Errorf("_stdout = %#v", got)
	}
}

func TestFailures(t *testing.T) {
	testenv.Tool(t, "sh")
	cases := []struct {
		name string
		task *modes.Task
		want []string
		step bool // a *modes.StepError
	}{
		{"non-zero exit", &modes.Task{Options: map[string]any{"command": []any{"sh", "-c", "echo first >&2; echo last words >&2; exit 3"}}},
			[]string{"Non-zero exit code from command sh (3).", "last words"}, true},
		{"killed", &modes.Task{Options: map[string]any{"command": []any{"sh", "-c", "kill -9 $$"}}},
			[]string{"killed by signal 9"}, true},
		{"missing output", &modes.Task{Outputs: []modes.Port{{Name: "res", Target: "filepath"}}, Options: map[string]any{"command": []any{"true"}}},
			[]string{`step step: output "res": Output filepath `, "/res does not exist."}, true},
		{"unknown input token", &modes.Task{Inputs: []modes.Port{{Name: "a"}}, Options: map[string]any{"command": []any{"echo", "$input{b}"}}},
			[]string{"Could not expand token: $input{b}. The task's inputs are: a"}, false},
		{"absolute output", &modes.Task{Outputs: []modes.Port{{Name: "res", Target: "filepath"}}, Options: map[string]any{"command": []any{"echo", "$output{/etc/x}"}}},
			[]string{"Could not expand token: $output{/etc/x}"}, false},
		{"memory output", &modes.Task{Outputs: []modes.Port{{Name: "res", Type: "string", Format: "text"}}, Options: map[string]any{"command": []any{"true"}}},
			[]string{`Shell outputs must be either "_stdout", "_stderr", or filepath-target outputs.`}, false},
		{"no such tool", &modes.Task{Options: map[string]any{"command": []any{"no-such-tool-truss"}}},
			[]string{`command "no-such-tool-truss" not found in PATH`}, false},
		{"nothing to run", &modes.Task{}, []string{"nothing to run"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := run(t, context.Background(), New(), c.task, nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q misses %q", err, w)
				}
			}
			var se *modes.StepError
			if errors.As(err, &se) != c.step {
				t.Errorf("StepError = %v for %v", !c.step, err)
			}
		})
	}
}

// waitNoneMarked waits until no marked process is left (a killed process
// may take a moment to be reaped by init) and fails if some remain.
func waitNoneMarked(t *testing.T, key, val string) {
	t.Helper()
	var left []string
	for range 200 {
		if left = testenv.Marked(key, val); len(left) == 0 {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Errorf("processes left running: %v", left)
}

func TestCancelKillsProcessGroup(t *testing.T) {
	testenv.Tool(t, "sh")
	testenv.Tool(t, "sleep")
	const key = "TRUSS_SHELL_TEST_MARKER"
	for _, c := range []struct{ name, script string }{
		{"term", "sleep 300 & sleep 300 & echo started; wait"},
		// Ignores SIGTERM: needs the SIGKILL after the grace period.
		{"kill", "trap '' TERM; sleep 300 & echo started; while :; do sleep 1; done"},
	} {
		t.Run(c.name, func(t *testing.T) {
			val := fmt.Sprintf("%s-%d", c.name, os.Getpid())
			t.Setenv(key, val)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var log testenv.SyncBuffer
			task := &modes.Task{Name: "sleepy", Mode: "shell", Options: map[string]any{"command": []any{"sh", "-c", c.script}}}
			done := make(chan error, 1)
			m := &Mode{Grace: 200 * time.Millisecond}
			go func() {
				_, err := m.Run(ctx, modes.Request{Task: task, WorkDir: t.TempDir(), Log: &log})
				done <- err
			}()
			for !strings.Contains(log.String(), "started") {
				time.Sleep(5 * time.Millisecond)
			}
			if len(testenv.Marked(key, val)) < 2 {
				t.Fatalf("expected the shell and its sleeps, found %v", testenv.Marked(key, val))
			}
			cancel()
			err := <-done
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v, want context.Canceled", err)
			}
			waitNoneMarked(t, key, val)
		})
	}
}

func TestTimeoutAndStragglers(t *testing.T) {
	testenv.Tool(t, "sh")
	testenv.Tool(t, "sleep")
	const key = "TRUSS_SHELL_TEST_MARKER"
	val := fmt.Sprintf("straggler-%d", os.Getpid())
	t.Setenv(key, val)
	// The command exits at once, leaving a background sleep holding its
	// stdout: the step still ends, and the sleep goes with it.
	task := &modes.Task{Outputs: []modes.Port{{Name: "_stdout"}}, Options: map[string]any{"command": []any{"sh", "-c", "sleep 300 & echo bye"}}}
	out, _, err := run(t, context.Background(), New(), task, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out["_stdout"].Data != "bye\n" {
		t.Errorf("_stdout = %#v", out["_stdout"].Data)
	}
	waitNoneMarked(t, key, val)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	task = &modes.Task{Options: map[string]any{"command": []any{"sleep", "300"}}}
	_, _, err = run(t, ctx, New(), task, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want DeadlineExceeded", err)
	}
	waitNoneMarked(t, key, val)
}
