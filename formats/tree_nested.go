package formats

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Keys of the nested tree format (Arbor's, as Girder Worker wrote it from
// ape trees).
const (
	nestedNodeData   = "node_data"
	nestedEdgeData   = "edge_data"
	nestedChildren   = "children"
	nestedNodeFields = "node_fields"
	nestedEdgeFields = "edge_fields"
	nestedName       = "node name"
	nestedWeight     = "node weight"
	nestedLength     = "weight"
)

// TreeToNested builds the nested form of t:
//
//	{"node_fields": ["node name", "node weight"], "edge_fields": ["weight"],
//	 "node_data": {"node name": <root label or "">, "node weight": 0.0},
//	 "children": [{"node_data": {"node name": …, "node weight": <distance
//	 from the root>}, "edge_data": {"weight": <branch length>},
//	 "children": […]}, …]}
//
// Leaves have no "children" key. A node has "edge_data" only when it has a
// branch length, so a tree without lengths has none anywhere and comes
// back from NestedToTree without lengths. "node weight" sums the lengths
// from the root (a missing length counts 0). The root gets "edge_data"
// only when the Newick gave it a length (`(a,b):0.5;`), which Girder
// Worker could not express; its node weight stays 0.0.
func TreeToNested(t *Tree) (map[string]any, error) {
	if t == nil || t.Root == nil {
		return nil, fmt.Errorf("nested: no tree")
	}
	var root any
	type item struct {
		n    *TreeNode
		slot *any
		dist float64 // distance of n from the root
	}
	stack := []item{{t.Root, &root, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		m := map[string]any{nestedNodeData: map[string]any{nestedName: it.n.Name, nestedWeight: it.dist}}
		if it.n.HasLength {
			m[nestedEdgeData] = map[string]any{nestedLength: it.n.Length}
		}
		if len(it.n.Children) > 0 {
			kids := make([]any, len(it.n.Children))
			m[nestedChildren] = kids
			for i := len(it.n.Children) - 1; i >= 0; i-- {
				c := it.n.Children[i]
				if c == nil {
					return nil, fmt.Errorf("nested: node %q has a nil child", it.n.Name)
				}
				d := it.dist
				if c.HasLength {
					d += c.Length
				}
				stack = append(stack, item{c, &kids[i], d})
			}
		}
		*it.slot = m
	}
	m := root.(map[string]any)
	m[nestedNodeFields] = []any{nestedName, nestedWeight}
	m[nestedEdgeFields] = []any{nestedLength}
	return m, nil
}

// NestedToTree reads a nested tree (see TreeToNested). It checks the shape
// as it goes and says where it is wrong, with a path such as
// `children[2].node_data["node name"]`: every node must be an object with
// a "node_data" object; "node name" (a string, default "") and "node
// weight" (a number, recomputed from the lengths, so ignored) are
// optional; "edge_data", when present, is an object whose "weight" is a
// finite number or null; "children", when present, is a list of nodes. On
// the root, "node_fields" and "edge_fields" must be lists of strings when
// present. Branch lengths come back exactly; a node without "edge_data"
// (or with a null weight) has no length.
func NestedToTree(v any) (*Tree, error) {
	var p nestedPaths
	t := &Tree{}
	type item struct {
		v    any
		slot **TreeNode
		at   int // index in p.steps, for error paths
	}
	stack := []item{{v, &t.Root, -1}}
	first := true
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		m, ok := it.v.(map[string]any)
		if !ok {
			return nil, p.errorf(it.at, "", "expected a tree node (an object), got %s", TypeName(it.v))
		}
		if first {
			first = false
			for _, k := range []string{nestedNodeFields, nestedEdgeFields} {
				if err := nestedStringList(m, k); err != nil {
					return nil, p.errorf(it.at, "."+k, "%v", err)
				}
			}
		}
		n := &TreeNode{}
		*it.slot = n
		nd, ok := m[nestedNodeData]
		if !ok {
			return nil, p.errorf(it.at, "", "missing key %q", nestedNodeData)
		}
		data, ok := nd.(map[string]any)
		if !ok {
			return nil, p.errorf(it.at, "."+nestedNodeData, "expected an object, got %s", TypeName(nd))
		}
		switch name := data[nestedName].(type) {
		case string:
			n.Name = name
		case nil:
		default:
			return nil, p.errorf(it.at, "."+nestedNodeData+"["+strconv.Quote(nestedName)+"]", "expected a string, got %s", TypeName(name))
		}
		if w, ok := data[nestedWeight]; ok && w != nil {
			if _, ok := treeNumber(w); !ok {
				return nil, p.errorf(it.at, "."+nestedNodeData+"["+strconv.Quote(nestedWeight)+"]", "expected a number, got %s", TypeName(w))
			}
		}
		if ed, ok := m[nestedEdgeData]; ok && ed != nil {
			edge, ok := ed.(map[string]any)
			if !ok {
				return nil, p.errorf(it.at, "."+nestedEdgeData, "expected an object, got %s", TypeName(ed))
			}
			if w, ok := edge[nestedLength]; ok && w != nil {
				f, ok := treeNumber(w)
				if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
					return nil, p.errorf(it.at, "."+nestedEdgeData+"["+strconv.Quote(nestedLength)+"]", "expected a finite number, got %s", treeDescribeNumber(w))
				}
				n.Length, n.HasLength = f, true
			}
		}
		if ch, ok := m[nestedChildren]; ok && ch != nil {
			kids, ok := ch.([]any)
			if !ok {
				return nil, p.errorf(it.at, "."+nestedChildren, "expected a list, got %s", TypeName(ch))
			}
			if len(kids) > 0 {
				n.Children = make([]*TreeNode, len(kids))
			}
			for i := len(kids) - 1; i >= 0; i-- {
				stack = append(stack, item{kids[i], &n.Children[i], p.step(it.at, i)})
			}
		}
	}
	return t, nil
}

