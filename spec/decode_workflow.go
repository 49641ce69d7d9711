package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

func stepKeys() []string {
	return []string{
		"name", "task", "visualization", "in", "when",
		"retries", "timeout", "validate", "auto_convert",
		"description", "x", "y", // UI metadata, ignored
	}
}

func connectionKeys() []string {
	return []string{"name", "input_step", "input", "output_step", "output"}
}

// wf is the state of one workflow while its wiring is decoded.
type wf struct {
	t     *Task
	f     *srcFile
	steps map[string]*Step
	// bound maps a step input to the edge that feeds it; produced a
	// workflow output to the edge that produces it.
	bound    map[portKey]Pos
	produced map[string]Pos
	// wired marks step inputs and workflow outputs some connection, in:
	// or from: tried to feed, even if it was wrong: those are not also
	// reported as unconnected.
	wired map[portKey]bool
	used  map[string]bool // workflow inputs that feed a step
}

// portKey names a step input; step "" is a workflow output.
type portKey struct{ step, port string }

// stepDraft is a decoded step with what its wiring still needs.
type stepDraft struct {
	s     *Step
	nameE *entry
	in    *entry
	inBad bool // in: was given but is not a map
}

func (l *loader) workflow(t *Task, f *srcFile, stepsE, connE *entry) {
	w := &wf{t: t, f: f, steps: map[string]*Step{}, bound: map[portKey]Pos{},
		produced: map[string]Pos{}, wired: map[portKey]bool{}, used: map[string]bool{}}

	var drafts []*stepDraft
	switch {
	case stepsE == nil:
		l.errorf(t.Pos, "workflow has no steps: add steps: [{name: …, task: …}]")
	case stepsE.val.kind != listNode:
		l.errorf(stepsE.val.pos, "steps must be a list of steps like [{name: add, task: add.yaml}], not %s", stepsE.val.describe())
	default:
		first := map[string]Pos{}
		for i, it := range stepsE.val.items {
			d := l.step(it, f, i+1)
			if d == nil {
				continue
			}
			if p, dup := first[d.s.Name]; dup {
				l.errorf(d.nameE.val.pos, "duplicate step %s (first at %s); step names must be unique", q(d.s.Name), shortPos(p))
				continue
			}
			first[d.s.Name] = d.nameE.val.pos
			w.steps[d.s.Name] = d.s
			t.Steps = append(t.Steps, d.s)
			drafts = append(drafts, d)
		}
	}

	// in: and from: split "step.port" at a dot, so the steps of a
	// workflow wired that way need names without dots.
	sugar := false
	for _, d := range drafts {
		sugar = sugar || d.in != nil
	}
	for _, p := range t.Outputs {
		sugar = sugar || p.From != ""
	}
	if sugar {
		for _, d := range drafts {
			if !isIdent(d.s.Name) {
				l.errorf(d.nameE.val.pos, "step name %s must match %s (no dots) in a workflow wired with in: or from:", q(d.s.Name), identShape)
			}
		}
	}

	if connE != nil {
		switch connE.val.kind {
		case nullNode:
		case listNode:
			for i, it := range connE.val.items {
				l.connection(w, it, i+1)
			}
		default:
			l.errorf(connE.val.pos, "connections must be a list of maps like [{output_step: a, output: b, input_step: c, input: d}], not %s", connE.val.describe())
		}
	}
	for _, d := range drafts {
		if d.in != nil {
			l.stepIn(w, d)
		}
		if d.inBad && d.s.Task != nil {
			// Its inputs are meant to be wired; the malformed in: is
			// the one thing to report.
			for _, p := range d.s.Task.Inputs {
				w.wired[portKey{d.s.Name, p.Name}] = true
			}
		}
	}
	for _, p := range t.Outputs {
		if p.From != "" {
			l.outputFrom(w, p)
		}
	}
	l.checkWiring(w)
}

