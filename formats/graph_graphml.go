package formats

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReadGraphML reads the first <graph> of a GraphML text as networkx's
// read_graphml does: <key> elements declare attributes (attr.name,
// attr.type int/integer/long/float/double/boolean/string, for node, edge,
// graph or all, an optional <default> that applies where a <data> is
// missing); <data> values are converted to their key's type; edgedefault
// sets the directedness; an edge's id becomes its "id" attribute; the
// graph is a multigraph when a node pair has more than one edge. Element
// names are matched without their namespace. Nested graphs and
// hyperedges are errors, as are <data> with an undeclared key and edges
// to undeclared nodes; errors give the line and column.
func ReadGraphML(text []byte) (*Graph, error) {
	if err := checkTextUTF8(GraphGraphML, text); err != nil {
		return nil, err
	}
	r := graphmlReader{text: string(text), d: xml.NewDecoder(bytes.NewReader(text)), keys: map[string]*graphmlKey{}}
	return r.read()
}

// graphmlKey is a declared <key>.
type graphmlKey struct {
	id, name, typ, scope string
	def                  any  // typed <default>, nil when none
	skip                 bool // yFiles keys hold markup, not values
}

// graphmlRole is what an open element is to the reader.
type graphmlRole int8

const (
	roleOther   graphmlRole = iota // read past (desc, port, a second graph, …)
	roleRoot                       // <graphml>
	roleKey                        // <key>
	roleDefault                    // <default> of a key
	roleGraph                      // the first <graph>
	roleNode                       // <node> of that graph
	roleEdge                       // <edge> of that graph
	roleData                       // <data> of the graph, a node or an edge
)

type graphmlOpen struct {
	role  graphmlRole
	at    int // byte offset of the start tag
	key   *graphmlKey
	attrs map[string]any // gathered <data> of a graph, node or edge
	id    string         // node id
	edge  int            // index in edges
}

type graphmlEdge struct {
	source, target string
	attrs          map[string]any
	at             int
}

type graphmlReader struct {
	text string
	d    *xml.Decoder
	keys map[string]*graphmlKey
	open []graphmlOpen
	buf  strings.Builder // text of the open <data> or <default>

	b       *graphBuilder // set by the first <graph>
	nodes   map[string]bool
	edges   []graphmlEdge
	graphs  int
	sawRoot bool
}

func (r *graphmlReader) errorf(at int, msg string, args ...any) error {
	return syntaxErrorAt(GraphGraphML, r.text, at, msg, args...)
}

func (r *graphmlReader) read() (*Graph, error) {
	for {
		at := int(r.d.InputOffset())
		tok, err := r.d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, xmlSyntaxError(GraphGraphML, r.text, r.d, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			o, err := r.start(tok, at)
			if err != nil {
				return nil, err
			}
			r.open = append(r.open, o)
		case xml.CharData:
			if n := len(r.open); n > 0 && (r.open[n-1].role == roleData || r.open[n-1].role == roleDefault) {
				r.buf.Write(tok)
			}
		case xml.EndElement:
			o := r.open[len(r.open)-1]
			r.open = r.open[:len(r.open)-1]
			if err := r.end(o); err != nil {
				return nil, err
			}
		}
	}
	if !r.sawRoot {
		return nil, r.errorf(len(r.text), "no <graphml> element")
	}
	if r.b == nil {
		return nil, r.errorf(len(r.text), "no <graph> element")
	}
	for _, e := range r.edges {
		for _, id := range []string{e.source, e.target} {
			if !r.nodes[id] {
				return nil, r.errorf(e.at, "edge %q to %q: no <node> has id %q", e.source, e.target, id)
			}
		}
		r.b.edge(e.source, e.target, e.attrs)
	}
	r.applyDefaults()
	return r.b.finish(r.b.hasParallel()), nil
}

// start opens an element, deciding its role from its parent's.
func (r *graphmlReader) start(el xml.StartElement, at int) (graphmlOpen, error) {
	name := el.Name.Local
	o := graphmlOpen{role: roleOther, at: at}
	if len(r.open) == 0 {
		if name != "graphml" {
			return o, r.errorf(at, "expected a <graphml> root element, found <%s>", name)
		}
		o.role = roleRoot
		r.sawRoot = true
		return o, nil
	}
	parent := &r.open[len(r.open)-1]
	switch parent.role {
	case roleRoot:
		switch name {
		case "key":
			k, err := r.declareKey(el, at)
			o.role, o.key = roleKey, k
			return o, err
		case "graph":
			r.graphs++
			if r.graphs > 1 {
				return o, nil // networkx reads the first graph only
			}
			ed := xmlAttrValue(el, "edgedefault")
			if ed != "directed" && ed != "undirected" && ed != "" {
				return o, r.errorf(at, "<graph edgedefault=%q>: expected \"directed\" or \"undirected\"", ed)
			}
			r.b = newGraphBuilder(ed == "directed")
			r.nodes = map[string]bool{}
			o.role = roleGraph
		}
	case roleKey:
		if name == "default" {
			o.role, o.key = roleDefault, parent.key
			r.buf.Reset()
		}
	case roleGraph:
		switch name {
		case "node":
			o.id = xmlAttrValue(el, "id")
			if o.id == "" {
				return o, r.errorf(at, "<node> without an id")
			}
			o.role = roleNode
		case "edge":
			return r.startEdge(el, at)
		case "data":
			return r.startData(el, at, "graph")
		case "hyperedge":
			return o, r.errorf(at, "<hyperedge> is not supported")
		}
	case roleNode, roleEdge:
		switch name {
		case "data":
			kind := "node"
			if parent.role == roleEdge {
				kind = "edge"
			}
			return r.startData(el, at, kind)
		case "graph":
			return o, r.errorf(at, "nested <graph> elements are not supported")
		}
	case roleData, roleDefault:
		if !parent.key.skip {
			return o, r.errorf(at, "<%s> inside <data key=%q>: a value must be text", name, parent.key.id)
		}
	}
	return o, nil
}

