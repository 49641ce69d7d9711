package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/engine/store"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/nodes"
	"github.com/truss-dev/truss/spec"
	"github.com/truss-dev/truss/validators"
)

// Options for one run.
type Options struct {
	RunID string
	// Jobs bounds how many nodes execute at once (default: CPUs).
	Jobs       int
	Formats    *formats.Registry
	Converters *converters.Registry
	Validators *validators.Registry
	Modes      modes.Set
	// WorkDir is the run's scratch root; each step gets a directory below
	// it. Kept when the run fails, removed (but for output files) when it
	// succeeds unless KeepWork is set.
	WorkDir  string
	KeepWork bool
	// BaseDir resolves relative paths in bindings.
	BaseDir string
	// Inputs and Outputs are the caller's bindings by port name.
	Inputs  map[string]*spec.Binding
	Outputs map[string]*spec.Binding
	// OnEvent observes state changes; it is called from the scheduler
	// goroutine and must not block.
	OnEvent func(Event)
	// OnProgress receives steps' progress reports (docker's progress
	// pipe); it is called from worker goroutines and must not block.
	OnProgress func(*dag.Node, modes.Progress)
	// RetryDelay is the pause before retry k (k·RetryDelay; default 100ms).
	RetryDelay time.Duration
	// Store checkpoints every node (records, values, logs) and serves the
	// cross-run cache; nil runs without one.
	Store *store.Store
	// NoCache runs every node even when the cache holds its outputs.
	NoCache bool
	// Previous holds the records of the run being resumed, by node ID:
	// nodes whose record succeeded with the same cache key are reused.
	Previous map[string]*store.Node
}

type job struct {
	node    *dag.Node
	inputs  map[string]formats.Value
	attempt int
	// With a store: the digests of all inputs of a reusable node (for its
	// cache key), and the refs of the inputs whose values are only in the
	// store (their producers were reused).
	digests map[string]string
	load    map[string]store.Ref
	scratch *scratchDir // the node's work directory, when it uses one
}

type outcome struct {
	node    int
	attempt int
	outputs map[string]formats.Value
	err     error
	start   time.Time
	end     time.Time
	log     string
	// With a store.
	refs       map[string]store.Ref
	status     Status // Succeeded or Cached
	cachedFrom string
	key        string
	inputs     map[string]string // input digests behind key
	logDigest  string
	reason     string
}

// Run executes plan and reports what happened to every node. The error is
// for problems before any node ran (options, work dir); a failing node
// makes Result.Status Failed instead.
func Run(ctx context.Context, plan *dag.Plan, opts Options) (*Result, error) {
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.NumCPU()
	}
	if opts.RunID == "" {
		opts.RunID = NewRunID(time.Now())
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = 100 * time.Millisecond
	}
	if opts.WorkDir == "" {
		return nil, errors.New("engine: no work directory")
	}
	if err := os.MkdirAll(opts.WorkDir, 0o755); err != nil {
		return nil, fmt.Errorf("create work directory: %w", err)
	}
	s := newScheduler(plan, opts)
	res := s.run(ctx)
	if s.sc != nil {
		s.sc.close()
	}
	if s.cp != nil {
		if err := s.cp.wait(); err != nil {
			res.Status = Failed
			res.Failures = append(res.Failures, Failure{Node: "(store)", Message: "checkpoint write failed: " + err.Error()})
		}
	}
	if res.Status == Succeeded && !opts.KeepWork {
		cleanWork(opts.WorkDir, res)
	} else if os.Remove(opts.WorkDir) == nil { // only succeeds when empty
		res.WorkDir = ""
	}
	return res, nil
}

// cleanWork removes a succeeded run's scratch, except directories holding
// files its outputs point to (a failed run keeps everything for debugging).
func cleanWork(root string, res *Result) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	kept := 0
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if holdsOutput(dir, res.Outputs) {
			kept++
			continue
		}
		_ = os.RemoveAll(dir)
	}
	for i := range res.Nodes {
		if res.Nodes[i].Log != "" && !fileExists(res.Nodes[i].Log) {
			res.Nodes[i].Log = ""
		}
	}
	if kept == 0 {
		_ = os.Remove(root)
		res.WorkDir = ""
	}
}

