package python

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/modes"
)

// TestMain checks that no test left a python process behind: every mode a
// test opens is closed by its cleanup, and Close must reap all zygotes.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if left := pythonChildren(); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "python processes left running by the tests: %v\n", left)
			code = 1
		}
	}
	os.Exit(code)
}

// defaultTestPython is $TRUSS_TEST_PYTHON or python3.
func defaultTestPython() string {
	if exe := os.Getenv("TRUSS_TEST_PYTHON"); exe != "" {
		return exe
	}
	return "python3"
}

// requirePython skips (or fails under TRUSS_REQUIRE_ALL=1) without exe.
func requirePython(t testing.TB, exe string, modules ...string) {
	t.Helper()
	if _, err := exec.LookPath(exe); err != nil {
		skipOrFail(t, fmt.Sprintf("%s not found; install python3 to run the python mode tests", exe))
	}
	for _, mod := range modules {
		if err := exec.Command(exe, "-c", "import "+mod).Run(); err != nil {
			skipOrFail(t, fmt.Sprintf("%s cannot import %s (Debian: apt-get install python3-%s)", exe, mod, strings.ToLower(mod)))
		}
	}
}

func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	testenv.Unavailable(t, "%s", msg)
}

// newMode opens a mode closed at the end of the test, checking that its
// zygotes are gone afterwards.
func newMode(t testing.TB, opts Options) *Mode {
	t.Helper()
	if opts.Executable == "" {
		opts.Executable = defaultTestPython()
	}
	requirePython(t, opts.Executable)
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pids := m.zygotePIDs()
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		for _, pid := range pids {
			if alive(pid) {
				t.Errorf("zygote %d still running after Close", pid)
			}
		}
	})
	return m
}

// zygotePIDs lists the pids of the zygotes currently started.
func (m *Mode) zygotePIDs() []int {
	var out []int
	for _, z := range m.pool.Live() {
		out = append(out, z.pid())
	}
	return out
}

// alive reports whether pid is a process that is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// state is the field after the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// waitGone polls until pid is dead (absent or a zombie).
func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return !alive(pid)
}

// pythonChildren lists live children of this test process.
func pythonChildren() []int { return childrenOf(os.Getpid()) }

// childrenOf lists the live children of pid.
func childrenOf(parent int) []int {
	me := parent
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[0] != "Z" && f[1] == strconv.Itoa(me) {
			out = append(out, pid)
		}
	}
	return out
}

var testFormats = formats.Default()

// port describes a memory port of a registered format ("" typ: untyped).
func port(t testing.TB, name, typ, format string) modes.Port {
	t.Helper()
	if typ == "" {
		return modes.Port{Name: name, Rep: formats.RepData}
	}
	f, ok := testFormats.Lookup(typ, format)
	if !ok {
		t.Fatalf("unknown format %s/%s", typ, format)
	}
	return modes.Port{Name: name, Type: typ, Format: format, Rep: f.Rep, Runtime: f.Runtime, Target: "memory"}
}

func filepathPort(p modes.Port) modes.Port { p.Target = "filepath"; return p }

type step struct {
	name    string
	script  string
	inputs  []modes.Port
	outputs []modes.Port
}

func (s step) task() *modes.Task {
	name := s.name
	if name == "" {
		name = "test"
	}
	return &modes.Task{Name: name, Mode: "python", Script: s.script, Inputs: s.inputs, Outputs: s.outputs}
}

func runTask(ctx context.Context, t testing.TB, m *Mode, task *modes.Task, in map[string]formats.Value, log *testenv.SyncBuffer) (map[string]formats.Value, error) {
	t.Helper()
	req := modes.Request{Task: task, Inputs: in, WorkDir: t.TempDir()}
	if log != nil {
		req.Log = log
	}
	return m.Run(ctx, req)
}

func mustRun(t testing.TB, m *Mode, s step, in map[string]formats.Value) map[string]formats.Value {
	t.Helper()
	out, err := runTask(context.Background(), t, m, s.task(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
