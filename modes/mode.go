// Package modes defines how a step's task runs in a runtime. Each mode
// (modes/python, modes/r, modes/docker, modes/shell) implements Mode; modes
// know nothing of the DAG.
package modes

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/truss-dev/truss/formats"
)

// Port is a task input or output as a mode sees it: resolved to its format,
// so the mode knows how the value crosses the runtime boundary.
type Port struct {
	Name   string
	Type   string // "" for untyped ports
	Format string
	// Rep and Runtime come from the format; an untyped port has RepData and
	// no runtime, and its value passes through as the runtime returns it.
	Rep     formats.Rep
	Runtime string
	// Target is "memory" (default) or "filepath": a filepath input is handed
	// to the script as a path, a filepath output is read back as a path.
	Target string
	// Command-line modes (shell, docker): Arg is what $flag{id} becomes
	// when the value is truthy ("" = the id); Path is where a filepath
	// output is found ("" = the id); Stream marks a named-pipe port.
	Arg    string
	Path   string
	Stream bool
}

// IsFilepath reports whether the port exchanges a path instead of a value.
func (p Port) IsFilepath() bool { return p.Target == "filepath" }

// Task is what a mode runs: a script (python, r) or a command (docker, shell).
type Task struct {
	// Name identifies the step in messages ("add3", "outer/inner").
	Name string
	Mode string
	// Script is the source; ScriptFile is where it came from ("" when
	// inline), and ScriptLine the spec line the inline script starts at, so
	// errors can point into the spec.
	Script     string
	ScriptFile string
	ScriptLine int
	Inputs     []Port
	Outputs    []Port
	// Options are mode-specific settings (docker_image, container_args, …).
	Options map[string]any
}

// Request is one execution of a task.
type Request struct {
	Task   *Task
	Inputs map[string]formats.Value
	// WorkDir is the node's scratch directory (_tempdir in python, tempdir
	// in R, the data volume in docker); it exists when Run is called.
	WorkDir string
	// Log receives the step's stdout and stderr.
	Log io.Writer
	// RunID and NodeID name the run and the plan node, for modes that
	// label what they create (docker containers).
	RunID, NodeID string
	// Progress, when set, receives the step's progress reports (docker's
	// progress pipe). It may be called from any goroutine.
	Progress func(Progress)
}

// Progress is a step's report of how far it got; a zero Total means
// unknown.
type Progress struct {
	Message        string
	Current, Total float64
}

// String is the report as one line: "3/4 message", or the message alone
// when the total is unknown.
func (p Progress) String() string {
	if p.Total > 0 {
		return strings.TrimSpace(fmt.Sprintf("%g/%g %s", p.Current, p.Total, p.Message))
	}
	return p.Message
}

// Identifier is implemented by modes whose results depend on more than the
// task's text — docker: the image a tag resolves to. Identity returns that
// (the image ID) and enters the node's cache key. It may prepare what Run
// then uses (pull the image); log receives what it reports.
type Identifier interface {
	Identity(ctx context.Context, t *Task, log io.Writer) (string, error)
}

// Mode runs tasks of one kind. Run must stop the work (and kill its
// processes) when ctx is cancelled.
type Mode interface {
	Run(ctx context.Context, req Request) (map[string]formats.Value, error)
}

// Set maps mode names to modes; converters and validators that run in a
// runtime find it here.
type Set map[string]Mode

// Get returns the named mode or a clear error.
func (s Set) Get(name string) (Mode, error) {
	m, ok := s[name]
	if !ok || m == nil {
		return nil, fmt.Errorf("mode %q is not available", name)
	}
	return m, nil
}

// StepError is an error raised by a task's own code (a Python exception, an
// R stop(), a non-zero exit). Message is meant for the user as is.
type StepError struct {
	Step    string
	Message string
	// Line is the line of the script the error points to (0 if unknown).
	Line int
}

func (e *StepError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("step %s, script line %d: %s", e.Step, e.Line, e.Message)
	}
	return fmt.Sprintf("step %s: %s", e.Step, e.Message)
}

// MissingOutputError reports an output the task did not produce.
type MissingOutputError struct {
	Step, Port string
	Hint       string
}

func (e *MissingOutputError) Error() string {
	msg := fmt.Sprintf("step %s: output %q was not set by the script", e.Step, e.Port)
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// ScratchFree is implemented by modes whose tasks never touch the work
// directory (in-process test modes, pure-Go modes): the engine then skips
// creating one, which costs a directory create per step.
type ScratchFree interface {
	ScratchFree()
}
