package python

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

//go:embed zygote.py
var zygoteSource string

// bootstrap reads the zygote from stdin, so the process list shows a short
// command and no temporary file is needed.
const bootstrap = "import sys;exec(compile(sys.stdin.read(),'<truss zygote>','exec'))"

const (
	// startTimeout bounds the zygote's start (imports included).
	startTimeout = 60 * time.Second
	// cancelGrace is how long a zygote may take to report a killed child
	// before it is itself considered stuck and killed.
	cancelGrace = 2 * time.Second
	// logDrain is how long to wait for the step's log pipe to close after
	// the child ended (a daemon that escaped the process group may hold it).
	logDrain = 2 * time.Second
)

// zygote is one warm interpreter process and its socket.
type zygote struct {
	cmd    *exec.Cmd
	conn   *net.UnixConn
	stderr *tailBuffer
	exited chan struct{} // closed once the process is reaped
	err    error         // Wait's result, valid after exited is closed

	// frames delivers what the zygote sends; one goroutine reads the
	// socket, so a run can wait for a frame and a result at once. readErr
	// is set before frames is closed.
	frames  chan []byte
	readErr error

	// owed is set when a run returned before the zygote's "done": the
	// next run takes it first.
	owed bool

	child atomic.Int64 // pid of the running step's child (its process group), 0 when idle
}

// startZygote starts an interpreter and waits until it is ready.
func startZygote(ctx context.Context, exe string, preload []string) (*zygote, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	ours := os.NewFile(uintptr(fds[0]), "zygote socket")
	theirs := os.NewFile(uintptr(fds[1]), "zygote socket (python end)")
	c, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		theirs.Close()
		return nil, fmt.Errorf("zygote socket: %w", err)
	}
	z := &zygote{conn: c.(*net.UnixConn), stderr: &tailBuffer{max: 16 << 10}, exited: make(chan struct{}), frames: make(chan []byte, 4)}

	cmd := exec.Command(exe, append([]string{"-c", bootstrap}, preload...)...)
	cmd.Stdin = strings.NewReader(zygoteSource)
	cmd.Stderr = z.stderr
	cmd.ExtraFiles = []*os.File{theirs} // fd 3
	// Own process group: a terminal's Ctrl-C reaches truss, which cancels
	// and kills steps itself. Pdeathsig: a dead truss leaves no zygote.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Second
	err = cmd.Start()
	theirs.Close() // only the zygote's copy remains, so its death is EOF here
	if err != nil {
		z.conn.Close()
		return nil, fmt.Errorf("starting %s: %w", exe, err)
	}
	z.cmd = cmd
	go func() {
		z.err = cmd.Wait()
		close(z.exited)
	}()
	go z.read()

	ready := make(chan error, 1)
	go func() {
		_, err := z.recv(context.Background(), "ready")
		ready <- err
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case err = <-ready:
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = fmt.Errorf("not ready after %s", startTimeout)
	}
	if err != nil {
		z.kill()
		<-z.exited
		return nil, fmt.Errorf("python zygote (%s) did not start: %w%s", exe, z.deathCause(err), z.stderrNote())
	}
	return z, nil
}

// read delivers every frame header the zygote sends until the socket fails.
func (z *zygote) read() {
	rd := bufio.NewReader(z.conn)
	for {
		h, _, err := readFrame(rd)
		if err != nil {
			z.readErr = err
			close(z.frames)
			return
		}
		z.frames <- h
	}
}

// recv waits for the next frame, which must be op. Once ctx is done the
// zygote has cancelGrace to answer before it counts as stuck.
func (z *zygote) recv(ctx context.Context, op string) (json.RawMessage, error) {
	done := ctx.Done()
	var grace <-chan time.Time
	for {
		select {
		case h, ok := <-z.frames:
			return z.check(h, ok, op)
		case <-done:
			done = nil
			t := time.NewTimer(cancelGrace)
			defer t.Stop()
			grace = t.C
		case <-grace:
			return nil, fmt.Errorf("%w: no answer %s after cancellation", errZygoteLost, cancelGrace)
		}
	}
}

