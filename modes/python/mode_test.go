package python

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/modes"
)

func TestMissingExecutable(t *testing.T) {
	_, err := New(Options{Executable: "python3-truss-does-not-exist"})
	want := `python executable "python3-truss-does-not-exist" not found: install python3 or set python.executable`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestDataRoundTrip(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	s := step{
		script: `
n = n + 1
f = f * 2
i = i + 1
s = s.upper()
l = [x * 2 for x in l]
big = 4.0
rows = {"fields": rows["fields"] + ["c"], "rows": [dict(r, c=r["a"] + r["b"]) for r in rows["rows"]]}
`,
		inputs: []modes.Port{
			port(t, "n", "number", "number"), port(t, "f", "number", "number"), port(t, "i", "integer", "integer"),
			port(t, "s", "string", "string"), port(t, "l", "integer_list", "integer_list"), port(t, "rows", "table", "rows"),
		},
		outputs: []modes.Port{
			port(t, "n", "number", "number"), port(t, "f", "number", "number"), port(t, "i", "integer", "integer"),
			port(t, "s", "string", "string"), port(t, "l", "integer_list", "integer_list"), port(t, "big", "number", "number"),
			port(t, "rows", "table", "rows"),
		},
	}
	rows, err := formats.RowsFromJSON(map[string]any{"fields": []any{"a", "b"}, "rows": []any{map[string]any{"a": int64(1), "b": 2.5}}})
	if err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, m, s, map[string]formats.Value{
		"n": {Data: int64(3)}, "f": {Data: 1.5}, "i": {Data: int64(41)}, "s": {Data: "abc"},
		"l": {Data: []any{int64(1), int64(2)}}, "rows": {Data: rows},
	})
	checks := map[string]any{"n": int64(4), "f": 3.0, "i": int64(42), "s": "ABC", "l": []any{int64(2), int64(4)}, "big": 4.0}
	for k, want := range checks {
		if diff := cmp.Diff(want, out[k].Data); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", k, diff)
		}
	}
	r, ok := out["rows"].Data.(*formats.Rows)
	if !ok {
		t.Fatalf("rows = %T, want *formats.Rows", out["rows"].Data)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, r.Fields); diff != "" {
		t.Errorf("fields: %s", diff)
	}
	if diff := cmp.Diff(map[string]any{"a": int64(1), "b": 2.5, "c": 3.5}, r.Map(0)); diff != "" {
		t.Errorf("row 0: %s", diff)
	}
	if out["n"].Type != "number" || out["n"].Format != "number" {
		t.Errorf("label = %s/%s", out["n"].Type, out["n"].Format)
	}
}

func TestNaNInfinity(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	out := mustRun(t, m, step{
		script:  "nan = x * float('nan')\ninf = float('-inf')",
		inputs:  []modes.Port{port(t, "x", "number", "number")},
		outputs: []modes.Port{port(t, "nan", "number", "number"), port(t, "inf", "number", "number")},
	}, map[string]formats.Value{"x": {Data: math.Inf(1)}})
	if f, ok := out["nan"].Data.(float64); !ok || !math.IsNaN(f) {
		t.Errorf("nan = %#v", out["nan"].Data)
	}
	if f, ok := out["inf"].Data.(float64); !ok || !math.IsInf(f, -1) {
		t.Errorf("inf = %#v", out["inf"].Data)
	}
}

func TestTextBinaryPickleRoundTrip(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	first := mustRun(t, m, step{
		script: `
assert isinstance(text, str) and isinstance(png, bytes)
text = text + "é\n"
png = png[::-1]
obj = {"set": {1, 2}, "tuple": (1, "x")}
raw = bytes([0, 255])
`,
		inputs:  []modes.Port{port(t, "text", "string", "text"), port(t, "png", "image", "png")},
		outputs: []modes.Port{port(t, "text", "string", "text"), port(t, "png", "image", "png"), port(t, "obj", "python", "object"), port(t, "raw", "python", "pickle")},
	}, map[string]formats.Value{"text": {Bytes: []byte("héllo ")}, "png": {Bytes: []byte{1, 2, 3}}})
	if got := string(first["text"].Bytes); got != "héllo é\n" {
		t.Errorf("text = %q", got)
	}
	if diff := cmp.Diff([]byte{3, 2, 1}, first["png"].Bytes); diff != "" {
		t.Errorf("png: %s", diff)
	}
	if diff := cmp.Diff([]byte{0, 255}, first["raw"].Bytes); diff != "" {
		t.Errorf("raw: %s", diff)
	}
	if len(first["obj"].Bytes) == 0 {
		t.Fatal("object came back without pickle bytes")
	}
	// The pickled object crosses into the next step as the same object.
	second := mustRun(t, m, step{
		script:  `ok = obj == {"set": {1, 2}, "tuple": (1, "x")}`,
		inputs:  []modes.Port{port(t, "obj", "python", "object")},
		outputs: []modes.Port{port(t, "ok", "boolean", "boolean")},
	}, map[string]formats.Value{"obj": first["obj"]})
	if second["ok"].Data != true {
		t.Errorf("object did not round-trip: %v", second["ok"].Data)
	}
}

