package modes

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/truss-dev/truss/formats"
)

type countMode struct{ runs int }

func (c *countMode) Run(context.Context, Request) (map[string]formats.Value, error) {
	c.runs++
	return nil, nil
}

func TestLazyStartsOnceOnFirstRun(t *testing.T) {
	starts, closes := 0, 0
	inner := &countMode{}
	l := NewLazy(func() (Mode, func() error, error) {
		starts++
		return inner, func() error { closes++; return nil }, nil
	})
	if err := l.Close(); err != nil || closes != 0 {
		t.Fatalf("closing an unstarted mode: %v, %d closes", err, closes)
	}
	if starts != 0 {
		t.Fatal("started before first use")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock() // countMode is not safe for concurrent use
			defer mu.Unlock()
			if _, err := l.Run(context.Background(), Request{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if starts != 1 || inner.runs != 8 {
		t.Errorf("starts = %d, runs = %d; want 1 and 8", starts, inner.runs)
	}
	if err := l.Close(); err != nil || closes != 1 {
		t.Errorf("close: %v, %d closes", err, closes)
	}
}

func TestLazyReportsStartFailure(t *testing.T) {
	boom := errors.New(`python executable "nope" not found`)
	l := NewLazy(func() (Mode, func() error, error) { return nil, nil, boom })
	for i := 0; i < 2; i++ {
		if _, err := l.Run(context.Background(), Request{}); !errors.Is(err, boom) {
			t.Errorf("run %d: err = %v", i, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Errorf("close after failed start: %v", err)
	}
	s := Set{"lazy": l}
	if _, err := s.Get("r"); err == nil || err.Error() != `mode "r" is not available` {
		t.Errorf("Set.Get unknown: %v", err)
	}
}