// check accepts a frame received from z.frames if it is op.
func (z *zygote) check(h []byte, ok bool, op string) (json.RawMessage, error) {
	if !ok {
		return nil, fmt.Errorf("%w: %w", errZygoteLost, z.readErr)
	}
	var got struct {
		Op      string `json:"op"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(h, &got); err != nil {
		return nil, fmt.Errorf("%w: %w", errZygoteLost, err)
	}
	if got.Op != op {
		return nil, fmt.Errorf("%w: got %q instead of %q %s", errZygoteLost, got.Op, op, got.Message)
	}
	return h, nil
}

func (z *zygote) pid() int { return z.cmd.Process.Pid }

func (z *zygote) dead() bool {
	select {
	case <-z.exited:
		return true
	default:
		return false
	}
}

// kill stops the zygote and whatever step it is running.
func (z *zygote) kill() {
	if pid := z.child.Load(); pid > 0 {
		_ = syscall.Kill(-int(pid), syscall.SIGKILL)
	}
	// Process.Kill uses a pidfd: it cannot hit a reused pid once reaped.
	_ = z.cmd.Process.Kill()
	_ = z.conn.Close()
}

// deathCause prefers the process's exit status over the socket error it
// caused.
func (z *zygote) deathCause(err error) error {
	select {
	case <-z.exited:
	case <-time.After(time.Second):
	}
	if z.dead() && z.err != nil {
		return fmt.Errorf("%w (%v)", z.err, err)
	}
	return err
}

func (z *zygote) stderrNote() string {
	if s := z.stderr.String(); s != "" {
		return "; its stderr:\n" + s
	}
	return ""
}

// doneHeader is the zygote's report once a child has exited.
type doneHeader struct {
	Op     string `json:"op"`
	PID    int    `json:"pid"`
	Exit   int    `json:"exit"`
	Signal int    `json:"signal"`
}

var (
	// errZygoteLost marks errors after which the zygote must be replaced.
	errZygoteLost = errors.New("python zygote lost")
	// errZygoteStale is a zygote found dead before it was given the step:
	// replacing it and running the step on the new one is safe.
	errZygoteStale = errors.New("python zygote died between steps")
)

// resultFrame is the child's result: its header and output blobs, or
// the error that cut it short (the child died before finishing it).
type resultFrame struct {
	header json.RawMessage
	blobs  [][]byte
	err    error
}

// run sends one prepared request, streams the step's log to w and returns
// the child's result frame. The result arrives on its own pipe, so the run
// ends as soon as the child has answered, while the zygote forks its next
// spare child in parallel. An error wrapping errZygoteLost means the zygote
// is unusable.
func (z *zygote) run(ctx context.Context, r *request, w io.Writer) (res resultFrame, done doneHeader, err error) {
	if z.owed {
		if _, err := z.recv(ctx, "done"); err != nil {
			return res, done, fmt.Errorf("%w: %w", errZygoteStale, err)
		}
		z.owed = false
	}
	logR, logW, err := os.Pipe()
	if err != nil {
		return res, done, err
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		logR.Close()
		logW.Close()
		return res, done, err
	}
	defer resR.Close()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(w, logR)
	}()
	defer func() {
		// The log pipe closes when the child's process group is gone; a
		// process that escaped it must not hold the step forever.
		select {
		case <-copied:
		case <-time.After(logDrain):
		}
		logR.Close()
		<-copied
	}()

	err = z.send(r, logW, resW)
	logW.Close()
	resW.Close()
	if err != nil {
		return res, done, fmt.Errorf("%w: sending request: %w", errZygoteStale, err)
	}

	h, err := z.recv(ctx, "started")
	var started doneHeader
	if err == nil {
		err = json.Unmarshal(h, &started)
	}
	if err != nil {
		return res, done, fmt.Errorf("%w: %w", errZygoteLost, err)
	}
	z.child.Store(int64(started.PID))
	defer z.child.Store(0)
	// A cancellation racing with the end of the run must not signal the
	// child once the next run may have let the zygote reap it.
	var mu sync.Mutex
	active := true
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if active {
			_ = syscall.Kill(-started.PID, syscall.SIGKILL)
		}
	})
	defer func() {
		stop()
		mu.Lock()
		active = false
		mu.Unlock()
	}()

	results := make(chan resultFrame, 1)
	go func() {
		h, blobs, err := readFrame(bufio.NewReader(resR))
		results <- resultFrame{h, blobs, err}
	}()
	select {
	case res = <-results:
		if res.err == nil {
			z.owed = true // the zygote's "done" is taken by the next run
			return res, done, nil
		}
		// The child died before answering: its exit status says why.
		h, err = z.recv(ctx, "done")
	case f, ok := <-z.frames:
		// The zygote spoke first: the child is gone (or the zygote is).
		h, err = z.check(f, ok, "done")
		if err == nil {
			select {
			case res = <-results:
			case <-time.After(logDrain):
				resR.Close() // a process that escaped the group holds the pipe
				res = <-results
			}
		}
	}
	if err == nil {
		err = json.Unmarshal(h, &done)
	}
	if err != nil {
		_ = syscall.Kill(-started.PID, syscall.SIGKILL)
		return res, done, fmt.Errorf("%w: %w", errZygoteLost, err)
	}
	done.PID = started.PID
	return res, done, nil
}

// send writes a request, passing the log and result pipes' write ends on
// its first 4 bytes (SCM_RIGHTS).
func (z *zygote) send(r *request, logW, resW *os.File) error {
	bufs, err := encodeFrame(r, r.blobs)
	if err != nil {
		return err
	}
	rights := syscall.UnixRights(int(logW.Fd()), int(resW.Fd()))
	n, _, err := z.conn.WriteMsgUnix(bufs[0], rights, nil)
	if err != nil {
		return err
	}
	if n != len(bufs[0]) {
		return io.ErrShortWrite
	}
	rest := net.Buffers(bufs[1:])
	_, err = rest.WriteTo(z.conn)
	return err
}

// tailBuffer keeps the last max bytes written to it (a zygote's stderr, for
// the message when it dies).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