// step decodes one step map.
func (l *loader) step(n *node, f *srcFile, idx int) *stepDraft {
	if n.kind != mapNode {
		l.errorf(n.pos, "step #%d must be a map with name and task, not %s", idx, n.describe())
		return nil
	}
	s := &Step{Pos: n.pos}
	d := &stepDraft{s: s, nameE: n.get("name")}
	if d.nameE == nil {
		l.errorf(n.pos, "step #%d has no name: add name: <step name>", idx)
		return nil
	}
	name, ok := l.nameVal(d.nameE, fmt.Sprintf("step #%d: name", idx))
	if !ok {
		return nil
	}
	if name == "" {
		l.errorf(d.nameE.val.pos, "step #%d has an empty name", idx)
		return nil
	}
	s.Name = name
	what := "step " + q(name)

	var taskE *entry
	for i := range n.entries {
		e := &n.entries[i]
		switch e.key {
		case "name", "description", "x", "y":
		case "task":
			taskE = e
		case "visualization":
			s.Visualization, _ = l.truthy(e, what+": visualization")
		case "in":
			switch e.val.kind {
			case mapNode:
				d.in = e
			case nullNode:
			default:
				d.inBad = true
				l.errorf(e.val.pos, "%s: in must map this step's inputs to a workflow input or <step>.<output>, like {a: x, b: add.out}, not %s", what, e.val.describe())
			}
		case "when":
			if w, ok := l.stringVal(e, what+": when"); ok {
				s.When, s.WhenPos = w, e.val.textPos
			}
		case "retries":
			if r, ok := l.retriesVal(e, what+": retries"); ok {
				s.Retries = &r
			}
		case "timeout":
			if t, ok := l.timeoutVal(e, what+": timeout"); ok {
				s.Timeout = &t
			}
		case "validate":
			s.Validate = l.boolPtr(e, what+": validate")
		case "auto_convert":
			s.AutoConvert = l.boolPtr(e, what+": auto_convert")
		default:
			l.unknownKey(e, what, stepKeys())
		}
	}

	switch {
	case taskE == nil:
		l.errorf(n.pos, "%s has no task: give a task file (task: tasks/add.yaml) or an inline task map", what)
	case taskE.val.kind == mapNode:
		s.Task = l.task(taskE.val, f)
	case taskE.val.kind == stringNode && taskE.val.text != "":
		s.TaskFile = f.resolvePath(taskE.val.text)
		t, err := l.loadFile(s.TaskFile)
		var cycle *errCycle
		switch {
		case errors.As(err, &cycle):
			l.errorf(taskE.val.pos, "%s: %v", what, err)
		case errors.Is(err, fs.ErrNotExist):
			l.errorf(taskE.val.pos, "%s: task file %s not found (looked for %s)", what, taskE.val.text, s.TaskFile)
		case err != nil:
			l.errorf(taskE.val.pos, "%s: cannot read task file %s: %v", what, taskE.val.text, err)
		}
		s.Task = t
	default:
		l.errorf(taskE.val.pos, "%s: task must be a task file name or an inline task map, not %s", what, shown(taskE.val))
	}
	if !s.Visualization {
		l.checkRunnable(s.Task)
	}
	return d
}

// connection decodes one legacy connection. Girder Worker told its four
// shapes apart only by which keys are present (reference 2.1).
func (l *loader) connection(w *wf, n *node, idx int) {
	ctx := fmt.Sprintf("connection #%d", idx)
	if n.kind != mapNode {
		l.errorf(n.pos, "%s must be a map like {output_step: a, output: b, input_step: c, input: d}, not %s", ctx, n.describe())
		return
	}
	vals := map[string]string{}
	at := map[string]Pos{}
	ok := true
	for i := range n.entries {
		e := &n.entries[i]
		switch e.key {
		case "name", "input_step", "input", "output_step", "output":
			v, good := l.nameVal(e, ctx+": "+e.key)
			ok = ok && good
			vals[e.key], at[e.key] = v, e.val.pos
		default:
			l.unknownKey(e, ctx, connectionKeys())
			ok = false
		}
	}
	// What a connection names counts as wired and used even when the
	// connection is wrong, so one mistake is reported once.
	if s, ok := vals["input_step"]; ok {
		if p, ok := vals["input"]; ok {
			w.wired[portKey{s, p}] = true
		}
	}
	if name, ok := vals["name"]; ok && w.t.Input(name) != nil {
		w.used[name] = true
	}
	if !ok {
		return
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := vals[k]; !ok {
				return false
			}
		}
		return true
	}
	e := &Edge{Pos: n.pos}
	switch {
	case len(vals) == 3 && has("name", "input_step", "input"):
		e.FromPort, e.ToStep, e.ToPort = vals["name"], vals["input_step"], vals["input"]
		if !l.checkWorkflowInput(w, e.FromPort, at["name"], ctx) {
			ok = false
		}
	case len(vals) == 4 && has("output_step", "output", "input_step", "input"):
		e.FromStep, e.FromPort, e.ToStep, e.ToPort = vals["output_step"], vals["output"], vals["input_step"], vals["input"]
		ok = l.checkStepPort(w, e.FromStep, e.FromPort, "output", at["output_step"], at["output"], ctx)
	case len(vals) == 3 && has("name", "output_step", "output"):
		e.FromStep, e.FromPort, e.ToPort = vals["output_step"], vals["output"], vals["name"]
		ok = l.checkStepPort(w, e.FromStep, e.FromPort, "output", at["output_step"], at["output"], ctx)
	default:
		keys := make([]string, 0, len(vals))
		for k := range vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		l.errorf(n.pos, "%s has keys {%s}, which match no connection shape: use {name, input_step, input} (workflow input to step), "+
			"{output_step, output, input_step, input} (step to step) or {name, output_step, output} (step to workflow output)",
			ctx, strings.Join(keys, ", "))
		return
	}
	if e.ToStep != "" {
		w.wired[portKey{e.ToStep, e.ToPort}] = true
		ok = l.checkStepPort(w, e.ToStep, e.ToPort, "input", at["input_step"], at["input"], ctx) && ok
	} else {
		w.wired[portKey{"", e.ToPort}] = true
		if w.t.Output(e.ToPort) == nil {
			hint := didYouMean(e.ToPort, portNames(w.t.Outputs))
			if hint == "" {
				hint = ": declare it under outputs:"
			}
			l.errorf(at["name"], "%s: unknown workflow output %s%s", ctx, q(e.ToPort), hint)
			ok = false
		}
	}
	if ok {
		l.register(w, e)
	}
}

