package spec

import (
	"bytes"
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"

	"github.com/truss-dev/truss/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// render turns a loaded task and its diagnostics into indented JSON with
// sorted keys and no empty fields, for golden files.
func render(t *Task, ds Diagnostics) []byte {
	diags := make([]string, len(ds))
	for i, d := range ds {
		diags[i] = d.String()
	}
	out := map[string]any{"task": renderTask(t)}
	if len(diags) > 0 {
		out["diagnostics"] = diags
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep scripts and constraints readable (>, <, &)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// obj builds a map and drops zero values so golden files show what was set.
type obj map[string]any

func (o obj) set(k string, v any) obj {
	switch x := v.(type) {
	case string:
		if x == "" {
			return o
		}
	case bool:
		if !x {
			return o
		}
	case int:
		if x == 0 {
			return o
		}
	case Pos:
		if x == (Pos{}) {
			return o
		}
		v = x.String()
	case map[string]any:
		if x == nil {
			return o
		}
	case []any:
		if len(x) == 0 {
			return o
		}
	case nil:
		return o
	}
	o[k] = v
	return o
}

func renderTask(t *Task) any {
	if t == nil {
		return nil
	}
	o := obj{}
	o.set("pos", t.Pos).set("file", t.File).set("name", t.Name).set("mode", t.Mode).set("description", t.Description)
	o.set("script", t.Script).set("script_file", t.ScriptFile).set("script_pos", t.ScriptPos).set("write_script", t.WriteScript)
	o.set("retries", t.Retries)
	if t.Timeout != 0 {
		o.set("timeout", t.Timeout.String())
	}
	o.set("options", t.Options).set("extra", t.Extra)
	if t.Validate != nil {
		o["validate"] = *t.Validate
	}
	if t.AutoConvert != nil {
		o["auto_convert"] = *t.AutoConvert
	}
	o.set("inputs", renderPorts(t.Inputs)).set("outputs", renderPorts(t.Outputs))
	var steps []any
	for _, s := range t.Steps {
		so := obj{}
		so.set("pos", s.Pos).set("name", s.Name).set("task_file", s.TaskFile).set("when", s.When).set("when_pos", s.WhenPos)
		so.set("visualization", s.Visualization)
		if s.Retries != nil {
			so["retries"] = *s.Retries
		}
		if s.Timeout != nil {
			so["timeout"] = s.Timeout.String()
		}
		if s.Validate != nil {
			so["validate"] = *s.Validate
		}
		if s.AutoConvert != nil {
			so["auto_convert"] = *s.AutoConvert
		}
		so.set("task", renderTask(s.Task))
		steps = append(steps, map[string]any(so))
	}
	o.set("steps", steps)
	var edges []any
	for _, e := range t.Edges {
		edges = append(edges, map[string]any(obj{}.set("pos", e.Pos).set("from_step", e.FromStep).set("from_port", e.FromPort).
			set("to_step", e.ToStep).set("to_port", e.ToPort)))
	}
	o.set("edges", edges)
	return map[string]any(o)
}

func renderPorts(ps []*Port) []any {
	var out []any
	for _, p := range ps {
		o := obj{}
		o.set("pos", p.Pos).set("name", p.Name).set("label", p.Label).set("type", p.Type).set("format", p.Format)
		o.set("target", p.Target).set("description", p.Description).set("constraint", p.Constraint).set("constraint_pos", p.ConstraintPos)
		o.set("filename", p.Filename).set("stream", p.Stream).set("path", p.Path).set("arg", p.Arg)
		o.set("from", p.From).set("from_pos", p.FromPos).set("extra", p.Extra)
		if p.Default != nil {
			o["default"] = renderBinding(p.Default)
		}
		out = append(out, map[string]any(o))
	}
	return out
}

func renderBinding(b *Binding) any {
	o := obj{}
	o.set("pos", b.Pos).set("mode", b.Mode).set("format", b.Format).set("type", b.Type)
	if b.HasData {
		o["data"] = b.Data
	}
	o.set("url", b.URL).set("path", b.Path).set("name", b.Name).set("fields", b.Fields)
	return map[string]any(o)
}

// golden compares got with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", "golden", name), got)
}
