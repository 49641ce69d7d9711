package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/engine"
	"github.com/truss-dev/truss/engine/store"
)

// The store's database admits one process. So that `truss runs` and
// `truss show` work from another terminal while a run holds it, the
// running truss keeps a snapshot of its run in <store>/status/<run>.json,
// rewritten (temp file + rename) at most every snapshotEvery while nodes
// change, and removed when the run's final records are in the store.
const snapshotEvery = 200 * time.Millisecond

type snapshot struct {
	Run   *store.Run    `json:"run"`
	Nodes []*store.Node `json:"nodes"`
}

// liveStatus writes the snapshot of one run.
type liveStatus struct {
	path string
	mu   sync.Mutex
	snap snapshot
	// dirty is set by events and cleared by the writer.
	dirty bool
	stop  chan struct{}
	done  chan struct{}
}

func newLiveStatus(storeDir string, rec *store.Run, plan *dag.Plan) *liveStatus {
	run := *rec
	run.Bundle = nil
	l := &liveStatus{path: filepath.Join(storeDir, "status", rec.ID+".json"), stop: make(chan struct{}), done: make(chan struct{}),
		snap: snapshot{Run: &run, Nodes: make([]*store.Node, len(plan.Nodes))}, dirty: true}
	for i, n := range plan.Nodes {
		l.snap.Nodes[i] = &store.Node{Run: rec.ID, ID: n.ID, Kind: n.Kind.String(), Status: string(engine.Pending)}
	}
	go l.writer()
	return l
}

// event records a state change; it never blocks on the disk.
func (l *liveStatus) event(e engine.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.snap.Nodes[e.Node.Index]
	n.Status, n.Attempts = string(e.Status), max(n.Attempts, e.Attempt)
	switch e.Status {
	case engine.Running:
		n.Start = e.Time
	case engine.Skipped:
		n.Reason = e.Reason
	default:
		n.End = e.Time
	}
	if e.Err != nil {
		n.Error = e.Err.Error()
	}
	l.dirty = true
}

// progress records a step's progress report; workers call it.
func (l *liveStatus) progress(n *dag.Node, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.snap.Nodes[n.Index].Progress = text
	l.dirty = true
}

func (l *liveStatus) writer() {
	defer close(l.done)
	tick := time.NewTicker(snapshotEvery)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
			l.write()
		}
	}
}

func (l *liveStatus) write() {
	l.mu.Lock()
	if !l.dirty {
		l.mu.Unlock()
		return
	}
	l.snap.Run.Updated = time.Now()
	data, err := json.Marshal(l.snap)
	l.dirty = false
	l.mu.Unlock()
	if err != nil {
		return
	}
	_ = os.MkdirAll(filepath.Dir(l.path), 0o755)
	tmp := l.path + ".tmp"
	if os.WriteFile(tmp, data, 0o644) == nil {
		_ = os.Rename(tmp, l.path)
	}
}

// close stops the writer and removes the snapshot: the store has the run now.
func (l *liveStatus) close() {
	close(l.stop)
	<-l.done
	_ = os.Remove(l.path)
}

// runSource is where `truss runs/show` read: the store, or the snapshots
// of the run holding it.
type runSource interface {
	Runs() ([]*store.Run, error)
	Run(id string) (*store.Run, error)
	Nodes(runID string) ([]*store.Node, error)
	Close() error
}

// Interrupted is how runs and show report a run (or node) recorded as
// running in a store no truss holds: the truss running it was killed or
// its machine stopped.
const Interrupted = "interrupted"

// settled reads a store that this process holds, so no truss is running
// any of its runs: what is still recorded as running was interrupted.
type settled struct{ *store.Store }

func (s settled) Runs() ([]*store.Run, error) {
	runs, err := s.Store.Runs()
	for _, r := range runs {
		settleRun(r)
	}
	return runs, err
}

func (s settled) Run(id string) (*store.Run, error) {
	r, err := s.Store.Run(id)
	if r != nil {
		settleRun(r)
	}
	return r, err
}

func (s settled) Nodes(runID string) ([]*store.Node, error) {
	ns, err := s.Store.Nodes(runID)
	for _, n := range ns {
		if n.Status == string(engine.Running) {
			n.Status = Interrupted
		}
	}
	return ns, err
}

func settleRun(r *store.Run) {
	if r.Status == string(engine.Running) {
		r.Status = Interrupted
		if r.Error == "" {
			r.Error = "truss stopped before the run ended (killed, or the machine went down); continue it with truss resume " + r.ID
		}
	}
}

// openRuns opens the store for reading, or falls back to the live
// snapshots (with a note on stderr) when a running truss holds it.
func (a *app) openRuns(dir string) (runSource, error) {
	// A short lock wait: a busy store is normal here, the snapshot answers.
	st, err := store.Open(dir, store.Options{Timeout: 100 * time.Millisecond})
	if err == nil {
		return settled{st}, nil
	}
	if !errors.Is(err, store.ErrInUse) {
		return nil, usageErr("%v", err)
	}
	holder := "another truss"
	var inUse *store.InUseError
	if errors.As(err, &inUse) && inUse.Pid != 0 {
		holder = fmt.Sprintf("truss (pid %d)", inUse.Pid)
	}
	fmt.Fprintf(a.stderr, "note: %s is running on this store; showing its live status\n", holder)
	return liveSource{dir: filepath.Join(dir, "status")}, nil
}

type liveSource struct{ dir string }

func (s liveSource) snapshots() ([]snapshot, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	var out []snapshot
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if err != nil {
			continue // removed as the run ended
		}
		var snap snapshot
		if json.Unmarshal(data, &snap) == nil && snap.Run != nil {
			out = append(out, snap)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Run.ID > out[j].Run.ID })
	return out, nil
}

func (s liveSource) Runs() ([]*store.Run, error) {
	snaps, err := s.snapshots()
	runs := make([]*store.Run, len(snaps))
	for i := range snaps {
		runs[i] = snaps[i].Run
	}
	return runs, err
}

func (s liveSource) find(id string) (snapshot, error) {
	snaps, err := s.snapshots()
	if err != nil {
		return snapshot{}, err
	}
	for _, snap := range snaps {
		if strings.HasPrefix(snap.Run.ID, id) {
			return snap, nil
		}
	}
	return snapshot{}, fmt.Errorf("run %s: %w (only the run in progress can be shown while it holds the store)", id, store.ErrNotFound)
}

func (s liveSource) Run(id string) (*store.Run, error) {
	snap, err := s.find(id)
	return snap.Run, err
}

func (s liveSource) Nodes(id string) ([]*store.Node, error) {
	snap, err := s.find(id)
	return snap.Nodes, err
}

func (liveSource) Close() error { return nil }