// nestedPaths records, for every node visited, its parent and child index,
// so an error can name its path without building path strings for nodes
// that are fine (that would be quadratic on a deep tree).
type nestedPaths struct {
	steps []nestedStep
}

type nestedStep struct{ parent, index int }

func (p *nestedPaths) step(parent, index int) int {
	p.steps = append(p.steps, nestedStep{parent, index})
	return len(p.steps) - 1
}

func (p *nestedPaths) path(at int) string {
	var idx []int
	for ; at >= 0; at = p.steps[at].parent {
		idx = append(idx, p.steps[at].index)
	}
	var b strings.Builder
	for i := len(idx) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		fmt.Fprintf(&b, "children[%d]", idx[i])
	}
	return b.String()
}

func (p *nestedPaths) errorf(at int, suffix, msg string, args ...any) error {
	path := p.path(at) + suffix
	path = strings.TrimPrefix(path, ".")
	if path == "" {
		path = "root"
	}
	return fmt.Errorf("nested: %s: %s", path, fmt.Sprintf(msg, args...))
}

func nestedStringList(m map[string]any, key string) error {
	v, ok := m[key]
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		if _, ok := v.([]string); ok {
			return nil
		}
		return fmt.Errorf("expected a list of strings, got %s", TypeName(v))
	}
	for i, e := range list {
		if _, ok := e.(string); !ok {
			return fmt.Errorf("element %d: expected a string, got %s", i, TypeName(e))
		}
	}
	return nil
}

// treeNumber reads any number of the JSON-like value model.
func treeNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

func treeDescribeNumber(v any) string {
	if f, ok := treeNumber(v); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return TypeName(v)
}

// DecodeNestedJSON reads nested.json text into the nested value (the JSON
// object), giving the line and column of a JSON syntax error. It does not
// check the tree's shape: NestedToTree does.
func DecodeNestedJSON(text []byte) (map[string]any, error) {
	v, err := decodeJSONText("nested.json", text)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("nested.json: expected a JSON object (the root node), got %s", TypeName(v))
	}
	return m, nil
}
