package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/truss-dev/truss/dag"
	"github.com/truss-dev/truss/engine"
	"github.com/truss-dev/truss/engine/store"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes/docker"
	"github.com/truss-dev/truss/spec"
)

// openStore opens the run store; one held by another truss is a usage
// error (exit 2) with the store's own message naming the pid.
func openStore(dir string) (*store.Store, error) {
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return st, nil
}

// runOptions are the flags a resumed run keeps.
type runOptions struct {
	NoValidate    bool `json:"no_validate,omitempty"`
	NoAutoConvert bool `json:"no_auto_convert,omitempty"`
	KeepWork      bool `json:"keep_work,omitempty"`
}

// recordSpec fills a run record with what resume needs: the spec and every
// file it pulled in (task files, scripts), the bindings and the flags.
func recordSpec(rec *store.Run, path string, task *spec.Task, in, out map[string]*spec.Binding, f runFlags) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	rec.SpecFile = abs
	rec.Bundle = map[string][]byte{}
	files := map[string]bool{abs: true}
	collectFiles(task, files)
	for p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("record spec file: %w", err)
		}
		rec.Bundle[p] = data
	}
	if rec.Inputs, err = json.Marshal(withoutSecrets(in)); err != nil {
		return err
	}
	if rec.Outputs, err = json.Marshal(withoutSecrets(out)); err != nil {
		return err
	}
	rec.Options, err = json.Marshal(runOptions{NoValidate: f.noValidate, NoAutoConvert: f.noAutoConvert, KeepWork: f.keepWork})
	return err
}

// collectFiles adds the task files and script files a spec loaded.
func collectFiles(t *spec.Task, files map[string]bool) {
	if t == nil {
		return
	}
	for _, p := range []string{t.File, t.ScriptFile} {
		if p != "" {
			if abs, err := filepath.Abs(p); err == nil {
				files[abs] = true
			}
		}
	}
	for _, st := range t.Steps {
		collectFiles(st.Task, files)
	}
}

// secretKeys are binding fields never written to the store or logs; a
// resumed run asks for them again.
func secretKeys() []string { return []string{"token", "headers", "password", "api_key"} }

func withoutSecrets(bs map[string]*spec.Binding) map[string]*spec.Binding {
	out := make(map[string]*spec.Binding, len(bs))
	for k, b := range bs {
		c := *b
		if len(b.Fields) > 0 {
			c.Fields = map[string]any{}
			for fk, fv := range b.Fields {
				c.Fields[fk] = fv
			}
			for _, s := range secretKeys() {
				delete(c.Fields, s)
			}
		}
		out[k] = &c
	}
	return out
}