func holdsOutput(dir string, outs map[string]formats.Value) bool {
	for _, v := range outs {
		if v.Path != "" && (v.Path == dir || strings.HasPrefix(v.Path, dir+string(filepath.Separator))) {
			return true
		}
	}
	return false
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// scheduler owns all run state; only its goroutine touches it.
type scheduler struct {
	plan     *dag.Plan
	opts     Options
	results  []NodeResult
	values   []map[string]formats.Value
	waiting  []int // unfinished predecessors per node
	users    []int // consumers yet to finish, to free values early
	ready    dag.IndexQueue
	running  int
	done     chan outcome
	retry    chan int
	jobs     chan job
	attempts []int
	started  time.Time
	cp       *checkpoint // nil without a store
	// lastProgress is each step's last progress report (workers write it).
	progMu       sync.Mutex
	lastProgress []string
	sc           *scratch // nil until a node uses a work directory
	refs         []map[string]store.Ref
	keys         []string            // cache key of each node's last attempt
	ins          []map[string]string // and the input digests behind it
}

func newScheduler(plan *dag.Plan, opts Options) *scheduler {
	n := len(plan.Nodes)
	s := &scheduler{
		plan:     plan,
		opts:     opts,
		results:  make([]NodeResult, n),
		values:   make([]map[string]formats.Value, n),
		waiting:  make([]int, n),
		users:    make([]int, n),
		done:     make(chan outcome, opts.Jobs),
		retry:    make(chan int, n),
		jobs:     make(chan job),
		attempts: make([]int, n),

		lastProgress: make([]string, n),
	}
	for _, node := range plan.Nodes {
		if s.needsScratch(node) {
			s.sc = newScratch(n)
			break
		}
	}
	if opts.Store != nil {
		s.cp = newCheckpoint(plan, opts)
		s.refs = make([]map[string]store.Ref, n)
		s.keys = make([]string, n)
		s.ins = make([]map[string]string, n)
	}
	for i, node := range plan.Nodes {
		s.results[i] = NodeResult{ID: node.ID, Kind: node.Kind, Status: Pending}
		s.waiting[i] = len(plan.Pred[i])
		s.users[i] = len(plan.Succ[i])
	}
	return s
}

func (s *scheduler) run(ctx context.Context) *Result {
	s.started = time.Now()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := 0; w < s.opts.Jobs; w++ {
		go s.worker(runCtx)
	}
	defer close(s.jobs)
	for _, i := range s.plan.Order {
		if s.waiting[i] == 0 {
			s.ready.Push(i)
		}
	}
	pendingRetries := 0
	for {
		if ctx.Err() == nil {
			for s.running < s.opts.Jobs && s.ready.Len() > 0 {
				s.dispatch(runCtx, s.ready.Pop())
			}
		}
		if s.running == 0 && (s.ready.Len() == 0 || ctx.Err() != nil) && pendingRetries == 0 {
			break
		}
		select {
		case o := <-s.done:
			s.running--
			if s.finish(ctx, o) {
				pendingRetries++
			}
		case i := <-s.retry:
			pendingRetries--
			if ctx.Err() == nil {
				s.ready.Push(i)
			} else {
				s.cancelNode(i)
			}
		case <-ctx.Done():
			// Running nodes see runCtx cancelled through ctx; wait for them.
			for s.running > 0 {
				o := <-s.done
				s.running--
				s.finish(ctx, o)
			}
			for pendingRetries > 0 {
				s.cancelNode(<-s.retry)
				pendingRetries--
			}
		}
	}
	return s.result(ctx)
}

// dispatch starts node i, or settles it at once when it needs no worker.
func (s *scheduler) dispatch(ctx context.Context, i int) {
	node := s.plan.Nodes[i]
	inputs := make(map[string]formats.Value, len(node.In))
	var digests map[string]string
	var load map[string]store.Ref
	if s.cp != nil && reusable(node) {
		digests = make(map[string]string, len(node.In))
	}
	for _, in := range node.In {
		if s.values[in.From.Node] != nil {
			inputs[in.Port] = s.values[in.From.Node][in.From.Port]
		} else if s.cp != nil {
			if load == nil {
				load = map[string]store.Ref{}
			}
			load[in.Port] = s.refs[in.From.Node][in.From.Port]
		}
		if digests != nil {
			digests[in.Port] = s.refs[in.From.Node][in.From.Port].Digest
		}
	}
	if node.Step != nil && node.Step.When != nil {
		ok, err := s.evalWhen(node.Step)
		if err != nil {
			s.fail(i, err, time.Now(), time.Now())
			return
		}
		if !ok {
			s.skip(i, "when "+node.Step.When.Text+" is false")
			return
		}
	}
	s.attempts[i]++
	s.results[i].Status = Running
	s.results[i].Attempts = s.attempts[i]
	if s.results[i].Start.IsZero() {
		s.results[i].Start = time.Now()
	}
	s.emit(Event{Node: node, Status: Running, Attempt: s.attempts[i]})
	s.running++
	var dir *scratchDir
	if s.sc != nil && s.needsScratch(node) {
		dir = s.scratchDir(i)
	}
	s.jobs <- job{node: node, inputs: inputs, attempt: s.attempts[i], digests: digests, load: load, scratch: dir}
}

// scratchDir is node i's work directory (registered, not made). The
// scheduler calls it when it dispatches i, the worker of i's only
// predecessor before that.
func (s *scheduler) scratchDir(i int) *scratchDir {
	return s.sc.dir(i, filepath.Join(s.opts.WorkDir, DirName(s.plan.Nodes[i].ID)))
}

// prefetchScratch has the work directories of the successors whose only
// predecessor is node n made while n runs. Called by n's worker once n is
// sure to run (not reused), when n is a step or converter with a work
// directory of its own: quick nodes would give the goroutine no time.
func (s *scheduler) prefetchScratch(n *dag.Node) {
	for _, j := range s.plan.Succ[n.Index] {
		if len(s.plan.Pred[j]) == 1 && s.sc.dirs[j] == nil && s.needsScratch(s.plan.Nodes[j]) {
			s.sc.prefetch(s.scratchDir(j))
		}
	}
}

// dropScratch removes node i's work directory if it has one, the node
// left it empty and none of its outputs is the directory itself. A failed
// node keeps it.
func (s *scheduler) dropScratch(i int, outs map[string]formats.Value) {
	if s.sc == nil || s.sc.dirs[i] == nil || s.opts.KeepWork {
		return
	}
	if d := s.sc.dirs[i]; !holdsOutput(d.path, outs) {
		s.sc.removeIfEmpty(d)
	}
}

func (s *scheduler) evalWhen(st *dag.Step) (bool, error) {
	in := make(map[string]any, len(st.Scope))
	for name, ref := range st.Scope {
		in[name] = nodes.Plain(s.values[ref.Node][ref.Port])
	}
	out, err := expr.Run(st.When.Program, dag.WhenEnv{Inputs: in})
	if err != nil {
		return false, fmt.Errorf("step %s: when %q (%s): %w", st.Name, st.When.Text, st.When.Pos, err)
	}
	b, _ := out.(bool)
	return b, nil
}

// finish records an outcome; it returns true when a retry was scheduled.
func (s *scheduler) finish(ctx context.Context, o outcome) bool {
	i := o.node
	node := s.plan.Nodes[i]
	r := &s.results[i]
	r.End = o.end
	if o.log != "" {
		r.Log = o.log
	}
	if o.logDigest != "" {
		r.LogBlob = o.logDigest
	}
	if s.cp != nil && o.key != "" {
		s.keys[i], s.ins[i] = o.key, o.inputs
	}
	if o.err == nil {
		r.Status = Succeeded
		r.Err = nil
		s.values[i] = o.outputs
		if s.cp != nil {
			if o.status != "" {
				r.Status = o.status
			}
			r.CachedFrom, r.Reason = o.cachedFrom, o.reason
			s.refs[i] = o.refs
			rec := s.nodeRecord(i)
			rec.Outputs = o.refs
			s.cp.record(rec)
		}
		s.dropScratch(i, o.outputs)
		s.emit(Event{Node: node, Status: r.Status, Attempt: o.attempt, Elapsed: o.end.Sub(o.start), Reason: r.CachedFrom})
		for _, p := range s.plan.Pred[i] {
			s.release(p)
		}
		for _, j := range s.plan.Succ[i] {
			s.waiting[j]--
			if s.waiting[j] == 0 && s.results[j].Status == Pending {
				s.ready.Push(j)
			}
		}
		return false
	}
	if ctx.Err() != nil {
		s.cancelNode(i)
		return false
	}
	if node.Step != nil && o.attempt <= node.Step.Retries {
		r.Err = o.err
		s.emit(Event{Node: node, Status: Pending, Attempt: o.attempt, Err: o.err, Reason: "retrying"})
		delay := time.Duration(o.attempt) * s.opts.RetryDelay
		time.AfterFunc(delay, func() { s.retry <- i })
		return true
	}
	s.fail(i, o.err, o.start, o.end)
	return false
}

// release drops a node's values once every consumer has them, so large
// intermediate tables do not pile up (outputs and visualizations keep theirs).
func (s *scheduler) release(i int) {
	s.users[i]--
	n := s.plan.Nodes[i]
	if s.users[i] == 0 && n.Kind != dag.KindOutput && !(n.Step != nil && n.Step.Visualization) {
		s.values[i] = nil
	}
}

func (s *scheduler) fail(i int, err error, start, end time.Time) {
	r := &s.results[i]
	r.Status, r.Err = Failed, err
	if r.Start.IsZero() {
		r.Start = start
	}
	r.End = end
	s.checkpointResult(i)
	s.emit(Event{Node: s.plan.Nodes[i], Status: Failed, Attempt: s.attempts[i], Err: err, Elapsed: end.Sub(start)})
	s.skipDependants(i, "upstream "+s.plan.Nodes[i].ID+" failed")
}

func (s *scheduler) skip(i int, reason string) {
	s.results[i].Status, s.results[i].Reason = Skipped, reason
	s.checkpointResult(i)
	s.dropScratch(i, nil)
	s.emit(Event{Node: s.plan.Nodes[i], Status: Skipped, Reason: reason})
	s.skipDependants(i, "upstream "+s.plan.Nodes[i].ID+" skipped: "+reason)
}

// skipDependants marks everything downstream of i as skipped.
func (s *scheduler) skipDependants(i int, reason string) {
	stack := append([]int(nil), s.plan.Succ[i]...)
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s.results[j].Status != Pending {
			continue
		}
		s.results[j].Status, s.results[j].Reason = Skipped, reason
		s.checkpointResult(j)
		s.dropScratch(j, nil)
		s.emit(Event{Node: s.plan.Nodes[j], Status: Skipped, Reason: reason})
		stack = append(stack, s.plan.Succ[j]...)
	}
}

