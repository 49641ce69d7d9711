package formats

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// WriteGraphML writes g as networkx's write_graphml does: the <graphml>
// root, one <key> per (scope, attribute name) with ids d0, d1, … (graph
// attributes first, then node, then edge attributes, in order of first
// appearance), then one <graph> with typed <data> elements. Types follow
// networkx: bool → boolean, integers → long, floats → double, strings →
// string. An attribute whose values mix integers and floats is written as
// double; one that mixes other kinds, or holds lists, objects or other
// values, is written as string (lists and objects as JSON text); null
// values are left out. An edge's string "id" attribute becomes the edge's
// id (networkx's reader turns it back into the attribute). Text XML 1.0
// cannot carry (control characters) is an error rather than being
// silently replaced.
func WriteGraphML(g *Graph) ([]byte, error) {
	if err := g.check(GraphGraphML); err != nil {
		return nil, err
	}
	keys := graphmlKeys{byName: map[[2]string]*graphmlOutKey{}}
	keys.collect("graph", g.Attrs, false)
	for _, n := range g.Nodes {
		keys.collect("node", n.Attrs, false)
	}
	for _, e := range g.Edges {
		keys.collect("edge", e.Attrs, true)
	}

	var b bytes.Buffer
	b.WriteString("<?xml version='1.0' encoding='utf-8'?>\n")
	b.WriteString(`<graphml xmlns="http://graphml.graphdrawing.org/xmlns"` +
		` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
		` xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">` + "\n")
	for _, k := range keys.list {
		if err := checkXMLText(k.name); err != nil {
			return nil, fmt.Errorf("%s: attribute name %w", GraphGraphML, err)
		}
		fmt.Fprintf(&b, `  <key id="%s" for="%s" attr.name="`, k.id, k.scope)
		appendXMLEscaped(&b, k.name)
		fmt.Fprintf(&b, `" attr.type="%s" />`+"\n", k.typ)
	}
	edgeDefault := "undirected"
	if g.Directed {
		edgeDefault = "directed"
	}
	fmt.Fprintf(&b, "  <graph edgedefault=%q>\n", edgeDefault)
	if err := keys.writeData(&b, "graph", g.Attrs, false, "    "); err != nil {
		return nil, err
	}
	for _, n := range g.Nodes {
		if err := checkXMLText(n.ID); err != nil {
			return nil, fmt.Errorf("%s: node id %w", GraphGraphML, err)
		}
		b.WriteString(`    <node id="`)
		appendXMLEscaped(&b, n.ID)
		if !keys.hasData(n.Attrs, false) {
			b.WriteString("\" />\n")
			continue
		}
		b.WriteString("\">\n")
		if err := keys.writeData(&b, "node", n.Attrs, false, "      "); err != nil {
			return nil, err
		}
		b.WriteString("    </node>\n")
	}
	for _, e := range g.Edges {
		b.WriteString(`    <edge source="`)
		appendXMLEscaped(&b, e.Source)
		b.WriteString(`" target="`)
		appendXMLEscaped(&b, e.Target)
		if id, ok := e.Attrs["id"].(string); ok {
			if err := checkXMLText(id); err != nil {
				return nil, fmt.Errorf("%s: edge id %w", GraphGraphML, err)
			}
			b.WriteString(`" id="`)
			appendXMLEscaped(&b, id)
		}
		if !keys.hasData(e.Attrs, true) {
			b.WriteString("\" />\n")
			continue
		}
		b.WriteString("\">\n")
		if err := keys.writeData(&b, "edge", e.Attrs, true, "      "); err != nil {
			return nil, err
		}
		b.WriteString("    </edge>\n")
	}
	b.WriteString("  </graph>\n</graphml>\n")
	return b.Bytes(), nil
}

type graphmlOutKey struct {
	id, scope, name, typ string
}

// graphmlKeys gathers the keys to declare and the type of each.
type graphmlKeys struct {
	list   []*graphmlOutKey
	byName map[[2]string]*graphmlOutKey // (scope, name)
}

// graphmlSkipAttr reports attributes written elsewhere or not at all: null
// values, and on edges a string "id" (written as the edge's id).
func graphmlSkipAttr(name string, v any, edge bool) bool {
	if v == nil {
		return true
	}
	_, isString := v.(string)
	return edge && name == "id" && isString
}

func (ks *graphmlKeys) collect(scope string, attrs map[string]any, edge bool) {
	for _, name := range graphmlSortedKeys(attrs) {
		v := attrs[name]
		if graphmlSkipAttr(name, v, edge) {
			continue
		}
		typ := graphmlTypeOf(v)
		k, ok := ks.byName[[2]string{scope, name}]
		if !ok {
			k = &graphmlOutKey{id: "d" + strconv.Itoa(len(ks.list)), scope: scope, name: name, typ: typ}
			ks.list = append(ks.list, k)
			ks.byName[[2]string{scope, name}] = k
			continue
		}
		switch {
		case k.typ == typ:
		case (k.typ == "long" || k.typ == "double") && (typ == "long" || typ == "double"):
			k.typ = "double"
		default:
			k.typ = "string"
		}
	}
}

func (ks *graphmlKeys) hasData(attrs map[string]any, edge bool) bool {
	for name, v := range attrs {
		if !graphmlSkipAttr(name, v, edge) {
			return true
		}
	}
	return false
}

func (ks *graphmlKeys) writeData(b *bytes.Buffer, scope string, attrs map[string]any, edge bool, indent string) error {
	for _, name := range graphmlSortedKeys(attrs) {
		v := attrs[name]
		if graphmlSkipAttr(name, v, edge) {
			continue
		}
		k := ks.byName[[2]string{scope, name}]
		text, err := graphmlText(k.typ, v)
		if err != nil {
			return fmt.Errorf("%s: %s attribute %q: %w", GraphGraphML, scope, name, err)
		}
		if err := checkXMLText(text); err != nil {
			return fmt.Errorf("%s: %s attribute %q: value %w", GraphGraphML, scope, name, err)
		}
		fmt.Fprintf(b, `%s<data key="%s">`, indent, k.id)
		appendXMLEscaped(b, text)
		b.WriteString("</data>\n")
	}
	return nil
}

func graphmlTypeOf(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case int64, int, int32, uint64:
		return "long"
	case float64, float32:
		return "double"
	}
	return "string"
}

// graphmlText writes v as text of a key of type typ.
func graphmlText(typ string, v any) (string, error) {
	switch typ {
	case "boolean":
		return strconv.FormatBool(v.(bool)), nil
	case "long":
		b, err := EncodeJSON(v)
		return string(b), err
	case "double":
		f, _ := treeNumber(v)
		switch {
		case math.IsNaN(f):
			return "NaN", nil
		case math.IsInf(f, 1):
			return "INF", nil
		case math.IsInf(f, -1):
			return "-INF", nil
		}
		return PyFloat(f), nil
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := EncodeJSON(v)
	return string(b), err
}

func graphmlSortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