func (a *app) resumeCmd() *cobra.Command {
	var f runFlags
	var storedSpec bool
	cmd := &cobra.Command{
		Use:   "resume RUN_ID",
		Short: "Continue a run: reuse what succeeded, run what failed or never ran",
		Long: `Continue a run that failed, was cancelled or was killed. Nodes that
succeeded are not executed again (their outputs come from the store); the
others run. The spec is read again from where it was (so a fixed script
runs again, with everything that depends on it), or from the copy the run
recorded when the file is gone or --stored-spec is given.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.resume(cmd.Context(), args[0], f, storedSpec)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.jobs, "jobs", 0, "nodes run at once (default: number of CPUs)")
	fl.StringVar(&f.store, "store", ".truss", "directory for run state and scratch")
	fl.BoolVar(&f.json, "json", false, "print one JSON document on stdout")
	fl.BoolVar(&f.noCache, "no-cache", false, "do not take outputs from other runs")
	fl.BoolVar(&storedSpec, "stored-spec", false, "use the spec files recorded with the run, not the ones on disk")
	return cmd
}

func (a *app) resume(ctx context.Context, id string, f runFlags, storedSpec bool) error {
	st, err := openStore(f.store)
	if err != nil {
		return err
	}
	defer st.Close()
	rec, err := st.Run(id)
	if err != nil {
		return usageErr("%v (see `truss runs`)", err)
	}
	var opts runOptions
	_ = json.Unmarshal(rec.Options, &opts)
	f.noValidate, f.noAutoConvert, f.keepWork = opts.NoValidate, opts.NoAutoConvert, opts.KeepWork
	path := rec.SpecFile
	if _, err := os.Stat(path); err != nil || storedSpec {
		if path, err = restoreBundle(st.Dir(), rec); err != nil {
			return &ExitError{Code: ExitFailed, Msg: err.Error()}
		}
		fmt.Fprintf(a.stderr, "resuming from the spec recorded with run %s\n", rec.ID)
	}
	regs := newRegistries()
	roots, err := a.hostRoots()
	if err != nil {
		return err
	}
	task, plan, err := loadAndCompile(a.stderr, regs, path, compileOptions{noValidate: f.noValidate, noAutoConvert: f.noAutoConvert, hostRoots: roots})
	if err != nil {
		return err
	}
	in, err := decodeBindings(rec.Inputs)
	if err != nil {
		return &ExitError{Code: ExitFailed, Msg: fmt.Sprintf("run %s: recorded input bindings unreadable: %v", rec.ID, err)}
	}
	out, err := decodeBindings(rec.Outputs)
	if err != nil {
		return &ExitError{Code: ExitFailed, Msg: fmt.Sprintf("run %s: recorded output bindings unreadable: %v", rec.ID, err)}
	}
	nodes, err := st.Nodes(rec.ID)
	if err != nil {
		return &ExitError{Code: ExitFailed, Msg: err.Error()}
	}
	previous := make(map[string]*store.Node, len(nodes))
	for _, n := range nodes {
		previous[n.ID] = n
	}
	rec.Status, rec.Updated = string(engine.Running), time.Now()
	if err := st.PutRun(rec); err != nil {
		return &ExitError{Code: ExitFailed, Msg: "store: " + err.Error()}
	}
	return a.execute(ctx, st, rec, regs, task, plan, in, out, f, previous)
}

// decodeBindings reads recorded bindings keeping integers integers: 1 and
// 1.0 are different values with different digests (and cache keys).
func decodeBindings(raw json.RawMessage) (map[string]*spec.Binding, error) {
	out := map[string]*spec.Binding{}
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	for _, b := range out {
		b.Data = formats.Normalize(b.Data)
		for k, v := range b.Fields {
			b.Fields[k] = formats.Normalize(v)
		}
	}
	return out, nil
}

// restoreBundle writes a run's recorded spec files under the store,
// mirroring their absolute paths, and returns the spec's path there.
func restoreBundle(storeDir string, rec *store.Run) (string, error) {
	root := filepath.Join(storeDir, "specs", rec.ID)
	for p, data := range rec.Bundle {
		dst := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return "", err
		}
	}
	if _, ok := rec.Bundle[rec.SpecFile]; !ok {
		return "", fmt.Errorf("run %s recorded no copy of its spec %s", rec.ID, rec.SpecFile)
	}
	return filepath.Join(root, rec.SpecFile), nil
}

func (a *app) runsCmd() *cobra.Command {
	var dir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			st, err := a.openRuns(dir)
			if err != nil {
				return err
			}
			defer st.Close()
			runs, err := st.Runs()
			if err != nil {
				return &ExitError{Code: ExitFailed, Msg: err.Error()}
			}
			if asJSON {
				type row struct {
					ID      string    `json:"run_id"`
					Status  string    `json:"status"`
					Spec    string    `json:"spec"`
					Created time.Time `json:"created"`
					Updated time.Time `json:"updated"`
					Error   string    `json:"error,omitempty"`
				}
				rows := make([]row, len(runs))
				for i, r := range runs {
					rows[i] = row{r.ID, r.Status, r.SpecFile, r.Created, r.Updated, r.Error}
				}
				return writeJSON(a.stdout, rows)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tSTATUS\tSTARTED\tTOOK\tSPEC")
			for _, r := range runs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Created.Local().Format("2006-01-02 15:04:05"),
					r.Updated.Sub(r.Created).Round(time.Millisecond), r.SpecFile)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&dir, "store", ".truss", "the store directory")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) showCmd() *cobra.Command {
	var dir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show RUN_ID",
		Short: "Nodes of a run with status, attempts, timings, errors and logs",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			src, err := a.openRuns(dir)
			if err != nil {
				return err
			}
			defer src.Close()
			rec, nodes, err := loadRun(src, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, map[string]any{"run_id": rec.ID, "status": rec.Status, "spec": rec.SpecFile,
					"created": rec.Created, "updated": rec.Updated, "error": rec.Error, "nodes": nodes})
			}
			fmt.Fprintf(a.stdout, "run %s: %s (%s)\nspec %s\n", rec.ID, rec.Status, rec.Updated.Sub(rec.Created).Round(time.Millisecond), rec.SpecFile)
			if rec.Error != "" {
				fmt.Fprintf(a.stdout, "error: %s\n", firstLine(rec.Error))
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NODE\tSTATUS\tATTEMPTS\tTOOK\tNOTE")
			for _, n := range nodes {
				note := n.Reason
				switch {
				case n.Error != "":
					note = firstLine(n.Error)
				case n.CachedFrom != "":
					note = "outputs from " + n.CachedFrom
				case n.Status == string(engine.Succeeded) && n.Reason != "":
					note = "ran again: " + n.Reason
				}
				if n.Progress != "" {
					note = strings.TrimSpace(note + "  progress: " + n.Progress)
				}
				if n.Log != "" {
					note += "  [log: truss logs " + rec.ID + " " + n.ID + "]"
				}
				took := ""
				if !n.Start.IsZero() && !n.End.IsZero() {
					took = n.End.Sub(n.Start).Round(time.Millisecond).String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", n.ID, n.Status, n.Attempts, took, note)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&dir, "store", ".truss", "the store directory")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// loadRun reads a run (by ID or unique prefix) and its nodes.
func loadRun(src runSource, id string) (*store.Run, []*store.Node, error) {
	rec, err := src.Run(id)
	if err != nil {
		return nil, nil, usageErr("%v (see `truss runs`)", err)
	}
	nodes, err := src.Nodes(rec.ID)
	if err != nil {
		return nil, nil, &ExitError{Code: ExitFailed, Msg: err.Error()}
	}
	return rec, nodes, nil
}

func (a *app) logsCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "logs RUN_ID [NODE]",
		Short: "Print a node's stdout/stderr (every node's, when NODE is absent)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			st, err := openStore(dir)
			if err != nil {
				return err
			}
			defer st.Close()
			rec, nodes, err := loadRun(st, args[0])
			if err != nil {
				return err
			}
			var ids []string
			found := false
			for _, n := range nodes {
				ids = append(ids, n.ID)
				if len(args) == 2 && n.ID != args[1] {
					continue
				}
				found = true
				if n.Log == "" {
					if len(args) == 2 {
						fmt.Fprintf(a.stderr, "node %s printed nothing\n", n.ID)
					}
					continue
				}
				if len(args) == 1 {
					fmt.Fprintf(a.stdout, "=== %s\n", n.ID)
				}
				f, err := os.Open(st.BlobPath(n.Log))
				if err != nil {
					return &ExitError{Code: ExitFailed, Msg: fmt.Sprintf("log of %s: %v", n.ID, err)}
				}
				_, err = io.Copy(a.stdout, f)
				f.Close()
				if err != nil {
					return err
				}
			}
			if !found {
				return usageErr("run %s has no node %q%s", rec.ID, args[1], suggestion(args[1], ids))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "store", ".truss", "the store directory")
	return cmd
}

func suggestion(name string, choices []string) string {
	if s := spec.Suggest(name, choices); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

func (a *app) gcCmd() *cobra.Command {
	var dir string
	var doStore, doDocker bool
	var opts store.GCOptions
	var dopts docker.GCOptions
	var maxBytes string
	cmd := &cobra.Command{
		Use:   "gc --store [--max-age D] [--keep N] [--max-bytes SIZE] | --docker [--images] [--all] [--dry-run]",
		Short: "Remove old runs and unreferenced blobs from the store; exited containers and unused images from Docker",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !doStore && !doDocker {
				return usageErr("say what to collect: --store (runs and blobs) and/or --docker (containers and images)")
			}
			if doDocker {
				if err := a.dockerGC(cmd.Context(), a.stdout, dopts); err != nil {
					return err
				}
			}
			if !doStore {
				return nil
			}
			if maxBytes != "" {
				n, err := parseSize(maxBytes)
				if err != nil {
					return usageErr("--max-bytes %q: %v", maxBytes, err)
				}
				opts.MaxBytes = n
			}
			st, err := openStore(dir)
			if err != nil {
				return err
			}
			rep, err := st.GC(opts)
			st.Close()
			if err != nil {
				return &ExitError{Code: ExitFailed, Msg: err.Error()}
			}
			// bbolt reuses freed pages but never shrinks its file; compacting
			// gives the space back.
			if err := store.Compact(dir); err != nil {
				return &ExitError{Code: ExitFailed, Msg: "compacting after gc: " + err.Error()}
			}
			fmt.Fprintf(a.stdout, "removed %d runs and %d blobs (%s); %s of blobs left; database compacted\n",
				rep.RunsRemoved, rep.BlobsRemoved, humanBytes(rep.BytesFreed), humanBytes(rep.BytesLeft))
			return nil
		},
	}
	cmd.Flags().BoolVar(&doStore, "store", false, "collect the run store")
	cmd.Flags().StringVar(&dir, "dir", ".truss", "the store directory")
	cmd.Flags().DurationVar(&opts.MaxAge, "max-age", 0, "remove runs older than this (e.g. 720h)")
	cmd.Flags().IntVar(&opts.KeepRuns, "keep", 0, "keep only the newest N runs")
	cmd.Flags().StringVar(&maxBytes, "max-bytes", "", "shrink the blobs to this size (e.g. 2GB), least recently used first")
	cmd.Flags().BoolVar(&doDocker, "docker", false, "remove containers that exited more than docker.cache_timeout ago, and those a dead truss left running")
	cmd.Flags().BoolVar(&dopts.Images, "images", false, "with --docker: also remove unused images older than docker.cache_timeout (except docker.exclude_images)")
	cmd.Flags().BoolVar(&dopts.All, "all", false, "with --docker: not only what truss created")
	cmd.Flags().BoolVar(&dopts.DryRun, "dry-run", false, "with --docker: print what would be removed, remove nothing")
	return cmd
}

// dockerGC runs the docker garbage collector with the docker.* settings
// and prints what it removed.
func (a *app) dockerGC(ctx context.Context, w io.Writer, o docker.GCOptions) error {
	timeout, err := a.setting("docker.cache_timeout")
	if err != nil {
		return usageErr("%v", err)
	}
	secs, err := strconv.Atoi(timeout)
	if err != nil || secs < 0 {
		return usageErr("docker.cache_timeout must be a number of seconds, not %q", timeout)
	}
	o.Grace = time.Duration(secs) * time.Second
	if secs == 0 {
		o.Grace = time.Nanosecond // 0 means "the default" to GC
	}
	ex, err := a.setting("docker.exclude_images")
	if err != nil {
		return usageErr("%v", err)
	}
	o.ExcludeImages = splitList(ex)
	eng, err := docker.Connect()
	if err != nil {
		return &ExitError{Code: ExitFailed, Msg: err.Error()}
	}
	defer eng.Close()
	if err := eng.Ping(ctx); err != nil {
		return &ExitError{Code: ExitFailed, Msg: "docker gc: " + err.Error()}
	}
	rep, err := docker.GC(ctx, eng, o)
	if err != nil {
		return &ExitError{Code: ExitFailed, Msg: err.Error()}
	}
	verb := "removed"
	if o.DryRun {
		verb = "would remove"
	}
	for _, c := range rep.Orphans {
		fmt.Fprintf(w, "%s container %s: still running, its truss process is gone\n", verb, c)
	}
	for _, c := range rep.Containers {
		fmt.Fprintf(w, "%s container %s\n", verb, c)
	}
	for _, i := range rep.Images {
		fmt.Fprintf(w, "%s image %s\n", verb, i)
	}
	fmt.Fprintf(w, "docker: %s %d containers (%d left behind by a dead truss) and %d images; %d containers kept\n",
		verb, len(rep.Containers)+len(rep.Orphans), len(rep.Orphans), len(rep.Images), rep.Kept)
	for _, e := range rep.Errors {
		fmt.Fprintf(a.stderr, "docker gc: %s\n", e)
	}
	if len(rep.Errors) > 0 {
		return &ExitError{Code: ExitFailed, Msg: fmt.Sprintf("docker gc: %d could not be removed", len(rep.Errors))}
	}
	return nil
}

// dockerGCEvery is Girder Worker's rate limit on the collection that runs
// after each job when docker.gc is on.
const dockerGCEvery = 10 * time.Minute

// autoDockerGC collects after a run with docker steps when docker.gc is
// true, at most every dockerGCEvery (a stamp file in the store says when
// it last ran). What it removed is reported on stderr.
func (a *app) autoDockerGC(ctx context.Context, storeDir string, plan *dag.Plan) {
	if ctx.Err() != nil || !hasDockerSteps(plan) {
		return
	}
	on, _ := a.setting("docker.gc")
	if b, _ := strconv.ParseBool(on); !b {
		return
	}
	stamp := filepath.Join(storeDir, "docker-gc.stamp")
	if fi, err := os.Stat(stamp); err == nil && time.Since(fi.ModTime()) < dockerGCEvery {
		return
	}
	if err := os.WriteFile(stamp, nil, 0o644); err != nil {
		return
	}
	now := time.Now()
	_ = os.Chtimes(stamp, now, now)
	if err := a.dockerGC(ctx, a.stderr, docker.GCOptions{}); err != nil {
		fmt.Fprintf(a.stderr, "truss: docker gc after the run: %v\n", err)
	}
}

func hasDockerSteps(plan *dag.Plan) bool {
	for _, n := range plan.Nodes {
		if n.Step != nil && n.Step.Task.Mode == "docker" {
			return true
		}
	}
	return false
}

func (a *app) storeCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{Use: "store check|compact", Short: "Check or repair the run store"}
	cmd.PersistentFlags().StringVar(&dir, "dir", ".truss", "the store directory")
	cmd.AddCommand(&cobra.Command{
		Use: "check", Short: "Verify the database and every referenced blob", Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			rep, err := store.Check(dir)
			if err != nil {
				return usageErr("%v", err)
			}
			fmt.Fprintf(a.stdout, "%s: %d runs, %d nodes, %d cache entries, %d blobs (%s, %d unreferenced)\n",
				dir, rep.Runs, rep.Nodes, rep.CacheEntries, rep.Blobs, humanBytes(rep.BlobBytes), rep.Unreferenced)
			for _, p := range rep.Problems {
				fmt.Fprintln(a.stdout, "problem: "+p)
			}
			if !rep.OK() {
				return &ExitError{Code: ExitFailed, Msg: fmt.Sprintf("%d problem(s); `truss store compact` rewrites the database from what is readable", len(rep.Problems))}
			}
			return nil
		},
	}, &cobra.Command{
		Use: "compact", Short: "Rewrite the database keeping only live records", Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if err := store.Compact(dir); err != nil {
				return &ExitError{Code: ExitFailed, Msg: err.Error()}
			}
			fmt.Fprintln(a.stdout, "compacted", dir)
			return nil
		},
	})
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, unit := range units {
		if num, ok := strings.CutSuffix(u, unit.suffix); ok {
			var n float64
			if _, err := fmt.Sscan(strings.TrimSpace(num), &n); err != nil || n < 0 {
				return 0, errors.New("expected a size like 500MB or 2GB")
			}
			return int64(n * float64(unit.mult)), nil
		}
	}
	var n int64
	if _, err := fmt.Sscan(u, &n); err != nil {
		return 0, errors.New("expected a size like 500MB or 2GB")
	}
	return n, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
