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
// could not start. It forks with syscall.ForkExec on raw descriptors
// (os.StartProcess and os.Pipe add a pidfd, poller registrations and mode
// switches a short command pays for on every step).
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
	outR, outW, err := pipe()
	if err != nil {
		return 0, 0, err
	}
	errR, errW, err := pipe()
	if err != nil {
		outR.Close()
		syscall.Close(outW)
		return 0, 0, err
	}
	devnull, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		outR.Close()
		errR.Close()
		syscall.Close(outW)
		syscall.Close(errW)
		return 0, 0, &os.PathError{Op: "open", Path: os.DevNull, Err: err}
	}
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Dir:   dir,
		Env:   syscall.Environ(),
		Files: []uintptr{uintptr(devnull), uintptr(outW), uintptr(errW)},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	syscall.Close(devnull)
	syscall.Close(outW)
	syscall.Close(errW)
	if err != nil {
		outR.Close()
		errR.Close()
		return 0, 0, fmt.Errorf("start %s: %w", argv[0], &os.PathError{Op: "fork/exec", Path: path, Err: err})
	}

	// One buffer for both streams, and readers that hide os.File's
	// WriterTo, which would allocate a 32 KiB buffer per stream.
	buf := make([]byte, 2*copyBuf)
	drained := make(chan struct{}, 2)
	go func() {
		_, _ = io.CopyBuffer(sinks.Stdout, struct{ io.Reader }{outR}, buf[:copyBuf])
		drained <- struct{}{}
	}()
	go func() {
		_, _ = io.CopyBuffer(sinks.Stderr, struct{ io.Reader }{errR}, buf[copyBuf:])
		drained <- struct{}{}
	}()

	// The canceller signals the group while the leader is unreaped, so
	// its pid (the group id) cannot have been reused. It only starts a
	// goroutine when ctx is done.
	exited := make(chan struct{})
	stopped := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(stopped)
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
	})

	waitErr := waitExited(pid)
	close(exited)
	if !stop() {
		<-stopped // it ran: let it finish before the leader is reaped
	}
	// Whatever the command left behind in its group goes with it.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	var ws syscall.WaitStatus
	for {
		_, err = syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	if err == nil {
		err = waitErr
	}

	// Output is drained once every holder of the pipes is gone; a process
	// that left the group (setsid) and kept them must not hang the step.
	timeout := time.NewTimer(time.Second)
	for n := 0; n < 2; n++ {
		select {
		case <-drained:
		case <-timeout.C:
			outR.Close()
			errR.Close()
			<-drained
		}
	}
	timeout.Stop()
	outR.Close()
	errR.Close()
	if err != nil {
		return 0, 0, fmt.Errorf("wait for %s: %w", argv[0], err)
	}
	if ws.Signaled() {
		return -1, ws.Signal(), nil
	}
	return ws.ExitStatus(), 0, nil
}

// copyBuf is the read size for each output stream.
const copyBuf = 16 << 10

// pipe makes a pipe whose read end the runtime poller serves (so closing it
// stops a blocked reader) and whose write end is a plain blocking
// descriptor for the child.
func pipe() (r *os.File, w int, err error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return nil, 0, os.NewSyscallError("pipe2", err)
	}
	if err := syscall.SetNonblock(p[0], true); err != nil {
		syscall.Close(p[0])
		syscall.Close(p[1])
		return nil, 0, os.NewSyscallError("fcntl", err)
	}
	return os.NewFile(uintptr(p[0]), "|0"), p[1], nil
}
