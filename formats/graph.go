package formats

import (
	"fmt"
	"maps"
)

// Graph is a graph as the graph text formats (adjacencylist, clique.json,
// networkx.json, graphml) describe it, with networkx's semantics: node ids
// are unique, a simple graph (Multigraph false) has at most one edge per
// node pair (per ordered pair when Directed), and attributes are
// JSON-like values (nil, bool, int64, float64, string, []any,
// map[string]any).
type Graph struct {
	Directed   bool
	Multigraph bool
	Attrs      map[string]any // graph attributes
	Nodes      []GraphNode    // in the order the source listed them
	Edges      []GraphEdge    // in the order the source listed them
}

// GraphNode is a node: its id and attributes.
type GraphNode struct {
	// ID identifies the node in Edges and in the text formats.
	ID string
	// JSONID is the id as networkx.json gave it when it was not a string
	// (networkx ids may be integers, tuples, …; ID then holds its JSON
	// text), so networkx.json round trips keep 7 an integer. nil otherwise.
	JSONID any
	Attrs  map[string]any
}

// GraphEdge is an edge between two node ids.
type GraphEdge struct {
	Source, Target string
	Attrs          map[string]any
}

// Graph format names, as registered for the graph type.
const (
	GraphAdjacencyList = "adjacencylist"
	GraphCliqueJSON    = "clique.json"
	GraphNetworkXJSON  = "networkx.json"
	GraphGraphML       = "graphml"
)

// GraphFormats lists the graph text formats ReadGraph and WriteGraph know.
func GraphFormats() []string {
	return []string{GraphAdjacencyList, GraphCliqueJSON, GraphGraphML, GraphNetworkXJSON}
}

// ReadGraph parses text of a graph format (see GraphFormats).
func ReadGraph(format string, text []byte) (*Graph, error) {
	switch format {
	case GraphAdjacencyList:
		return ReadAdjacencyList(text)
	case GraphCliqueJSON:
		return ReadCliqueJSON(text)
	case GraphNetworkXJSON:
		return ReadNetworkXJSON(text)
	case GraphGraphML:
		return ReadGraphML(text)
	}
	return nil, fmt.Errorf("unknown graph format %q (known: %v)", format, GraphFormats())
}

// WriteGraph writes g in a graph format (see GraphFormats).
func WriteGraph(format string, g *Graph) ([]byte, error) {
	if g == nil {
		return nil, fmt.Errorf("%s: no graph to write", format)
	}
	switch format {
	case GraphAdjacencyList:
		return WriteAdjacencyList(g)
	case GraphCliqueJSON:
		return WriteCliqueJSON(g)
	case GraphNetworkXJSON:
		return WriteNetworkXJSON(g)
	case GraphGraphML:
		return WriteGraphML(g)
	}
	return nil, fmt.Errorf("unknown graph format %q (known: %v)", format, GraphFormats())
}

// graphBuilder assembles a Graph the way networkx does: adding a node
// twice merges its attributes, and in a simple graph adding an edge twice
// merges the edge's attributes into the first one.
type graphBuilder struct {
	g     Graph
	index map[string]int // node id → position in g.Nodes
}

func newGraphBuilder(directed bool) *graphBuilder {
	return &graphBuilder{g: Graph{Directed: directed}, index: map[string]int{}}
}

func (b *graphBuilder) has(id string) bool {
	_, ok := b.index[id]
	return ok
}

// node adds a node or merges attrs into the existing one.
func (b *graphBuilder) node(id string, jsonID any, attrs map[string]any) {
	if i, ok := b.index[id]; ok {
		b.g.Nodes[i].Attrs = mergeGraphAttrs(b.g.Nodes[i].Attrs, attrs)
		return
	}
	b.index[id] = len(b.g.Nodes)
	b.g.Nodes = append(b.g.Nodes, GraphNode{ID: id, JSONID: jsonID, Attrs: mergeGraphAttrs(nil, attrs)})
}

// edge records an edge, adding missing end nodes (networkx's add_edge).
func (b *graphBuilder) edge(source, target string, attrs map[string]any) {
	b.node(source, nil, nil)
	b.node(target, nil, nil)
	b.g.Edges = append(b.g.Edges, GraphEdge{Source: source, Target: target, Attrs: attrs})
}

// pairKey identifies the node pair of an edge: ordered when directed.
func (b *graphBuilder) pairKey(e GraphEdge) [2]string {
	if !b.g.Directed && e.Target < e.Source {
		return [2]string{e.Target, e.Source}
	}
	return [2]string{e.Source, e.Target}
}

// hasParallel reports whether some node pair has more than one edge.
func (b *graphBuilder) hasParallel() bool {
	seen := make(map[[2]string]bool, len(b.g.Edges))
	for _, e := range b.g.Edges {
		k := b.pairKey(e)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// finish returns the graph; a simple graph's repeated edges are merged
// into the first, later attributes winning.
func (b *graphBuilder) finish(multigraph bool) *Graph {
	b.g.Multigraph = multigraph
	if multigraph {
		for i := range b.g.Edges {
			b.g.Edges[i].Attrs = mergeGraphAttrs(nil, b.g.Edges[i].Attrs)
		}
	} else {
		first := make(map[[2]string]int, len(b.g.Edges))
		edges := b.g.Edges[:0]
		for _, e := range b.g.Edges {
			k := b.pairKey(e)
			if i, ok := first[k]; ok {
				edges[i].Attrs = mergeGraphAttrs(edges[i].Attrs, e.Attrs)
				continue
			}
			first[k] = len(edges)
			e.Attrs = mergeGraphAttrs(nil, e.Attrs)
			edges = append(edges, e)
		}
		b.g.Edges = edges
	}
	g := b.g
	return &g
}

// mergeGraphAttrs copies src into dst (allocated when needed); an empty result
// stays nil so graphs compare equal whatever format they came from.
func mergeGraphAttrs(dst, src map[string]any) map[string]any {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]any, len(src))
	}
	maps.Copy(dst, src)
	return dst
}

// check is what every writer needs of a graph: unique node ids and edges
// between nodes of the graph.
func (g *Graph) check(format string) error {
	ids := make(map[string]bool, len(g.Nodes))
	for i, n := range g.Nodes {
		if ids[n.ID] {
			return fmt.Errorf("%s: node %d: id %q is used twice", format, i, n.ID)
		}
		ids[n.ID] = true
	}
	for i, e := range g.Edges {
		for _, id := range []string{e.Source, e.Target} {
			if !ids[id] {
				return fmt.Errorf("%s: edge %d (%q to %q): no node with id %q", format, i, e.Source, e.Target, id)
			}
		}
	}
	return nil
}
