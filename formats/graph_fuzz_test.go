package formats

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// graphStructure is a graph without attributes, for comparisons across
// formats that keep different attributes.
type graphStructure struct {
	Directed bool
	Nodes    []string
	Edges    [][2]string
}

func graphStructureOf(g *Graph) graphStructure {
	s := graphStructure{Directed: g.Directed}
	for _, n := range g.Nodes {
		s.Nodes = append(s.Nodes, n.ID)
	}
	for _, e := range g.Edges {
		s.Edges = append(s.Edges, [2]string{e.Source, e.Target})
	}
	return s
}

// FuzzGraphML: reading never panics; what reads writes back, and writing
// what was read back gives the same text (type generalisation happens
// once, on the first write).
func FuzzGraphML(f *testing.F) {
	f.Add([]byte(networkxGraphML))
	f.Add(treeGraphTestdata(f, "graph/typed.graphml"))
	f.Add([]byte(`<graphml><key id="k" for="all" attr.name="x" attr.type="int"><default>3</default></key><graph><node id="a"/><edge source="a" target="a"><data key="k">1</data></edge></graph></graphml>`))
	f.Fuzz(func(t *testing.T, text []byte) {
		g, err := ReadGraphML(text)
		if err != nil {
			return
		}
		out, err := WriteGraphML(g)
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		g2, err := ReadGraphML(out)
		if err != nil {
			t.Fatalf("written text does not read: %v\n%s", err, out)
		}
		if diff := cmp.Diff(graphStructureOf(g), graphStructureOf(g2)); diff != "" {
			t.Fatalf("structure changed (-want +got):\n%s", diff)
		}
		out2, err := WriteGraphML(g2)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != string(out2) {
			t.Fatalf("second write differs:\n%s\n---\n%s", out, out2)
		}
	})
}

// FuzzAdjacencyList: reading never panics, and what reads writes back to
// the same nodes and edges (node order follows first mention in the text,
// which a neighbour can give before its own line, so it is not kept).
func FuzzAdjacencyList(f *testing.F) {
	f.Add(treeGraphTestdata(f, "graph/facebook-sample-data.txt")[:2000])
	f.Add([]byte("# comment\na b c  # trailing\n\nb\ta\t d\r\nc c\ne\n d a"))
	f.Fuzz(func(t *testing.T, text []byte) {
		g, err := ReadAdjacencyList(text)
		if err != nil {
			return
		}
		out, err := WriteAdjacencyList(g)
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		g2, err := ReadAdjacencyList(out)
		if err != nil {
			t.Fatalf("written text does not read: %v\n%q", err, out)
		}
		if diff := cmp.Diff(graphNodeSet(g), graphNodeSet(g2)); diff != "" {
			t.Fatalf("nodes changed (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(graphEdgeSet(g), graphEdgeSet(g2)); diff != "" {
			t.Fatalf("edges changed through %q (-want +got):\n%s", out, diff)
		}
	})
}

// FuzzCliqueJSON: reading never panics, and what reads writes back to the
// same nodes and links with the same data (ids are fresh).
func FuzzCliqueJSON(f *testing.F) {
	f.Add(treeGraphTestdata(f, "graph/clique.json"))
	f.Add(treeGraphTestdata(f, "graph/clique.clique.json"))
	f.Add([]byte(`[{"_id":{"$oid":"000000000000000000000001"},"type":"node","data":{"x":[1,2.5,{"y":null}]}},{"type":"link","source":{"$oid":"000000000000000000000001"},"target":{"$oid":"000000000000000000000001"}}]`))
	f.Fuzz(func(t *testing.T, text []byte) {
		g, err := ReadCliqueJSON(text)
		if err != nil {
			return
		}
		out, err := WriteCliqueJSON(g)
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		g2, err := ReadCliqueJSON(out)
		if err != nil {
			t.Fatalf("written text does not read: %v\n%s", err, out)
		}
		if len(g.Nodes) != len(g2.Nodes) || len(g.Edges) != len(g2.Edges) || g.Multigraph != g2.Multigraph {
			t.Fatalf("shape changed: %d/%d nodes, %d/%d edges", len(g.Nodes), len(g2.Nodes), len(g.Edges), len(g2.Edges))
		}
		pos := map[string]int{}
		for i, n := range g.Nodes {
			pos[n.ID] = i
			if diff := cmp.Diff(n.Attrs, g2.Nodes[i].Attrs, cmpopts.EquateNaNs()); diff != "" {
				t.Fatalf("node %d data (-want +got):\n%s", i, diff)
			}
		}
		pos2 := map[string]int{}
		for i, n := range g2.Nodes {
			pos2[n.ID] = i
		}
		for i, e := range g.Edges {
			e2 := g2.Edges[i]
			if pos[e.Source] != pos2[e2.Source] || pos[e.Target] != pos2[e2.Target] {
				t.Fatalf("edge %d moved", i)
			}
			if diff := cmp.Diff(e.Attrs, e2.Attrs, cmpopts.EquateNaNs()); diff != "" {
				t.Fatalf("edge %d data (-want +got):\n%s", i, diff)
			}
		}
	})
}

// FuzzNetworkXJSON: reading never panics, and what reads writes back to
// the same graph.
func FuzzNetworkXJSON(f *testing.F) {
	f.Add(treeGraphTestdata(f, "graph/facebook-expected-networkx.json"))
	f.Add(treeGraphTestdata(f, "graph/clique.networkx.json"))
	f.Add([]byte(`{"nodes": [{"id": 10}, {"id": [1, 2]}], "edges": [{"source": 10, "target": [1, 2], "w": NaN}]}`))
	f.Fuzz(func(t *testing.T, text []byte) {
		g, err := ReadNetworkXJSON(text)
		if err != nil {
			return
		}
		out, err := WriteNetworkXJSON(g)
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		g2, err := ReadNetworkXJSON(out)
		if err != nil {
			t.Fatalf("written text does not read: %v\n%s", err, out)
		}
		if diff := cmp.Diff(g, g2, cmpopts.EquateNaNs()); diff != "" {
			t.Fatalf("round trip through %s (-want +got):\n%s", out, diff)
		}
	})
}
