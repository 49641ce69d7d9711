package main

import (
	"bufio"
	"bytes"
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

// buildTruss compiles the command once per test.
func buildTruss(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "truss")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestCtrlCStopsRunAndKillsSteps presses Ctrl-C (SIGINT) while two python
// steps sleep: truss must exit 1 promptly and leave no process behind.
func TestCtrlCStopsRunAndKillsSteps(t *testing.T) {
	py := testenv.Python(t)
	bin := buildTruss(t)
	dir := t.TempDir()
	spec := filepath.Join(dir, "sleepy.yaml")
	err := os.WriteFile(spec, []byte(`mode: workflow
outputs:
  - {name: a, type: number, format: number, from: one.out}
steps:
  - name: one
    task: {script: "import time; time.sleep(60); out = 1", outputs: [{name: out, type: number, format: number}]}
  - name: two
    task: {script: "import time; time.sleep(60); out = 2", outputs: [{name: out, type: number, format: number}]}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	marker := fmt.Sprint(time.Now().UnixNano())
	cmd := exec.Command(bin, "run", spec, "--jobs", "2", "--store", filepath.Join(dir, "store"))
	cmd.Env = append(os.Environ(), "TRUSS_TEST_MARKER="+marker, "TRUSS_PYTHON_EXECUTABLE="+py, "TRUSS_CONFIG="+filepath.Join(dir, "c.yaml"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until both steps run, then press Ctrl-C.
	lines := bufio.NewScanner(stderr)
	running := 0
	var seen []string
	for running < 2 && lines.Scan() {
		seen = append(seen, lines.Text())
		if strings.HasSuffix(lines.Text(), " running") {
			running++
		}
	}
	if running < 2 {
		t.Fatalf("steps never started:\n%s", strings.Join(seen, "\n"))
	}
	time.Sleep(300 * time.Millisecond) // let the forked children start sleeping
	if len(testenv.Marked("TRUSS_TEST_MARKER", marker)) < 3 {
		t.Fatalf("expected truss and its python processes, found pids %v", testenv.Marked("TRUSS_TEST_MARKER", marker))
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		seen = append(seen, lines.Text())
	}
	err = cmd.Wait()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("truss took %s to stop after Ctrl-C", d)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want exit code 1\n%s", err, strings.Join(seen, "\n"))
	}
	if !strings.Contains(strings.Join(seen, "\n"), "cancelled") {
		t.Errorf("no cancelled status reported:\n%s", strings.Join(seen, "\n"))
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(testenv.Marked("TRUSS_TEST_MARKER", marker)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	for _, left := range testenv.Marked("TRUSS_TEST_MARKER", marker) {
		t.Errorf("process left running: %s", left)
		var pid int
		if _, err := fmt.Sscan(left, &pid); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL) // do not leak it into later tests
		}
	}
}

// snapshotWait covers the live status file's refresh period.
const snapshotWait = 300 * time.Millisecond

// TestSecondEngineOnStoreFailsFast: while one truss runs, a second one on
// the same store stops at once with a clear message (exit 2), and the
// first run is not disturbed.
func TestSecondEngineOnStoreFailsFast(t *testing.T) {
	py := testenv.Python(t)
	bin := buildTruss(t)
	dir := t.TempDir()
	spec := filepath.Join(dir, "slow.yaml")
	if err := os.WriteFile(spec, []byte(`outputs: [{name: out, type: number, format: number}]
script: "import time; time.sleep(3); out = 7"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "store")
	env := append(os.Environ(), "TRUSS_PYTHON_EXECUTABLE="+py, "TRUSS_CONFIG="+filepath.Join(dir, "c.yaml"))
	first := exec.Command(bin, "run", spec, "--store", store) // text mode: progress lines on stderr
	first.Env = env
	var out bytes.Buffer
	first.Stdout = &out
	stderr, _ := first.StderrPipe()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	for lines.Scan() && !strings.HasSuffix(lines.Text(), " running") {
	}
	second := exec.Command(bin, "run", spec, "--store", store)
	second.Env = env
	start := time.Now()
	msg, err := second.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("second engine: %v, want exit 2\n%s", err, msg)
	}
	if !strings.Contains(string(msg), fmt.Sprintf("is in use by pid %d", first.Process.Pid)) {
		t.Errorf("second engine's message does not name the first's pid:\n%s", msg)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second engine took %s to give up", d)
	}
	// Reading commands still work while the run holds the store.
	time.Sleep(2 * snapshotWait)
	msg, err = runBin(bin, env, "runs", "--store", store)
	if err != nil || !strings.Contains(string(msg), "running") {
		t.Errorf("truss runs during the run: %v\n%s", err, msg)
	}
	fields := strings.Fields(strings.SplitN(string(msg), "\n", 3)[1])
	if len(fields) == 0 {
		t.Fatalf("truss runs lists nothing:\n%s", msg)
	}
	msg, err = runBin(bin, env, "show", fields[0], "--store", store)
	if err != nil || !strings.Contains(string(msg), "task") || !strings.Contains(string(msg), "running") {
		t.Errorf("truss show during the run: %v\n%s", err, msg)
	}
	for lines.Scan() {
	}
	if err := first.Wait(); err != nil || out.String() != "out: 7\n" {
		t.Errorf("first run disturbed: %v\n%s", err, out.String())
	}
}
