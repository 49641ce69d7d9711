package formats

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTreeToNested(t *testing.T) {
	tree, err := ParseNewick([]byte("((ahli:0,allogus:1):2,rubribarbus:3);"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := TreeToNested(tree)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"node_fields": []any{"node name", "node weight"},
		"edge_fields": []any{"weight"},
		"node_data":   map[string]any{"node name": "", "node weight": 0.0},
		"children": []any{
			map[string]any{
				"node_data": map[string]any{"node name": "", "node weight": 2.0},
				"edge_data": map[string]any{"weight": 2.0},
				"children": []any{
					map[string]any{
						"node_data": map[string]any{"node name": "ahli", "node weight": 2.0},
						"edge_data": map[string]any{"weight": 0.0},
					},
					map[string]any{
						"node_data": map[string]any{"node name": "allogus", "node weight": 3.0},
						"edge_data": map[string]any{"weight": 1.0},
					},
				},
			},
			map[string]any{
				"node_data": map[string]any{"node name": "rubribarbus", "node weight": 3.0},
				"edge_data": map[string]any{"weight": 3.0},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Girder Worker's expectation: nested → newick gives the text back.
	back, err := NestedToTree(got)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := WriteNewick(back); string(out) != "((ahli:0,allogus:1):2,rubribarbus:3);" {
		t.Errorf("nested → newick = %s", out)
	}
}

func TestNestedRoundTrips(t *testing.T) {
	tests := []struct{ name, newick, golden string }{
		{"anolis", string(treeGraphTestdata(t, "tree/anolis.phy")), "tree/anolis.nested.json"},
		{"geospiza polytomy, internal labels, no lengths", string(treeGraphTestdata(t, "tree/geospiza_from_otl.phy")), "tree/geospiza.nested.json"},
		{"root label and length", "((a:1,b:2)ab:0.5,c:1)root:0.25;", "tree/root-length.nested.json"},
		{"some lengths missing", "((a,b:2):0.5,c);", "tree/partial-lengths.nested.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := ParseNewick([]byte(tt.newick))
			if err != nil {
				t.Fatal(err)
			}
			nested, err := TreeToNested(tree)
			if err != nil {
				t.Fatal(err)
			}
			text, err := EncodeJSON(nested)
			if err != nil {
				t.Fatal(err)
			}
			treeGraphGolden(t, tt.golden, append(text, '\n'))
			// Through JSON text, as a nested.json value travels.
			decoded, err := DecodeJSON(text)
			if err != nil {
				t.Fatal(err)
			}
			back, err := NestedToTree(decoded)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tree, back); diff != "" {
				t.Errorf("newick → nested → tree (-want +got):\n%s", diff)
			}
			out, err := WriteNewick(back)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSpace(tt.newick); string(out) != want {
				t.Errorf("newick → nested → newick:\n got %s\nwant %s", out, want)
			}
		})
	}
}

func TestNestedGeospizaShape(t *testing.T) {
	tree, err := ParseNewick(treeGraphTestdata(t, "tree/geospiza_from_otl.phy"))
	if err != nil {
		t.Fatal(err)
	}
	nested, err := TreeToNested(tree)
	if err != nil {
		t.Fatal(err)
	}
	kids := nested["children"].([]any)
	geospiza := kids[0].(map[string]any)
	if name := geospiza["node_data"].(map[string]any)["node name"]; name != "Geospiza" {
		t.Errorf("first clade name = %v, want Geospiza", name)
	}
	if n := len(geospiza["children"].([]any)); n != 6 {
		t.Errorf("the polytomy has %d children, want 6", n)
	}
	if _, ok := geospiza["edge_data"]; ok {
		t.Error("a tree without lengths has edge_data")
	}
	leaf := geospiza["children"].([]any)[0].(map[string]any)
	if _, ok := leaf["children"]; ok {
		t.Error("a leaf has a children key")
	}
}

func TestNestedToTreeErrors(t *testing.T) {
	node := func(name string, extra ...any) map[string]any {
		m := map[string]any{"node_data": map[string]any{"node name": name}}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"not an object", []any{}, "nested: root: expected a tree node (an object), got list"},
		{"no node_data", map[string]any{"children": []any{}}, `nested: root: missing key "node_data"`},
		{"node_data not an object", map[string]any{"node_data": "x"}, "nested: node_data: expected an object, got string"},
		{"deep missing node_data", node("", "children", []any{node("a"), node("", "children", []any{node("b"), map[string]any{}})}),
			`nested: children[1].children[1]: missing key "node_data"`},
		{"name not a string", node("", "children", []any{node("a"), node("b"), map[string]any{"node_data": map[string]any{"node name": int64(3)}}}),
			`nested: children[2].node_data["node name"]: expected a string, got integer`},
		{"weight not a number", node("", "children", []any{node("a", "edge_data", map[string]any{"weight": "1"})}),
			`nested: children[0].edge_data["weight"]: expected a finite number, got string`},
		{"children not a list", node("", "children", map[string]any{}), "nested: children: expected a list, got object"},
		{"child not an object", node("", "children", []any{"a"}), "nested: children[0]: expected a tree node (an object), got string"},
		{"node weight not a number", map[string]any{"node_data": map[string]any{"node weight": "0"}}, `nested: node_data["node weight"]: expected a number, got string`},
		{"bad node_fields", map[string]any{"node_data": map[string]any{}, "node_fields": []any{int64(1)}}, "nested: node_fields: element 0: expected a string, got integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NestedToTree(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestNestedLenient(t *testing.T) {
	// Integer weights (JSON written by hand), a null weight, no node name.
	tree, err := NestedToTree(map[string]any{
		"node_data": map[string]any{},
		"children": []any{
			map[string]any{"node_data": map[string]any{"node name": "a"}, "edge_data": map[string]any{"weight": int64(3)}},
			map[string]any{"node_data": map[string]any{"node name": "b"}, "edge_data": map[string]any{"weight": nil}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := WriteNewick(tree); string(out) != "(a:3,b);" {
		t.Errorf("got %s, want (a:3,b);", out)
	}
}