func TestNonUTF8TextRoundTrips(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	in := []byte("caf\xe9 latin-1")
	out := mustRun(t, m, step{
		script:  "t = t",
		inputs:  []modes.Port{port(t, "t", "table", "csv")},
		outputs: []modes.Port{port(t, "t", "table", "csv")},
	}, map[string]formats.Value{"t": {Bytes: in}})
	if diff := cmp.Diff(in, out["t"].Bytes); diff != "" {
		t.Error(diff)
	}
}

func TestUntypedPorts(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	out := mustRun(t, m, step{
		script:  "d = {'a': [1, 2.0, None, True]}\nb = raw + b'!'\nx = a * 2",
		inputs:  []modes.Port{port(t, "a", "", ""), port(t, "raw", "", "")},
		outputs: []modes.Port{port(t, "d", "", ""), port(t, "b", "", ""), port(t, "x", "", "")},
	}, map[string]formats.Value{"a": {Data: int64(21)}, "raw": {Bytes: []byte("hi")}})
	if diff := cmp.Diff(map[string]any{"a": []any{int64(1), 2.0, nil, true}}, out["d"].Data); diff != "" {
		t.Errorf("d: %s", diff)
	}
	if string(out["b"].Bytes) != "hi!" {
		t.Errorf("b = %v", out["b"])
	}
	if out["x"].Data != int64(42) {
		t.Errorf("x = %#v", out["x"].Data)
	}

	_, err := runTask(context.Background(), t, m, step{
		name: "obj", script: "o = object()", outputs: []modes.Port{port(t, "o", "", "")},
	}.task(), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "neither JSON-serialisable nor bytes") || !strings.Contains(err.Error(), `output "o"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestOutputRepMismatch(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	for _, tc := range []struct {
		script string
		port   modes.Port
		want   string
	}{
		{"png = 'not bytes'", port(t, "png", "image", "png"), `step mismatch: output "png" (image/png) must be bytes, got str`},
		{"png = 5", port(t, "png", "string", "text"), `step mismatch: output "png" (string/text) must be a str, got int`},
		{"png = {1, 2}", port(t, "png", "integer_list", "integer_list"), `step mismatch: output "png" (integer_list/integer_list) is not JSON-serialisable`},
	} {
		_, err := runTask(context.Background(), t, m, step{name: "mismatch", script: tc.script, outputs: []modes.Port{tc.port}}.task(), nil, nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want prefix %q", tc.script, err, tc.want)
		}
	}
}

func TestTempdirAndCwd(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	dir := t.TempDir()
	out, err := m.Run(context.Background(), modes.Request{
		Task: step{script: "import os\ncwd = os.getcwd()\nname = __name__\nt = _tempdir", outputs: []modes.Port{
			port(t, "cwd", "string", "string"), port(t, "name", "string", "string"), port(t, "t", "string", "string"),
		}}.task(),
		WorkDir: dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out["t"].Data != dir || out["cwd"].Data != dir {
		t.Errorf("_tempdir = %v, cwd = %v, want %s", out["t"].Data, out["cwd"].Data, dir)
	}
	if out["name"].Data != "__girder_worker__" {
		t.Errorf("__name__ = %v", out["name"].Data)
	}
}

func TestFreshNamespacePerStep(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	mustRun(t, m, step{script: "leak = 1\nimport json\njson.leaked = True\nimport sys\nsys.modules['leaky'] = json"}, nil)
	out := mustRun(t, m, step{
		script:  "import json, sys\nseen = 'leak' in globals() or hasattr(json, 'leaked') or 'leaky' in sys.modules",
		outputs: []modes.Port{port(t, "seen", "boolean", "boolean")},
	}, nil)
	if out["seen"].Data != false {
		t.Error("state of one step is visible in the next")
	}
}

func TestFilepathPorts(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "given.txt")
	if err := os.WriteFile(src, []byte("from a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	task := step{
		script: `
import os
a_text = open(a).read()
b_text = open(b).read()
a_dir = os.path.dirname(a)
with open("result.txt", "w") as f:
    f.write(a_text + "|" + b_text)
out = "result.txt"
`,
		inputs: []modes.Port{filepathPort(port(t, "a", "string", "text")), filepathPort(port(t, "b", "string", "text"))},
		outputs: []modes.Port{
			filepathPort(port(t, "out", "string", "text")), port(t, "a_dir", "string", "string"),
		},
	}.task()
	out, err := m.Run(context.Background(), modes.Request{Task: task, WorkDir: dir, Inputs: map[string]formats.Value{
		"a": {Bytes: []byte("inline")}, "b": {Path: src},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out["a_dir"].Data != dir {
		t.Errorf("filepath input written to %v, want the work dir %s", out["a_dir"].Data, dir)
	}
	if want := filepath.Join(dir, "result.txt"); out["out"].Path != want {
		t.Errorf("out = %+v, want path %s", out["out"], want)
	}
	if b, _ := os.ReadFile(out["out"].Path); string(b) != "inline|from a file" {
		t.Errorf("result = %q", b)
	}

	_, err = runTask(context.Background(), t, m, step{
		name: "nofile", script: "out = 'nowhere.txt'", outputs: []modes.Port{filepathPort(port(t, "out", "string", "text"))},
	}.task(), nil, nil)
	if err == nil || !strings.Contains(err.Error(), `step nofile: output "out": the script set it to`) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("err = %v", err)
	}
}

func TestException(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	script := "def f(x):\n    return 1 / x\n\ny = f(0)\n"
	_, err := runTask(context.Background(), t, m, &modes.Task{Name: "div", Script: script}, nil, nil)
	var se *modes.StepError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want *modes.StepError", err, err)
	}
	if se.Step != "div" || se.Line != 2 {
		t.Errorf("step %q line %d, want div line 2", se.Step, se.Line)
	}
	want := "ZeroDivisionError: division by zero\nTraceback (script frames, most recent call last):\n" +
		"  script line 4, in <module>\n    y = f(0)\n  script line 2, in f\n    return 1 / x"
	if se.Message != want {
		t.Errorf("message:\n%s\nwant:\n%s", se.Message, want)
	}

	// An inline script in a spec names the spec line; a script file itself.
	_, err = runTask(context.Background(), t, m, &modes.Task{Name: "div", Script: script, ScriptLine: 10}, nil, nil)
	if !errors.As(err, &se) || !strings.HasPrefix(se.Message, "ZeroDivisionError: division by zero (script line 2, spec line 11)") {
		t.Errorf("with ScriptLine: %v", err)
	}
	_, err = runTask(context.Background(), t, m, &modes.Task{Name: "div", Script: script, ScriptFile: "scripts/div.py"}, nil, nil)
	if !errors.As(err, &se) || !strings.HasPrefix(se.Message, "ZeroDivisionError: division by zero (scripts/div.py line 2)") ||
		!strings.Contains(se.Message, "scripts/div.py line 4, in <module>") {
		t.Errorf("with ScriptFile: %v", err)
	}

	// Exceptions raised inside libraries keep only the script's frames.
	_, err = runTask(context.Background(), t, m, &modes.Task{Name: "lib", Script: "import json\njson.loads('{')"}, nil, nil)
	if !errors.As(err, &se) || se.Line != 2 || !strings.HasPrefix(se.Message, "json.decoder.JSONDecodeError: Expecting property name") ||
		strings.Contains(se.Message, "decoder.py") {
		t.Errorf("library exception: %v", err)
	}
}

func TestSyntaxError(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	_, err := runTask(context.Background(), t, m, &modes.Task{Name: "bad", Script: "x = 1\nthis should fail\n"}, nil, nil)
	var se *modes.StepError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *modes.StepError", err)
	}
	if se.Line != 2 || !strings.HasPrefix(se.Message, "SyntaxError: invalid syntax\n    this should fail\n") {
		t.Errorf("line %d message %q", se.Line, se.Message)
	}
	if got := err.Error(); !strings.HasPrefix(got, "step bad, script line 2: SyntaxError: invalid syntax") {
		t.Errorf("Error() = %q", got)
	}
}

func TestMissingOutputHint(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	task := step{
		name:    "sum",
		script:  "import os\ntotl = a + 1\nother = 2",
		inputs:  []modes.Port{port(t, "a", "integer", "integer")},
		outputs: []modes.Port{port(t, "total", "integer", "integer")},
	}.task()
	_, err := runTask(context.Background(), t, m, task, map[string]formats.Value{"a": {Data: int64(1)}}, nil)
	var me *modes.MissingOutputError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want *modes.MissingOutputError", err)
	}
	if me.Step != "sum" || me.Port != "total" || me.Hint != `did you mean "totl"?` {
		t.Errorf("got %+v", me)
	}

	task.Script = "x = 1\ny = 2"
	_, err = runTask(context.Background(), t, m, task, map[string]formats.Value{"a": {Data: int64(1)}}, nil)
	if !errors.As(err, &me) || me.Hint != `the script set "x", "y"` {
		t.Errorf("no close name: %v", err)
	}
}

func TestLogCapture(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	var log testenv.SyncBuffer
	_, err := runTask(context.Background(), t, m, &modes.Task{Name: "log", Script: `
import os, sys, subprocess
print("one")
print("two", file=sys.stderr)
os.write(1, b"three\n")
sys.stdout.write("four\n")
subprocess.run(["sh", "-c", "echo five; echo six >&2"], check=True)
import ctypes
ctypes.CDLL(None).printf(b"seven from C\n")
`}, nil, &log)
	if err != nil {
		t.Fatal(err)
	}
	want := "one\ntwo\nthree\nfour\nfive\nsix\nseven from C\n"
	if got := log.String(); got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

func TestSystemExit(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	out := mustRun(t, m, step{script: "import sys\nx = 1\nsys.exit(0)\nx = 2", outputs: []modes.Port{port(t, "x", "integer", "integer")}}, nil)
	if out["x"].Data != int64(1) {
		t.Errorf("x = %v", out["x"].Data)
	}
	_, err := runTask(context.Background(), t, m, &modes.Task{Name: "exit", Script: "import sys\nsys.exit(3)"}, nil, nil)
	var se *modes.StepError
	if !errors.As(err, &se) || se.Line != 2 || !strings.HasPrefix(se.Message, "SystemExit: 3") {
		t.Errorf("err = %v", err)
	}
}

func TestChildCrash(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	_, err := runTask(context.Background(), t, m, &modes.Task{Name: "segv", Script: "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "step segv: the python process was killed by signal 11") {
		t.Errorf("err = %v", err)
	}
	_, err = runTask(context.Background(), t, m, &modes.Task{Name: "exit", Script: "import os\nos._exit(4)"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "exited with status 4 before reporting") {
		t.Errorf("err = %v", err)
	}
	mustRun(t, m, step{script: "x = 1"}, nil) // the zygote is fine
}

func TestModuleNotFoundHint(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	_, err := runTask(context.Background(), t, m, &modes.Task{Name: "imp", Script: "import netCDF4_truss_missing"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "ModuleNotFoundError: No module named 'netCDF4_truss_missing'; python module netCDF4_truss_missing is not installed") {
		t.Errorf("err = %v", err)
	}
}

// pidIn extracts "pid=N" from a step's log.
func pidIn(t *testing.T, log string) int {
	t.Helper()
	mm := regexp.MustCompile(`pid=(\d+)`).FindStringSubmatch(log)
	if mm == nil {
		t.Fatalf("no pid in log %q", log)
	}
	pid, _ := strconv.Atoi(mm[1])
	return pid
}

func TestCancelKillsChild(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	mustRun(t, m, step{script: "x = 1"}, nil)
	zpids := m.zygotePIDs()

	var log testenv.SyncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := runTask(ctx, t, m, &modes.Task{Name: "sleepy", Script: `
import os, subprocess, time
subprocess.Popen(["sleep", "30"])  # a grandchild must die too
print("pid=%d" % os.getpid(), flush=True)
time.sleep(30)
`}, nil, &log)
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "step sleepy") {
		t.Fatalf("err = %v, want the step's context.DeadlineExceeded", err)
	}
	if elapsed > 200*time.Millisecond+300*time.Millisecond {
		t.Errorf("Run returned %v after start; the child was not killed promptly", elapsed)
	}
	if pid := pidIn(t, log.String()); !waitGone(pid, 100*time.Millisecond) {
		t.Errorf("child %d still running after cancellation", pid)
	}
	// The zygote survives and serves the next step.
	out := mustRun(t, m, step{script: "b = 2", outputs: []modes.Port{port(t, "b", "integer", "integer")}}, nil)
	if out["b"].Data != int64(2) {
		t.Errorf("b = %v", out["b"].Data)
	}
	if diff := cmp.Diff(zpids, m.zygotePIDs()); diff != "" {
		t.Errorf("zygote replaced after a cancellation: %s", diff)
	}
	if left := grandchildren(); len(left) > 0 {
		t.Errorf("processes left behind: %v", left)
	}
}

// grandchildren lists live "sleep" processes (what the cancel test starts).
func grandchildren() []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if strings.HasPrefix(string(cmd), "sleep\x0030\x00") && alive(atoi(e.Name())) {
			out = append(out, e.Name())
		}
	}
	return out
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func TestCancelWhileWaitingForSlot(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	s, _ := m.pool.Acquire(context.Background())
	defer m.pool.Release(s)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := runTask(ctx, t, m, &modes.Task{Name: "queued", Script: "x = 1"}, nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
}

func TestZygoteKilledExternally(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	mustRun(t, m, step{script: "x = 1"}, nil)
	old := m.zygotePIDs()
	if len(old) != 1 {
		t.Fatalf("zygotes = %v", old)
	}
	if err := syscall.Kill(old[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(old[0], time.Second)
	out := mustRun(t, m, step{script: "b = 3", outputs: []modes.Port{port(t, "b", "integer", "integer")}}, nil)
	if out["b"].Data != int64(3) {
		t.Errorf("b = %v", out["b"].Data)
	}
	if now := m.zygotePIDs(); len(now) != 1 || now[0] == old[0] {
		t.Errorf("zygote not replaced: %v -> %v", old, now)
	}
}

func TestZygoteDiesDuringStep(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	var log testenv.SyncBuffer
	_, err := runTask(context.Background(), t, m, &modes.Task{Name: "killer", Script: `
import os, signal, time
print("pid=%d" % os.getpid(), flush=True)
os.kill(os.getppid(), signal.SIGKILL)
time.sleep(30)
`}, nil, &log)
	if err == nil || !strings.Contains(err.Error(), "step killer: the python interpreter") || !strings.Contains(err.Error(), "died while running it") {
		t.Fatalf("err = %v", err)
	}
	if pid := pidIn(t, log.String()); !waitGone(pid, time.Second) {
		t.Errorf("child %d of the dead zygote still running", pid)
	}
	out := mustRun(t, m, step{script: "b = 4", outputs: []modes.Port{port(t, "b", "integer", "integer")}}, nil)
	if out["b"].Data != int64(4) {
		t.Errorf("b = %v", out["b"].Data)
	}
}

func TestParallelRuns(t *testing.T) {
	m := newMode(t, Options{Slots: 3})
	task := step{
		script:  "b = a + 1\nimport time\ntime.sleep(0.005)",
		inputs:  []modes.Port{port(t, "a", "integer", "integer")},
		outputs: []modes.Port{port(t, "b", "integer", "integer")},
	}.task()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := runTask(context.Background(), t, m, task, map[string]formats.Value{"a": {Data: int64(i)}}, nil)
			if err == nil && out["b"].Data != int64(i+1) {
				err = errors.New("wrong result")
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(m.zygotePIDs()); n > 3 {
		t.Errorf("%d zygotes for 3 slots", n)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	requirePython(t, "python3")
	m, err := New(Options{Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	pids := m.zygotePIDs()
	if len(pids) != 2 {
		t.Fatalf("zygotes = %v", pids)
	}
	// A step in flight when Close runs fails and leaves nothing behind.
	var log testenv.SyncBuffer
	errc := make(chan error, 1)
	go func() {
		_, err := runTask(context.Background(), t, m, &modes.Task{Name: "long", Script: "import os, time\nprint('pid=%d' % os.getpid(), flush=True)\ntime.sleep(30)"}, nil, &log)
		errc <- err
	}()
	for !strings.Contains(log.String(), "pid=") {
		time.Sleep(5 * time.Millisecond)
	}
	// Every process below the zygotes (spare children, the running step).
	var below []int
	for _, z := range pids {
		below = append(below, childrenOf(z)...)
	}
	if len(below) < 3 {
		t.Errorf("expected spares and a running step below the zygotes, found %v", below)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "python mode is closed") {
			t.Errorf("in-flight step: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight step not stopped by Close")
	}
	for _, pid := range append(append(pids, below...), pidIn(t, log.String())) {
		if !waitGone(pid, time.Second) {
			t.Errorf("process %d still running after Close", pid)
		}
	}
	if _, err := runTask(context.Background(), t, m, &modes.Task{Name: "late", Script: "x = 1"}, nil, nil); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Run after Close: %v", err)
	}
}

func TestLargePayload(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	big := make([]byte, 32<<20)
	for i := range big {
		big[i] = byte(i)
	}
	out := mustRun(t, m, step{
		script:  "b = a[::-1]",
		inputs:  []modes.Port{port(t, "a", "python", "pickle")},
		outputs: []modes.Port{port(t, "b", "python", "pickle")},
	}, map[string]formats.Value{"a": {Bytes: big}})
	got := out["b"].Bytes
	if len(got) != len(big) || got[0] != big[len(big)-1] || got[len(got)-1] != big[0] {
		t.Errorf("large payload mangled (%d bytes)", len(got))
	}
}

func TestBrokenInterpreter(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho 'this is not python' >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := New(Options{Executable: fake, Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, err = runTask(context.Background(), t, m, &modes.Task{Name: "first", Script: "x = 1"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "step first: python zygote ("+fake+") did not start") || !strings.Contains(err.Error(), "this is not python") {
		t.Errorf("err = %v", err)
	}
}

func TestDirectoryPortsAndMagicOutput(t *testing.T) {
	m := newMode(t, Options{Slots: 1})
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "a.txt"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, err := m.Run(context.Background(), modes.Request{
		Task: step{
			script: `
import os, shutil
names = sorted(os.listdir(d))
shutil.copytree(d, "copy")
d = "copy"
`,
			inputs:  []modes.Port{port(t, "d", "directory", "path")},
			outputs: []modes.Port{port(t, "d", "directory", "path"), port(t, "names", "string_list", "string_list"), port(t, "_tempdir", "string", "string")},
		}.task(),
		Inputs:  map[string]formats.Value{"d": {Type: "directory", Format: "path", Path: src}},
		WorkDir: dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out["d"].Path != filepath.Join(dir, "copy") || out["d"].Format != "path" {
		t.Errorf("d = %+v", out["d"])
	}
	if diff := cmp.Diff([]any{"a.txt"}, out["names"].Data); diff != "" {
		t.Errorf("names: %s", diff)
	}
	if out["_tempdir"].Data != dir {
		t.Errorf("_tempdir output = %v", out["_tempdir"].Data)
	}
}

func TestPreload(t *testing.T) {
	m := newMode(t, Options{Slots: 1, Preload: []string{"xml.dom.minidom", "truss_no_such_module"}})
	out := mustRun(t, m, step{
		script:  "import sys\nloaded = 'xml.dom.minidom' in sys.modules\nfresh = 'minidom' not in globals()",
		outputs: []modes.Port{port(t, "loaded", "boolean", "boolean"), port(t, "fresh", "boolean", "boolean")},
	}, nil)
	if out["loaded"].Data != true || out["fresh"].Data != true {
		t.Errorf("loaded %v, fresh namespace %v", out["loaded"].Data, out["fresh"].Data)
	}
}

// TestSequentialStepsReuseOneZygote: with several slots, steps run one after
// another keep using the warm zygote instead of starting another.
func TestSequentialStepsReuseOneZygote(t *testing.T) {
	m := newMode(t, Options{Slots: 3})
	for i := 0; i < 4; i++ {
		mustRun(t, m, step{script: "x = 1"}, nil)
	}
	if pids := m.zygotePIDs(); len(pids) != 1 {
		t.Errorf("%d zygotes started for sequential steps, want 1", len(pids))
	}
}
