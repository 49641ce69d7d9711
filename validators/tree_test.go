package validators

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
)

// treeGraphValidators holds only the tree and graph validators.
func treeGraphValidators() *Registry {
	r := New(formats.Default())
	addTree(r)
	addGraph(r)
	return r
}

func treeGraphTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../formats/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type treeGraphCase struct {
	name   string
	format string
	value  formats.Value
	want   string // "" when valid, else a part of the error
}

func runTreeGraphCases(t *testing.T, typ string, cases []treeGraphCase) {
	t.Helper()
	r := treeGraphValidators()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.value
			v.Type, v.Format = typ, tc.format
			err := r.Validate(context.Background(), converters.Env{}, v)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("valid value rejected: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("invalid value accepted; want an error containing %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTreeValidators(t *testing.T) {
	text := func(s string) formats.Value { return formats.Value{Bytes: []byte(s)} }
	nested := func(v any) formats.Value { return formats.Value{Data: v} }
	good := map[string]any{
		"node_data": map[string]any{"node name": "", "node weight": 0.0},
		"children":  []any{map[string]any{"node_data": map[string]any{"node name": "a"}, "edge_data": map[string]any{"weight": 1.0}}},
	}
	badChild := map[string]any{
		"node_data": map[string]any{},
		"children": []any{
			map[string]any{"node_data": map[string]any{}},
			map[string]any{"node_data": map[string]any{}},
			map[string]any{"node_data": "oops"},
		},
	}
	runTreeGraphCases(t, "tree", []treeGraphCase{
		{"nested", "nested", nested(good), ""},
		{"nested wrong child", "nested", nested(badChild), "children[2].node_data: expected an object, got string"},
		{"nested not an object", "nested", nested("((a,b));"), "root: expected a tree node (an object), got string"},
		{"nested missing node_data", "nested", nested(map[string]any{}), `missing key "node_data"`},
		{"nested.json", "nested.json", text(`{"node_data": {"node name": "r"}, "children": [{"node_data": {}}]}`), ""},
		{"nested.json bad JSON", "nested.json", text("{\n\"node_data\": }"), "nested.json: line 2, column 14"},
		{"nested.json bad shape", "nested.json", text(`{"node_data": {"node name": 5}}`), `node_data["node name"]: expected a string`},
		{"newick anolis", "newick", formats.Value{Bytes: treeGraphTestdata(t, "tree/anolis.phy")}, ""},
		{"newick in Data", "newick", formats.Value{Data: "(a,b);"}, ""},
		{"newick unbalanced", "newick", text("((a,b);"), "newick: line 1, column 7 (byte 6): expected ',' or ')'"},
		{"newick bad length", "newick", text("(a:1.2.3,b);"), `bad branch length "1.2.3"`},
		{"newick not utf-8", "newick", text("(a,\xc3);"), "invalid UTF-8"},
		{"newick path, missing file", "newick", formats.Value{Path: "/nonexistent/x.nwk"}, "no such file or directory"},
		{"newick path", "newick", formats.Value{Path: writeTemp(t, "t.nwk", "(a,b);")}, ""},
		{"newick path, bad tree", "newick", formats.Value{Path: writeTemp(t, "bad.nwk", "(a,b")}, "newick"},
		{"nexus", "nexus", formats.Value{Bytes: treeGraphTestdata(t, "tree/anolis.nex")}, ""},
		{"nexus no trees", "nexus", text("#NEXUS\n"), "no TREE command"},
		{"phyloxml", "phyloxml", formats.Value{Bytes: treeGraphTestdata(t, "tree/small.phyloxml")}, ""},
		{"phyloxml truncated", "phyloxml", text("<phyloxml>\n<phylogeny>"), "phyloxml: line 2"},
		{"treestore", "treestore", formats.Value{Bytes: []byte{5, 0, 0, 0, 0}}, ""},
		{"treestore bad", "treestore", formats.Value{Bytes: []byte("not bson")}, "treestore: document 1"},
	})
}

// writeTemp writes a file for a value that arrives as a path (a command
// step's output).
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
