// Package converters holds the converter registry, the weighted converter
// graph with memoised shortest paths, the Go-native converters and the
// runtime converters (snippets run through a mode).
package converters

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
)

// Edge weights: Go-native hops are cheap, runtime hops start a process.
const (
	WeightGo     = 1
	WeightPython = 10
	WeightR      = 20
	WeightLossy  = 100
)

// Env is what a converter may use while it runs.
type Env struct {
	// WorkDir is a scratch directory owned by the calling node.
	WorkDir string
	// Modes runs runtime converters (python, r).
	Modes modes.Set
	// MaxExtractBytes caps what archive extraction may write (0: default).
	MaxExtractBytes int64
}

// Func converts in (of the converter's From format) into the To format.
type Func func(ctx context.Context, env Env, in formats.Value) (formats.Value, error)

// Converter is one edge of the converter graph.
type Converter struct {
	Type    string
	From    string
	To      string
	Runtime string // formats.RuntimeGo, RuntimePython or RuntimeR
	Lossy   bool
	// Version enters the cache key of convert nodes: bump it when the
	// output of the converter changes.
	Version string
	Run     Func
	// Script is the runtime snippet (python, r) when Runtime is not Go;
	// it reads variable `input` and sets `output`.
	Script string

	from, to formats.Format // resolved by Add
}

// Key is "type/from->to".
func (c *Converter) Key() string { return c.Type + "/" + c.From + "->" + c.To }

// Weight is the edge cost used to choose paths.
func (c *Converter) Weight() int {
	w := WeightGo
	switch c.Runtime {
	case formats.RuntimePython:
		w = WeightPython
	case formats.RuntimeR:
		w = WeightR
	}
	if c.Lossy {
		w += WeightLossy
	}
	return w
}

// Registry holds converters by edge; build it with New or Default.
type Registry struct {
	formats *formats.Registry
	edges   map[string]*Converter   // by Key
	out     map[string][]*Converter // by "type/from"
	paths   *pathCache
}

// New returns an empty converter registry over a format registry.
func New(reg *formats.Registry) *Registry {
	return &Registry{formats: reg, edges: map[string]*Converter{}, out: map[string][]*Converter{}, paths: newPathCache()}
}

// Formats is the format registry the converters are defined over.
func (r *Registry) Formats() *formats.Registry { return r.formats }

// Add registers a converter; both endpoints must be registered formats.
func (r *Registry) Add(c Converter) error {
	var ok bool
	if c.from, ok = r.formats.Lookup(c.Type, c.From); !ok {
		return fmt.Errorf("converter %s: unknown format %s/%s", c.Key(), c.Type, c.From)
	}
	if c.to, ok = r.formats.Lookup(c.Type, c.To); !ok {
		return fmt.Errorf("converter %s: unknown format %s/%s", c.Key(), c.Type, c.To)
	}
	if c.Run == nil && c.Script == "" {
		return fmt.Errorf("converter %s has neither a Go function nor a script", c.Key())
	}
	if c.Version == "" {
		c.Version = "1"
	}
	p := &c
	k := c.Key()
	if _, dup := r.edges[k]; dup {
		return fmt.Errorf("converter %s registered twice", k)
	}
	r.edges[k] = p
	from := c.Type + "/" + c.From
	r.out[from] = append(r.out[from], p)
	sort.Slice(r.out[from], func(i, j int) bool { return r.out[from][i].To < r.out[from][j].To })
	r.paths.reset()
	return nil
}

// MustAdd is Add for the built-in tables; a mistake there is a programming error.
func (r *Registry) MustAdd(c Converter) {
	if err := r.Add(c); err != nil {
		panic(err)
	}
}

// Get returns the converter of one edge.
func (r *Registry) Get(typ, from, to string) (*Converter, bool) {
	c, ok := r.edges[typ+"/"+from+"->"+to]
	return c, ok
}

// All lists every converter sorted by key.
func (r *Registry) All() []*Converter {
	out := make([]*Converter, 0, len(r.edges))
	for _, c := range r.edges {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// From lists the converters leaving typ/format, sorted by target format.
func (r *Registry) From(typ, format string) []*Converter { return r.out[typ+"/"+format] }

// Convert runs one converter hop, checking the result's label.
func Convert(ctx context.Context, env Env, c *Converter, in formats.Value) (formats.Value, error) {
	var (
		out formats.Value
		err error
	)
	if c.Run != nil {
		out, err = c.Run(ctx, env, in)
	} else {
		out, err = runScript(ctx, env, c, in)
	}
	if err != nil {
		return formats.Value{}, fmt.Errorf("convert %s/%s to %s: %w", c.Type, c.From, c.To, err)
	}
	out.Type, out.Format = c.Type, c.To
	return out, nil
}

// ConvertPath runs every hop of a path.
func ConvertPath(ctx context.Context, env Env, path []*Converter, in formats.Value) (formats.Value, error) {
	v := in
	for _, c := range path {
		var err error
		if v, err = Convert(ctx, env, c, v); err != nil {
			return formats.Value{}, err
		}
	}
	return v, nil
}

// runScript runs a runtime converter snippet through its mode: the
// snippet reads `input` and sets `output`.
func runScript(ctx context.Context, env Env, c *Converter, in formats.Value) (formats.Value, error) {
	mode, err := env.Modes.Get(c.Runtime)
	if err != nil {
		return formats.Value{}, fmt.Errorf("needs the %s runtime: %w", c.Runtime, err)
	}
	task := &modes.Task{
		Name:    "convert " + c.Key(),
		Mode:    c.Runtime,
		Script:  c.Script,
		Inputs:  []modes.Port{PortOf("input", c.from)},
		Outputs: []modes.Port{PortOf("output", c.to)},
	}
	outs, err := mode.Run(ctx, modes.Request{Task: task, Inputs: map[string]formats.Value{"input": in}, WorkDir: env.WorkDir, Log: io.Discard})
	if err != nil {
		return formats.Value{}, err
	}
	out, ok := outs["output"]
	if !ok {
		return formats.Value{}, fmt.Errorf("converter script set no output")
	}
	return out, nil
}

// PortOf describes a memory port of format f as a mode sees it.
func PortOf(name string, f formats.Format) modes.Port {
	return modes.Port{Name: name, Type: f.Type, Format: f.Name, Rep: f.Rep, Runtime: f.Runtime, Target: "memory"}
}
