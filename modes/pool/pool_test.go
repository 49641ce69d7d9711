package pool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type proc struct {
	id     int
	dead   atomic.Bool
	killed atomic.Bool
}

func newPool(t *testing.T, n int) (*Pool[*proc], *atomic.Int32) {
	t.Helper()
	var started atomic.Int32
	errClosed := errors.New("mode is closed")
	p := New(n, Config[*proc]{
		Start:  func(context.Context) (*proc, error) { return &proc{id: int(started.Add(1))}, nil },
		Dead:   func(pr *proc) bool { return pr.dead.Load() },
		Kill:   func(pr *proc) { pr.killed.Store(true); pr.dead.Store(true) },
		Closed: errClosed,
	})
	return p, &started
}

func TestSequentialWorkReusesOneProcess(t *testing.T) {
	p, started := newPool(t, 3)
	for i := 0; i < 5; i++ {
		s, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Proc(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		p.Release(s)
	}
	if n := started.Load(); n != 1 {
		t.Errorf("%d processes started for sequential work, want 1", n)
	}
}

func TestDeadProcessIsReplacedAndForgetKills(t *testing.T) {
	p, started := newPool(t, 1)
	s, _ := p.Acquire(context.Background())
	a, _ := p.Proc(context.Background(), s)
	a.dead.Store(true)
	b, _ := p.Proc(context.Background(), s)
	if a == b || started.Load() != 2 {
		t.Fatalf("a dead process was not replaced")
	}
	p.Forget(s, b)
	if !b.killed.Load() {
		t.Error("Forget did not kill")
	}
	if len(p.Live()) != 0 {
		t.Error("a forgotten process is still live")
	}
}

func TestAcquireWaitsAndHonoursContextAndClose(t *testing.T) {
	p, _ := newPool(t, 1)
	s, _ := p.Acquire(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := p.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("acquire on a full pool: %v", err)
	}
	proc, _ := p.Proc(context.Background(), s)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := p.Acquire(context.Background()); err == nil || err.Error() != "mode is closed" {
			t.Errorf("waiting acquire after Close: %v", err)
		}
	}()
	time.Sleep(10 * time.Millisecond)
	p.Close()
	wg.Wait()
	if !proc.killed.Load() {
		t.Error("Close did not kill the live process")
	}
	if _, err := p.Proc(context.Background(), s); err == nil {
		t.Error("a closed pool started a process")
	}
	p.Close() // twice is fine
}

func TestWarmStartsEverySlot(t *testing.T) {
	p, started := newPool(t, 4)
	if err := p.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if started.Load() != 4 || len(p.Live()) != 4 {
		t.Errorf("warm started %d, live %d", started.Load(), len(p.Live()))
	}
}
