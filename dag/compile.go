package dag

import (
	"fmt"
	"regexp"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/spec"
)

// Options control compilation.
type Options struct {
	// Converters is the converter graph used to insert convert nodes.
	Converters *converters.Registry
	// NoValidate turns validate nodes off (--no-validate); steps and tasks
	// may still turn validation on or off for themselves.
	NoValidate bool
	// NoAutoConvert turns conversion off (--no-auto-convert): a format
	// mismatch is then an error, as in Girder Worker.
	NoAutoConvert bool
}

// source is a value available in a workflow scope: where it comes from and
// what it is.
type source struct {
	ref    Ref
	typ    string
	format string
	what   string // for messages: "workflow input x", "step add3 output b"
}

type convKey struct {
	ref    Ref
	format string
}

type compiler struct {
	opts  Options
	plan  *Plan
	diags spec.Diagnostics
	conv  map[convKey]Ref // memoised convert chains: one per (value, target format)
	check map[Ref]Ref     // memoised validate nodes on untyped values
}

// Compile turns a loaded task or workflow into a Plan. Diagnostics hold
// every problem found (type mismatches, missing converter paths, cycles,
// bad expressions); the plan is nil when any is an error.
func Compile(task *spec.Task, opts Options) (*Plan, spec.Diagnostics) {
	c := &compiler{
		opts:  opts,
		plan:  &Plan{Task: task, Inputs: map[string]int{}, Outputs: map[string]int{}, byID: map[string]int{}},
		conv:  map[convKey]Ref{},
		check: map[Ref]Ref{},
	}
	validate := !opts.NoValidate
	if task.Validate != nil {
		validate = *task.Validate
	}
	autoConvert := !opts.NoAutoConvert
	if task.AutoConvert != nil {
		autoConvert = *task.AutoConvert
	}
	scope := map[string]source{}
	for _, p := range task.Inputs {
		n := c.add(&Node{ID: "input:" + p.Name, Kind: KindInput, Port: p, External: true, Type: p.Type, Format: p.Format}, p.Pos)
		c.plan.Inputs[p.Name] = n.Index
		src := source{ref: Ref{n.Index, ValuePort}, typ: p.Type, format: p.Format, what: "workflow input " + p.Name}
		scope[p.Name] = c.guard(src, p, n.ID, validate)
	}
	var outs map[string]source
	if task.IsWorkflow() {
		outs = c.workflow("", task, scope, validate, autoConvert)
	} else {
		outs = c.single(task, scope, validate, autoConvert)
	}
	for _, p := range task.Outputs {
		src, ok := outs[p.Name]
		if !ok {
			continue // spec reports outputs with no source
		}
		ref, ok := c.convert(src, p.Type, p.Format, "output "+p.Name, autoConvert, validate, p.Pos)
		if !ok {
			continue
		}
		n := c.add(&Node{ID: "output:" + p.Name, Kind: KindOutput, Port: p, Type: p.Type, Format: p.Format,
			In: []In{{Port: ValuePort, From: ref}}}, p.Pos)
		c.plan.Outputs[p.Name] = n.Index
	}
	if c.diags.HasErrors() {
		return nil, c.diags
	}
	c.link()
	return c.plan, c.diags
}

// single compiles a task that is not a workflow as a one-step plan.
func (c *compiler) single(task *spec.Task, scope map[string]source, validate, autoConvert bool) map[string]source {
	name := "task"
	if simpleName.MatchString(task.Name) {
		name = task.Name
	}
	st := &spec.Step{Pos: task.Pos, Name: name, Task: task}
	edges := make([]*spec.Edge, 0, len(task.Inputs))
	for _, p := range task.Inputs {
		edges = append(edges, &spec.Edge{Pos: p.Pos, FromPort: p.Name, ToStep: name, ToPort: p.Name})
	}
	return c.step("", st, edges, scope, map[string]map[string]source{}, validate, autoConvert)
}

