// Package nodes executes one plan node: fetching an input, validating,
// converting, running a step in its mode, or handing over an output.
package nodes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/expr-lang/expr"

	"github.com/truss-dev/truss/bindings"
	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/spec"
	"github.com/truss-dev/truss/validators"
)

// Env is what a node may use while it executes.
type Env struct {
	Formats    *formats.Registry
	Converters *converters.Registry
	Validators *validators.Registry
	Modes      modes.Set
	// WorkDir is this node's scratch directory; it exists.
	WorkDir string
	// Log receives the node's output (a step's stdout and stderr).
	Log io.Writer
	// Binding is the caller's binding for an external input node (nil:
	// use the port's default).
	Binding *spec.Binding
	// BaseDir resolves relative paths in bindings.
	BaseDir string
	// RunID and NodeID label what a mode creates (docker containers).
	RunID, NodeID string
	// Progress receives a step's progress reports (nil: dropped).
	Progress func(modes.Progress)
}

func (e Env) convEnv() converters.Env {
	return converters.Env{WorkDir: e.WorkDir, Modes: e.Modes}
}

// Execute runs node n on its input values (keyed by the node's input port
// names) and returns its outputs (keyed by output port; single-value nodes
// use dag.ValuePort).
func Execute(ctx context.Context, n *dag.Node, in map[string]formats.Value, env Env) (map[string]formats.Value, error) {
	switch n.Kind {
	case dag.KindInput:
		v, err := fetchInput(ctx, n, env)
		if err != nil {
			return nil, err
		}
		return single(v), nil
	case dag.KindValidate:
		v := in[dag.ValuePort]
		if err := validate(ctx, n, v, env); err != nil {
			return nil, err
		}
		if n.Type != "" {
			v.Type, v.Format = n.Type, n.Format
		}
		return single(v), nil
	case dag.KindConvert:
		v, err := converters.Convert(ctx, env.convEnv(), n.Converter, in[dag.ValuePort])
		if err != nil {
			return nil, err
		}
		return single(v), nil
	case dag.KindStep:
		if n.Step.Visualization {
			return in, nil
		}
		return runStep(ctx, n, in, env)
	case dag.KindOutput:
		v, err := deliver(ctx, n, in[dag.ValuePort], env)
		if err != nil {
			return nil, err
		}
		return single(v), nil
	}
	return nil, fmt.Errorf("node %s: unknown kind %v", n.ID, n.Kind)
}

func single(v formats.Value) map[string]formats.Value {
	return map[string]formats.Value{dag.ValuePort: v}
}

// fetchInput reads the binding (or the default) and converts it to the
// port's declared format.
func fetchInput(ctx context.Context, n *dag.Node, env Env) (formats.Value, error) {
	p := n.Port
	b, baseDir := env.Binding, env.BaseDir
	if b == nil {
		// A default's relative paths are relative to the spec that holds it.
		b = p.Default
		if p.Pos.File != "" {
			baseDir = filepath.Dir(p.Pos.File)
		}
	}
	if b == nil {
		return formats.Value{}, fmt.Errorf("required input %q not provided", p.Name)
	}
	v, err := bindings.Fetch(ctx, env.Formats, b, p, baseDir)
	if err != nil {
		return formats.Value{}, fmt.Errorf("input %s: %w", p.Name, err)
	}
	if p.Type == "" || v.Format == p.Format {
		return v, nil
	}
	path, err := env.Converters.Path(p.Type, v.Format, p.Format)
	if err != nil {
		return formats.Value{}, fmt.Errorf("input %s: %w", p.Name, err)
	}
	for _, c := range path {
		fmt.Fprintf(env.Log, "input %s: convert %s/%s → %s\n", p.Name, c.Type, c.From, c.To)
	}
	out, err := converters.ConvertPath(ctx, env.convEnv(), path, v)
	if err != nil {
		return formats.Value{}, fmt.Errorf("input %s: %w", p.Name, err)
	}
	return out, nil
}

func validate(ctx context.Context, n *dag.Node, v formats.Value, env Env) error {
	what := "value"
	if n.Port != nil {
		what = "input " + n.Port.Name
	}
	if n.Validate {
		v.Type, v.Format = n.Type, n.Format
		if err := env.Validators.Validate(ctx, env.convEnv(), v); err != nil {
			return fmt.Errorf("%s is not valid %s/%s: %w", what, n.Type, n.Format, err)
		}
	}
	if n.Constraint != nil {
		ok, err := expr.Run(n.Constraint.Program, dag.ConstraintEnv{Value: Plain(v)})
		if err != nil {
			return fmt.Errorf("%s: constraint %q (%s) failed to evaluate: %w", what, n.Constraint.Text, n.Constraint.Pos, err)
		}
		if b, _ := ok.(bool); !b {
			return fmt.Errorf("%s = %s violates constraint %q (%s)", what, short(v), n.Constraint.Text, n.Constraint.Pos)
		}
	}
	return nil
}

// Plain is a value as expressions see it: data as is, text as a string,
// a path as its string.
func Plain(v formats.Value) any {
	switch {
	case v.Path != "":
		return v.Path
	case v.Bytes != nil:
		return string(v.Bytes)
	default:
		if r, ok := v.Data.(*formats.Rows); ok {
			rows := make([]any, len(r.Rows))
			for i := range r.Rows {
				rows[i] = r.Map(i)
			}
			fields := make([]any, len(r.Fields))
			for i, f := range r.Fields {
				fields[i] = f
			}
			return map[string]any{"fields": fields, "rows": rows}
		}
		return v.Data
	}
}