func (l *loader) checkWorkflowInput(w *wf, name string, at Pos, ctx string) bool {
	if w.t.Input(name) != nil {
		return true
	}
	l.errorf(at, "%s: unknown workflow input %s%s", ctx, q(name), didYouMean(name, portNames(w.t.Inputs)))
	return false
}

// checkStepPort reports an unknown step or an unknown port of a step.
// A step whose task failed to load was reported already; its ports are not
// checked (and the edge is dropped).
func (l *loader) checkStepPort(w *wf, step, port, dir string, stepAt, portAt Pos, ctx string) bool {
	s := w.steps[step]
	if s == nil {
		l.errorf(stepAt, "%s: unknown step %s%s", ctx, q(step), didYouMean(step, w.stepNames()))
		return false
	}
	if s.Task == nil {
		return false
	}
	ports := s.Task.Inputs
	if dir == "output" {
		ports = s.Task.Outputs
	}
	for _, p := range ports {
		if p.Name == port {
			return true
		}
	}
	l.errorf(portAt, "%s: step %s has no %s %s%s", ctx, q(step), dir, q(port), suggestOrList(port, portNames(ports), dir))
	return false
}

// stepIn turns a step's in: map into edges.
func (l *loader) stepIn(w *wf, d *stepDraft) {
	for i := range d.in.val.entries {
		e := &d.in.val.entries[i]
		ctx := fmt.Sprintf("step %s, input %s", q(d.s.Name), q(e.key))
		w.wired[portKey{d.s.Name, e.key}] = true
		ok := true
		if t := d.s.Task; t != nil && t.Input(e.key) == nil {
			l.errorf(e.keyPos, "step %s: in: its task has no input %s%s", q(d.s.Name), q(e.key), suggestOrList(e.key, portNames(t.Inputs), "input"))
			ok = false
		}
		ref, good := l.stringVal(e, ctx)
		if !good {
			continue
		}
		fromStep, fromPort, good := l.resolveRef(w, ref, e.val.pos, ctx, true)
		if ok && good && d.s.Task != nil {
			l.register(w, &Edge{Pos: e.keyPos, FromStep: fromStep, FromPort: fromPort, ToStep: d.s.Name, ToPort: e.key})
		}
	}
}

// outputFrom turns a workflow output's from: into an edge.
func (l *loader) outputFrom(w *wf, p *Port) {
	w.wired[portKey{"", p.Name}] = true
	step, port, ok := l.resolveRef(w, p.From, p.FromPos, "output "+q(p.Name)+": from", false)
	if ok {
		l.register(w, &Edge{Pos: p.FromPos, FromStep: step, FromPort: port, ToPort: p.Name})
	}
}

