// Package python is the python mode: steps run as Python scripts in children
// forked from warm interpreters (zygotes), one zygote per pool slot, so each
// step gets a fresh namespace for the price of a fork.
//
// A step's script sees its inputs as variables of a fresh module namespace
// named __girder_worker__ (plus _tempdir, the step's work dir, which is also
// its current directory); the outputs are the variables of the same names
// when the script ends. See zygote.py for the Python side and frame.go for
// the wire format.
package python

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"syscall"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/modes/pool"
)

// Options configure a python mode.
type Options struct {
	// Executable is the interpreter (default "python3", looked up in PATH).
	Executable string
	// Slots bounds how many steps run at once; each slot has one zygote
	// (default runtime.NumCPU()).
	Slots int
	// Preload lists modules every zygote imports once at start ("networkx",
	// "PIL.Image"), so steps and converters that import them pay nothing
	// (networkx alone takes ~100 ms to import). A module that fails to
	// import is skipped. Modules that start threads when imported (numpy
	// with a threaded BLAS) are forked with those threads missing: preload
	// them only if they cope with fork, as numpy does.
	Preload []string
	// Formats is the format registry (default formats.Default()); the mode
	// reads port representations from modes.Port, so this is only kept for
	// callers that build ports from it.
	Formats *formats.Registry
}

// Mode runs python steps. It is safe for concurrent use.
type Mode struct {
	exe     string
	preload []string
	formats *formats.Registry
	// pool keeps one warm zygote per slot, most recently used first.
	pool *pool.Pool[*zygote]
}

type slot = pool.Slot[*zygote]

var _ modes.Mode = (*Mode)(nil)

// New checks the interpreter exists and returns a mode whose zygotes start
// on first use.
func New(opts Options) (*Mode, error) {
	exe := opts.Executable
	if exe == "" {
		exe = "python3"
	}
	path, err := exec.LookPath(exe)
	if err != nil {
		return nil, fmt.Errorf("python executable %q not found: install python3 or set python.executable", exe)
	}
	n := opts.Slots
	if n <= 0 {
		n = runtime.NumCPU()
	}
	reg := opts.Formats
	if reg == nil {
		reg = formats.Default()
	}
	m := &Mode{exe: path, preload: append([]string(nil), opts.Preload...), formats: reg}
	m.pool = pool.New(n, pool.Config[*zygote]{
		Start:  func(ctx context.Context) (*zygote, error) { return startZygote(ctx, m.exe, m.preload) },
		Dead:   (*zygote).dead,
		Kill:   func(z *zygote) { z.kill(); <-z.exited },
		Closed: errClosed,
	})
	return m, nil
}

// Executable is the resolved interpreter path.
func (m *Mode) Executable() string { return m.exe }

// Formats is the registry the mode was built with.
func (m *Mode) Formats() *formats.Registry { return m.formats }

var errClosed = errors.New("python mode is closed")

// Run executes one step. Cancelling ctx kills the step's processes at once
// and returns ctx's error; the zygote survives for the next step.
func (m *Mode) Run(ctx context.Context, req modes.Request) (map[string]formats.Value, error) {
	r, err := prepare(req)
	if err != nil {
		return nil, err
	}
	t := req.Task
	s, err := m.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("step %s: %w", t.Name, err)
	}
	defer m.pool.Release(s)

	log := req.Log
	if log == nil {
		log = io.Discard
	}
	for attempt := 0; ; attempt++ {
		z, err := m.pool.Proc(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("step %s: %w", t.Name, err)
		}
		res, done, err := z.run(ctx, r, log)
		if err != nil {
			if errors.Is(err, errZygoteStale) && attempt == 0 && ctx.Err() == nil {
				// It died while idle (killed, out of memory); the step never
				// reached it, so a fresh zygote can take it.
				m.pool.Forget(s, z)
				continue
			}
			return nil, m.lost(ctx, s, z, t, err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("step %s: %w", t.Name, ctx.Err())
		}
		if done.Signal != 0 && m.pool.IsClosed() {
			// Close killed the step: say so, not "killed by signal 9".
			return nil, fmt.Errorf("step %s: %w", t.Name, errClosed)
		}
		return collect(t, done, res)
	}
}

// lost handles a zygote that failed mid-step: it is killed and forgotten so
// the slot starts a fresh one next time, and the step gets a clear error.
func (m *Mode) lost(ctx context.Context, s *slot, z *zygote, t *modes.Task, err error) error {
	if !errors.Is(err, errZygoteLost) && !errors.Is(err, errZygoteStale) {
		return fmt.Errorf("step %s: %w", t.Name, err)
	}
	cause := z.deathCause(err)
	m.pool.Forget(s, z)
	if ctx.Err() != nil {
		return fmt.Errorf("step %s: %w", t.Name, ctx.Err())
	}
	if m.pool.IsClosed() {
		return fmt.Errorf("step %s: %w", t.Name, errClosed)
	}
	return fmt.Errorf("step %s: the python interpreter (pid %d) died while running it: %w%s", t.Name, z.pid(), cause, z.stderrNote())
}

// collect turns the zygote's report and the child's result into outputs.
func collect(t *modes.Task, done doneHeader, frame resultFrame) (map[string]formats.Value, error) {
	if frame.err != nil {
		switch {
		case done.Signal != 0:
			return nil, fmt.Errorf("step %s: the python process was killed by %s%s", t.Name, signalName(done.Signal), signalHint(done.Signal))
		case len(frame.header) == 0 && errors.Is(frame.err, io.EOF):
			return nil, fmt.Errorf("step %s: the python process exited with status %d before reporting its outputs (os._exit in the script?)", t.Name, done.Exit)
		}
		return nil, fmt.Errorf("step %s: unreadable result from python (exit status %d): %w", t.Name, done.Exit, frame.err)
	}
	h, blobs := frame.header, frame.blobs
	var res childResult
	if err := json.Unmarshal(h, &res); err != nil {
		return nil, fmt.Errorf("step %s: unreadable result from python: %w", t.Name, err)
	}
	if !res.OK {
		return nil, failure(t, &res)
	}
	if len(res.Outputs) != len(blobs) {
		return nil, fmt.Errorf("step %s: python reported %d outputs and %d payloads", t.Name, len(res.Outputs), len(blobs))
	}
	ports := make(map[string]modes.Port, len(t.Outputs))
	for _, p := range t.Outputs {
		ports[p.Name] = p
	}
	out := make(map[string]formats.Value, len(res.Outputs))
	for i, o := range res.Outputs {
		v, err := decodeOutput(t.Name, ports[o.Name], o.Kind, blobs[i])
		if err != nil {
			return nil, err
		}
		out[o.Name] = v
	}
	return out, nil
}

func signalName(sig int) string {
	s := syscall.Signal(sig)
	return fmt.Sprintf("signal %d (%v)", sig, s)
}

func signalHint(sig int) string {
	switch syscall.Signal(sig) {
	case syscall.SIGKILL:
		return "; out of memory, or killed from outside?"
	case syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGABRT:
		return "; a crash in a C extension?"
	}
	return ""
}

// Warm starts every slot's zygote now instead of at first use.
func (m *Mode) Warm(ctx context.Context) error { return m.pool.Warm(ctx) }

// Close kills every process the mode started (zygotes and running steps)
// and waits for them. Runs in flight fail; later runs are refused.
func (m *Mode) Close() error {
	m.pool.Close()
	return nil
}
