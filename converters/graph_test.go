package converters

import (
	"context"
	"os"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/formats"
)

func graphRegistry(t *testing.T) *Registry {
	t.Helper()
	r := New(formats.Default())
	addGraph(r)
	return r
}

func graphTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../formats/testdata/graph/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGraphConverterTable(t *testing.T) {
	r := graphRegistry(t)
	if n := len(r.All()); n != 12 {
		t.Errorf("%d graph converters, want 12", n)
	}
	for _, c := range r.All() {
		if c.Runtime != formats.RuntimeGo {
			t.Errorf("%s runs in %q, want Go", c.Key(), c.Runtime)
		}
		if want := c.To == "adjacencylist"; c.Lossy != want {
			t.Errorf("%s: Lossy = %v, want %v", c.Key(), c.Lossy, want)
		}
		if c.From == "networkx" || c.To == "networkx" {
			t.Errorf("%s touches the python format", c.Key())
		}
	}
}

// undirectedPairs lists edges as sorted "a b" strings.
func undirectedPairs(g *formats.Graph) []string {
	var out []string
	for _, e := range g.Edges {
		a, b := e.Source, e.Target
		if b < a {
			a, b = b, a
		}
		out = append(out, a+" "+b)
	}
	sort.Strings(out)
	return out
}

func TestFacebookAdjacencyToNetworkX(t *testing.T) {
	r := graphRegistry(t)
	in := formats.Value{Type: "graph", Format: "adjacencylist", Bytes: graphTestdata(t, "facebook-sample-data.txt")}
	out := treeGraphConvert(t, r, in, "networkx.json")
	g, err := formats.ReadGraph("networkx.json", out.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	src, err := formats.ReadGraph("adjacencylist", in.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 3169 || len(g.Edges) != 4824 {
		t.Errorf("%d nodes, %d edges; want 3169 and 4824", len(g.Nodes), len(g.Edges))
	}
	if diff := cmp.Diff(undirectedPairs(src), undirectedPairs(g)); diff != "" {
		t.Errorf("edge sets differ:\n%s", diff)
	}
	// facebook-expected-networkx.json is what Girder Worker's facebook
	// example workflow kept after this conversion: the neighbourhood of
	// the most connected person (510, 158 friends). Its links are the
	// links of our graph between those 159 people.
	expected, err := formats.ReadGraph("networkx.json", graphTestdata(t, "facebook-expected-networkx.json"))
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, n := range expected.Nodes {
		keep[n.ID] = true
	}
	sub := &formats.Graph{}
	for _, e := range g.Edges {
		if keep[e.Source] && keep[e.Target] {
			sub.Edges = append(sub.Edges, e)
		}
	}
	if diff := cmp.Diff(undirectedPairs(expected), undirectedPairs(sub)); diff != "" {
		t.Errorf("expected links differ (-expected +ours):\n%s", diff)
	}
}

func TestCliqueThroughNetworkX(t *testing.T) {
	r := graphRegistry(t)
	in := formats.Value{Type: "graph", Format: "clique.json", Bytes: graphTestdata(t, "clique.json")}
	nx := treeGraphConvert(t, r, in, "networkx.json")
	back := treeGraphConvert(t, r, nx, "clique.json")
	g, err := formats.ReadGraph("clique.json", back.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 4 || len(g.Edges) != 3 {
		t.Fatalf("%d nodes and %d links, want 4 and 3", len(g.Nodes), len(g.Edges))
	}
	var names []any
	for _, n := range g.Nodes {
		names = append(names, n.Attrs["name"])
	}
	if diff := cmp.Diff([]any{"a", "b", "c", "d"}, names); diff != "" {
		t.Errorf("node data (-want +got):\n%s", diff)
	}
	if got := g.Edges[0].Attrs["name"]; got != "a -> b" {
		t.Errorf("first link data = %v, want a -> b (Girder Worker lost it)", got)
	}
}

func TestGraphAllPairs(t *testing.T) {
	r := graphRegistry(t)
	in := formats.Value{Type: "graph", Format: "clique.json", Bytes: graphTestdata(t, "clique.json")}
	for _, from := range formats.GraphFormats() {
		src := treeGraphConvert(t, r, in, from)
		for _, to := range formats.GraphFormats() {
			out := treeGraphConvert(t, r, src, to)
			g, err := formats.ReadGraph(to, out.Bytes)
			if err != nil {
				t.Fatalf("%s → %s gave unreadable text: %v", from, to, err)
			}
			if len(g.Nodes) != 4 || len(g.Edges) != 3 {
				t.Errorf("%s → %s: %d nodes, %d edges", from, to, len(g.Nodes), len(g.Edges))
			}
		}
	}
	c, _ := r.Get("graph", "graphml", "networkx.json")
	_, err := Convert(context.Background(), Env{}, c, formats.Value{Type: "graph", Format: "graphml", Bytes: []byte("<graphml><graph>")})
	if err == nil {
		t.Error("truncated graphml converted")
	}
}
