package bindings

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/spec"
)

// UsageError is a problem with what the caller bound (exit code 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }

// InputFlags turns `-i NAME=VALUE` and `-i NAME=@PATH` into bindings for
// task's inputs. VALUE is a YAML scalar (or flow collection) in the port's
// format; text formats take the text as is. @PATH binds a local file whose
// format is the port's, or the one its extension names when the port's
// type has it.
func InputFlags(task *spec.Task, reg *formats.Registry, flags []string, baseDir string) (map[string]*spec.Binding, error) {
	out := map[string]*spec.Binding{}
	for _, fl := range flags {
		name, value, ok := strings.Cut(fl, "=")
		if !ok || name == "" {
			return nil, usagef("-i %q: expected NAME=VALUE or NAME=@PATH", fl)
		}
		port := task.Input(name)
		if port == nil {
			return nil, usagef("-i %s: the spec has no input %q%s", fl, name, didYouMean(name, portNames(task.Inputs)))
		}
		if path, isFile := strings.CutPrefix(value, "@"); isFile {
			out[name] = fileBinding(reg, port, path, baseDir)
			continue
		}
		data, err := scalar(reg, port, value)
		if err != nil {
			return nil, usagef("-i %s: %v", fl, err)
		}
		out[name] = &spec.Binding{Mode: "inline", Format: port.Format, Data: data, HasData: true}
	}
	return out, nil
}

// fileBinding binds a local file in the port's format, or in the format
// its extension names when the port's type has one (flu.csv for table/rows
// is read as csv and converted).
func fileBinding(reg *formats.Registry, port *spec.Port, path, baseDir string) *spec.Binding {
	format := port.Format
	if ext := strings.TrimPrefix(filepath.Ext(path), "."); ext != "" && port.Type != "" {
		if f, ok := reg.ByExtension(port.Type, ext); ok {
			format = f.Name
		}
	}
	return &spec.Binding{Mode: "local", Path: absPath(path, baseDir), Format: format}
}

func scalar(reg *formats.Registry, port *spec.Port, text string) (any, error) {
	if port.Type != "" {
		if f, ok := reg.Lookup(port.Type, port.Format); ok && f.Rep != formats.RepData {
			return text, nil
		}
		if port.Type == "string" {
			return text, nil
		}
	}
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("not a YAML value: %v", err)
	}
	return normalizeYAML(v), nil
}

// OutputFlags turns `-o NAME=FORMAT` and `-o NAME=@PATH` into output
// bindings: another format for the inline result, or a local file written
// in the format its extension names (the port's format otherwise).
func OutputFlags(task *spec.Task, reg *formats.Registry, flags []string, baseDir string) (map[string]*spec.Binding, error) {
	out := map[string]*spec.Binding{}
	for _, fl := range flags {
		name, value, ok := strings.Cut(fl, "=")
		if !ok || name == "" || value == "" {
			return nil, usagef("-o %q: expected NAME=FORMAT or NAME=@PATH", fl)
		}
		port := task.Output(name)
		if port == nil {
			return nil, usagef("-o %s: the spec has no output %q%s", fl, name, didYouMean(name, portNames(task.Outputs)))
		}
		if path, isFile := strings.CutPrefix(value, "@"); isFile {
			out[name] = fileBinding(reg, port, path, baseDir)
			continue
		}
		if port.Type != "" {
			if _, ok := reg.Lookup(port.Type, value); !ok {
				return nil, usagef("-o %s: %v", fl, unknownFormat(reg, port.Type, value))
			}
		}
		out[name] = &spec.Binding{Mode: "inline", Format: value}
	}
	return out, nil
}

// CheckBindings reports bindings naming no port of the task.
func CheckBindings(task *spec.Task, in, out map[string]*spec.Binding) error {
	for _, name := range slices.Sorted(maps.Keys(in)) {
		if task.Input(name) == nil {
			return usagef("input binding %q names no input of the spec%s", name, didYouMean(name, portNames(task.Inputs)))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(out)) {
		if task.Output(name) == nil {
			return usagef("output binding %q names no output of the spec%s", name, didYouMean(name, portNames(task.Outputs)))
		}
	}
	return nil
}

// Missing lists required inputs (no binding, no default), sorted.
func Missing(task *spec.Task, in map[string]*spec.Binding) []string {
	var out []string
	for _, p := range task.Inputs {
		if _, ok := in[p.Name]; !ok && p.Default == nil {
			out = append(out, p.Name)
		}
	}
	return out
}

func portNames(ps []*spec.Port) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// didYouMean suggests the closest name, or lists the choices.
func didYouMean(name string, choices []string) string {
	if best := spec.Suggest(name, choices); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	if len(choices) == 0 {
		return " (it has none)"
	}
	return fmt.Sprintf(" (it has: %s)", strings.Join(choices, ", "))
}
