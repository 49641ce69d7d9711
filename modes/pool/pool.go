// Package pool keeps the warm runtime processes (zygotes) of a mode: a
// fixed number of slots, each starting its process on first use and
// replacing it when it dies, with idle slots reused most recently used
// first so sequential work stays on one warm process.
package pool

import (
	"context"
	"errors"
	"sync"
)

// Config says how to start, check and stop a process of type P (a pointer
// type such as *zygote).
type Config[P comparable] struct {
	// Start starts a new process, ready for work.
	Start func(context.Context) (P, error)
	// Dead reports whether a process has died since it started.
	Dead func(P) bool
	// Kill stops a process and everything it started, and waits for it.
	Kill func(P)
	// Closed is the error callers get once the pool is closed.
	Closed error
}

// Slot is one place in the pool.
type Slot[P comparable] struct {
	mu   sync.Mutex
	proc P
}

// Pool is safe for concurrent use.
type Pool[P comparable] struct {
	cfg   Config[P]
	slots []*Slot[P]
	// idle holds one token per idle slot; stack holds the idle slots, the
	// most recently used on top (guarded by mu).
	idle    chan struct{}
	stack   []*Slot[P]
	closing chan struct{}

	mu     sync.Mutex
	closed bool
}

// New makes a pool of n slots; no process starts until one is needed.
func New[P comparable](n int, cfg Config[P]) *Pool[P] {
	if cfg.Closed == nil {
		cfg.Closed = errors.New("closed")
	}
	p := &Pool[P]{cfg: cfg, idle: make(chan struct{}, n), closing: make(chan struct{})}
	for range n {
		s := &Slot[P]{}
		p.slots = append(p.slots, s)
		p.Release(s)
	}
	return p
}

// Acquire takes an idle slot, waiting for one.
func (p *Pool[P]) Acquire(ctx context.Context) (*Slot[P], error) {
	select {
	case <-p.closing:
		return nil, p.cfg.Closed
	default:
	}
	select {
	case <-p.idle:
		p.mu.Lock()
		s := p.stack[len(p.stack)-1]
		p.stack = p.stack[:len(p.stack)-1]
		p.mu.Unlock()
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.closing:
		return nil, p.cfg.Closed
	}
}

// Release puts a slot back on top of the idle stack.
func (p *Pool[P]) Release(s *Slot[P]) {
	p.mu.Lock()
	p.stack = append(p.stack, s)
	p.mu.Unlock()
	p.idle <- struct{}{}
}

// IsClosed reports whether Close has run.
func (p *Pool[P]) IsClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Proc returns the slot's live process, starting one if it has none or
// if the last one died.
func (p *Pool[P]) Proc(ctx context.Context, s *Slot[P]) (P, error) {
	var none P
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != none && !p.cfg.Dead(s.proc) {
		return s.proc, nil
	}
	s.proc = none
	if p.IsClosed() {
		return none, p.cfg.Closed
	}
	proc, err := p.cfg.Start(ctx)
	if err != nil {
		return none, err
	}
	// Close may have run while the process started; it must not survive.
	if p.IsClosed() {
		p.cfg.Kill(proc)
		return none, p.cfg.Closed
	}
	s.proc = proc
	return proc, nil
}

// Forget kills a process and drops it from its slot, so the slot starts a
// fresh one next time.
func (p *Pool[P]) Forget(s *Slot[P], proc P) {
	p.cfg.Kill(proc)
	var none P
	s.mu.Lock()
	if s.proc == proc {
		s.proc = none
	}
	s.mu.Unlock()
}

// Warm starts every slot's process now instead of at first use.
func (p *Pool[P]) Warm(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(p.slots))
	for i, s := range p.slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.Proc(ctx, s)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Live lists the slots' current processes.
func (p *Pool[P]) Live() []P {
	var none P
	var out []P
	for _, s := range p.slots {
		s.mu.Lock()
		if s.proc != none {
			out = append(out, s.proc)
		}
		s.mu.Unlock()
	}
	return out
}

// Close kills every process (running work fails) and refuses later work.
func (p *Pool[P]) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.closing)
	p.mu.Unlock()
	for _, proc := range p.Live() {
		p.cfg.Kill(proc)
	}
}
