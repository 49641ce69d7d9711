package r

import (
	"bufio"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

//go:embed zygote.R
var zygoteSource string

// bootstrap reads the zygote from stdin, so the process list shows a short
// command and no temporary file is needed; stdin is then at EOF for good.
const bootstrap = "eval(parse(file('stdin'), keep.source = FALSE))"

const (
	// startTimeout bounds the zygote's start (package loading included).
	startTimeout = 60 * time.Second
	// logDrain is how long to wait for the step's log to reach its end
	// marker once the child has exited.
	logDrain = 2 * time.Second
)

var (
	// errStale is a zygote found dead before it took the step: replacing
	// it and running the step on a new one is safe.
	errStale = errors.New("R zygote died between steps")
	// errLost is a zygote that failed while it had the step.
	errLost = errors.New("R zygote lost")
)

// zygote is one warm R session: requests go in on its fd 3, answers come
// back on its fd 4, and its stdout and stderr are the steps' log.
type zygote struct {
	cmd    *exec.Cmd
	reqs   *os.File    // our end of the request pipe
	answer chan string // lines from the zygote; closed at EOF
	log    *logPump
	exited chan struct{}
	err    error // Wait's result, valid once exited is closed
}

// startZygote starts an R session and waits until it is ready.
func startZygote(ctx context.Context, exe string, preload []string) (*zygote, error) {
	var token [8]byte
	if _, err := rand.Read(token[:]); err != nil {
		return nil, err
	}
	tok := hex.EncodeToString(token[:])
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	ansR, ansW, err := os.Pipe()
	if err != nil {
		closeAll(reqR, reqW)
		return nil, err
	}
	logR, logW, err := os.Pipe()
	if err != nil {
		closeAll(reqR, reqW, ansR, ansW)
		return nil, err
	}
	// A large initial heap keeps a step's child from collecting garbage: a
	// collection in a fresh fork touches (and so copies) the whole heap,
	// which costs more than the step (~5 ms per step on a 2-CPU box).
	args := append([]string{"--min-nsize=4M", "--min-vsize=256M", "-e", bootstrap, tok}, preload...)
	cmd := exec.Command(exe, args...)
	cmd.Stdin = strings.NewReader(zygoteSource)
	cmd.Stdout, cmd.Stderr = logW, logW
	cmd.ExtraFiles = []*os.File{reqR, ansW} // fd 3, fd 4
	// Own process group: a cancelled step is stopped by killing the group
	// (R cannot put a forked child in a group of its own), which also takes
	// whatever the step started. Pdeathsig: a dead truss leaves no zygote.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Second
	err = cmd.Start()
	closeAll(reqR, ansW, logW) // only R's copies remain, so its death is EOF here
	if err != nil {
		closeAll(reqW, ansR, logR)
		return nil, fmt.Errorf("starting %s: %w", exe, err)
	}
	z := &zygote{cmd: cmd, reqs: reqW, answer: make(chan string, 4), exited: make(chan struct{}),
		log: newLogPump(logR, []byte("\x1etruss-end-"+tok+"\n"))}
	go func() {
		z.err = cmd.Wait()
		close(z.exited)
	}()
	go z.read(ansR)

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case line, ok := <-z.answer:
		if !ok {
			err = errors.New("it exited")
		} else if !strings.HasPrefix(line, "ready ") {
			err = fmt.Errorf("unexpected answer %q", line)
		}
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = fmt.Errorf("not ready after %s", startTimeout)
	}
	if err != nil {
		z.kill()
		return nil, fmt.Errorf("R zygote (%s) did not start: %w%s", exe, z.cause(err), z.stderrNote())
	}
	return z, nil
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// read delivers the zygote's answer lines until its fd 4 closes.
func (z *zygote) read(r *os.File) {
	defer r.Close()
	defer close(z.answer)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		z.answer <- sc.Text()
	}
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

// kill stops the zygote's process group (the zygote, a running step and
// whatever it started) and waits for the zygote to be reaped. The group id
// is the zygote's pid, which cannot be reused before Wait has reaped it.
func (z *zygote) kill() {
	if !z.dead() {
		_ = syscall.Kill(-z.pid(), syscall.SIGKILL)
	}
	_ = z.cmd.Process.Kill()
	<-z.exited
	z.reqs.Close()
}

// cause prefers the process's exit status over the pipe error it caused.
func (z *zygote) cause(err error) error {
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
	if s := z.log.tail(); s != "" {
		return "; its output:\n" + s
	}
	return ""
}

// run sends one request line and waits for the child to finish, streaming
// the step's log to w. It returns the child's pid. On cancellation it kills
// the zygote's process group (the caller forgets the zygote).
func (z *zygote) run(ctx context.Context, line []byte, w io.Writer) (int, error) {
	if z.dead() {
		return 0, errStale
	}
	z.log.attach(w)
	defer z.log.detach()
	var mu sync.Mutex
	active := true
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if active {
			_ = syscall.Kill(-z.pid(), syscall.SIGKILL)
		}
	})
	defer func() {
		stop()
		mu.Lock()
		active = false
		mu.Unlock()
	}()
	if _, err := z.reqs.Write(line); err != nil {
		return 0, fmt.Errorf("%w: sending the request: %w", errStale, err)
	}
	ans, ok := <-z.answer
	if !ok {
		return 0, fmt.Errorf("%w: %w", errLost, z.cause(io.ErrUnexpectedEOF))
	}
	f := strings.Fields(ans)
	if len(f) != 2 || f[0] != "done" {
		return 0, fmt.Errorf("%w: unexpected answer %q", errLost, ans)
	}
	pid, _ := strconv.Atoi(f[1])
	// The end marker follows everything the child wrote to the log.
	z.log.wait(logDrain)
	return pid, nil
}