func (r *graphmlReader) declareKey(el xml.StartElement, at int) (*graphmlKey, error) {
	k := &graphmlKey{id: xmlAttrValue(el, "id"), name: xmlAttrValue(el, "attr.name"),
		typ: xmlAttrValue(el, "attr.type"), scope: xmlAttrValue(el, "for")}
	if k.id == "" {
		return nil, r.errorf(at, "<key> without an id")
	}
	if k.name == "" {
		k.name = k.id
	}
	if k.typ == "" {
		k.typ = "string"
	}
	if k.scope == "" {
		k.scope = "all"
	}
	if xmlAttrValue(el, "yfiles.type") != "" {
		k.skip = true
	} else if _, ok := graphmlTypes[k.typ]; !ok {
		return nil, r.errorf(at, "<key id=%q>: unknown attr.type %q (expected boolean, int, long, float, double or string)", k.id, k.typ)
	}
	r.keys[k.id] = k
	return k, nil
}

func (r *graphmlReader) startEdge(el xml.StartElement, at int) (graphmlOpen, error) {
	o := graphmlOpen{role: roleEdge, at: at, edge: len(r.edges)}
	src, tgt := xmlAttrValue(el, "source"), xmlAttrValue(el, "target")
	if src == "" || tgt == "" {
		return o, r.errorf(at, "<edge> needs a source and a target")
	}
	switch xmlAttrValue(el, "directed") {
	case "true":
		if !r.b.g.Directed {
			return o, r.errorf(at, "directed edge %q to %q in an undirected graph", src, tgt)
		}
	case "false":
		if r.b.g.Directed {
			return o, r.errorf(at, "undirected edge %q to %q in a directed graph", src, tgt)
		}
	}
	if id := xmlAttrValue(el, "id"); id != "" {
		o.attrs = map[string]any{"id": id}
	}
	r.edges = append(r.edges, graphmlEdge{source: src, target: tgt, at: at})
	return o, nil
}

func (r *graphmlReader) startData(el xml.StartElement, at int, kind string) (graphmlOpen, error) {
	o := graphmlOpen{role: roleData, at: at}
	id := xmlAttrValue(el, "key")
	k, ok := r.keys[id]
	if !ok {
		return o, r.errorf(at, "<data key=%q>: no <key> declares %q", id, id)
	}
	if k.scope != "all" && k.scope != kind {
		return o, r.errorf(at, "<data key=%q> in a <%s>: the key is declared for %s", id, kind, k.scope)
	}
	o.key = k
	r.buf.Reset()
	return o, nil
}

// end closes an element, storing what it gathered in its parent.
func (r *graphmlReader) end(o graphmlOpen) error {
	switch o.role {
	case roleData, roleDefault:
		if o.key.skip {
			return nil
		}
		v, err := graphmlValue(o.key.typ, r.buf.String())
		if err != nil {
			return r.errorf(o.at, "value of key %q: %v", o.key.id, err)
		}
		if o.role == roleDefault {
			o.key.def = v
			return nil
		}
		parent := &r.open[len(r.open)-1]
		if parent.attrs == nil {
			parent.attrs = map[string]any{}
		}
		parent.attrs[o.key.name] = v
	case roleNode:
		r.b.node(o.id, nil, o.attrs)
		r.nodes[o.id] = true
	case roleEdge:
		r.edges[o.edge].attrs = o.attrs
	case roleGraph:
		r.b.g.Attrs = mergeGraphAttrs(nil, o.attrs)
	}
	return nil
}

// applyDefaults gives nodes, edges and the graph the <default> of every
// key they have no <data> for.
func (r *graphmlReader) applyDefaults() {
	for _, k := range r.keys {
		if k.def == nil {
			continue
		}
		if k.scope == "node" || k.scope == "all" {
			for i := range r.b.g.Nodes {
				r.b.g.Nodes[i].Attrs = graphmlWithDefault(r.b.g.Nodes[i].Attrs, k.name, k.def)
			}
		}
		if k.scope == "edge" || k.scope == "all" {
			for i := range r.b.g.Edges {
				r.b.g.Edges[i].Attrs = graphmlWithDefault(r.b.g.Edges[i].Attrs, k.name, k.def)
			}
		}
		if k.scope == "graph" || k.scope == "all" {
			r.b.g.Attrs = graphmlWithDefault(r.b.g.Attrs, k.name, k.def)
		}
	}
}

func graphmlWithDefault(attrs map[string]any, name string, def any) map[string]any {
	if _, ok := attrs[name]; ok {
		return attrs
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	attrs[name] = def
	return attrs
}

// graphmlTypes maps attr.type to the kind of Go value it holds.
var graphmlTypes = map[string]string{
	"boolean": "bool", "int": "int", "integer": "int", "long": "int",
	"float": "float", "double": "float", "string": "string",
}

// graphmlValue converts <data> text to its key's type, as networkx does.
func graphmlValue(typ, s string) (any, error) {
	switch graphmlTypes[typ] {
	case "bool":
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a boolean", s)
	case "int":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a %s", s, typ)
		}
		return n, nil
	case "float":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a %s", s, typ)
		}
		return f, nil
	}
	return s, nil
}
