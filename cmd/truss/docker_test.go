package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/truss-dev/truss/modes/docker"
	"github.com/truss-dev/truss/modes/docker/dockertest"
)

func dockerSpec(t *testing.T, dir, img string, cmds ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("mode: workflow\nsteps:\n")
	for i, c := range cmds {
		fmt.Fprintf(&b, "  - name: c%d\n    task: {mode: docker, docker_image: %q, pull_image: false, container_args: [%s]}\n", i, img, c)
	}
	p := filepath.Join(dir, "containers.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// startTruss starts the binary and waits until n steps run.
func startTruss(t *testing.T, bin, dir string, n int, args ...string) (*exec.Cmd, *bufio.Scanner, *[]string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "TRUSS_CONFIG="+filepath.Join(dir, "c.yaml"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	var seen []string
	running := 0
	for running < n && lines.Scan() {
		seen = append(seen, lines.Text())
		if strings.HasSuffix(lines.Text(), " running") {
			running++
		}
	}
	if running < n {
		_ = cmd.Process.Kill()
		t.Fatalf("steps never started:\n%s", strings.Join(seen, "\n"))
	}
	return cmd, lines, &seen
}

// waitContainers waits until the truss process with pid has n running
// containers, and returns their IDs.
func waitContainers(t *testing.T, pid, n int) []string {
	t.Helper()
	label := fmt.Sprintf("%s=%d", docker.LabelPID, pid)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ids := strings.Fields(dockertest.Run(t, "ps", "-q", "--filter", "label="+label, "--filter", "status=running"))
		if len(ids) >= n {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d containers of truss pid %d running, want %d", len(ids), pid, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCtrlCStopsContainers presses Ctrl-C while two containers run, one
// that handles SIGTERM and one that ignores it: truss exits 1 after the
// grace period at most, and no container of it is left, running or not.
func TestCtrlCStopsContainers(t *testing.T) {
	img := dockertest.Image(t)
	bin := buildTruss(t)
	dir := t.TempDir()
	spec := dockerSpec(t, dir, img, "sigterm", "sigkill")
	cmd, lines, seen := startTruss(t, bin, dir, 2, "run", spec, "--jobs", "2", "--store", filepath.Join(dir, "store"))
	pid := cmd.Process.Pid
	waitContainers(t, pid, 2)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		*seen = append(*seen, lines.Text())
	}
	err := cmd.Wait()
	if d := time.Since(start); d > docker.DefaultGrace+20*time.Second {
		t.Errorf("truss took %s to stop after Ctrl-C", d)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want exit code 1\n%s", err, strings.Join(*seen, "\n"))
	}
	if !strings.Contains(strings.Join(*seen, "\n"), "cancelled") {
		t.Errorf("no cancelled status reported:\n%s", strings.Join(*seen, "\n"))
	}
	if left := dockertest.Leftovers(t, fmt.Sprintf("%s=%d", docker.LabelPID, pid)); len(left) > 0 {
		t.Errorf("containers left after Ctrl-C: %v", left)
		for _, id := range left {
			dockertest.Run(t, "rm", "-f", id)
		}
	}
}

// TestGCAfterCrash: truss killed with SIGKILL leaves its container
// running; `truss gc --docker` finds it by its labels (the truss process
// is gone), stops and removes it.
func TestGCAfterCrash(t *testing.T) {
	img := dockertest.Image(t)
	bin := buildTruss(t)
	dir := t.TempDir()
	spec := dockerSpec(t, dir, img, "sleep, -d, 10m")
	cmd, _, _ := startTruss(t, bin, dir, 1, "run", spec, "--store", filepath.Join(dir, "store"))
	pid := cmd.Process.Pid
	waitContainers(t, pid, 1)
	label := fmt.Sprintf("%s=%d", docker.LabelPID, pid)
	t.Cleanup(func() {
		for _, id := range dockertest.Leftovers(t, label) {
			dockertest.Run(t, "rm", "-f", id)
		}
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if left := dockertest.Leftovers(t, label); len(left) != 1 {
		t.Fatalf("after SIGKILL, containers of truss %d: %v (want the one still running)", pid, left)
	}
	out, err := runBin(bin, []string{"TRUSS_CONFIG=" + filepath.Join(dir, "c.yaml")}, "gc", "--docker")
	if err != nil {
		t.Fatalf("gc --docker: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "still running, its truss process is gone") || !strings.Contains(string(out), "("+img+")") {
		t.Errorf("gc output does not report the orphan:\n%s", out)
	}
	if left := dockertest.Leftovers(t, label); len(left) != 0 {
		t.Errorf("gc left %v", left)
	}
}
