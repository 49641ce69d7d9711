package cmdline

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/truss-dev/truss/modes"
)

// Warning is a Check finding that does not stop a run (an unknown
// $flag{} id, which Girder Worker expands to nothing).
type Warning struct{ Msg string }

func (w *Warning) Error() string { return w.Msg }

// IsWarning reports whether err is a *Warning.
func IsWarning(err error) bool {
	var w *Warning
	return errors.As(err, &w)
}

// Check validates a command task without running it: the shape of
// command, entrypoint and container_args, every token in them ($input{}
// and $output{} must name a port; $flag{} naming no input is a *Warning;
// $kind{} tokens other than input, flag, output and the extra kinds the
// caller handles, e.g. docker's "volume" and "pipe", are errors), and the
// outputs (reference 5.4: _stdout, _stderr or filepath outputs whose path
// is relative or under DataVolume). Errors carry no step name; callers
// place them.
func Check(t *modes.Task, extraKinds ...string) []error {
	return FromTask(t).Check(extraKinds...)
}

// Check is the package-level Check on a Spec (FromSpec keeps the ports'
// arg and path fields, which Check then also verifies).
func (s *Spec) Check(extraKinds ...string) []error {
	var errs []error
	for _, p := range s.Outputs {
		switch {
		case p.IsStd():
		case p.IsFilepath():
			if _, err := s.relOutput(p); err != nil {
				errs = append(errs, err)
			}
		default:
			errs = append(errs, fmt.Errorf("output %q: %s outputs must be either \"_stdout\", \"_stderr\", or filepath-target outputs.", p.Name, s.modeTitle()))
		}
	}
	for _, key := range []string{"command", "entrypoint", "container_args"} {
		v, ok := s.Options[key]
		if !ok {
			continue
		}
		args, err := StringList(key, v, key != "container_args")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if key == "entrypoint" {
			continue // not expanded, as in Girder Worker
		}
		for i, a := range args {
			for _, m := range tokenRe.FindAllStringSubmatch(a, -1) {
				if err := s.checkToken(m[0], m[1], m[2], extraKinds); err != nil {
					errs = append(errs, fmt.Errorf("%s[%d] %q: %w", key, i, a, err))
				}
			}
		}
	}
	if s.Mode == "shell" {
		_, hasCmd := s.Options["command"]
		_, hasEntry := s.Options["entrypoint"]
		switch {
		case hasCmd && hasEntry:
			errs = append(errs, errors.New("a shell task takes command or entrypoint, not both"))
		case !hasCmd && !hasEntry:
			errs = append(errs, errors.New("a shell task has nothing to run: add command: [tool, arg…] (or entrypoint: tool with container_args)"))
		}
		for _, k := range []string{"docker_image", "pull_image", "docker_run_args", "progress_pipe", "volumes", "pipes"} {
			if _, ok := s.Options[k]; ok {
				errs = append(errs, fmt.Errorf("%s is a docker setting; a shell task runs on the host without it", k))
			}
		}
	}
	return errs
}

func (s *Spec) checkToken(tok, kind, id string, extra []string) error {
	switch kind {
	case "input":
		if id == "" {
			return nil // `$input{}` matches no token: left as written
		}
		if _, ok := s.input(id); ok || id == "_tempdir" {
			return nil
		}
		return fmt.Errorf("Could not expand token: %s. The task's inputs are: %s", tok, names(s.Inputs))
	case "output":
		if id == "" {
			return nil
		}
		p, ok := s.output(id)
		if !ok {
			return fmt.Errorf("Could not expand token: %s. The task's outputs are: %s", tok, names(s.Outputs))
		}
		_, err := s.relOutput(p)
		return err
	case "flag":
		if id == "" {
			return nil
		}
		if _, ok := s.input(id); !ok {
			return &Warning{Msg: fmt.Sprintf("%s names no input, so it expands to nothing (inputs: %s)", tok, names(s.Inputs))}
		}
		return nil
	}
	if slices.Contains(extra, kind) {
		return nil
	}
	known := append([]string{"$input{}", "$flag{}", "$output{}"}, extra...)
	for i := 3; i < len(known); i++ {
		known[i] = "$" + known[i] + "{}"
	}
	return fmt.Errorf("unknown token %s: %s tasks take %s and $tempdir", tok, strings.ToLower(s.modeTitle()), strings.Join(known, ", "))
}
