// Package dag compiles a task or workflow spec into an immutable Plan: nodes
// for inputs, steps, inserted converters and validators, and outputs, with
// stable IDs, int-indexed adjacency and a topological order.
package dag

import (
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/spec"
)

// Kind is what a node does.
type Kind int

const (
	// KindInput brings a binding (or a port default) into the plan,
	// converted to the port's declared format.
	KindInput Kind = iota
	// KindValidate checks a value against its format and the port's
	// constraint.
	KindValidate
	// KindConvert runs one converter hop.
	KindConvert
	// KindStep runs a task in its mode.
	KindStep
	// KindOutput hands a workflow output to its binding.
	KindOutput
)

func (k Kind) String() string {
	return [...]string{"input", "validate", "convert", "step", "output"}[k]
}

// Ref names one output of a node: step nodes have one per output port;
// every other kind has a single output "value".
type Ref struct {
	Node int
	Port string
}

// ValuePort is the output port name of single-value nodes.
const ValuePort = "value"

// In is one input of a node: the node's port name and its producer.
type In struct {
	Port string
	From Ref
}

// Node is one unit of work in a Plan.
type Node struct {
	Index int
	// ID is stable across compilations of the same spec, so checkpoints
	// line up with a recompiled plan ("mul", "mul.in1~csv>rows", "inputs.x").
	ID       string
	Kind     Kind
	Inserted bool // added by the compiler (convert, validate)
	In       []In

	// Type and Format of the value a single-value node produces (for
	// step nodes, see Step.Task's outputs).
	Type   string
	Format string

	// Input, Output and Validate nodes: the port concerned.
	Port *spec.Port
	// Input nodes: External is true for a top-level input a caller binds;
	// otherwise the node feeds a port default.
	External bool

	// Convert nodes.
	Converter *converters.Converter

	// Validate nodes: Validate runs the format's validator, Constraint the
	// port's expression (either may be off).
	Validate   bool
	Constraint *Expr

	// Step nodes.
	Step *Step
}

// Step is what a step node runs.
type Step struct {
	// Name is the step's path: "mul", or "outer/inner" inside a sub-workflow.
	Name          string
	Spec          *spec.Step // nil for a plain task run on its own
	Task          *spec.Task
	When          *Expr
	Retries       int
	Timeout       time.Duration
	Validate      bool
	AutoConvert   bool
	Visualization bool
	// Scope is the workflow inputs a `when` expression sees (name → node).
	Scope map[string]Ref
}

// Expr is an expr-lang expression compiled once.
type Expr struct {
	Text    string
	Pos     spec.Pos
	Program *vm.Program
}

// Plan is a compiled task or workflow. It is never modified after Compile.
type Plan struct {
	Task  *spec.Task
	Nodes []*Node
	// Succ and Pred are the adjacency lists by node index.
	Succ [][]int
	Pred [][]int
	// Order is a topological order (producers first; declaration order
	// among independent nodes).
	Order []int
	// Inputs and Outputs map top-level port names to their nodes.
	Inputs  map[string]int
	Outputs map[string]int
	byID    map[string]int
}

// Node returns the node with a given ID.
func (p *Plan) Node(id string) (*Node, bool) {
	i, ok := p.byID[id]
	if !ok {
		return nil, false
	}
	return p.Nodes[i], true
}

// Counts tallies nodes by kind.
func (p *Plan) Counts() map[Kind]int {
	out := map[Kind]int{}
	for _, n := range p.Nodes {
		out[n.Kind]++
	}
	return out
}