func (s *scheduler) cancelNode(i int) {
	r := &s.results[i]
	r.Status, r.Err = Cancelled, context.Canceled
	if r.End.IsZero() && !r.Start.IsZero() {
		r.End = time.Now()
	}
	s.checkpointResult(i)
	s.dropScratch(i, nil)
	s.emit(Event{Node: s.plan.Nodes[i], Status: Cancelled})
}

// checkpointResult records a node's final state when there is a store.
func (s *scheduler) checkpointResult(i int) {
	if s.cp != nil {
		s.cp.record(s.nodeRecord(i))
	}
}

// nodeRecord is node i's store record as things stand.
func (s *scheduler) nodeRecord(i int) *store.Node {
	rec := nodeRecord(s.plan.Nodes[i], &s.results[i], s.keys[i])
	s.progMu.Lock()
	rec.Progress = s.lastProgress[i]
	s.progMu.Unlock()
	if s.keys[i] != "" {
		rec.Fingerprint, rec.Inputs = s.cp.fingerprint(s.plan.Nodes[i]), s.ins[i]
	}
	return rec
}

func (s *scheduler) emit(e Event) {
	if s.opts.OnEvent != nil {
		e.Time = time.Now()
		s.opts.OnEvent(e)
	}
}

// progress keeps a step's last progress report for its record and passes
// it on. Workers call it.
func (s *scheduler) progress(node *dag.Node, p modes.Progress) {
	text := p.String()
	s.progMu.Lock()
	s.lastProgress[node.Index] = text
	s.progMu.Unlock()
	if s.opts.OnProgress != nil {
		s.opts.OnProgress(node, p)
	}
}

