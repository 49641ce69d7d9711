package formats

import (
	"fmt"
	"sort"
	"strings"
)

// Rep says which Value field carries a format's payload.
type Rep int

const (
	// RepData: Value.Data holds a JSON-like Go value.
	RepData Rep = iota
	// RepText: Value.Bytes holds UTF-8 text (csv, newick, json text, …).
	RepText
	// RepBinary: Value.Bytes holds binary bytes (png, pickle, bson, …).
	RepBinary
	// RepPath: Value.Path names a file or directory.
	RepPath
)

func (r Rep) String() string {
	switch r {
	case RepData:
		return "data"
	case RepText:
		return "text"
	case RepBinary:
		return "binary"
	case RepPath:
		return "path"
	}
	return fmt.Sprintf("rep(%d)", int(r))
}

// Runtimes a format may live in. Objects of a runtime cross the Go boundary
// serialised by that runtime (pickle, R serialize) and are converted there.
const (
	RuntimeGo     = ""
	RuntimePython = "python"
	RuntimeR      = "r"
)

// Format describes one (type, format) node of the converter graph.
type Format struct {
	Type        string
	Name        string
	Rep         Rep
	Runtime     string   // "" for data held in Go; "python" or "r" for runtime objects
	Extensions  []string // file extensions a binding may infer this format from
	Description string
}

// Key is "type/format".
func (f Format) Key() string { return f.Type + "/" + f.Name }

// Registry is the set of known types and formats. Build one with Default or
// New; it is not safe to Register while others read.
type Registry struct {
	formats map[string]*Format // by Key
	byType  map[string][]*Format
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{formats: map[string]*Format{}, byType: map[string][]*Format{}}
}

// Register adds a format; registering a key twice replaces it.
func (r *Registry) Register(f Format) {
	k := f.Key()
	if old, ok := r.formats[k]; ok {
		*old = f
		return
	}
	p := &f
	r.formats[k] = p
	r.byType[f.Type] = append(r.byType[f.Type], p)
}

// Lookup finds a format by type and name.
func (r *Registry) Lookup(typ, name string) (Format, bool) {
	f, ok := r.formats[typ+"/"+name]
	if !ok {
		return Format{}, false
	}
	return *f, true
}

// HasType reports whether any format of typ is registered.
func (r *Registry) HasType(typ string) bool { return len(r.byType[typ]) > 0 }

