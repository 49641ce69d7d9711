package formats

import (
	"fmt"
	"maps"
)

// ReadNetworkXJSON reads networkx node-link JSON:
//
//	{"directed": false, "multigraph": false, "graph": {…},
//	 "nodes": [{"id": …, attrs…}, …], "links": [{"source": …, "target": …, attrs…}, …]}
//
// Defaults are networkx's (node_link_graph): "directed" false,
// "multigraph" true, "graph" {}, a node without "id" gets its position.
// Link ends are node positions in the networkx 1.x form Girder Worker
// wrote, or node ids in the form of networkx 2 and later (which may also
// call the list "edges"): non-integer ends are ids; integer ends are
// positions unless one is out of range and every end is a node id. A link
// to no node is an error naming the link. Node and link attributes are
// every other key.
func ReadNetworkXJSON(text []byte) (*Graph, error) {
	const format = GraphNetworkXJSON
	v, err := decodeJSONText(format, text)
	if err != nil {
		return nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected a JSON object with nodes and links, got %s", format, TypeName(v))
	}
	directed, err := networkxBool(top, "directed", false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", format, err)
	}
	multigraph, err := networkxBool(top, "multigraph", true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", format, err)
	}
	b := newGraphBuilder(directed)
	if b.g.Attrs, err = networkxGraphAttrs(top["graph"]); err != nil {
		return nil, fmt.Errorf("%s: graph: %w", format, err)
	}

	nodes, ok := top["nodes"].([]any)
	if !ok {
		return nil, fmt.Errorf("%s: nodes: expected a list, got %s", format, describeJSONValue(top["nodes"]))
	}
	byPos := make([]string, len(nodes)) // node position → id
	for i, e := range nodes {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: nodes[%d]: expected an object, got %s", format, i, TypeName(e))
		}
		raw, ok := m["id"]
		if !ok {
			raw = int64(i)
		}
		id, jsonID, err := networkxID(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: nodes[%d].id: %w", format, i, err)
		}
		attrs := maps.Clone(m)
		delete(attrs, "id")
		b.node(id, jsonID, attrs)
		byPos[i] = id
	}

	linksKey := "links"
	if _, ok := top[linksKey]; !ok {
		if _, ok := top["edges"]; ok {
			linksKey = "edges"
		}
	}
	links, ok := top[linksKey].([]any)
	if !ok {
		return nil, fmt.Errorf("%s: %s: expected a list, got %s", format, linksKey, describeJSONValue(top[linksKey]))
	}
	// Decide how link ends name nodes: all integer ends in range are
	// positions (networkx 1.x); otherwise ends are ids.
	allInt, inRange := true, true
	for i, e := range links {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %s[%d]: expected an object, got %s", format, linksKey, i, TypeName(e))
		}
		for _, k := range []string{"source", "target"} {
			end, ok := m[k]
			if !ok {
				return nil, fmt.Errorf("%s: %s[%d]: missing key %q", format, linksKey, i, k)
			}
			n, isInt := end.(int64)
			allInt = allInt && isInt
			inRange = inRange && isInt && n >= 0 && n < int64(len(nodes))
		}
	}
	byPosition := allInt && inRange
	for i, e := range links {
		m := e.(map[string]any)
		var ends [2]string
		for j, k := range []string{"source", "target"} {
			id, err := networkxEnd(m[k], byPosition, byPos, b)
			if err != nil {
				return nil, fmt.Errorf("%s: %s[%d].%s: %w", format, linksKey, i, k, err)
			}
			ends[j] = id
		}
		attrs := maps.Clone(m)
		delete(attrs, "source")
		delete(attrs, "target")
		b.edge(ends[0], ends[1], attrs)
	}
	return b.finish(multigraph), nil
}

// networkxEnd resolves a link end: a node position, or a node id.
func networkxEnd(end any, byPosition bool, byPos []string, b *graphBuilder) (string, error) {
	if byPosition {
		return byPos[end.(int64)], nil
	}
	id, _, err := networkxID(end)
	if err != nil {
		return "", err
	}
	if b.has(id) {
		return id, nil
	}
	if n, ok := end.(int64); ok {
		if n >= 0 && n < int64(len(byPos)) {
			// A valid position among ends that are not all positions: say
			// so rather than blame this end.
			return "", fmt.Errorf("%d is a node position but not a node id, and other links use ends that are not positions", n)
		}
		return "", fmt.Errorf("%d is neither a node position (there are %d nodes) nor a node id", n, len(byPos))
	}
	return "", fmt.Errorf("no node has id %s", describeJSONValue(end))
}

// networkxID turns a JSON node id into the Graph's string id, keeping the
// JSON value when it is not a string.
func networkxID(v any) (id string, jsonID any, err error) {
	if s, ok := v.(string); ok {
		return s, nil, nil
	}
	text, err := EncodeJSON(v)
	if err != nil {
		return "", nil, err
	}
	return string(text), v, nil
}

func networkxBool(m map[string]any, key string, def bool) (bool, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s: expected true or false, got %s", key, describeJSONValue(v))
	}
	return b, nil
}

// networkxGraphAttrs reads "graph": an object, or the list of [key, value]
// pairs networkx before 1.8 wrote.
func networkxGraphAttrs(v any) (map[string]any, error) {
	switch g := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return mergeGraphAttrs(nil, g), nil
	case []any:
		attrs := map[string]any{}
		for i, p := range g {
			pair, ok := p.([]any)
			if !ok || len(pair) != 2 {
				return nil, fmt.Errorf("[%d]: expected a [key, value] pair, got %s", i, describeJSONValue(p))
			}
			k, ok := pair[0].(string)
			if !ok {
				return nil, fmt.Errorf("[%d]: expected a string key, got %s", i, describeJSONValue(pair[0]))
			}
			attrs[k] = pair[1]
		}
		return mergeGraphAttrs(nil, attrs), nil
	}
	return nil, fmt.Errorf("expected an object, got %s", TypeName(v))
}

// WriteNetworkXJSON writes g as networkx 1.x node-link JSON (what Girder
// Worker's networkx → networkx.json wrote, compact with sorted keys):
// nodes as {"id": id, attrs…} (a node attribute named "id" is overwritten,
// as networkx does), links as {"source": <position>, "target": <position>,
// attrs…}.
func WriteNetworkXJSON(g *Graph) ([]byte, error) {
	if err := g.check(GraphNetworkXJSON); err != nil {
		return nil, err
	}
	pos := make(map[string]int64, len(g.Nodes))
	nodes := make([]any, len(g.Nodes))
	for i, n := range g.Nodes {
		pos[n.ID] = int64(i)
		m := make(map[string]any, len(n.Attrs)+1)
		maps.Copy(m, n.Attrs)
		if n.JSONID != nil {
			m["id"] = n.JSONID
		} else {
			m["id"] = n.ID
		}
		nodes[i] = m
	}
	links := make([]any, len(g.Edges))
	for i, e := range g.Edges {
		m := make(map[string]any, len(e.Attrs)+2)
		maps.Copy(m, e.Attrs)
		m["source"], m["target"] = pos[e.Source], pos[e.Target]
		links[i] = m
	}
	attrs := g.Attrs
	if attrs == nil {
		attrs = map[string]any{}
	}
	out, err := EncodeJSON(map[string]any{
		"directed":   g.Directed,
		"multigraph": g.Multigraph,
		"graph":      attrs,
		"nodes":      nodes,
		"links":      links,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", GraphNetworkXJSON, err)
	}
	return out, nil
}
