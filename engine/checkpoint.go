package engine

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/engine/store"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/nodes"
)

// Cached is the status of a node whose outputs came from an earlier run's
// identical node instead of being computed.
const Cached Status = "cached"

// checkpoint is the run's link to the store: node records, values in the
// content-addressed blobs, cache lookups. Records are written
// asynchronously in the order things happen (a store journal, which the
// store's single writer group-commits), so no worker waits for an fsync
// per node; Run waits for all of them before it returns.
type checkpoint struct {
	st       *store.Store
	j        *store.Journal
	runID    string
	noCache  bool
	previous map[string]*store.Node
	// fps are the fingerprints of reusable nodes by index, computed ahead
	// of the workers by a goroutine of their own (the scheduler and its
	// workers mostly keep one CPU busy), or by the worker that needs one
	// first.
	fps    []atomic.Pointer[string]
	stop   atomic.Bool
	fpDone chan struct{}
}

func newCheckpoint(plan *dag.Plan, opts Options) *checkpoint {
	c := &checkpoint{st: opts.Store, j: opts.Store.NewJournal(), runID: opts.RunID, noCache: opts.NoCache,
		previous: opts.Previous, fps: make([]atomic.Pointer[string], len(plan.Nodes)), fpDone: make(chan struct{})}
	go c.fingerprints(plan)
	return c
}

// fingerprints computes fingerprints in the order nodes will need them,
// until the run ends.
func (c *checkpoint) fingerprints(plan *dag.Plan) {
	defer close(c.fpDone)
	for _, i := range plan.Order {
		if c.stop.Load() {
			return
		}
		if n := plan.Nodes[i]; reusable(n) {
			c.fingerprint(n)
		}
	}
}

func (c *checkpoint) fingerprint(n *dag.Node) string {
	slot := &c.fps[n.Index]
	if p := slot.Load(); p != nil {
		return *p
	}
	fp := nodes.Fingerprint(n)
	if !slot.CompareAndSwap(nil, &fp) {
		return *slot.Load()
	}
	return fp
}

// reusable nodes may take their outputs from an earlier run. Inputs read
// bindings that may have changed and outputs deliver results, so those
// always run.
func reusable(n *dag.Node) bool {
	switch n.Kind {
	case dag.KindValidate, dag.KindConvert:
		return true
	case dag.KindStep:
		return !n.Step.Visualization
	}
	return false
}

// record queues a node record; the store keeps n (and its maps) as is.
func (c *checkpoint) record(n *store.Node) {
	n.Run = c.runID
	c.j.PutNode(n)
}

// remember indexes a node's fresh outputs by cache key for later runs (even
// under --no-cache, which only stops runs from using the cache).
func (c *checkpoint) remember(key, node string, refs map[string]store.Ref) {
	c.j.CachePut(key, store.CacheEntry{Run: c.runID, Node: node, Outputs: refs, Created: time.Now()})
}

// wait returns once every record is durable, with the first write error.
func (c *checkpoint) wait() error {
	c.stop.Store(true)
	<-c.fpDone
	return c.j.Wait()
}

// identityPort holds, among a node's input digests, what its mode says the
// result depends on beyond the spec (a docker step's image ID). No port
// can have this name.
const identityPort = "(image)"

// key is the cache key of node n given its input digests.
func (c *checkpoint) key(n *dag.Node, digests map[string]string) string {
	return nodes.CacheKey(c.fingerprint(n), digests)
}

// reused is where a node's outputs came from when it did not run.
type reused struct {
	refs   map[string]store.Ref
	status Status // Succeeded (same node of the resumed run) or Cached
	from   string // "run/node" for cached outputs
}

// reuse finds outputs for a node whose key matches: the same node of the
// run being resumed, else any earlier node in the cache index. When there
// are none it says why the node runs again.
func (c *checkpoint) reuse(n *dag.Node, key string, inputs map[string]string) (reused, bool, string) {
	if prev := c.previous[n.ID]; prev != nil {
		if (prev.Status == string(Succeeded) || prev.Status == string(Cached)) && prev.CacheKey == key && c.haveBlobs(prev.Outputs) {
			return reused{refs: prev.Outputs, status: Succeeded, from: prev.CachedFrom}, true, ""
		}
	}
	if !c.noCache {
		if e, ok, err := c.st.CacheGet(key); err == nil && ok && c.haveBlobs(e.Outputs) {
			return reused{refs: e.Outputs, status: Cached, from: e.Run + "/" + e.Node}, true, ""
		}
	}
	return reused{}, false, c.rerunReason(n, key, inputs)
}

// rerunReason says why a node of a resumed run runs again: how its last
// attempt ended and what changed since (its definition, which input).
func (c *checkpoint) rerunReason(n *dag.Node, key string, inputs map[string]string) string {
	prev := c.previous[n.ID]
	if prev == nil {
		if c.previous != nil {
			return "new in this version of the spec"
		}
		return ""
	}
	var why []string
	if prev.Status != string(Succeeded) && prev.Status != string(Cached) {
		why = append(why, "it "+prev.Status+" before")
	}
	if prev.CacheKey != "" && prev.CacheKey != key {
		changed := false
		if prev.Fingerprint != c.fingerprint(n) {
			why, changed = append(why, "its definition changed"), true
		}
		for _, port := range slices.Sorted(maps.Keys(inputs)) {
			if old, ok := prev.Inputs[port]; ok && old != inputs[port] {
				what := "input " + port
				if port == identityPort {
					what = "its image"
				}
				why, changed = append(why, what+" changed"), true
			}
		}
		if !changed {
			why = append(why, "its inputs changed")
		}
	}
	if len(why) == 0 {
		why = append(why, "its stored outputs are missing")
	}
	return strings.Join(why, "; ")
}

func (c *checkpoint) haveBlobs(refs map[string]store.Ref) bool {
	for _, r := range refs {
		if !c.st.Has(r) {
			return false
		}
	}
	return true
}

// save stores a node's output values and returns their refs.
func (c *checkpoint) save(outs map[string]formats.Value) (map[string]store.Ref, error) {
	refs := make(map[string]store.Ref, len(outs))
	for port, v := range outs {
		r, err := c.st.PutValue(v)
		if err != nil {
			return nil, fmt.Errorf("store output %s: %w", port, err)
		}
		refs[port] = r
	}
	return refs, nil
}

// load reads input values that are only in the store (their producers were
// reused, not run).
func (c *checkpoint) load(into map[string]formats.Value, refs map[string]store.Ref) error {
	for port, r := range refs {
		v, err := c.st.GetValue(r)
		if err != nil {
			return fmt.Errorf("load input %s from the store: %w", port, err)
		}
		into[port] = v
	}
	return nil
}

// saveLog puts a finished node's log file into the blob store.
func (c *checkpoint) saveLog(path string) string {
	if path == "" {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	d, _, err := c.st.PutBlob(f)
	if err != nil {
		return ""
	}
	return d
}

func nodeRecord(n *dag.Node, r *NodeResult, key string) *store.Node {
	rec := &store.Node{ID: n.ID, Kind: n.Kind.String(), Status: string(r.Status), Reason: r.Reason,
		Attempts: r.Attempts, Start: r.Start, End: r.End, CacheKey: key, CachedFrom: r.CachedFrom, Log: r.LogBlob}
	if r.Err != nil {
		rec.Error = r.Err.Error()
	}
	if rec.End.IsZero() && r.Status != Running {
		rec.End = time.Now()
	}
	return rec
}
