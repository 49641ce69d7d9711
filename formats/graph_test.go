package formats

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// graphEdgeSet lists a graph's edges as "a b" strings (ends sorted when
// undirected), sorted, for order-free comparison.
func graphEdgeSet(g *Graph) []string {
	out := make([]string, 0, len(g.Edges))
	for _, e := range g.Edges {
		s, t := e.Source, e.Target
		if !g.Directed && t < s {
			s, t = t, s
		}
		out = append(out, s+" "+t)
	}
	sort.Strings(out)
	return out
}

func graphNodeSet(g *Graph) []string {
	out := make([]string, 0, len(g.Nodes))
	for _, n := range g.Nodes {
		out = append(out, n.ID)
	}
	sort.Strings(out)
	return out
}

func mustReadGraph(t *testing.T, format string, text []byte) *Graph {
	t.Helper()
	g, err := ReadGraph(format, text)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func mustWriteGraph(t *testing.T, format string, g *Graph) []byte {
	t.Helper()
	out, err := WriteGraph(format, g)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAdjacencyList(t *testing.T) {
	in := "# a comment line\na b c  # trailing comment\n\nb\ta\t d\r\nc c\ne\n d a"
	g := mustReadGraph(t, GraphAdjacencyList, []byte(in))
	want := &Graph{
		Nodes: []GraphNode{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}, {ID: "e"}},
		Edges: []GraphEdge{{Source: "a", Target: "b"}, {Source: "a", Target: "c"}, {Source: "b", Target: "d"},
			{Source: "c", Target: "c"}, {Source: "d", Target: "a"}},
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// networkx's generate_adjlist: each undirected edge once, from the
	// end whose line comes first.
	out := mustWriteGraph(t, GraphAdjacencyList, g)
	if want := "a b c d\nb d\nc c\nd\ne"; string(out) != want {
		t.Errorf("written:\n%s\nwant:\n%s", out, want)
	}

	directed := &Graph{Directed: true, Multigraph: true,
		Nodes: []GraphNode{{ID: "x"}, {ID: "y"}},
		Edges: []GraphEdge{{Source: "x", Target: "y"}, {Source: "y", Target: "x"}, {Source: "x", Target: "y"}}}
	if out := mustWriteGraph(t, GraphAdjacencyList, directed); string(out) != "x y y\ny x" {
		t.Errorf("directed multigraph written as %q", out)
	}
	for _, id := range []string{"a b", "a#b", ""} {
		_, err := WriteGraph(GraphAdjacencyList, &Graph{Nodes: []GraphNode{{ID: id}}})
		if err == nil || !strings.Contains(err.Error(), "cannot be written") {
			t.Errorf("node id %q: err = %v", id, err)
		}
	}
}

// The Girder Worker facebook example: the adjacency list of 5000 edge
// lines converts to networkx.json; the example workflow then keeps the
// neighbourhood of the most connected person, which is what the expected
// file (159 nodes, 300 links) holds.
func TestFacebook(t *testing.T) {
	adj := treeGraphTestdata(t, "graph/facebook-sample-data.txt")
	g := mustReadGraph(t, GraphAdjacencyList, adj)
	if len(g.Nodes) != 3169 || len(g.Edges) != 4824 {
		t.Errorf("read %d nodes and %d edges, want 3169 and 4824 (5000 lines, repeated pairs merged)", len(g.Nodes), len(g.Edges))
	}
	nxText := mustWriteGraph(t, GraphNetworkXJSON, g)
	nx := mustReadGraph(t, GraphNetworkXJSON, nxText)
	if nx.Directed || nx.Multigraph {
		t.Errorf("directed=%v multigraph=%v, want an undirected simple graph", nx.Directed, nx.Multigraph)
	}
	if diff := cmp.Diff(graphNodeSet(g), graphNodeSet(nx)); diff != "" {
		t.Errorf("node sets differ:\n%s", diff)
	}
	if diff := cmp.Diff(graphEdgeSet(g), graphEdgeSet(nx)); diff != "" {
		t.Errorf("edge sets differ:\n%s", diff)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(adj)), "\n") {
		a, b, _ := strings.Cut(line, "\t")
		if !graphHasEdge(nx, a, b) {
			t.Fatalf("edge %s–%s of the input is missing", a, b)
		}
	}

	// The ego graph of the most connected node equals the expected file.
	ego := graphEgo(nx)
	expected := mustReadGraph(t, GraphNetworkXJSON, treeGraphTestdata(t, "graph/facebook-expected-networkx.json"))
	if len(expected.Nodes) != 159 || len(expected.Edges) != 300 {
		t.Fatalf("expected file: %d nodes, %d links", len(expected.Nodes), len(expected.Edges))
	}
	if diff := cmp.Diff(graphNodeSet(expected), graphNodeSet(ego)); diff != "" {
		t.Errorf("node sets differ (-expected +ours):\n%s", diff)
	}
	if diff := cmp.Diff(graphEdgeSet(expected), graphEdgeSet(ego)); diff != "" {
		t.Errorf("edge sets differ (-expected +ours):\n%s", diff)
	}
}

func graphHasEdge(g *Graph, a, b string) bool {
	for _, e := range g.Edges {
		if e.Source == a && e.Target == b || e.Source == b && e.Target == a {
			return true
		}
	}
	return false
}

// graphEgo is the subgraph induced by the node of highest degree and its
// neighbours (networkx's ego_graph of the most popular person).
func graphEgo(g *Graph) *Graph {
	nbrs := map[string]map[string]bool{}
	for _, e := range g.Edges {
		for _, p := range [][2]string{{e.Source, e.Target}, {e.Target, e.Source}} {
			if nbrs[p[0]] == nil {
				nbrs[p[0]] = map[string]bool{}
			}
			nbrs[p[0]][p[1]] = true
		}
	}
	top := g.Nodes[0].ID
	for _, n := range g.Nodes {
		if len(nbrs[n.ID]) > len(nbrs[top]) {
			top = n.ID
		}
	}
	keep := map[string]bool{top: true}
	for n := range nbrs[top] {
		keep[n] = true
	}
	ego := &Graph{}
	for _, n := range g.Nodes {
		if keep[n.ID] {
			ego.Nodes = append(ego.Nodes, n)
		}
	}
	for _, e := range g.Edges {
		if keep[e.Source] && keep[e.Target] {
			ego.Edges = append(ego.Edges, e)
		}
	}
	return ego
}

func TestCliqueJSON(t *testing.T) {
	g := mustReadGraph(t, GraphCliqueJSON, treeGraphTestdata(t, "graph/clique.json"))
	want := &Graph{
		Directed: true,
		Nodes: []GraphNode{
			{ID: "55ba5019f8883b5bf35f3e2d", Attrs: map[string]any{"name": "a"}},
			{ID: "55ba5019f8883b5bf35f3e2e", Attrs: map[string]any{"name": "b"}},
			{ID: "55ba5019f8883b5bf35f3e2f", Attrs: map[string]any{"name": "c"}},
			{ID: "55ba5019f8883b5bf35f3e30", Attrs: map[string]any{"name": "d"}},
		},
		Edges: []GraphEdge{
			{Source: "55ba5019f8883b5bf35f3e2d", Target: "55ba5019f8883b5bf35f3e2e", Attrs: map[string]any{"name": "a -> b"}},
			{Source: "55ba5019f8883b5bf35f3e2d", Target: "55ba5019f8883b5bf35f3e2f"},
			{Source: "55ba5019f8883b5bf35f3e2e", Target: "55ba5019f8883b5bf35f3e2f"},
		},
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// clique.json → networkx.json → clique.json keeps the 4 nodes and the
	// 3 links with their data.
	nxText := mustWriteGraph(t, GraphNetworkXJSON, g)
	treeGraphGolden(t, "graph/clique.networkx.json", append(nxText, '\n'))
	cliqueText := mustWriteGraph(t, GraphCliqueJSON, mustReadGraph(t, GraphNetworkXJSON, nxText))
	treeGraphGolden(t, "graph/clique.clique.json", append(cliqueText, '\n'))
	back := mustReadGraph(t, GraphCliqueJSON, cliqueText)
	if len(back.Nodes) != 4 || len(back.Edges) != 3 {
		t.Fatalf("%d nodes, %d links; want 4 and 3", len(back.Nodes), len(back.Edges))
	}
	for i, n := range back.Nodes {
		if diff := cmp.Diff(want.Nodes[i].Attrs, n.Attrs); diff != "" {
			t.Errorf("node %d data (-want +got):\n%s", i, diff)
		}
	}
	for i, e := range back.Edges {
		if diff := cmp.Diff(want.Edges[i].Attrs, e.Attrs); diff != "" {
			t.Errorf("link %d data (-want +got):\n%s", i, diff)
		}
	}
	// The ObjectIds are fresh but reproducible.
	if again := mustWriteGraph(t, GraphCliqueJSON, mustReadGraph(t, GraphNetworkXJSON, nxText)); string(again) != string(cliqueText) {
		t.Error("writing the same graph twice gave different clique.json")
	}
}

func TestCliqueMultigraph(t *testing.T) {
	in := `[{"_id":{"$oid":"000000000000000000000001"},"type":"node"},
	        {"_id":{"$oid":"000000000000000000000002"},"type":"node"},
	        {"type":"link","source":{"$oid":"000000000000000000000001"},"target":{"$oid":"000000000000000000000002"},"data":{"w":1}},
	        {"type":"link","source":{"$oid":"000000000000000000000001"},"target":{"$oid":"000000000000000000000002"},"data":{"w":2}}]`
	g := mustReadGraph(t, GraphCliqueJSON, []byte(in))
	if !g.Multigraph || len(g.Edges) != 2 {
		t.Fatalf("multigraph=%v with %d edges, want a multigraph with 2", g.Multigraph, len(g.Edges))
	}
	back := mustReadGraph(t, GraphCliqueJSON, mustWriteGraph(t, GraphCliqueJSON, g))
	if !back.Multigraph || back.Edges[1].Attrs["w"] != int64(2) {
		t.Errorf("parallel links lost: %+v", back)
	}
}

func TestNetworkXJSONForms(t *testing.T) {
	tests := []struct {
		name, in string
		want     *Graph
	}{
		{"networkx 1.x positions", `{"directed": false, "multigraph": false, "graph": {"name": "g"},
			"nodes": [{"id": "a", "color": "red"}, {"id": "b"}], "links": [{"source": 0, "target": 1, "weight": 1.5}]}`,
			&Graph{Attrs: map[string]any{"name": "g"},
				Nodes: []GraphNode{{ID: "a", Attrs: map[string]any{"color": "red"}}, {ID: "b"}},
				Edges: []GraphEdge{{Source: "a", Target: "b", Attrs: map[string]any{"weight": 1.5}}}}},
		{"networkx 2.x ids", `{"directed": true, "multigraph": false, "graph": {},
			"nodes": [{"id": "a"}, {"id": "b"}], "links": [{"source": "b", "target": "a"}]}`,
			&Graph{Directed: true, Nodes: []GraphNode{{ID: "a"}, {ID: "b"}}, Edges: []GraphEdge{{Source: "b", Target: "a"}}}},
		{"networkx 3.x edges key, integer ids", `{"directed": false, "multigraph": false, "graph": {},
			"nodes": [{"id": 10}, {"id": 20}], "edges": [{"source": 10, "target": 20}]}`,
			&Graph{Nodes: []GraphNode{{ID: "10", JSONID: int64(10)}, {ID: "20", JSONID: int64(20)}},
				Edges: []GraphEdge{{Source: "10", Target: "20"}}}},
		{"defaults: multigraph, missing ids", `{"nodes": [{}, {"x": 1}], "links": [{"source": 0, "target": 1}, {"source": 1, "target": 0}]}`,
			&Graph{Multigraph: true, Nodes: []GraphNode{{ID: "0", JSONID: int64(0)}, {ID: "1", JSONID: int64(1), Attrs: map[string]any{"x": int64(1)}}},
				Edges: []GraphEdge{{Source: "0", Target: "1"}, {Source: "1", Target: "0"}}}},
		{"simple graph merges repeated edges", `{"multigraph": false, "nodes": [{"id": "a"}, {"id": "b"}],
			"links": [{"source": 0, "target": 1, "w": 1}, {"source": 1, "target": 0, "w": 2, "x": 3}]}`,
			&Graph{Nodes: []GraphNode{{ID: "a"}, {ID: "b"}},
				Edges: []GraphEdge{{Source: "a", Target: "b", Attrs: map[string]any{"w": int64(2), "x": int64(3)}}}}},
		{"old graph attribute pairs", `{"multigraph": false, "graph": [["name", "old"]], "nodes": [], "links": []}`,
			&Graph{Attrs: map[string]any{"name": "old"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustReadGraph(t, GraphNetworkXJSON, []byte(tt.in))
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			back := mustReadGraph(t, GraphNetworkXJSON, mustWriteGraph(t, GraphNetworkXJSON, g))
			if diff := cmp.Diff(g, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// typedGraph has attributes of every GraphML type.
func typedGraph() *Graph {
	return &Graph{
		Directed: true,
		Attrs:    map[string]any{"name": "typed", "version": int64(2)},
		Nodes: []GraphNode{
			{ID: "n0", Attrs: map[string]any{"label": "first <&> \"node\"", "size": int64(3), "score": 0.25, "active": true}},
			{ID: "n1", Attrs: map[string]any{"label": "  spaced\nlines\r\n", "size": int64(-7), "score": 1e-300, "active": false}},
			{ID: "n 2"},
		},
		Edges: []GraphEdge{
			{Source: "n0", Target: "n1", Attrs: map[string]any{"weight": 1.5, "id": "e0"}},
			{Source: "n1", Target: "n 2", Attrs: map[string]any{"weight": 2.0, "kind": "x"}},
			{Source: "n 2", Target: "n 2"},
		},
	}
}

func TestGraphMLRoundTrip(t *testing.T) {
	g := typedGraph()
	out := mustWriteGraph(t, GraphGraphML, g)
	treeGraphGolden(t, "graph/typed.graphml", out)
	back := mustReadGraph(t, GraphGraphML, out)
	if diff := cmp.Diff(g, back); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The other formats keep the structure; an adjacency list cannot
	// hold the id "n 2".
	if _, err := WriteGraph(GraphAdjacencyList, g); err == nil {
		t.Error("adjacencylist wrote an id holding a space")
	}
	g.Nodes[2].ID = "n2"
	g.Edges[1].Target, g.Edges[2].Source, g.Edges[2].Target = "n2", "n2", "n2"
	for _, f := range GraphFormats() {
		text := mustWriteGraph(t, f, g)
		h := mustReadGraph(t, f, text)
		if len(h.Nodes) != 3 || len(h.Edges) != 3 {
			t.Errorf("%s: %d nodes and %d edges", f, len(h.Nodes), len(h.Edges))
		}
	}
}

func TestGraphMLMixedTypes(t *testing.T) {
	g := &Graph{Nodes: []GraphNode{
		{ID: "a", Attrs: map[string]any{"n": int64(1), "m": true, "l": []any{int64(1), "x"}, "z": nil}},
		{ID: "b", Attrs: map[string]any{"n": 2.5, "m": "yes"}},
	}}
	back := mustReadGraph(t, GraphGraphML, mustWriteGraph(t, GraphGraphML, g))
	want := []GraphNode{
		{ID: "a", Attrs: map[string]any{"n": 1.0, "m": "true", "l": `[1,"x"]`}},
		{ID: "b", Attrs: map[string]any{"n": 2.5, "m": "yes"}},
	}
	if diff := cmp.Diff(want, back.Nodes); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A file as networkx's write_graphml writes it (keys in reverse order,
// long/double types, a default), plus an undirected parallel edge.
const networkxGraphML = `<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
  <key id="d2" for="edge" attr.name="weight" attr.type="double" />
  <key id="d1" for="node" attr.name="flag" attr.type="boolean"><default>false</default></key>
  <key id="d0" for="node" attr.name="count" attr.type="long" />
  <key id="y" for="node" yfiles.type="nodegraphics" />
  <graph edgedefault="undirected">
    <desc>ignored</desc>
    <node id="a">
      <data key="d0">12</data>
      <data key="d1">True</data>
      <data key="y"><y:ShapeNode xmlns:y="http://www.yworks.com/xml/graphml"/></data>
    </node>
    <node id="b"><data key="d0"> 7 </data></node>
    <edge source="a" target="b"><data key="d2">0.5</data></edge>
    <edge id="second" source="b" target="a"><data key="d2">INF</data></edge>
  </graph>
  <graph edgedefault="directed"><node id="ignored"/></graph>
</graphml>
`

func TestReadGraphMLNetworkX(t *testing.T) {
	g := mustReadGraph(t, GraphGraphML, []byte(networkxGraphML))
	if !g.Multigraph || g.Directed {
		t.Errorf("multigraph=%v directed=%v; want an undirected multigraph", g.Multigraph, g.Directed)
	}
	wantNodes := []GraphNode{
		{ID: "a", Attrs: map[string]any{"count": int64(12), "flag": true}},
		{ID: "b", Attrs: map[string]any{"count": int64(7), "flag": false}},
	}
	if diff := cmp.Diff(wantNodes, g.Nodes); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	if w := g.Edges[0].Attrs["weight"]; w != 0.5 {
		t.Errorf("first edge weight = %v", w)
	}
	if id := g.Edges[1].Attrs["id"]; id != "second" {
		t.Errorf("second edge id = %v", id)
	}
}

func TestGraphReadErrors(t *testing.T) {
	tests := []struct {
		name, format, in string
		line, col        int // 0: not a SyntaxError
		msg              string
	}{
		{"truncated xml", GraphGraphML, "<graphml>\n<graph>\n<node id=\"a\">", 3, 14, "unexpected EOF"},
		{"not xml", GraphGraphML, "hello", 1, 6, "no <graphml> element"},
		{"undeclared key", GraphGraphML, "<graphml><graph><node id=\"a\"><data key=\"k\">1</data></node></graph></graphml>", 1, 30, `no <key> declares "k"`},
		{"bad int", GraphGraphML, "<graphml><key id=\"k\" for=\"node\" attr.name=\"n\" attr.type=\"int\"/>\n<graph><node id=\"a\"><data key=\"k\">1.5</data></node></graph></graphml>", 2, 21, `"1.5" is not a int`},
		{"dangling graphml edge", GraphGraphML, "<graphml><graph><node id=\"a\"/>\n<edge source=\"a\" target=\"b\"/></graph></graphml>", 2, 1, `no <node> has id "b"`},
		{"nested graph", GraphGraphML, "<graphml><graph><node id=\"a\"><graph/></node></graph></graphml>", 1, 30, "nested <graph>"},
		{"bad edgedefault", GraphGraphML, "<graphml><graph edgedefault=\"both\"/></graphml>", 1, 10, "edgedefault"},
		{"json syntax", GraphNetworkXJSON, "{\"nodes\": [\n  {\"id\": 1,}\n]}", 2, 12, "invalid JSON"},
		{"truncated json", GraphNetworkXJSON, `{"nodes": [`, 1, 12, "unexpected end"},
		{"dangling position", GraphNetworkXJSON, `{"nodes": [{"id": "a"}], "links": [{"source": 0, "target": 3}]}`, 0, 0,
			"networkx.json: links[0].source: 0 is a node position but not a node id"},
		{"dangling position alone", GraphNetworkXJSON, `{"nodes": [{"id": "a"}], "links": [{"source": 3, "target": 3}]}`, 0, 0,
			"networkx.json: links[0].source: 3 is neither a node position (there are 1 nodes) nor a node id"},
		{"dangling id", GraphNetworkXJSON, `{"nodes": [{"id": "a"}], "links": [{"source": "a", "target": "zz"}]}`, 0, 0,
			`networkx.json: links[0].target: no node has id "zz"`},
		{"missing target", GraphNetworkXJSON, `{"nodes": [], "links": [{"source": 0}]}`, 0, 0, `links[0]: missing key "target"`},
		{"no nodes", GraphNetworkXJSON, `{"links": []}`, 0, 0, "nodes: expected a list, got null"},
		{"bad directed", GraphNetworkXJSON, `{"directed": "yes", "nodes": [], "links": []}`, 0, 0, `directed: expected true or false, got "yes"`},
		{"clique not an array", GraphCliqueJSON, `{}`, 0, 0, "expected a JSON array"},
		{"clique dangling", GraphCliqueJSON, `[{"type": "link", "source": {"$oid": "000000000000000000000001"}, "target": {"$oid": "000000000000000000000001"}}]`, 0, 0,
			`clique.json: [0].source: no node has $oid "000000000000000000000001"`},
		{"clique bad oid", GraphCliqueJSON, `[{"type": "node", "_id": {"$oid": "xyz"}}]`, 0, 0, `[0]._id: $oid "xyz" is not 24 hex digits`},
		{"clique bad type", GraphCliqueJSON, `[{"type": "edge"}]`, 0, 0, `[0].type: expected "node" or "link", got "edge"`},
		{"clique bad data", GraphCliqueJSON, `[{"type": "node", "_id": {"$oid": "000000000000000000000001"}, "data": 3}]`, 0, 0, "[0].data: expected an object, got integer"},
		{"adjacency invalid utf-8", GraphAdjacencyList, "a b\nc \xfe", 2, 3, "invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadGraph(tt.format, []byte(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want it to contain %q", err, tt.msg)
			}
			var se *SyntaxError
			isSyntax := errors.As(err, &se)
			switch {
			case tt.line == 0 && isSyntax:
				t.Errorf("err = %v is a SyntaxError; want a path error", err)
			case tt.line != 0 && !isSyntax:
				t.Errorf("err = %v, want a SyntaxError at line %d, column %d", err, tt.line, tt.col)
			case tt.line != 0 && (se.Line != tt.line || se.Col != tt.col):
				t.Errorf("err = %v, want line %d, column %d", err, tt.line, tt.col)
			}
		})
	}
	if _, err := ReadGraph("gml", nil); err == nil {
		t.Error("unknown format: no error")
	}
}

func TestWriteGraphChecks(t *testing.T) {
	dup := &Graph{Nodes: []GraphNode{{ID: "a"}, {ID: "a"}}}
	dangling := &Graph{Nodes: []GraphNode{{ID: "a"}}, Edges: []GraphEdge{{Source: "a", Target: "b"}}}
	control := &Graph{Nodes: []GraphNode{{ID: "a\x01"}}}
	for _, f := range GraphFormats() {
		if _, err := WriteGraph(f, dup); err == nil || !strings.Contains(err.Error(), "used twice") {
			t.Errorf("%s, duplicate ids: err = %v", f, err)
		}
		if _, err := WriteGraph(f, dangling); err == nil || !strings.Contains(err.Error(), `no node with id "b"`) {
			t.Errorf("%s, dangling edge: err = %v", f, err)
		}
	}
	if _, err := WriteGraph(GraphGraphML, control); err == nil || !strings.Contains(err.Error(), "cannot be written in XML") {
		t.Errorf("graphml, control character: err = %v", err)
	}
}
