// Package shell is the shell mode: a step runs a command on the host, in
// the node's work dir, which stands where docker mode's data volume
// (/mnt/girder_worker/data) would. The task is a docker task without the
// image: `command: [tool, arg…]`, or `entrypoint` with `container_args`;
// the tokens of command and container_args are expanded as in docker mode
// (modes/cmdline), and the outputs are _stdout, _stderr and filepath
// outputs.
//
// The command runs in its own process group. When the step ends — the
// command exited, the context was cancelled or timed out — the whole group
// is killed: on cancellation SIGTERM first, then SIGKILL after a grace
// period; on a normal exit whatever the command left running in the
// background gets SIGKILL.
package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/modes/cmdline"
)

// DefaultGrace is how long a cancelled command has between SIGTERM and
// SIGKILL.
const DefaultGrace = 2 * time.Second

// Mode runs shell steps. It holds no state and is safe for concurrent use.
type Mode struct {
	// Grace is the time between SIGTERM and SIGKILL on cancellation
	// (0 = DefaultGrace).
	Grace time.Duration
	// StdCap bounds in-memory _stdout/_stderr outputs (0 =
	// cmdline.DefaultStdCap).
	StdCap int
}

var _ modes.Mode = (*Mode)(nil)

// New returns a shell mode.
func New() *Mode { return &Mode{} }

// Argv builds the command line of a run: command (or entrypoint) followed
// by container_args, with the tokens of command and container_args
// expanded (the entrypoint is used as written, as in docker mode).
func Argv(s *cmdline.Spec, in map[string]formats.Value, workDir string) ([]string, error) {
	d := cmdline.Dirs{DataDir: workDir}
	var argv []string
	if v, ok := s.Options["command"]; ok {
		cmd, err := cmdline.StringList("command", v, true)
		if err != nil {
			return nil, err
		}
		if argv, err = s.Expand("command", cmd, in, d); err != nil {
			return nil, err
		}
	} else if v, ok := s.Options["entrypoint"]; ok {
		ep, err := cmdline.StringList("entrypoint", v, true)
		if err != nil {
			return nil, err
		}
		argv = ep
	}
	args, err := cmdline.StringList("container_args", s.Options["container_args"], false)
	if err != nil {
		return nil, err
	}
	rest, err := s.Expand("container_args", args, in, d)
	if err != nil {
		return nil, err
	}
	argv = append(argv, rest...)
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("the command is empty: add command: [tool, arg…] (or entrypoint: tool with container_args)")
	}
	return argv, nil
}

// Run executes one step.
func (m *Mode) Run(ctx context.Context, req modes.Request) (map[string]formats.Value, error) {
	t := req.Task
	if t == nil {
		return nil, errors.New("shell: request without a task")
	}
	s := cmdline.FromTask(t)
	for _, err := range s.Check() {
		if !cmdline.IsWarning(err) {
			return nil, err
		}
	}
	workDir, err := filepath.Abs(req.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	in, err := s.Materialize(req.Inputs, workDir)
	if err != nil {
		return nil, err
	}
	argv, err := Argv(s, in, workDir)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("step %s: %w", t.Name, err)
	}
	sinks, err := s.NewSinks(req.Log, workDir, m.StdCap)
	if err != nil {
		return nil, err
	}
	code, sig, runErr := m.exec(ctx, argv, workDir, sinks)
	closeErr := sinks.Close()
	if runErr != nil {
		return nil, runErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("step %s: %w", t.Name, err)
	}
	if code != 0 || sig != 0 {
		return nil, &modes.StepError{Step: t.Name, Message: exitMessage(argv[0], code, sig, sinks.StderrTail())}
	}
	if closeErr != nil {
		return nil, closeErr
	}
	return s.Collect(sinks, workDir)
}

func exitMessage(tool string, code int, sig syscall.Signal, tail string) string {
	var msg string
	if sig != 0 {
		msg = fmt.Sprintf("command %s was killed by signal %d (%v).", tool, int(sig), sig)
	} else {
		msg = fmt.Sprintf("Non-zero exit code from command %s (%d).", tool, code)
	}
	if tail = strings.TrimRight(tail, "\n"); tail != "" {
		msg += " stderr:\n" + tail
	}
	return msg
}

// exec runs argv in its own process group and waits for it, killing the
// group on cancellation and after exit. runErr reports a command that
// could not start.
func (m *Mode) exec(ctx context.Context, argv []string, dir string, sinks *cmdline.Sinks) (code int, sig syscall.Signal, runErr error) {
	path := argv[0]
	if !strings.Contains(path, "/") {
		lp, err := exec.LookPath(path)
		if err != nil {
			return 0, 0, fmt.Errorf("command %q not found in PATH", path)
		}
		path = lp
	} else if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return 0, 0, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return 0, 0, err
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		outR.Close()
		outW.Close()
		errR.Close()
		errW.Close()
		return 0, 0, err
	}
	proc, err := os.StartProcess(path, argv, &os.ProcAttr{
		Dir:   dir,
		Files: []*os.File{devnull, outW, errW},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	devnull.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return 0, 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	pid := proc.Pid

	var drain sync.WaitGroup
	drain.Add(2)
	go func() { defer drain.Done(); _, _ = io.Copy(sinks.Stdout, outR) }()
	go func() { defer drain.Done(); _, _ = io.Copy(sinks.Stderr, errR) }()

	// The canceller signals the group while the leader is unreaped, so
	// its pid (the group id) cannot have been reused.
	exited := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-exited:
			return
		case <-ctx.Done():
		}
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		grace := m.Grace
		if grace <= 0 {
			grace = DefaultGrace
		}
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-exited:
		case <-timer.C:
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}()

	waitErr := waitExited(pid)
	close(exited)
	<-stopped
	// Whatever the command left behind in its group goes with it.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	state, err := proc.Wait()
	if err == nil {
		err = waitErr
	}

	// Output is drained once every holder of the pipes is gone; a process
	// that left the group (setsid) and kept them must not hang the step.
	done := make(chan struct{})
	go func() { drain.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		outR.Close()
		errR.Close()
		<-done
	}
	outR.Close()
	errR.Close()
	if err != nil {
		return 0, 0, fmt.Errorf("wait for %s: %w", argv[0], err)
	}
	ws := state.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return -1, ws.Signal(), nil
	}
	return ws.ExitStatus(), 0, nil
}
