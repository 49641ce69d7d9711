// Package validators holds one validator per (type, format): Go-native for
// data formats, runtime-backed (python) for runtime objects.
package validators

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
)

// Func returns nil when v is a valid value of the validator's format, or an
// error saying what is wrong with it ("expected an integer, got string").
type Func func(ctx context.Context, env converters.Env, v formats.Value) error

// Validator checks values of one (type, format).
type Validator struct {
	Type    string
	Format  string
	Runtime string
	Run     Func
	// Script is the runtime snippet: it reads `input` and sets `output`
	// to True when valid or to a message string when not.
	Script string
}

// Registry holds validators by "type/format".
type Registry struct {
	formats *formats.Registry
	byKey   map[string]*Validator
}

// New returns an empty registry.
func New(reg *formats.Registry) *Registry {
	return &Registry{formats: reg, byKey: map[string]*Validator{}}
}

// Add registers a validator for a registered format.
func (r *Registry) Add(v Validator) error {
	if _, ok := r.formats.Lookup(v.Type, v.Format); !ok {
		return fmt.Errorf("validator for unknown format %s/%s", v.Type, v.Format)
	}
	if v.Run == nil && v.Script == "" {
		return fmt.Errorf("validator %s/%s has neither a Go function nor a script", v.Type, v.Format)
	}
	r.byKey[v.Type+"/"+v.Format] = &v
	return nil
}

// MustAdd is Add for the built-in tables.
func (r *Registry) MustAdd(v Validator) {
	if err := r.Add(v); err != nil {
		panic(err)
	}
}

// Get returns the validator of typ/format.
func (r *Registry) Get(typ, format string) (*Validator, bool) {
	v, ok := r.byKey[typ+"/"+format]
	return v, ok
}

// All lists validators sorted by key.
func (r *Registry) All() []*Validator {
	out := make([]*Validator, 0, len(r.byKey))
	for _, v := range r.byKey {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Type+"/"+out[i].Format < out[j].Type+"/"+out[j].Format
	})
	return out
}

// Validate checks v against the validator of its own type and format.
func (r *Registry) Validate(ctx context.Context, env converters.Env, v formats.Value) error {
	val, ok := r.Get(v.Type, v.Format)
	if !ok {
		return fmt.Errorf("no validator for %s/%s", v.Type, v.Format)
	}
	if val.Run != nil {
		return val.Run(ctx, env, v)
	}
	return runScript(ctx, env, r.formats, val, v)
}

func runScript(ctx context.Context, env converters.Env, reg *formats.Registry, val *Validator, v formats.Value) error {
	mode, err := env.Modes.Get(val.Runtime)
	if err != nil {
		return fmt.Errorf("validating %s/%s needs the %s runtime: %w", val.Type, val.Format, val.Runtime, err)
	}
	f, _ := reg.Lookup(val.Type, val.Format)
	task := &modes.Task{
		Name:    "validate " + val.Type + "/" + val.Format,
		Mode:    val.Runtime,
		Script:  val.Script,
		Inputs:  []modes.Port{converters.PortOf("input", f)},
		Outputs: []modes.Port{{Name: "output", Rep: formats.RepData}},
	}
	outs, err := mode.Run(ctx, modes.Request{Task: task, Inputs: map[string]formats.Value{"input": v}, WorkDir: env.WorkDir, Log: io.Discard})
	if err != nil {
		return err
	}
	switch res := outs["output"].Data.(type) {
	case bool:
		if res {
			return nil
		}
		return fmt.Errorf("not a valid %s/%s value", val.Type, val.Format)
	case string:
		return fmt.Errorf("%s", res)
	default:
		return fmt.Errorf("validator script for %s/%s returned %s instead of True or a message", val.Type, val.Format, formats.TypeName(res))
	}
}

// Default returns the validators of every format in reg's default set.
func Default(reg *formats.Registry) *Registry {
	r := New(reg)
	addScalar(r)
	addTable(r)
	addTree(r)
	addGraph(r)
	addImage(r)
	addDirectory(r)
	addPython(r)
	addR(r)
	return r
}