// worker executes jobs until the job channel closes.
func (s *scheduler) worker(ctx context.Context) {
	for j := range s.jobs {
		s.done <- s.execute(ctx, j)
	}
}

func (s *scheduler) execute(ctx context.Context, j job) outcome {
	node := j.node
	o := outcome{node: node.Index, attempt: j.attempt, start: time.Now()}
	var early bytes.Buffer // what resolving the node's identity reported (a docker pull)
	if s.cp != nil {
		if reusable(node) {
			digests := j.digests
			if node.Kind == dag.KindStep {
				// A docker step's image (pulled now if the task asks) is part
				// of what it computes: its ID enters the cache key.
				id, err := nodes.Identity(ctx, node, nodes.Env{Formats: s.opts.Formats, Modes: s.opts.Modes, Log: &early})
				if err != nil {
					o.err, o.end = err, time.Now()
					return o
				}
				if id != "" {
					digests = maps.Clone(digests)
					if digests == nil {
						digests = map[string]string{}
					}
					digests[identityPort] = id
				}
			}
			o.key, o.inputs = s.cp.key(node, digests), digests
			r, ok, reason := s.cp.reuse(node, o.key, o.inputs)
			if ok {
				o.refs, o.status, o.cachedFrom, o.end = r.refs, r.status, r.from, time.Now()
				return o
			}
			o.reason = reason
			s.cp.record(&store.Node{ID: node.ID, Kind: node.Kind.String(), Status: string(Running), Attempts: j.attempt,
				Start: o.start, CacheKey: o.key, Fingerprint: s.cp.fingerprint(node), Inputs: o.inputs, Reason: o.reason})
		}
		if len(j.load) > 0 {
			if err := s.cp.load(j.inputs, j.load); err != nil {
				o.err, o.end = err, time.Now()
				return o
			}
		}
	}
	env := nodes.Env{
		Formats: s.opts.Formats, Converters: s.opts.Converters, Validators: s.opts.Validators,
		Modes: s.opts.Modes, WorkDir: s.opts.WorkDir, Log: io.Discard, BaseDir: s.opts.BaseDir,
		RunID: s.opts.RunID, NodeID: node.ID, // docker labels its containers with them
	}
	switch node.Kind {
	case dag.KindInput:
		if node.External {
			env.Binding = s.opts.Inputs[node.Port.Name]
		}
	case dag.KindOutput:
		env.Binding = s.opts.Outputs[node.Port.Name]
	}
	if j.scratch != nil {
		s.prefetchScratch(node)
	}
	var log *lazyLog
	if node.Kind == dag.KindStep || node.Kind == dag.KindConvert {
		var dir string
		if j.scratch != nil {
			dir = j.scratch.path
			if err := j.scratch.create(); err != nil {
				o.err, o.end = fmt.Errorf("create work directory: %w", err), time.Now()
				return o
			}
		} else {
			dir = filepath.Join(s.opts.WorkDir, DirName(node.ID))
		}
		env.WorkDir = dir
		if node.Kind == dag.KindStep && !node.Step.Visualization {
			log = &lazyLog{path: filepath.Join(dir, "log")}
			if j.attempt > 1 {
				log.header = fmt.Sprintf("--- attempt %d ---\n", j.attempt)
			}
			env.Log = log
			if early.Len() > 0 {
				_, _ = log.Write(early.Bytes())
			}
			env.Progress = func(p modes.Progress) { s.progress(node, p) }
		}
	}
	nctx := ctx
	if node.Step != nil && node.Step.Timeout > 0 {
		var cancel context.CancelFunc
		nctx, cancel = context.WithTimeout(ctx, node.Step.Timeout)
		defer cancel()
	}
	o.outputs, o.err = nodes.Execute(nctx, node, j.inputs, env)
	if o.err != nil && nctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		o.err = fmt.Errorf("step %s timed out after %s", node.Step.Name, node.Step.Timeout)
	}
	if log != nil {
		o.log = log.Close()
	}
	if s.cp != nil {
		o.logDigest = s.cp.saveLog(o.log)
		if o.err == nil && node.Kind != dag.KindOutput && !(node.Step != nil && node.Step.Visualization) {
			if o.refs, o.err = s.cp.save(o.outputs); o.err == nil && o.key != "" {
				s.cp.remember(o.key, node.ID, o.refs)
			}
		}
	}
	o.end = time.Now()
	return o
}

