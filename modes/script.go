package modes

import (
	"fmt"

	"github.com/truss-dev/truss/formats"
)

// Where names line `line` of a task's script for the user: the script
// file and line, or, for a script written inline in a spec, the spec line
// it falls on.
func (t *Task) Where(line int) string {
	switch {
	case t.ScriptFile != "":
		return fmt.Sprintf("%s line %d", t.ScriptFile, line)
	case t.ScriptLine > 0:
		return fmt.Sprintf("script line %d, spec line %d", line, t.ScriptLine+line-1)
	}
	return fmt.Sprintf("script line %d", line)
}

// PortLabel is " (type/format)" for a typed port named name, else "".
func PortLabel(ports []Port, name string) string {
	for _, p := range ports {
		if p.Name == name && p.Type != "" {
			return " (" + p.Type + "/" + p.Format + ")"
		}
	}
	return ""
}

// Crossing is how a port's value crosses into a script runtime.
type Crossing int

const (
	CrossData   Crossing = iota // JSON data
	CrossText                   // UTF-8 text
	CrossBytes                  // raw bytes
	CrossNative                 // the runtime's own serialisation (pickle, R serialize)
	CrossPath                   // a path
)

// CrossingOf says how port p's values cross into the runtime named
// runtime (formats.RuntimePython, formats.RuntimeR); an object of another
// runtime cannot.
func CrossingOf(p Port, runtime string) (Crossing, error) {
	if p.IsFilepath() {
		return CrossPath, nil
	}
	switch p.Runtime {
	case formats.RuntimeGo:
	case runtime:
		return CrossNative, nil
	default:
		return 0, fmt.Errorf("port %q is a %s object (%s/%s); %s cannot use it", p.Name, p.Runtime, p.Type, p.Format, runtime)
	}
	switch p.Rep {
	case formats.RepData:
		return CrossData, nil
	case formats.RepText:
		return CrossText, nil
	case formats.RepBinary:
		return CrossBytes, nil
	case formats.RepPath:
		return CrossPath, nil
	}
	return 0, fmt.Errorf("port %q has an unknown representation %v", p.Name, p.Rep)
}
