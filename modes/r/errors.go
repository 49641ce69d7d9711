package r

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
)

// childResult is the header the child writes after running a step.
type childResult struct {
	OK      bool   `json:"ok"`
	Stage   string `json:"stage"` // input, parse, script, output, missing, internal
	Port    string `json:"port"`
	Line    int    `json:"line"`
	Message string `json:"message"`
	Outputs []struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
	} `json:"outputs"`
	Missing []string `json:"missing"`
	Names   []string `json:"names"`
}

// collect reads the child's result and its outputs.
func collect(t *modes.Task, r *request, pid int) (map[string]formats.Value, error) {
	h, err := os.ReadFile(r.Result)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("step %s: the R process (pid %d) exited before reporting its outputs (quit() in the script, or killed?)", t.Name, pid)
		}
		return nil, fmt.Errorf("step %s: %w", t.Name, err)
	}
	var res childResult
	if err := json.Unmarshal(h, &res); err != nil {
		return nil, fmt.Errorf("step %s: unreadable result from R: %w", t.Name, err)
	}
	if !res.OK {
		return nil, failure(t, &res)
	}
	ports := make(map[string]modes.Port, len(t.Outputs))
	files := make(map[string]string, len(r.Outputs))
	for _, p := range t.Outputs {
		ports[p.Name] = p
	}
	for _, o := range r.Outputs {
		files[o.Name] = o.File
	}
	out := make(map[string]formats.Value, len(res.Outputs))
	for _, o := range res.Outputs {
		v, err := readOutput(t.Name, ports[o.Name], o.Kind, files[o.Name])
		if err != nil {
			return nil, err
		}
		out[o.Name] = v
	}
	return out, nil
}

// failure turns a failed child result into the step's error.
func failure(t *modes.Task, res *childResult) error {
	switch res.Stage {
	case "script", "parse":
		msg := res.Message
		if res.Line > 0 && (t.ScriptFile != "" || t.ScriptLine > 0) {
			msg += " (" + t.Where(res.Line) + ")"
		}
		return &modes.StepError{Step: t.Name, Line: res.Line, Message: msg}
	case "input":
		return fmt.Errorf("step %s: input %q: %s", t.Name, res.Port, res.Message)
	case "output":
		return fmt.Errorf("step %s: output %q%s %s", t.Name, res.Port, modes.PortLabel(t.Outputs, res.Port), res.Message)
	case "missing":
		errs := make([]error, len(res.Missing))
		for i, name := range res.Missing {
			errs[i] = &modes.MissingOutputError{Step: t.Name, Port: name, Hint: hint(res.Names)}
		}
		if len(errs) == 1 {
			return errs[0]
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("step %s: R: %s", t.Name, res.Message)
}

// hint lists the variables the script did set, for a missing output.
func hint(names []string) string {
	sort.Strings(names)
	switch {
	case len(names) == 0:
		return "the script set no variables"
	case len(names) > 12:
		return "the script set " + quoteList(names[:12]) + ", …"
	}
	return "the script set " + quoteList(names)
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