// needsScratch says whether a node uses its work directory: steps unless
// their mode says otherwise, converters that make files or run a runtime.
func (s *scheduler) needsScratch(node *dag.Node) bool {
	switch node.Kind {
	case dag.KindStep:
	case dag.KindConvert:
		c := node.Converter
		return c.Runtime != formats.RuntimeGo || c.Type == "directory"
	default:
		return false
	}
	mode := node.Step.Task.Mode
	if mode == "" {
		mode = "python"
	}
	if m, ok := s.opts.Modes[mode]; ok {
		if _, free := m.(modes.ScratchFree); free {
			return false
		}
	}
	return !node.Step.Visualization
}

// dirNameReplacer is built once: building a Replacer costs more than
// using it, and it is immutable and safe for concurrent use.
var dirNameReplacer = strings.NewReplacer("/", "__", ":", "-", ">", "-", "~", "_", " ", "_")

// DirName turns a node ID into a file name (IDs hold '/', '~', '>', ':').
func DirName(id string) string { return dirNameReplacer.Replace(id) }

func (s *scheduler) result(ctx context.Context) *Result {
	res := &Result{RunID: s.opts.RunID, Status: Succeeded, Outputs: map[string]formats.Value{},
		Nodes: s.results, WorkDir: s.opts.WorkDir, Elapsed: time.Since(s.started)}
	for i, r := range s.results {
		if r.Status == Pending || r.Status == Running {
			s.results[i].Status = Cancelled
			s.dropScratch(i, nil)
		}
		switch s.results[i].Status {
		case Failed:
			res.Status = Failed
			res.Failures = append(res.Failures, Failure{Node: r.ID, Message: r.Err.Error()})
		case Cancelled:
			if res.Status != Failed {
				res.Status = Cancelled
			}
		}
	}
	if ctx.Err() != nil && res.Status == Succeeded {
		res.Status = Cancelled
	}
	for name, i := range s.plan.Outputs {
		if s.results[i].Status == Succeeded {
			res.Outputs[name] = s.values[i][dag.ValuePort]
		}
	}
	for _, i := range s.plan.Order {
		n := s.plan.Nodes[i]
		if n.Step != nil && n.Step.Visualization && s.results[i].Status == Succeeded {
			res.Visualizations = append(res.Visualizations, Visualization{Step: n.Step.Name, Inputs: s.values[i]})
		}
	}
	return res
}
