package spec

import (
	"slices"
)

// bindingKeys are the keys of a Girder Worker input or output binding
// (reference 1.4, 1.5, 8): the common ones, then those of the IO modes.
func bindingKeys() []string {
	return []string{
		"mode", "format", "type", "data", "url", "path", "name", "uri", "encoding",
		"method", "headers", "params", "maxSize", // http
		"db", "collection", "host", // mongodb
		"id", "token", "api_url", "scheme", "port", "api_root", "resource_type", "fetch_parent",
		"direct_path", "use_cache", "parent_id", "parent_type", "reference", "as_metadata",
		"item_id", "metadata", // girder
	}
}

// LoadBindings reads an --inputs or --outputs file: a YAML or JSON map from
// port name to binding ({x: {format: number, data: 10}}).
func LoadBindings(path string) (map[string]*Binding, Diagnostics) {
	data, err := readFile(path)
	if err != nil {
		return nil, Diagnostics{errorAt(Pos{File: path}, "cannot read bindings file: %v", err)}
	}
	return ParseBindings(path, data)
}

// ParseBindings reads a bindings map held in memory; file names it in
// positions. An empty file binds nothing.
func ParseBindings(file string, data []byte) (map[string]*Binding, Diagnostics) {
	root, _, ds := parseTree(file, data)
	l := newLoader(Options{})
	l.diags = ds
	out := map[string]*Binding{}
	switch {
	case root == nil || root.kind == nullNode:
		if ds.HasErrors() {
			return nil, finish(l.diags)
		}
		return out, finish(l.diags)
	case root.kind != mapNode:
		l.errorf(root.pos, "a bindings file maps port names to bindings, like {x: {format: number, data: 10}}; this one holds %s", root.describe())
		return nil, finish(l.diags)
	}
	for i := range root.entries {
		e := &root.entries[i]
		if e.val.kind != mapNode {
			l.errorf(e.val.pos, "binding for %s must be a map like {format: number, data: 10}, not %s (a bare value goes on the command line: -i %s=VALUE)",
				q(e.key), e.val.describe(), e.key)
			continue
		}
		out[e.key] = l.binding(e.val, "binding for "+q(e.key))
	}
	return out, finish(l.diags)
}

// binding decodes a binding map. Fields keeps every key as written, for
// the IO modes that read their own keys.
func (l *loader) binding(n *node, where string) *Binding {
	b := &Binding{Pos: n.pos, Fields: make(map[string]any, len(n.entries))}
	known := bindingKeys()
	for i := range n.entries {
		e := &n.entries[i]
		b.Fields[e.key] = e.val.value()
		switch e.key {
		case "mode":
			b.Mode, _ = l.stringVal(e, where+": mode")
		case "format":
			b.Format, _ = l.stringVal(e, where+": format")
		case "type":
			b.Type, _ = l.stringVal(e, where+": type")
		case "url":
			b.URL, _ = l.stringVal(e, where+": url")
		case "path":
			b.Path, _ = l.stringVal(e, where+": path")
		case "name":
			b.Name, _ = l.nameVal(e, where+": name")
		case "data":
			b.Data, b.HasData = e.val.value(), true
		default:
			if !slices.Contains(known, e.key) {
				l.unknownKey(e, where, known)
			}
		}
	}
	return b
}
