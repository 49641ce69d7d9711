package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/truss-dev/truss/bindings"
	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/engine"
	"github.com/truss-dev/truss/engine/store"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/spec"
)

type runFlags struct {
	inputs, outputs         []string
	inputsFile, outputsFile string
	noValidate              bool
	noAutoConvert           bool
	jobs                    int
	store                   string
	json                    bool
	dryRun                  bool
	keepWork                bool
	noCache                 bool
}

func (a *app) runCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run SPEC",
		Short: "Run a task or workflow",
		Long: `Run a task or workflow spec (YAML, or Girder Worker JSON).

Inputs: -i NAME=VALUE (a YAML value in the port's format) or -i NAME=@PATH
(a local file; its extension may name another format of the port's type,
which is then converted). Outputs: -o NAME=FORMAT asks for another format,
-o NAME=@PATH writes the output to a file.

Exit codes: 0 success; 1 a node failed or the run was cancelled; 2 a problem
found before anything ran (usage, spec, bindings).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run(cmd.Context(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.inputs, "input", "i", nil, "bind an input: NAME=VALUE or NAME=@PATH (repeatable)")
	fl.StringVar(&f.inputsFile, "inputs", "", "YAML or JSON file mapping input names to bindings")
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "bind an output: NAME=FORMAT or NAME=@PATH (repeatable)")
	fl.StringVar(&f.outputsFile, "outputs", "", "YAML or JSON file mapping output names to bindings")
	fl.BoolVar(&f.noValidate, "no-validate", false, "do not insert validate nodes")
	fl.BoolVar(&f.noAutoConvert, "no-auto-convert", false, "do not insert converters: a format mismatch is an error")
	fl.IntVar(&f.jobs, "jobs", 0, "nodes run at once (default: number of CPUs)")
	fl.StringVar(&f.store, "store", ".truss", "directory for run state and scratch")
	fl.BoolVar(&f.json, "json", false, "print one JSON document on stdout")
	fl.BoolVar(&f.dryRun, "dry-run", false, "compile and bind, print the plan, run nothing")
	fl.BoolVar(&f.keepWork, "keep-work", false, "keep scratch directories of a successful run")
	fl.BoolVar(&f.noCache, "no-cache", false, "run every node, even those whose outputs an earlier run computed")
	return cmd
}

func (a *app) run(ctx context.Context, path string, f runFlags) error {
	regs := newRegistries()
	roots, err := a.hostRoots()
	if err != nil {
		return err
	}
	task, plan, err := loadAndCompile(a.stderr, regs, path, compileOptions{noValidate: f.noValidate, noAutoConvert: f.noAutoConvert, hostRoots: roots})
	if err != nil {
		return err
	}
	cwd, _ := os.Getwd()
	in, out, err := a.bind(task, regs, f, cwd)
	if err != nil {
		return err
	}
	if f.dryRun {
		if err := plan.WriteText(a.stdout); err != nil {
			return err
		}
		for _, name := range slices.Sorted(maps.Keys(in)) {
			b := in[name]
			fmt.Fprintf(a.stdout, "input %s: %s\n", name, describeBinding(b))
		}
		return nil
	}
	st, err := openStore(f.store)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	rec := &store.Run{V: 1, ID: engine.NewRunID(now), Status: string(engine.Running), Created: now, Updated: now}
	if err := recordSpec(rec, path, task, in, out, f); err != nil {
		return usageErr("%v", err)
	}
	if err := st.PutRun(rec); err != nil {
		return &ExitError{Code: ExitFailed, Msg: "store: " + err.Error()}
	}
	return a.execute(ctx, st, rec, regs, task, plan, in, out, f, nil)
}

// execute runs a compiled plan as run rec (new, or resumed with the
// records of its earlier attempt), keeps the run record up to date and
// prints the outcome.
func (a *app) execute(ctx context.Context, st *store.Store, rec *store.Run, regs registries, task *spec.Task, plan *dag.Plan,
	in, out map[string]*spec.Binding, f runFlags, previous map[string]*store.Node) error {
	ms, closeModes, err := a.newModes(regs, f.jobs)
	if err != nil {
		return err
	}
	defer closeModes()

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cwd, _ := os.Getwd()
	prog := a.newProgress(plan, f.json)
	live := newLiveStatus(st.Dir(), rec, plan)
	defer live.close()
	onEvent := func(e engine.Event) { prog.event(e); live.event(e) }
	onProgress := func(n *dag.Node, p modes.Progress) {
		text := p.String()
		prog.report(n, text)
		live.progress(n, text)
	}
	res, err := engine.Run(ctx, plan, engine.Options{
		RunID: rec.ID, Jobs: f.jobs, Formats: regs.formats, Converters: regs.converters, Validators: regs.validators,
		Modes: ms, WorkDir: filepath.Join(st.Dir(), "work", rec.ID), KeepWork: f.keepWork,
		BaseDir: cwd, Inputs: in, Outputs: out, OnEvent: onEvent, OnProgress: onProgress,
		Store: st, NoCache: f.noCache, Previous: previous,
	})
	prog.done()
	if err != nil {
		return &ExitError{Code: ExitFailed, Msg: err.Error()}
	}
	rec.Status, rec.Updated, rec.Error = string(res.Status), time.Now(), ""
	if len(res.Failures) > 0 {
		rec.Error = res.Failures[0].Node + ": " + res.Failures[0].Message
	}
	if err := st.PutRun(rec); err != nil {
		fmt.Fprintf(a.stderr, "truss: could not record the run's end in the store: %v\n", err)
	}
	a.autoDockerGC(ctx, st.Dir(), plan)
	if f.json {
		if err := a.writeRunJSON(regs, plan, res); err != nil {
			return err
		}
	} else {
		a.writeRunText(regs, task, res)
		if res.Status != engine.Succeeded && resumable(res) {
			hint := "truss resume " + res.RunID
			if f.store != ".truss" {
				hint += " --store " + f.store
			}
			fmt.Fprintf(a.stderr, "to continue once fixed: %s (what succeeded is reused)\n", hint)
		}
	}
	if res.Status != engine.Succeeded {
		return &ExitError{Code: ExitFailed}
	}
	return nil
}

// bind gathers input and output bindings from files and flags and checks
// them against the spec: unknown names and missing required inputs are
// usage errors (exit 2), found before anything runs.
func (a *app) bind(task *spec.Task, regs registries, f runFlags, cwd string) (map[string]*spec.Binding, map[string]*spec.Binding, error) {
	in := map[string]*spec.Binding{}
	out := map[string]*spec.Binding{}
	for _, file := range []struct {
		path string
		dst  map[string]*spec.Binding
	}{{f.inputsFile, in}, {f.outputsFile, out}} {
		if file.path == "" {
			continue
		}
		bs, diags := spec.LoadBindings(file.path)
		if diags.HasErrors() {
			printDiagnostics(a.stderr, diags)
			return nil, nil, usageErr("%s: bindings file has errors", file.path)
		}
		dir := filepath.Dir(file.path)
		for k, b := range bs {
			if b.Path != "" && !filepath.IsAbs(b.Path) {
				b.Path = filepath.Join(dir, b.Path)
			}
			file.dst[k] = b
		}
	}
	fi, err := bindings.InputFlags(task, regs.formats, f.inputs, cwd)
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	fo, err := bindings.OutputFlags(task, regs.formats, f.outputs, cwd)
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	for k, b := range fi {
		in[k] = b
	}
	for k, b := range fo {
		out[k] = b
	}
	if err := bindings.CheckBindings(task, in, out); err != nil {
		return nil, nil, usageErr("%v", err)
	}
	if missing := bindings.Missing(task, in); len(missing) > 0 {
		hints := make([]string, len(missing))
		for i, m := range missing {
			p := task.Input(m)
			hints[i] = fmt.Sprintf("-i %s=VALUE", m)
			if p.Type != "" {
				hints[i] += fmt.Sprintf(" (%s/%s)", p.Type, p.Format)
			}
		}
		return nil, nil, usageErr("missing required input(s) %s: bind with %s", strings.Join(missing, ", "), strings.Join(hints, ", "))
	}
	for _, name := range slices.Sorted(maps.Keys(in)) {
		if err := checkBinding(regs, task.Input(name), in[name], cwd); err != nil {
			return nil, nil, usageErr("input %s: %v", name, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(out)) {
		b, p := out[name], task.Output(name)
		if b.Format != "" && p.Type != "" {
			if _, err := regs.converters.Path(p.Type, p.Format, b.Format); err != nil {
				return nil, nil, usageErr("output %s: %v", name, err)
			}
		}
	}
	return in, out, nil
}

// checkBinding catches what would fail before anything runs: an unknown
// format, a conversion that cannot happen, a local file that is missing.
func checkBinding(regs registries, p *spec.Port, b *spec.Binding, cwd string) error {
	if p.Type != "" && b.Format != "" {
		if _, ok := regs.formats.Lookup(p.Type, b.Format); !ok {
			return fmt.Errorf("unknown format %s/%s (known %s formats: %s)", p.Type, b.Format, p.Type, strings.Join(regs.formats.FormatNames(p.Type), ", "))
		}
		if _, err := regs.converters.Path(p.Type, b.Format, p.Format); err != nil {
			return err
		}
	}
	switch bindings.Mode(b) {
	case "local":
		path := b.Path
		if path == "" {
			path = strings.TrimPrefix(b.URL, "file://")
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(cwd, path)
		}
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("cannot read %s: %w", path, unwrapPath(err))
		}
	case "inline":
		if !b.HasData {
			return fmt.Errorf("binding has no data (give data:, path: or url:)")
		}
	default:
		return fmt.Errorf("input mode %q is not supported yet (supported: inline, local)", bindings.Mode(b))
	}
	return nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func describeBinding(b *spec.Binding) string {
	switch bindings.Mode(b) {
	case "local":
		return fmt.Sprintf("local file %s (%s)", b.Path, b.Format)
	default:
		d, _ := formats.EncodeJSON(b.Data)
		s := string(d)
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		return fmt.Sprintf("inline %s (%s)", s, b.Format)
	}
}

// writeRunText prints a run's outcome for a person.
func (a *app) writeRunText(regs registries, task *spec.Task, res *engine.Result) {
	fmt.Fprintf(a.stderr, "run %s %s in %s (%s)\n", res.RunID, res.Status, res.Elapsed.Round(time.Millisecond), nodeCounts(res))
	for _, f := range res.Failures {
		fmt.Fprintf(a.stderr, "error: %s: %s\n", f.Node, indentRest(f.Message))
		for _, n := range res.Nodes {
			if n.ID == f.Node && n.Log != "" {
				fmt.Fprintf(a.stderr, "  log: %s\n", n.Log)
			}
		}
	}
	if res.Status == engine.Succeeded && res.WorkDir != "" {
		fmt.Fprintf(a.stderr, "files kept in %s\n", res.WorkDir)
	} else if res.Status != engine.Succeeded && hasFiles(res.WorkDir) {
		fmt.Fprintf(a.stderr, "scratch kept for debugging in %s\n", res.WorkDir)
	}
	for _, p := range task.Outputs {
		v, ok := res.Outputs[p.Name]
		if !ok {
			if res.Status == engine.Succeeded {
				fmt.Fprintf(a.stderr, "output %s was not produced: %s\n", p.Name, outputReason(res, p.Name))
			}
			continue
		}
		text := showValue(regs, v)
		sep := ": "
		if strings.HasPrefix(text, "\n") {
			sep = ":"
		}
		fmt.Fprintf(a.stdout, "%s%s%s\n", p.Name, sep, indentRest(text))
	}
}

// outputReason says why an output node did not run ("when … is false").
func outputReason(res *engine.Result, name string) string {
	for _, n := range res.Nodes {
		if n.ID == "output:"+name && n.Reason != "" {
			return n.Reason
		}
	}
	return "its producer did not run"
}

func nodeCounts(res *engine.Result) string {
	var parts []string
	for _, s := range []engine.Status{engine.Succeeded, engine.Cached, engine.Failed, engine.Skipped, engine.Cancelled} {
		if n := res.Count(s); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return fmt.Sprintf("%d nodes: %s", len(res.Nodes), strings.Join(parts, ", "))
}

func indentRest(s string) string {
	s = strings.TrimRight(s, "\n")
	return strings.ReplaceAll(s, "\n", "\n  ")
}

// showValue renders a value for the terminal: data as JSON, text as is,
// binary as a size, files as their path.
func showValue(regs registries, v formats.Value) string {
	switch {
	case v.Path != "":
		abs, _ := filepath.Abs(v.Path)
		return abs
	case v.Bytes != nil:
		if f, ok := regs.formats.Lookup(v.Type, v.Format); ok && f.Rep == formats.RepText {
			s := string(v.Bytes)
			if strings.Contains(strings.TrimRight(s, "\n"), "\n") {
				return "\n" + s
			}
			return s
		}
		return fmt.Sprintf("<%d bytes of %s/%s; use -o %s=@FILE to save>", len(v.Bytes), v.Type, v.Format, "NAME")
	default:
		b, err := formats.EncodeJSON(v.Data)
		if err != nil {
			return fmt.Sprintf("<%v>", err)
		}
		return string(b)
	}
}

// runDocument is the `truss run --json` document.
type runDocument struct {
	RunID          string                        `json:"run_id"`
	Status         string                        `json:"status"`
	Outputs        map[string]bindings.JSONValue `json:"outputs"`
	Nodes          map[string]int                `json:"nodes"`
	Error          *runError                     `json:"error,omitempty"`
	Errors         []runError                    `json:"errors,omitempty"`
	Visualizations []visualization               `json:"visualizations,omitempty"`
}

type runError struct {
	Node    string `json:"node"`
	Message string `json:"message"`
}

type visualization struct {
	Mode   string                        `json:"mode"`
	Type   any                           `json:"type"`
	Inputs map[string]bindings.JSONValue `json:"inputs"`
}

func (a *app) writeRunJSON(regs registries, plan *dag.Plan, res *engine.Result) error {
	doc := runDocument{RunID: res.RunID, Status: string(res.Status), Outputs: map[string]bindings.JSONValue{},
		Nodes: map[string]int{"succeeded": res.Count(engine.Succeeded), "cached": res.Count(engine.Cached), "skipped": res.Count(engine.Skipped),
			"failed": res.Count(engine.Failed), "cancelled": res.Count(engine.Cancelled)}}
	for name, v := range res.Outputs {
		jv, err := bindings.ToJSON(regs.formats, v)
		if err != nil {
			return err
		}
		doc.Outputs[name] = jv
	}
	for _, f := range res.Failures {
		doc.Errors = append(doc.Errors, runError{Node: f.Node, Message: f.Message})
	}
	if len(doc.Errors) > 0 {
		doc.Error = &doc.Errors[0]
	}
	for _, vz := range res.Visualizations {
		entry := visualization{Mode: "preset", Type: stepLabel(vz.Step), Inputs: map[string]bindings.JSONValue{}}
		for port, v := range vz.Inputs {
			jv, err := bindings.ToJSON(regs.formats, v)
			if err != nil {
				return err
			}
			entry.Inputs[port] = jv
		}
		doc.Visualizations = append(doc.Visualizations, entry)
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// stepLabel keeps integer step names (Girder Worker's legacy specs) numeric.
func stepLabel(name string) any {
	var n json.Number = json.Number(name)
	if _, err := n.Int64(); err == nil {
		return n
	}
	return name
}

// resumable says whether `truss resume` can help: not when only inputs
// were rejected, since a resumed run binds the same values again.
func resumable(res *engine.Result) bool {
	if len(res.Failures) == 0 {
		return true // cancelled
	}
	for _, f := range res.Failures {
		if !strings.HasPrefix(f.Node, "input:") {
			return true
		}
	}
	return false
}

// hasFiles reports whether a directory exists and holds anything.
func hasFiles(dir string) bool {
	if dir == "" {
		return false
	}
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) > 0
}
