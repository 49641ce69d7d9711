// Package spec loads Girder Worker JSON and truss YAML task and workflow
// specs into one model, with file:line:col positions and diagnostics.
package spec

import (
	"fmt"
	"strings"
	"time"
)

// Pos is a place in a spec file (1-based line and column; 0 when unknown).
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "<spec>"
	case p.Line == 0:
		return p.File
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Severity of a diagnostic.
type Severity int

const (
	Error Severity = iota
	Warning
)

// Diagnostic is one problem found in a spec.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Message  string
	// Code classifies diagnostics other passes may repeat (CodeUnknownFormat).
	Code string
}

// CodeUnknownFormat marks a diagnostic about a type or format the registry
// does not know; the loader reports these where ports are declared, so a
// later pass that meets the same format again may drop its own.
const CodeUnknownFormat = "unknown-format"

func (d Diagnostic) String() string {
	if d.Severity == Warning {
		return d.Pos.String() + ": warning: " + d.Message
	}
	return d.Pos.String() + ": " + d.Message
}

// Diagnostics is every problem found in one pass; as an error it lists them
// one per line.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// HasErrors reports whether any diagnostic is an error (not a warning).
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the error diagnostics.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Port is a task or workflow input or output.
type Port struct {
	Pos Pos
	// Name is the port's identifier: `id` when the spec gives one, else
	// `name`. Label keeps `name` when both are given.
	Name        string
	Label       string
	Type        string // "" = untyped: passes through unchecked
	Format      string
	Target      string // "", "memory" or "filepath"
	Description string
	// Default is the binding used when the caller binds nothing.
	Default *Binding
	// Constraint is an expr-lang condition on `value`, checked by a
	// validate node ("value >= 0").
	Constraint    string
	ConstraintPos Pos
	// Filename names the file of a filepath input (inline data).
	Filename string
	// Docker/shell fields.
	Stream bool
	Path   string
	Arg    string
	// From is a workflow output's source "step.port" (truss sugar).
	From    string
	FromPos Pos
	// Extra keeps UI metadata (domain, x, y, …) the engine ignores.
	Extra map[string]any
}

// Binding is a Girder Worker input/output binding (reference 1.4, 1.5).
type Binding struct {
	Pos    Pos
	Mode   string // inline, local, http, girder, …; "" = auto-detect
	Format string
	Type   string
	// Data is the inline payload (HasData tells nil from absent).
	Data    any
	HasData bool
	URL     string
	Path    string
	Name    string
	// Fields keeps every key of the binding as written, for IO modes with
	// their own keys (headers, token, api_url, …).
	Fields map[string]any
}

// Task is a task or workflow spec after loading and normalisation.
type Task struct {
	Pos Pos
	// File is the spec file the task was loaded from ("" when inline).
	File string
	Name string
	Mode string // python (default), r, docker, shell, workflow
	// Description is free text (Girder Worker's analyses carry one).
	Description string

	Inputs  []*Port
	Outputs []*Port

	// Script source; ScriptFile is its file when it came from script_file
	// or script_uri, ScriptPos where inline script text starts.
	Script      string
	ScriptFile  string
	ScriptPos   Pos
	WriteScript bool

	Retries int
	Timeout time.Duration

	// Docker and shell fields, kept as written for modes/docker and
	// modes/shell (docker_image, container_args, entrypoint, pull_image,
	// docker_run_args, progress_pipe, user, command, volumes, pipes).
	// Only their shape is checked: docker_image and user are string;
	// pull_image and progress_pipe bool; container_args []string (numbers
	// kept as written); entrypoint and command string or []string;
	// docker_run_args map[string]any; volumes and pipes []any of
	// map[string]any.
	Options map[string]any
	// OptionPos is where each option's value starts, for messages.
	OptionPos map[string]Pos
	// Extra keeps Girder Worker metadata the engine ignores (cleanup,
	// _rm_container, x, y, domain, extensions, script_fetch_mode).
	Extra map[string]any

	// Workflow fields.
	Steps []*Step
	Edges []*Edge

	// Validate and AutoConvert are task-level switches (nil = inherit).
	Validate    *bool
	AutoConvert *bool
}

// IsWorkflow reports whether the task is a workflow.
func (t *Task) IsWorkflow() bool { return t.Mode == "workflow" }

// Input finds an input port by name.
func (t *Task) Input(name string) *Port {
	for _, p := range t.Inputs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Output finds an output port by name.
func (t *Task) Output(name string) *Port {
	for _, p := range t.Outputs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Step is a workflow step.
type Step struct {
	Pos  Pos
	Name string
	// Task is nil when its file could not be loaded. Steps that include
	// the same task file share one *Task.
	Task *Task
	// TaskFile is the file the task came from (`task: tasks/add.yaml`).
	TaskFile string
	// When is an expr-lang condition; false skips the step and what
	// depends on it.
	When    string
	WhenPos Pos
	// Visualization steps are never executed; their bound inputs are
	// reported (Girder Worker's _visualizations).
	Visualization bool
	// Step-level overrides (nil = the task's value).
	Retries     *int
	Timeout     *time.Duration
	Validate    *bool
	AutoConvert *bool
}

// Edge is one connection, from legacy `connections` or truss `in:`/`from:`.
type Edge struct {
	Pos Pos
	// FromStep is "" when the edge starts at a workflow input FromPort.
	FromStep string
	FromPort string
	// ToStep is "" when the edge ends at a workflow output ToPort.
	ToStep string
	ToPort string
}

// Step finds a step by name.
func (t *Task) Step(name string) *Step {
	for _, s := range t.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}