func short(v formats.Value) string {
	s := fmt.Sprint(Plain(v))
	if b, err := formats.EncodeJSON(Plain(v)); err == nil {
		s = string(b)
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// runStep runs a step's task in its mode and checks every output.
func runStep(ctx context.Context, n *dag.Node, in map[string]formats.Value, env Env) (map[string]formats.Value, error) {
	s := n.Step
	task := ModeTask(env.Formats, s.Name, s.Task)
	mode, err := env.Modes.Get(task.Mode)
	if err != nil {
		return nil, fmt.Errorf("step %s: %w", s.Name, err)
	}
	inputs := make(map[string]formats.Value, len(in))
	for _, p := range s.Task.Inputs {
		v, ok := in[p.Name]
		if !ok {
			continue
		}
		if p.Type != "" {
			v.Type, v.Format = p.Type, p.Format
		}
		inputs[p.Name] = v
	}
	outs, err := mode.Run(ctx, modes.Request{Task: task, Inputs: inputs, WorkDir: env.WorkDir, Log: env.Log,
		RunID: env.RunID, NodeID: env.NodeID, Progress: env.Progress})
	if err != nil {
		var se *modes.StepError
		var mo *modes.MissingOutputError
		if errors.As(err, &se) || errors.As(err, &mo) || ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("step %s: %w", s.Name, err)
	}
	result := make(map[string]formats.Value, len(s.Task.Outputs))
	for _, p := range s.Task.Outputs {
		v, ok := outs[p.Name]
		if !ok {
			return nil, &modes.MissingOutputError{Step: s.Name, Port: p.Name}
		}
		if p.Type != "" {
			v.Type, v.Format = p.Type, p.Format
			if s.Validate {
				if err := env.Validators.Validate(ctx, env.convEnv(), v); err != nil {
					return nil, fmt.Errorf("step %s: output %s is not valid %s/%s: %w", s.Name, p.Name, p.Type, p.Format, err)
				}
			}
		}
		result[p.Name] = v
	}
	return result, nil
}

// Identity is what a step's results depend on beyond its definition and
// inputs, for its cache key: the image ID of a docker step (resolving, and
// if the task asks pulling, the image). It is "" for other nodes.
func Identity(ctx context.Context, n *dag.Node, env Env) (string, error) {
	if n.Kind != dag.KindStep || n.Step.Visualization {
		return "", nil
	}
	// Every step passes here before its cache lookup: find the mode
	// before building its task, which only Identifiers need.
	name := n.Step.Task.Mode
	if name == "" {
		name = "python"
	}
	mode, err := env.Modes.Get(name)
	if err != nil {
		return "", nil // Execute reports it
	}
	id, ok := mode.(modes.Identifier)
	if !ok {
		return "", nil
	}
	task := ModeTask(env.Formats, n.Step.Name, n.Step.Task)
	log := env.Log
	if log == nil {
		log = io.Discard
	}
	s, err := id.Identity(ctx, task, log)
	if err != nil {
		return "", fmt.Errorf("step %s: %w", n.Step.Name, err)
	}
	return s, nil
}

// ModeTask resolves a spec task into what a mode runs.
func ModeTask(reg *formats.Registry, name string, t *spec.Task) *modes.Task {
	mode := t.Mode
	if mode == "" {
		mode = "python"
	}
	mt := &modes.Task{Name: name, Mode: mode, Script: t.Script, ScriptFile: t.ScriptFile, ScriptLine: t.ScriptPos.Line, Options: t.Options}
	port := func(p *spec.Port) modes.Port {
		mp := modes.Port{Name: p.Name, Type: p.Type, Format: p.Format, Target: p.Target, Arg: p.Arg, Path: p.Path, Stream: p.Stream}
		if f, ok := reg.Lookup(p.Type, p.Format); ok {
			mp.Rep, mp.Runtime = f.Rep, f.Runtime
		}
		return mp
	}
	for _, p := range t.Inputs {
		mt.Inputs = append(mt.Inputs, port(p))
	}
	for _, p := range t.Outputs {
		mt.Outputs = append(mt.Outputs, port(p))
	}
	return mt
}

// deliver converts an output to the format its binding asks for and pushes
// it (a local file, or kept inline for the result).
func deliver(ctx context.Context, n *dag.Node, v formats.Value, env Env) (formats.Value, error) {
	b := env.Binding
	if b == nil {
		return v, nil
	}
	if b.Format != "" && n.Type != "" && b.Format != v.Format {
		path, err := env.Converters.Path(n.Type, v.Format, b.Format)
		if err != nil {
			return formats.Value{}, fmt.Errorf("output %s: %w", n.Port.Name, err)
		}
		if v, err = converters.ConvertPath(ctx, env.convEnv(), path, v); err != nil {
			return formats.Value{}, fmt.Errorf("output %s: %w", n.Port.Name, err)
		}
	}
	if err := bindings.Push(ctx, v, b, env.Formats, env.BaseDir); err != nil {
		return formats.Value{}, fmt.Errorf("output %s: %w", n.Port.Name, err)
	}
	return v, nil
}
