package engine

import (
	"os"
	"sync"
	"sync/atomic"
)

// scratch keeps work-directory creation and removal off the path from one
// step to the next: on some filesystems mkdir and rmdir take 0.1–0.6 ms
// of kernel time each, about what a quick command takes. A goroutine of
// its own makes the directory of a node while its predecessor runs, and
// removes the directories that nodes which did not fail left empty
// (nothing there to debug, and a successful run removes them anyway). The
// goroutine starts on first use.
type scratch struct {
	// dirs are registered by the scheduler at dispatch, or before that
	// by the worker of the node's only predecessor.
	dirs []*scratchDir

	mu      sync.Mutex
	cond    sync.Cond
	made    []*scratchDir // to make, before anything is removed
	removed []*scratchDir // to remove if made and empty
	started bool
	closed  bool
	done    chan struct{}
}

// scratchDir is a node's work directory, made by whoever needs it first.
type scratchDir struct {
	path string
	once sync.Once
	err  error
	made atomic.Bool
}

func (d *scratchDir) create() error {
	d.once.Do(func() {
		d.err = os.MkdirAll(d.path, 0o755)
		d.made.Store(d.err == nil)
	})
	return d.err
}

func newScratch(n int) *scratch {
	c := &scratch{dirs: make([]*scratchDir, n), done: make(chan struct{})}
	c.cond.L = &c.mu
	return c
}

// dir is node i's directory, registered (not yet made) when absent.
func (c *scratch) dir(i int, path string) *scratchDir {
	if c.dirs[i] == nil {
		c.dirs[i] = &scratchDir{path: path}
	}
	return c.dirs[i]
}

// prefetch queues the making of d.
func (c *scratch) prefetch(d *scratchDir) {
	c.mu.Lock()
	c.made = append(c.made, d)
	c.kick()
}

// removeIfEmpty queues the removal of d; a directory that holds anything
// stays.
func (c *scratch) removeIfEmpty(d *scratchDir) {
	c.mu.Lock()
	c.removed = append(c.removed, d)
	c.kick()
}

// kick wakes or starts the goroutine; it unlocks c.mu.
func (c *scratch) kick() {
	if !c.started {
		c.started = true
		go c.loop()
	}
	c.cond.Signal()
	c.mu.Unlock()
}

func (c *scratch) loop() {
	defer close(c.done)
	for {
		c.mu.Lock()
		for len(c.made) == 0 && len(c.removed) == 0 && !c.closed {
			c.cond.Wait()
		}
		if c.closed {
			c.made = nil // the run is over: nothing will use them
		}
		var d *scratchDir
		remove := false
		switch {
		case len(c.made) > 0:
			d, c.made = c.made[0], c.made[1:]
		case len(c.removed) > 0:
			d, c.removed, remove = c.removed[0], c.removed[1:], true
		default:
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		switch {
		case !remove:
			_ = d.create() // the node's worker sees the error
		case d.made.Load():
			_ = os.Remove(d.path) // fails when not empty
		}
	}
}

// close finishes the queued removals and stops the goroutine.
func (c *scratch) close() {
	c.mu.Lock()
	c.closed = true
	started := c.started
	c.cond.Signal()
	c.mu.Unlock()
	if started {
		<-c.done
	}
}