var simpleName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// workflow compiles the steps of wf under prefix, given the sources of its
// inputs, and returns the sources of its outputs.
func (c *compiler) workflow(prefix string, wf *spec.Task, scope map[string]source, validate, autoConvert bool) map[string]source {
	order, _ := c.stepOrder(prefix, wf) // a cycle is reported; the rest still compiles
	into := map[string][]*spec.Edge{}
	for _, e := range wf.Edges {
		if e.ToStep != "" {
			into[e.ToStep] = append(into[e.ToStep], e)
		}
	}
	produced := map[string]map[string]source{}
	for _, st := range order {
		produced[st.Name] = c.step(prefix, st, into[st.Name], scope, produced, validate, autoConvert)
	}
	outs := map[string]source{}
	for _, e := range wf.Edges {
		if e.ToStep != "" {
			continue
		}
		var src source
		var ok bool
		if e.FromStep == "" {
			src, ok = scope[e.FromPort]
		} else {
			src, ok = produced[e.FromStep][e.FromPort]
		}
		if ok {
			outs[e.ToPort] = src
		}
	}
	return outs
}

// step compiles one step (a task, or an inlined sub-workflow) and returns
// the sources of its outputs.
func (c *compiler) step(prefix string, st *spec.Step, edges []*spec.Edge, scope map[string]source, produced map[string]map[string]source, validate, autoConvert bool) map[string]source {
	name := prefix + st.Name
	task := st.Task
	if task == nil {
		return nil
	}
	if st.Validate != nil {
		validate = *st.Validate
	} else if task.Validate != nil {
		validate = *task.Validate
	}
	if st.AutoConvert != nil {
		autoConvert = *st.AutoConvert
	} else if task.AutoConvert != nil {
		autoConvert = *task.AutoConvert
	}
	bound := map[string]*spec.Edge{}
	for _, e := range edges {
		bound[e.ToPort] = e
	}
	var ins []In
	inner := map[string]source{}
	for _, p := range task.Inputs {
		consumer := fmt.Sprintf("step %s input %s", name, p.Name)
		var src source
		if e, ok := bound[p.Name]; ok {
			var found bool
			if e.FromStep == "" {
				src, found = scope[e.FromPort]
			} else {
				src, found = produced[e.FromStep][e.FromPort]
			}
			if !found {
				continue // spec reports dangling connections
			}
		} else if p.Default != nil {
			n := c.add(&Node{ID: name + "." + p.Name + "~default", Kind: KindInput, Port: p, Type: p.Type, Format: p.Format}, p.Pos)
			src = source{ref: Ref{n.Index, ValuePort}, typ: p.Type, format: p.Format, what: "default of " + consumer}
			src = c.guard(src, p, n.ID, validate)
		} else {
			continue // spec reports unconnected inputs without default
		}
		ref, ok := c.convert(src, p.Type, p.Format, consumer, autoConvert, validate, p.Pos)
		if !ok {
			continue
		}
		if _, connected := bound[p.Name]; connected && p.Constraint != "" {
			// defaults were checked by their guard already
			ref = c.constrain(ref, p, name+"."+p.Name)
		}
		if task.IsWorkflow() {
			inner[p.Name] = source{ref: ref, typ: p.Type, format: p.Format, what: "input " + p.Name + " of sub-workflow " + name}
		} else {
			ins = append(ins, In{Port: p.Name, From: ref})
		}
	}
	if task.IsWorkflow() {
		return c.workflow(name+"/", task, inner, validate, autoConvert)
	}
	s := &Step{Name: name, Spec: st, Task: task, Retries: task.Retries, Timeout: task.Timeout,
		Validate: validate, AutoConvert: autoConvert, Visualization: st.Visualization}
	if st.Retries != nil {
		s.Retries = *st.Retries
	}
	if st.Timeout != nil {
		s.Timeout = *st.Timeout
	}
	if st.When != "" {
		s.When = c.compileExpr(st.When, st.WhenPos, WhenEnv{}, "when", "inputs.NAME")
		s.Scope = map[string]Ref{}
		for k, v := range scope {
			s.Scope[k] = v.ref
		}
	}
	n := c.add(&Node{ID: name, Kind: KindStep, Step: s, In: ins}, st.Pos)
	outs := map[string]source{}
	for _, p := range task.Outputs {
		outs[p.Name] = source{ref: Ref{n.Index, p.Name}, typ: p.Type, format: p.Format, what: "step " + name + " output " + p.Name}
	}
	return outs
}
