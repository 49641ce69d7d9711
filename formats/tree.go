package formats

// Tree is a phylogenetic tree as the tree formats (newick, nexus, phyloxml,
// nested) describe it: labelled nodes joined by edges that may carry a
// length. Every walk over a tree is iterative, so a caterpillar tree a
// hundred thousand levels deep is as safe as a balanced one.
type Tree struct {
	// Name is the tree's own name (NEXUS TREE name, phyloXML <name>); ""
	// when the format has none.
	Name string
	// Rooting is what the source said about the root ([&R]/[&U] in NEXUS,
	// rooted="…" in phyloXML); Newick says nothing.
	Rooting Rooting
	Root    *TreeNode
}

// Rooting says whether a tree was declared rooted.
type Rooting int8

const (
	// RootingUnknown: the source did not say.
	RootingUnknown Rooting = iota
	// Rooted: [&R] or rooted="true".
	Rooted
	// Unrooted: [&U] or rooted="false".
	Unrooted
)

// TreeNode is one node of a Tree. Length is the length of the edge from the
// parent to this node (on the root: Newick's root edge, `(a,b):0.5;`) and
// is meaningful only when HasLength is set, so "no length" and a length of
// 0 stay distinct through every conversion.
type TreeNode struct {
	Name      string
	Length    float64
	HasLength bool
	Children  []*TreeNode
}

// IsLeaf reports whether n has no children.
func (n *TreeNode) IsLeaf() bool { return len(n.Children) == 0 }

// Walk calls fn for every node in preorder (a node before its children,
// children left to right) with the node's depth (the root is 0). It stops
// early when fn returns false.
func (t *Tree) Walk(fn func(n *TreeNode, depth int) bool) {
	if t == nil || t.Root == nil {
		return
	}
	type frame struct {
		n     *TreeNode
		depth int
	}
	stack := []frame{{t.Root, 0}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !fn(f.n, f.depth) {
			return
		}
		for i := len(f.n.Children) - 1; i >= 0; i-- {
			stack = append(stack, frame{f.n.Children[i], f.depth + 1})
		}
	}
}

// Leaves lists the leaves in preorder, i.e. in the order of the Newick text.
func (t *Tree) Leaves() []*TreeNode {
	var out []*TreeNode
	t.Walk(func(n *TreeNode, _ int) bool {
		if n.IsLeaf() {
			out = append(out, n)
		}
		return true
	})
	return out
}

// NodeCount is the number of nodes, leaves included.
func (t *Tree) NodeCount() int {
	count := 0
	t.Walk(func(*TreeNode, int) bool { count++; return true })
	return count
}

// HasLengths reports whether any node has a branch length.
func (t *Tree) HasLengths() bool {
	found := false
	t.Walk(func(n *TreeNode, _ int) bool {
		found = n.HasLength
		return !found
	})
	return found
}
