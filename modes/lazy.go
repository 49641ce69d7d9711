package modes

import (
	"context"
	"sync"

	"github.com/truss-dev/truss/formats"
)

// Lazy is a Mode started on first use, so runs that never need a runtime
// (a csv conversion, a docker-only workflow) never start its processes.
type Lazy struct {
	start func() (Mode, func() error, error)

	mu    sync.Mutex
	mode  Mode
	close func() error
	err   error
}

// NewLazy wraps a constructor returning the mode and its close function.
func NewLazy(start func() (Mode, func() error, error)) *Lazy { return &Lazy{start: start} }

func (l *Lazy) get() (Mode, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mode == nil && l.err == nil {
		l.mode, l.close, l.err = l.start()
	}
	return l.mode, l.err
}

// Run starts the mode if needed and runs the request.
func (l *Lazy) Run(ctx context.Context, req Request) (map[string]formats.Value, error) {
	m, err := l.get()
	if err != nil {
		return nil, err
	}
	return m.Run(ctx, req)
}

// Close stops the mode if it was started.
func (l *Lazy) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.close != nil {
		return l.close()
	}
	return nil
}
