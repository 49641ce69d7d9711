package dag

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/spec"
)

// add appends a node, reporting an ID collision (possible with legacy step
// names such as "input:x").
func (c *compiler) add(n *Node, pos spec.Pos) *Node {
	if _, dup := c.plan.byID[n.ID]; dup {
		c.errorf(pos, "node id %q is used twice: rename the step", n.ID)
	}
	n.Index = len(c.plan.Nodes)
	c.plan.Nodes = append(c.plan.Nodes, n)
	c.plan.byID[n.ID] = n.Index
	return n
}

func (c *compiler) errorf(pos spec.Pos, format string, args ...any) {
	c.diags = append(c.diags, spec.Diagnostic{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

// uniqueID returns id, or id with a numeric suffix when two converter
// chains from one value pass the same hop at different depths.
func (c *compiler) uniqueID(id string) string {
	if _, taken := c.plan.byID[id]; !taken {
		return id
	}
	for k := 2; ; k++ {
		cand := fmt.Sprintf("%s#%d", id, k)
		if _, taken := c.plan.byID[cand]; !taken {
			return cand
		}
	}
}

// refName is how a value is named in node IDs: "add3.b", "input:x".
// Validate nodes pass values through unchanged, so they are named after
// what they check.
func (c *compiler) refName(r Ref) string {
	n := c.plan.Nodes[r.Node]
	for n.Kind == KindValidate {
		r = n.In[0].From
		n = c.plan.Nodes[r.Node]
	}
	if r.Port == ValuePort {
		return n.ID
	}
	return n.ID + "." + r.Port
}

// guard inserts the validate node that checks a value entering from outside
// (a binding or a default) against its port's format and constraint.
func (c *compiler) guard(src source, p *spec.Port, id string, validate bool) source {
	check := validate && p.Type != ""
	if !check && p.Constraint == "" {
		return src
	}
	n := &Node{ID: id + "~validate", Kind: KindValidate, Inserted: true, Port: p, Type: p.Type, Format: p.Format,
		Validate: check, In: []In{{Port: ValuePort, From: src.ref}}}
	if p.Constraint != "" {
		n.Constraint = c.compileExpr(p.Constraint, p.ConstraintPos, ConstraintEnv{}, "constraint", "value")
	}
	c.add(n, p.Pos)
	src.ref = Ref{n.Index, ValuePort}
	return src
}

// constrain inserts a validate node checking a port's constraint on a value
// produced inside the workflow.
func (c *compiler) constrain(ref Ref, p *spec.Port, id string) Ref {
	n := c.add(&Node{ID: id + "~check", Kind: KindValidate, Inserted: true, Port: p, Type: p.Type, Format: p.Format,
		Constraint: c.compileExpr(p.Constraint, p.ConstraintPos, ConstraintEnv{}, "constraint", "value"),
		In:         []In{{Port: ValuePort, From: ref}}}, p.Pos)
	return Ref{n.Index, ValuePort}
}

// convert returns a reference to src in typ/format, inserting one convert
// node per hop of the cheapest converter path. Chains are shared: two
// consumers wanting the same format of one value use the same nodes.
func (c *compiler) convert(src source, typ, format, consumer string, autoConvert, validate bool, pos spec.Pos) (Ref, bool) {
	switch {
	case typ == "":
		return src.ref, true // untyped consumer: passes through
	case src.typ == "":
		// An untyped producer feeding a typed port: check the value there.
		if !validate {
			return src.ref, true
		}
		if r, ok := c.check[src.ref]; ok {
			return r, true
		}
		n := c.add(&Node{ID: c.refName(src.ref) + "~validate", Kind: KindValidate, Inserted: true,
			Type: typ, Format: format, Validate: true, In: []In{{Port: ValuePort, From: src.ref}}}, pos)
		r := Ref{n.Index, ValuePort}
		c.check[src.ref] = r
		return r, true
	case src.typ != typ:
		c.errorf(pos, "%s wants type %s but %s is of type %s (types are never converted into one another)", consumer, typ, src.what, src.typ)
		return Ref{}, false
	case src.format == format:
		return src.ref, true
	case !autoConvert:
		c.errorf(pos, "%s wants %s/%s but %s is %s/%s, and auto_convert is off", consumer, typ, format, src.what, typ, src.format)
		return Ref{}, false
	}
	if c.opts.Converters == nil {
		c.errorf(pos, "%s needs a conversion from %s/%s to %s/%s but no converters are loaded", consumer, typ, src.format, typ, format)
		return Ref{}, false
	}
	path, err := c.opts.Converters.Path(typ, src.format, format)
	if err != nil {
		var np *converters.NoPathError
		if errors.As(err, &np) {
			c.errorf(pos, "%s wants %s/%s but %s is %s/%s: %v", consumer, typ, format, src.what, typ, src.format, err)
		} else {
			c.diags = append(c.diags, spec.Diagnostic{Pos: pos, Code: spec.CodeUnknownFormat, Message: fmt.Sprintf("%s: %v", consumer, err)})
		}
		return Ref{}, false
	}
	ref := src.ref
	origin := c.refName(src.ref)
	for _, hop := range path {
		key := convKey{ref, hop.To}
		if r, ok := c.conv[key]; ok {
			ref = r
			continue
		}
		n := c.add(&Node{ID: c.uniqueID(origin + "~" + hop.From + ">" + hop.To), Kind: KindConvert, Inserted: true,
			Converter: hop, Type: typ, Format: hop.To, In: []In{{Port: ValuePort, From: ref}}}, pos)
		ref = Ref{n.Index, ValuePort}
		c.conv[key] = ref
	}
	return ref, true
}

// ConstraintEnv is what a port's constraint sees: the value, as data, text
// or a path.
type ConstraintEnv struct {
	Value any `expr:"value"`
}

// WhenEnv is what a step's `when` sees: the enclosing workflow's inputs.
type WhenEnv struct {
	Inputs map[string]any `expr:"inputs"`
}

// compileExpr compiles an expression once against a typed environment
// (ConstraintEnv or WhenEnv); names lists what the expression may use.
func (c *compiler) compileExpr(text string, pos spec.Pos, env any, what, names string) *Expr {
	prog, err := expr.Compile(text, expr.Env(env), expr.AsBool())
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n") // the rest is a caret picture
		c.errorf(pos, "%s %q does not compile: %s (it may use %s)", what, text, msg, names)
		return nil
	}
	return &Expr{Text: text, Pos: pos, Program: prog}
}
