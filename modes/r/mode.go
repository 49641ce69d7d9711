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

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/modes/pool"
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
	// pool keeps one warm zygote per slot, most recently used first; a
	// zygote killed by a cancellation is replaced on the slot's next step.
	pool *pool.Pool[*zygote]
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
	m := &Mode{exe: path, formats: reg}
	m.pool = pool.New(n, pool.Config[*zygote]{
		Start:  func(ctx context.Context) (*zygote, error) { return startZygote(ctx, m.exe, preload()) },
		Dead:   (*zygote).dead,
		Kill:   (*zygote).kill,
		Closed: errClosed,
	})
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
		pid, err := z.run(ctx, r.line, log)
		if err != nil {
			m.pool.Forget(s, z)
			if ctx.Err() != nil {
				return nil, fmt.Errorf("step %s: %w", t.Name, ctx.Err())
			}
			if m.pool.IsClosed() {
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

// Warm starts every slot's zygote now instead of at first use.
func (m *Mode) Warm(ctx context.Context) error { return m.pool.Warm(ctx) }

// Close kills every process the mode started (zygotes, running steps and
// what they started). Runs in flight fail; later runs are refused.
func (m *Mode) Close() error {
	m.pool.Close()
	return nil
}
