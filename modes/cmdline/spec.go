// Package cmdline is what the command modes (shell now, docker later)
// share: expansion of the $input{}, $flag{}, $output{} and $tempdir tokens
// of a task's arguments (Girder Worker reference 5.2), the checks of those
// tokens and of the output ports that can run before anything starts
// (reference 5.4), filepath inputs given a file in the data directory, and
// the collection of _stdout, _stderr and filepath outputs.
//
// The data directory is the node's work dir on the host (DataDir). The
// command sees it at MountDir: the same path for shell, DataVolume inside a
// docker container.
package cmdline

import (
	"fmt"
	"strings"

	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/spec"
)

// DataVolume is where Girder Worker mounts the data directory in a
// container; output paths may be written relative to it, or absolute under
// it, in both docker and shell tasks.
const DataVolume = "/mnt/girder_worker/data"

// Port is a task port with the fields command tasks use.
type Port struct {
	modes.Port // Arg, Path and Stream are the fields this package reads
}

// FlagArg is the text $flag{} puts in place of a truthy value.
func (p Port) FlagArg() string {
	if p.Arg != "" {
		return p.Arg
	}
	return p.Name
}

// OutPath is the output's path as written (its path field, else its id).
func (p Port) OutPath() string {
	if p.Path != "" {
		return p.Path
	}
	return p.Name
}

// IsStd reports a _stdout or _stderr port.
func (p Port) IsStd() bool { return p.Name == "_stdout" || p.Name == "_stderr" }

// Spec is a command task as expansion and collection see it.
type Spec struct {
	Step    string // step name, for messages
	Mode    string // "shell" or "docker", for messages
	Inputs  []Port
	Outputs []Port
	Options map[string]any
}

// FromTask builds a Spec from what a mode receives. modes.Port carries no
// arg, path or stream field, so those take their defaults (the port id);
// callers that know them (FromSpec, or a later modes.Port) set them.
func FromTask(t *modes.Task) *Spec {
	s := &Spec{Step: t.Name, Mode: t.Mode, Options: t.Options}
	for _, p := range t.Inputs {
		s.Inputs = append(s.Inputs, Port{Port: p})
	}
	for _, p := range t.Outputs {
		s.Outputs = append(s.Outputs, Port{Port: p})
	}
	return s
}

// FromSpec builds a Spec from a spec task, with the arg, path and stream
// fields of its ports: for checks at compile time.
func FromSpec(name string, t *spec.Task) *Spec {
	s := &Spec{Step: name, Mode: t.Mode, Options: t.Options}
	conv := func(p *spec.Port) Port {
		return Port{Port: modes.Port{Name: p.Name, Type: p.Type, Format: p.Format, Target: p.Target,
			Arg: p.Arg, Path: p.Path, Stream: p.Stream}}
	}
	for _, p := range t.Inputs {
		s.Inputs = append(s.Inputs, conv(p))
	}
	for _, p := range t.Outputs {
		s.Outputs = append(s.Outputs, conv(p))
	}
	return s
}

func (s *Spec) input(id string) (Port, bool) {
	for _, p := range s.Inputs {
		if p.Name == id {
			return p, true
		}
	}
	return Port{}, false
}

func (s *Spec) output(id string) (Port, bool) {
	for _, p := range s.Outputs {
		if p.Name == id {
			return p, true
		}
	}
	return Port{}, false
}

// modeTitle is "Shell" or "Docker" for messages modelled on Girder
// Worker's ("Docker outputs must be …").
func (s *Spec) modeTitle() string {
	if s.Mode == "" {
		return "Docker"
	}
	return strings.ToUpper(s.Mode[:1]) + s.Mode[1:]
}

func names(ps []Port) string {
	if len(ps) == 0 {
		return "(none)"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return strings.Join(out, ", ")
}

// StringList reads a container_args, command or entrypoint option: a list
// of strings (numbers kept as written) or, when allowString, one string
// (Girder Worker wraps a string entrypoint into a one-element list).
func StringList(key string, v any, allowString bool) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if allowString {
			return []string{x}, nil
		}
	case []string:
		return append([]string(nil), x...), nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			switch e := e.(type) {
			case string:
				out[i] = e
			case int, int64, float64, bool:
				out[i] = PyStr(e)
			default:
				return nil, fmt.Errorf("%s[%d] must be a string, not %T", key, i, e)
			}
		}
		return out, nil
	}
	if allowString {
		return nil, fmt.Errorf("%s must be a string or a list of strings, not %T", key, v)
	}
	return nil, fmt.Errorf("%s must be a list of strings, not %T", key, v)
}