// resolveRef resolves an in: or from: reference. It is "<step>.<output>"
// when the text before the last dot names a step; otherwise, for in:, a
// workflow input. Names must be plain identifiers so the split is
// unambiguous.
func (l *loader) resolveRef(w *wf, ref string, at Pos, ctx string, allowInput bool) (string, string, bool) {
	if ref == "" {
		l.errorf(at, "%s: empty reference: name a workflow input or <step>.<output>", ctx)
		return "", "", false
	}
	dot := strings.LastIndex(ref, ".")
	if dot > 0 {
		if s := w.steps[ref[:dot]]; s != nil {
			port := ref[dot+1:]
			if !isIdent(port) {
				l.errorf(at, "%s: %q: the output name after the dot must match %s", ctx, ref, identShape)
				return "", "", false
			}
			if s.Task == nil {
				return "", "", false
			}
			if s.Task.Output(port) == nil {
				l.errorf(at, "%s: step %s has no output %s%s", ctx, q(s.Name), q(port), suggestOrList(port, portNames(s.Task.Outputs), "output"))
				return "", "", false
			}
			return s.Name, port, true
		}
	}
	if in := w.t.Input(ref); in != nil && allowInput {
		w.used[ref] = true
		if !isIdent(ref) {
			l.errorf(at, "%s: workflow input %s cannot be named in in: (names there must match %s, no dots); rename the input", ctx, q(ref), identShape)
			return "", "", false
		}
		return "", ref, true
	}

	var cands []string
	if allowInput {
		cands = portNames(w.t.Inputs)
	}
	for _, s := range w.t.Steps {
		if s.Task != nil {
			for _, o := range s.Task.Outputs {
				cands = append(cands, s.Name+"."+o.Name)
			}
		}
	}
	switch {
	case w.steps[ref] != nil:
		l.errorf(at, "%s: %s is a step: name one of its outputs as %s.<output>%s", ctx, q(ref), ref, outputsOf(w.steps[ref]))
	case !allowInput && w.t.Input(ref) != nil:
		l.errorf(at, "%s: %s is a workflow input; from: names a step output (<step>.<output>)", ctx, q(ref))
	case dot > 0 && !isIdent(ref[:dot]), dot <= 0 && !isIdent(ref):
		l.errorf(at, "%s: %q is not a valid reference: names in in: and from: must match %s (no dots)%s", ctx, ref, identShape, didYouMean(ref, cands))
	case dot > 0:
		l.errorf(at, "%s: unknown step %s in %s%s", ctx, q(ref[:dot]), q(ref), didYouMean(ref, cands))
	case allowInput:
		l.errorf(at, "%s: %s is neither a workflow input nor <step>.<output>%s", ctx, q(ref), didYouMean(ref, cands))
	default:
		l.errorf(at, "%s: %s is not <step>.<output>%s", ctx, q(ref), didYouMean(ref, cands))
	}
	return "", "", false
}

// register adds a checked edge unless its target is already fed.
func (l *loader) register(w *wf, e *Edge) {
	if e.FromStep == "" {
		w.used[e.FromPort] = true
	}
	if e.ToStep != "" {
		k := portKey{e.ToStep, e.ToPort}
		if first, dup := w.bound[k]; dup {
			l.errorf(e.Pos, "step %s: input %s is bound twice (first at %s); keep one", q(e.ToStep), q(e.ToPort), shortPos(first))
			return
		}
		w.bound[k] = e.Pos
	} else {
		if first, dup := w.produced[e.ToPort]; dup {
			l.errorf(e.Pos, "output %s is produced twice (first at %s); keep one", q(e.ToPort), shortPos(first))
			return
		}
		w.produced[e.ToPort] = e.Pos
	}
	w.t.Edges = append(w.t.Edges, e)
}

// checkWiring reports workflow outputs nothing produces, step inputs
// nothing feeds, and (as warnings) workflow inputs nothing reads.
func (l *loader) checkWiring(w *wf) {
	for _, p := range w.t.Outputs {
		if _, ok := w.produced[p.Name]; ok || w.wired[portKey{"", p.Name}] {
			continue
		}
		if w.f.json {
			l.errorf(p.Pos, "output %s is never produced: add a connection {\"name\": %q, \"output_step\": …, \"output\": …}", q(p.Name), p.Name)
		} else {
			l.errorf(p.Pos, "output %s is never produced: add `from: step.port`", q(p.Name))
		}
	}
	for _, s := range w.t.Steps {
		// Visualization steps are never run: their inputs may stay open.
		if s.Visualization || s.Task == nil {
			continue
		}
		for _, in := range s.Task.Inputs {
			k := portKey{s.Name, in.Name}
			if _, ok := w.bound[k]; !ok && !w.wired[k] && in.Default == nil {
				l.errorf(s.Pos, "step %s: input %s is not connected and has no default", q(s.Name), q(in.Name))
			}
		}
	}
	for _, p := range w.t.Inputs {
		if !w.used[p.Name] {
			l.warnf(p.Pos, "workflow input %s is not used by any step", q(p.Name))
		}
	}
}

func (w *wf) stepNames() []string {
	out := make([]string, 0, len(w.t.Steps))
	for _, s := range w.t.Steps {
		out = append(out, s.Name)
	}
	return out
}

func portNames(ps []*Port) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// suggestOrList ends a "no such port" message: a likely typo, else the
// ports there are.
func suggestOrList(name string, names []string, dir string) string {
	if s := didYouMean(name, names); s != "" {
		return s
	}
	if len(names) == 0 {
		return " (it has no " + dir + "s)"
	}
	return " (its " + dir + "s: " + strings.Join(names, ", ") + ")"
}

func outputsOf(s *Step) string {
	if s.Task == nil || len(s.Task.Outputs) == 0 {
		return ""
	}
	var refs []string
	for _, o := range s.Task.Outputs {
		refs = append(refs, s.Name+"."+o.Name)
	}
	return " (" + strings.Join(refs, ", ") + ")"
}
