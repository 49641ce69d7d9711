package formats

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
)

// ReadCliqueJSON reads Clique's graph JSON: an array of
// {"_id": {"$oid": …}, "type": "node", "data": {…}} and
// {"type": "link", "source": {"$oid": …}, "target": {"$oid": …}, "data": {…}}
// elements, in any order. Nodes are keyed by their $oid with the "data"
// object as attributes; links become edges with their "data" as
// attributes. The graph is directed, and a multigraph when some
// (source, target) pair has more than one link (networkx's DiGraph or
// MultiDiGraph, as Girder Worker built it). Unlike networkx's add_edge, a
// link to an $oid no node has is an error.
func ReadCliqueJSON(text []byte) (*Graph, error) {
	const format = GraphCliqueJSON
	v, err := decodeJSONText(format, text)
	if err != nil {
		return nil, err
	}
	elems, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected a JSON array of nodes and links, got %s", format, TypeName(v))
	}
	b := newGraphBuilder(true)
	var links []int
	for i, e := range elems {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: [%d]: expected an object, got %s", format, i, TypeName(e))
		}
		typ, ok := m["type"].(string)
		if !ok {
			return nil, fmt.Errorf("%s: [%d].type: expected \"node\" or \"link\", got %s", format, i, describeJSONValue(m["type"]))
		}
		switch typ {
		case "node":
			id, err := cliqueOID(m, "_id")
			if err != nil {
				return nil, fmt.Errorf("%s: [%d]._id: %w", format, i, err)
			}
			data, err := cliqueData(m)
			if err != nil {
				return nil, fmt.Errorf("%s: [%d].data: %w", format, i, err)
			}
			b.node(id, nil, data)
		case "link":
			links = append(links, i)
		default:
			return nil, fmt.Errorf("%s: [%d].type: expected \"node\" or \"link\", got %q", format, i, typ)
		}
	}
	for _, i := range links {
		m := elems[i].(map[string]any)
		var ends [2]string
		for j, key := range []string{"source", "target"} {
			id, err := cliqueOID(m, key)
			if err != nil {
				return nil, fmt.Errorf("%s: [%d].%s: %w", format, i, key, err)
			}
			if !b.has(id) {
				return nil, fmt.Errorf("%s: [%d].%s: no node has $oid %q", format, i, key, id)
			}
			ends[j] = id
		}
		data, err := cliqueData(m)
		if err != nil {
			return nil, fmt.Errorf("%s: [%d].data: %w", format, i, err)
		}
		b.edge(ends[0], ends[1], data)
	}
	return b.finish(b.hasParallel()), nil
}

// cliqueOID reads m[key] = {"$oid": "<24 hex digits>"}.
func cliqueOID(m map[string]any, key string) (string, error) {
	v, ok := m[key]
	if !ok {
		return "", fmt.Errorf("missing")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("expected {\"$oid\": <24 hex digits>}, got %s", TypeName(v))
	}
	s, ok := obj["$oid"].(string)
	if !ok {
		return "", fmt.Errorf("expected {\"$oid\": <24 hex digits>}, got $oid %s", describeJSONValue(obj["$oid"]))
	}
	if _, err := hex.DecodeString(s); err != nil || len(s) != 24 {
		return "", fmt.Errorf("$oid %q is not 24 hex digits", s)
	}
	return s, nil
}

func cliqueData(m map[string]any) (map[string]any, error) {
	switch d := m["data"].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return d, nil
	default:
		return nil, fmt.Errorf("expected an object, got %s", TypeName(d))
	}
}

// WriteCliqueJSON writes g as Clique's graph JSON (compact, keys sorted):
// each node {"_id": {"$oid"}, "type": "node", "data": attrs}, then each
// edge {"_id", "source", "target", "type": "link", "data": attrs}, with
// "data" left out when there are no attributes. Node ids are not written
// (Clique keys nodes by $oid, and Girder Worker did the same). ObjectIds
// are fresh but deterministic: the first 12 bytes of a SHA-256 of the node
// id, or of the edge's ends and its rank among parallel edges, so the same
// graph always gives the same text. Edge attributes are kept (Girder
// Worker dropped them unless one was literally named "data").
func WriteCliqueJSON(g *Graph) ([]byte, error) {
	if err := g.check(GraphCliqueJSON); err != nil {
		return nil, err
	}
	oids := make(map[string]string, len(g.Nodes))
	elems := make([]any, 0, len(g.Nodes)+len(g.Edges))
	for _, n := range g.Nodes {
		oid := derivedObjectID("node", n.ID)
		oids[n.ID] = oid
		el := map[string]any{"_id": map[string]any{"$oid": oid}, "type": "node"}
		if len(n.Attrs) > 0 {
			el["data"] = n.Attrs
		}
		elems = append(elems, el)
	}
	rank := map[[2]string]int{}
	for _, e := range g.Edges {
		k := [2]string{e.Source, e.Target}
		r := rank[k]
		rank[k]++
		el := map[string]any{
			"_id":    map[string]any{"$oid": derivedObjectID("link", e.Source, e.Target, strconv.Itoa(r))},
			"source": map[string]any{"$oid": oids[e.Source]},
			"target": map[string]any{"$oid": oids[e.Target]},
			"type":   "link",
		}
		if len(e.Attrs) > 0 {
			el["data"] = e.Attrs
		}
		elems = append(elems, el)
	}
	out, err := EncodeJSON(elems)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", GraphCliqueJSON, err)
	}
	return out, nil
}

// derivedObjectID is 24 hex digits from a hash of what identifies an
// element. Each part is length-prefixed, so ("a", "bc") and ("ab", "c")
// hash differently.
func derivedObjectID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
