package cli

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/modes/cmdline"
	"github.com/truss-dev/truss/modes/docker"
	"github.com/truss-dev/truss/modes/python"
	rmode "github.com/truss-dev/truss/modes/r"
	"github.com/truss-dev/truss/modes/shell"
	"github.com/truss-dev/truss/spec"
	"github.com/truss-dev/truss/validators"
)

// registries are the format, converter and validator tables.
type registries struct {
	formats    *formats.Registry
	converters *converters.Registry
	validators *validators.Registry
}

func newRegistries() registries {
	f := formats.Default()
	return registries{formats: f, converters: converters.Default(f), validators: validators.Default(f)}
}

// compileOptions are the flags that change compilation.
type compileOptions struct {
	noValidate    bool
	noAutoConvert bool
	// hostRoots limits docker bind volumes (docker.allowed_host_paths).
	hostRoots []string
}

// loadAndCompile loads a spec and compiles it, printing every diagnostic
// (errors and warnings) to w. It fails with exit code 2 on any error.
func loadAndCompile(w io.Writer, regs registries, path string, co compileOptions) (*spec.Task, *dag.Plan, error) {
	task, diags := spec.LoadFile(path, spec.Options{Formats: regs.formats})
	if diags.HasErrors() || task == nil {
		// Compile what loaded, to report graph problems (cycles, formats) too.
		if task != nil {
			_, more := dag.Compile(task, dag.Options{Converters: regs.converters, NoValidate: co.noValidate, NoAutoConvert: co.noAutoConvert})
			for _, d := range more {
				if d.Code != spec.CodeUnknownFormat { // the loader reported those where they are declared
					diags = append(diags, d)
				}
			}
		}
		printDiagnostics(w, diags)
		return nil, nil, &ExitError{Code: ExitUsage, Msg: fmt.Sprintf("%s: %d problem(s); nothing was run", path, len(dedupe(diags).Errors()))}
	}
	plan, more := dag.Compile(task, dag.Options{Converters: regs.converters, NoValidate: co.noValidate, NoAutoConvert: co.noAutoConvert})
	diags = append(diags, more...)
	if plan != nil {
		diags = append(diags, checkCommands(plan, co.hostRoots)...)
		if diags.HasErrors() {
			plan = nil
		}
	}
	printDiagnostics(w, diags)
	if plan == nil {
		return nil, nil, &ExitError{Code: ExitUsage, Msg: fmt.Sprintf("%s: %d problem(s); nothing was run", path, len(dedupe(diags).Errors()))}
	}
	return task, plan, nil
}

// checkCommands checks the command lines of shell and docker steps
// ($input{} naming no port, output paths outside the data directory,
// volumes, pipes, docker_run_args, …) before anything runs.
func checkCommands(plan *dag.Plan, hostRoots []string) spec.Diagnostics {
	var out spec.Diagnostics
	for _, n := range plan.Nodes {
		if n.Step == nil || (n.Step.Task.Mode != "shell" && n.Step.Task.Mode != "docker") {
			continue
		}
		pos := n.Step.Task.Pos
		if n.Step.Spec != nil && n.Step.Spec.Pos.Line > 0 {
			pos = n.Step.Spec.Pos
		}
		cs := cmdline.FromSpec(n.Step.Name, n.Step.Task)
		var errs []error
		if n.Step.Task.Mode == "docker" {
			errs = docker.Check(cs, hostRoots)
		} else {
			errs = cs.Check()
		}
		for _, err := range errs {
			d := spec.Diagnostic{Pos: commandPos(n.Step.Task, err.Error(), pos), Message: "step " + n.Step.Name + ": " + err.Error()}
			if cmdline.IsWarning(err) {
				d.Severity = spec.Warning
			}
			out = append(out, d)
		}
	}
	return out
}

// commandPos places a command check's message: at the option or port it
// starts with ("container_args[1] …", "docker_run_args.cpus …",
// "output \"res\": …"), else at def (the step).
func commandPos(t *spec.Task, msg string, def spec.Pos) spec.Pos {
	key := msg
	if i := strings.IndexAny(key, "[. :"); i > 0 {
		key = key[:i]
	}
	if p, ok := t.OptionPos[key]; ok && p.Line > 0 {
		return p
	}
	for _, kind := range []struct {
		prefix string
		ports  []*spec.Port
	}{{"output ", t.Outputs}, {"port ", append(append([]*spec.Port{}, t.Inputs...), t.Outputs...)}} {
		rest, ok := strings.CutPrefix(msg, kind.prefix+`"`)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, `"`)
		for _, p := range kind.ports {
			if p.Name == name && p.Pos.Line > 0 {
				return p.Pos
			}
		}
	}
	return def
}

// dedupe drops repeated diagnostics and sorts them by position.
func dedupe(ds spec.Diagnostics) spec.Diagnostics {
	seen := map[string]bool{}
	var out spec.Diagnostics
	for _, d := range ds {
		k := d.String()
		if !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return out
}

func printDiagnostics(w io.Writer, ds spec.Diagnostics) {
	for _, d := range dedupe(ds) {
		fmt.Fprintln(w, d.String())
	}
}

// newModes starts the runtimes steps and runtime converters use. The
// python and R pools start their interpreters lazily, so a run without
// python or R steps pays nothing.
func (a *app) newModes(regs registries, jobs int) (modes.Set, func(), error) {
	exe, err := a.setting("python.executable")
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	py := modes.NewLazy(func() (modes.Mode, func() error, error) {
		m, err := python.New(python.Options{Executable: exe, Slots: jobs, Formats: regs.formats})
		if err != nil {
			return nil, nil, err
		}
		return m, m.Close, nil
	})
	rexe, err := a.setting("r.executable")
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	r := modes.NewLazy(func() (modes.Mode, func() error, error) {
		m, err := rmode.New(rmode.Options{Executable: rexe, Slots: jobs, Formats: regs.formats})
		if err != nil {
			return nil, nil, err
		}
		return m, m.Close, nil
	})
	dopts, err := a.dockerOptions()
	if err != nil {
		return nil, nil, err
	}
	d := docker.New(dopts)
	return modes.Set{"python": py, "r": r, "shell": shell.New(), "docker": d}, func() { _ = py.Close(); _ = r.Close(); _ = d.Close() }, nil
}

// dockerOptions reads the docker.* settings the mode uses.
func (a *app) dockerOptions() (docker.Options, error) {
	var o docker.Options
	roots, err := a.hostRoots()
	if err != nil {
		return o, err
	}
	o.AllowedHostPaths = roots
	gc, err := a.setting("docker.gc")
	if err != nil {
		return o, usageErr("%v", err)
	}
	o.KeepContainers, _ = strconv.ParseBool(gc)
	return o, nil
}

// hostRoots is docker.allowed_host_paths as a list (nil: no limit).
func (a *app) hostRoots() ([]string, error) {
	v, err := a.setting("docker.allowed_host_paths")
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return splitList(v), nil
}

// splitList reads a comma-separated setting.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
