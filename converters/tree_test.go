package converters

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/formats"
)

// treeRegistry holds only the tree converters.
func treeRegistry(t *testing.T) *Registry {
	t.Helper()
	r := New(formats.Default())
	addTree(r)
	return r
}

// convertPath converts in to the format to along the registry's path.
func treeGraphConvert(t *testing.T, r *Registry, in formats.Value, to string) formats.Value {
	t.Helper()
	path, err := r.Path(in.Type, in.Format, to)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ConvertPath(context.Background(), Env{}, path, in)
	if err != nil {
		t.Fatalf("%s/%s → %s: %v", in.Type, in.Format, to, err)
	}
	return out
}

func treeTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../formats/testdata/tree/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTreeConverters(t *testing.T) {
	r := treeRegistry(t)
	gw := "((ahli:0,allogus:1):2,rubribarbus:3);"
	anolis := strings.TrimSpace(string(treeTestdata(t, "anolis.phy")))
	geospiza := strings.TrimSpace(string(treeTestdata(t, "geospiza_from_otl.phy")))
	tests := []struct {
		name   string
		newick string
		via    []string // formats to pass through, in order, back to newick
	}{
		{"girder worker round trip", gw, []string{"nested"}},
		{"anolis through nested", anolis, []string{"nested"}},
		{"anolis through nested.json", anolis, []string{"nested.json"}},
		{"geospiza through nested", geospiza, []string{"nested"}},
		{"anolis through nexus", anolis, []string{"nexus"}},
		{"anolis through phyloxml", anolis, []string{"phyloxml"}},
		{"nexus to nested and back", gw, []string{"nexus", "nested", "nexus"}},
		{"phyloxml to nested.json", geospiza, []string{"phyloxml", "nested.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := formats.Value{Type: "tree", Format: "newick", Bytes: []byte(tt.newick)}
			for _, f := range append(tt.via, "newick") {
				v = treeGraphConvert(t, r, v, f)
				if v.Format != f {
					t.Fatalf("converted to %s, want %s", v.Format, f)
				}
			}
			if diff := cmp.Diff(tt.newick, strings.TrimSpace(string(v.Bytes))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTreePaths(t *testing.T) {
	r := treeRegistry(t)
	for _, tt := range []struct{ from, to, want string }{
		{"newick", "nested", "newick→nested"},
		{"nexus", "nested", "nexus→newick→nested"},
		{"nested.json", "nexus", "nested.json→nested→newick→nexus"},
		{"phyloxml", "nested", "phyloxml→newick→nested"},
	} {
		path, err := r.Path("tree", tt.from, tt.to)
		if err != nil {
			t.Fatal(err)
		}
		got := tt.from
		for _, c := range path {
			got += "→" + c.To
		}
		if got != tt.want {
			t.Errorf("path %s → %s = %s, want %s", tt.from, tt.to, got, tt.want)
		}
	}
	if _, err := r.Path("tree", "treestore", "newick"); err == nil {
		t.Error("treestore converts to newick; Girder Worker made it only from R")
	}
}

func TestNewickToNestedValue(t *testing.T) {
	r := treeRegistry(t)
	out := treeGraphConvert(t, r, formats.Value{Type: "tree", Format: "newick", Bytes: []byte("(a:1,b)c;")}, "nested")
	want := map[string]any{
		"node_fields": []any{"node name", "node weight"},
		"edge_fields": []any{"weight"},
		"node_data":   map[string]any{"node name": "c", "node weight": 0.0},
		"children": []any{
			map[string]any{"node_data": map[string]any{"node name": "a", "node weight": 1.0}, "edge_data": map[string]any{"weight": 1.0}},
			map[string]any{"node_data": map[string]any{"node name": "b", "node weight": 0.0}},
		},
	}
	if diff := cmp.Diff(want, out.Data); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTreeConverterErrors(t *testing.T) {
	r := treeRegistry(t)
	tests := []struct {
		from, to string
		in       formats.Value
		want     string
	}{
		{"newick", "nested", formats.Value{Bytes: []byte("((a,b);")}, "newick: line 1, column 7"},
		{"newick", "nested", formats.Value{Bytes: []byte("(a,b);(c,d);")}, "holds 2 trees; nested holds one"},
		{"nested", "newick", formats.Value{Data: map[string]any{"children": []any{}}}, `nested: root: missing key "node_data"`},
		{"nested.json", "nested", formats.Value{Bytes: []byte("[1]")}, "expected a JSON object"},
		{"nexus", "newick", formats.Value{Bytes: []byte("#NEXUS\nBEGIN TREES;\n")}, "no TREE command"},
		{"phyloxml", "newick", formats.Value{Bytes: []byte("<phyloxml><phylogeny>")}, "phyloxml: line 1"},
		{"newick", "nexus", formats.Value{Path: "/nonexistent/x.nwk"}, "no such file or directory"},
	}
	for _, tt := range tests {
		c, ok := r.Get("tree", tt.from, tt.to)
		if !ok {
			t.Fatalf("no converter %s → %s", tt.from, tt.to)
		}
		tt.in.Type, tt.in.Format = "tree", tt.from
		_, err := Convert(context.Background(), Env{}, c, tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s → %s: err = %v, want %q", tt.from, tt.to, err, tt.want)
		}
	}
}