// Types lists type names, sorted.
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.byType))
	for t := range r.byType {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Formats lists the formats of typ sorted by name (all formats when typ is "").
func (r *Registry) Formats(typ string) []Format {
	var out []Format
	for _, f := range r.formats {
		if typ == "" || f.Type == typ {
			out = append(out, *f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// FormatNames lists the format names of typ, sorted.
func (r *Registry) FormatNames(typ string) []string {
	var out []string
	for _, f := range r.byType[typ] {
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out
}

// ByExtension finds the format of typ that claims a file extension
// ("csv", ".nwk"); ok is false when none or several do.
func (r *Registry) ByExtension(typ, ext string) (Format, bool) {
	ext = strings.ToLower(strings.TrimPrefix(ext, "."))
	var found []*Format
	for _, f := range r.byType[typ] {
		for _, e := range f.Extensions {
			if e == ext {
				found = append(found, f)
			}
		}
	}
	if len(found) != 1 {
		return Format{}, false
	}
	return *found[0], true
}

// Default returns the registry of every type and format of Girder Worker's
// types plugin and its r plugin.
func Default() *Registry {
	r := New()
	add := func(typ, name string, rep Rep, runtime string, desc string, exts ...string) {
		r.Register(Format{Type: typ, Name: name, Rep: rep, Runtime: runtime, Description: desc, Extensions: exts})
	}
	for _, t := range []struct{ typ, desc string }{
		{"boolean", "true or false"},
		{"integer", "a whole number"},
		{"number", "an integer or a float"},
	} {
		add(t.typ, t.typ, RepData, RuntimeGo, t.desc)
		add(t.typ, "json", RepText, RuntimeGo, t.desc+" as JSON text", t.typ+"-json")
	}
	add("string", "string", RepData, RuntimeGo, "a string")
	add("string", "text", RepText, RuntimeGo, "text", "txt", "text")
	add("string", "json", RepText, RuntimeGo, "a string as JSON text", "json")
	for _, t := range []string{"integer_list", "number_list", "string_list"} {
		add(t, t, RepData, RuntimeGo, "a list")
		add(t, "json", RepText, RuntimeGo, "a list as JSON text", "json")
	}

	add("table", "rows", RepData, RuntimeGo, `{"fields": [...], "rows": [{field: value}...]}`)
	add("table", "rows.json", RepText, RuntimeGo, "rows as JSON text", "rows-json")
	add("table", "objectlist", RepData, RuntimeGo, "a list of (nested) objects")
	add("table", "objectlist.json", RepText, RuntimeGo, "objectlist as JSON text", "objectlist-json")
	add("table", "objectlist.bson", RepBinary, RuntimeGo, "objectlist as concatenated BSON documents", "bson")
	add("table", "csv", RepText, RuntimeGo, "comma-separated text with a header line", "csv")
	add("table", "tsv", RepText, RuntimeGo, "tab-separated text with a header line", "tsv")
	add("table", "jsonlines", RepText, RuntimeGo, "one JSON object per line", "jsonlines", "jsonl")
	add("table", "column.names", RepData, RuntimeGo, "the list of column names")
	add("table", "column.names.discrete", RepData, RuntimeGo, "names of columns whose first value is a string")
	add("table", "column.names.continuous", RepData, RuntimeGo, "names of columns whose first value is a number")

	add("tree", "nested", RepData, RuntimeGo, "nested node_data/edge_data/children objects")
	add("tree", "nested.json", RepText, RuntimeGo, "nested as JSON text", "nested-json")
	add("tree", "newick", RepText, RuntimeGo, "Newick text", "phy", "tre", "tree", "nwk", "newick")
	add("tree", "nexus", RepText, RuntimeGo, "NEXUS text with a TREES block", "nex", "nexus")
	add("tree", "phyloxml", RepText, RuntimeGo, "phyloXML text", "phyloxml")
	add("tree", "treestore", RepBinary, RuntimeGo, "Arbor TreeStore BSON documents")

	add("graph", "networkx", RepBinary, RuntimePython, "a networkx graph object (pickled across the Go boundary)")
	add("graph", "networkx.json", RepText, RuntimeGo, "networkx node-link JSON", "networkx-json")
	add("graph", "clique.json", RepText, RuntimeGo, "Clique node/link JSON with $oid ids", "clique-json")
	add("graph", "graphml", RepText, RuntimeGo, "GraphML XML", "graphml", "gml")
	add("graph", "adjacencylist", RepText, RuntimeGo, "lines of node and neighbours", "adj", "adjlist")

	add("image", "png", RepBinary, RuntimeGo, "PNG bytes", "png")
	add("image", "png.base64", RepText, RuntimeGo, "PNG bytes in base64")
	add("image", "jpeg", RepBinary, RuntimeGo, "JPEG bytes", "jpeg", "jpg")
	add("image", "pil", RepBinary, RuntimePython, "a PIL image object (pickled across the Go boundary)")

	add("directory", "path", RepPath, RuntimeGo, "a directory")
	add("directory", "zip", RepPath, RuntimeGo, "a zip archive of a directory", "zip")
	add("directory", "tgz", RepPath, RuntimeGo, "a gzip tar archive of a directory", "tgz", "gz")

	add("netcdf", "binary", RepBinary, RuntimeGo, "netCDF file bytes", "nc")
	add("netcdf", "dataset", RepBinary, RuntimePython, "a netCDF4 Dataset object (pickled across the Go boundary)")

	add("python", "object", RepBinary, RuntimePython, "any Python object (pickled across the Go boundary)")
	add("python", "pickle", RepBinary, RuntimeGo, "pickle bytes", "pkl", "pickle")
	add("python", "pickle.base64", RepText, RuntimeGo, "pickle bytes in base64")
	addRFormats(r)
	return r
}
