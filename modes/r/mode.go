// Package r is the R mode: steps run as R scripts in children forked
// (parallel's mcfork) from warm R sessions (zygotes), one zygote per pool
// slot, so each step starts from an empty global environment with jsonlite,
// parallel and ape already loaded, for the price of a fork instead of an R
// start (~200 ms).
//
// A step's script sees its inputs as R variables of the global environment
// (plus `tempdir`, the step's work dir, which is also its working
// directory); the outputs are the variables of the same names when the
// script ends. Values cross as JSON (jsonlite) for data formats, as
// serialize() bytes for R objects (r/object, table/r.dataframe,
// tree/r.apetree), as text, raw bytes or paths. See zygote.R for the R
// side.
package r

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
)

// Options configure an R mode.
type Options struct {
	// Executable is the R front end (default "Rscript", looked up in PATH).
	Executable string
	// Slots bounds how many steps run at once; each slot has one zygote
	// (default runtime.NumCPU()).
	Slots int
	// Formats is the format registry (default formats.Default()); ports
	// carry their representation, so this is kept for callers only.
	Formats *formats.Registry
}

// preload lists the namespaces every zygote loads once (when installed).
func preload() []string { return []string{"ape", "stats", "utils", "methods"} }

// Mode runs R steps. It is safe for concurrent use.
type Mode struct {
	exe     string
	formats *formats.Registry
	// idle holds one token per idle slot; stack holds the idle slots, the
	// most recently used on top, so a sequential workflow keeps reusing one
	// warm zygote instead of waking a cold one (guarded by mu).
	idle    chan struct{}
	stack   []*slot
	slots   []*slot
	closing chan struct{}

	mu     sync.Mutex
	closed bool
}

// slot is one place in the pool; its zygote starts on first use and is
// replaced when it dies or is killed by a cancellation.
type slot struct {
	mu sync.Mutex
	z  *zygote
}

var _ modes.Mode = (*Mode)(nil)

var errClosed = errors.New("R mode is closed")

// New checks the executable exists and returns a mode whose zygotes start
// on first use.
func New(opts Options) (*Mode, error) {
	exe := opts.Executable
	if exe == "" {
		exe = "Rscript"
	}
	path, err := exec.LookPath(exe)
	if err != nil {
		return nil, fmt.Errorf("R executable %q not found: install R (Debian: r-base-core r-cran-jsonlite r-cran-ape) or set r.executable", exe)
	}
	n := opts.Slots
	if n <= 0 {
		n = runtime.NumCPU()
	}
	reg := opts.Formats
	if reg == nil {
		reg = formats.Default()
	}
	m := &Mode{exe: path, formats: reg, idle: make(chan struct{}, n), closing: make(chan struct{})}
	for range n {
		s := &slot{}
		m.slots = append(m.slots, s)
		m.release(s)
	}
	return m, nil
}

// Executable is the resolved R front end.
func (m *Mode) Executable() string { return m.exe }

// Formats is the registry the mode was built with.
func (m *Mode) Formats() *formats.Registry { return m.formats }

// Run executes one step. Cancelling ctx kills the step's child and its
// zygote (with everything the step started) and returns ctx's error; the
// slot starts a fresh zygote for its next step.
func (m *Mode) Run(ctx context.Context, req modes.Request) (map[string]formats.Value, error) {
	t := req.Task
	if t == nil {
		return nil, errors.New("r: request without a task")
	}
	r, err := prepare(req)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(r.dir)

	s, err := m.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("step %s: %w", t.Name, err)
	}
	defer m.release(s)

	log := req.Log
	if log == nil {
		log = io.Discard
	}
	for attempt := 0; ; attempt++ {
		z, err := m.zygote(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("step %s: %w", t.Name, err)
		}
		pid, err := z.run(ctx, r.line, log)
		if err != nil {
			m.forget(s, z)
			if ctx.Err() != nil {
				return nil, fmt.Errorf("step %s: %w", t.Name, ctx.Err())
			}
			if m.isClosed() {
				return nil, fmt.Errorf("step %s: %w", t.Name, errClosed)
			}
			if errors.Is(err, errStale) && attempt == 0 {
				// It died while idle; the step never reached it.
				continue
			}
			return nil, fmt.Errorf("step %s: the R session (pid %d) died while running it: %w%s", t.Name, z.pid(), err, z.stderrNote())
		}
		return collect(t, r, pid)
	}
}

// acquire takes an idle slot, waiting for one.
func (m *Mode) acquire(ctx context.Context) (*slot, error) {
	select {
	case <-m.closing:
		return nil, errClosed
	default:
	}
	select {
	case <-m.idle:
		m.mu.Lock()
		s := m.stack[len(m.stack)-1]
		m.stack = m.stack[:len(m.stack)-1]
		m.mu.Unlock()
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-m.closing:
		return nil, errClosed
	}
}

// release puts a slot back on top of the idle stack.
func (m *Mode) release(s *slot) {
	m.mu.Lock()
	m.stack = append(m.stack, s)
	m.mu.Unlock()
	m.idle <- struct{}{}
}

func (m *Mode) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// zygote returns the slot's live zygote, starting one if it has none or if
// the previous one died since its last step.
func (m *Mode) zygote(ctx context.Context, s *slot) (*zygote, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.z != nil && !s.z.dead() {
		return s.z, nil
	}
	s.z = nil
	if m.isClosed() {
		return nil, errClosed
	}
	z, err := startZygote(ctx, m.exe, preload())
	if err != nil {
		return nil, err
	}
	// Close may have run while the zygote started; it must not survive.
	if m.isClosed() {
		z.kill()
		return nil, errClosed
	}
	s.z = z
	return z, nil
}

// forget kills a zygote and drops it from its slot.
func (m *Mode) forget(s *slot, z *zygote) {
	z.kill()
	s.mu.Lock()
	if s.z == z {
		s.z = nil
	}
	s.mu.Unlock()
}

// Warm starts every idle slot's zygote now instead of at first use.
func (m *Mode) Warm(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(m.slots))
	for i, s := range m.slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.zygote(ctx, s)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close kills every process the mode started (zygotes, running steps and
// what they started) and waits for the zygotes. Runs in flight fail; later
// runs are refused.
func (m *Mode) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.closing)
	m.mu.Unlock()
	for _, s := range m.slots {
		s.mu.Lock()
		z := s.z
		s.mu.Unlock()
		if z != nil {
			z.kill()
		}
	}
	return nil
}
