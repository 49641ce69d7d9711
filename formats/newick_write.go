package formats

import (
	"fmt"
	"strconv"
	"strings"
)

// WriteNewick writes t as one line of Newick ending in ';' (no newline).
// Branch lengths are written as the shortest text that reads back as the
// same float64 (0.1308887296 stays 0.1308887296; ete3 cut it to 0.130889),
// nodes without a length get no ':', and labels are quoted only when they
// hold a character Newick reserves or whitespace.
func WriteNewick(t *Tree) ([]byte, error) {
	return appendNewick(nil, t)
}

// WriteNewickAll writes each tree on a line of its own.
func WriteNewickAll(trees []*Tree) ([]byte, error) {
	var out []byte
	for i, t := range trees {
		var err error
		if out, err = appendNewick(out, t); err != nil {
			return nil, fmt.Errorf("tree %d: %w", i+1, err)
		}
		out = append(out, '\n')
	}
	return out, nil
}

func appendNewick(b []byte, t *Tree) ([]byte, error) {
	return appendNewickLabels(b, t, nil)
}

// appendNewickLabels writes t; rename, when set, replaces leaf labels (the
// NEXUS writer uses it to write TRANSLATE numbers).
func appendNewickLabels(b []byte, t *Tree, rename func(*TreeNode) (string, bool)) ([]byte, error) {
	if t == nil || t.Root == nil {
		return nil, fmt.Errorf("newick: no tree to write")
	}
	root := t.Root
	if root.IsLeaf() && root.Name == "" && !root.HasLength {
		// A lone unnamed node would print as ";", which reads as no tree.
		return append(b, "'';"...), nil
	}
	type open struct {
		n    *TreeNode
		next int // index of the next child to write
	}
	stack := []open{{n: root}}
	if !root.IsLeaf() {
		b = append(b, '(')
	}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next < len(top.n.Children) {
			child := top.n.Children[top.next]
			if child == nil {
				return nil, fmt.Errorf("newick: node %q has a nil child", top.n.Name)
			}
			if top.next > 0 {
				b = append(b, ',')
			}
			top.next++
			if child.IsLeaf() {
				b = appendNode(b, child, rename)
			} else {
				b = append(b, '(')
				stack = append(stack, open{n: child})
			}
			continue
		}
		if !top.n.IsLeaf() {
			b = append(b, ')')
		}
		b = appendNode(b, top.n, rename)
		stack = stack[:len(stack)-1]
	}
	return append(b, ';'), nil
}

// appendNode writes a node's label and length (its children are written
// by the caller).
func appendNode(b []byte, n *TreeNode, rename func(*TreeNode) (string, bool)) []byte {
	name := n.Name
	if rename != nil && n.IsLeaf() {
		if s, ok := rename(n); ok {
			name = s
		}
	}
	b = appendNewickLabel(b, name)
	if n.HasLength {
		b = append(b, ':')
		b = strconv.AppendFloat(b, n.Length, 'g', -1, 64)
	}
	return b
}

// appendNewickLabel writes a label, quoted only when the parser would
// otherwise split or misread it.
func appendNewickLabel(b []byte, s string) []byte {
	needsQuote := false
	for i := 0; i < len(s); i++ {
		if isNewickDelim(s[i]) {
			needsQuote = true
			break
		}
	}
	if !needsQuote {
		return append(b, s...)
	}
	b = append(b, '\'')
	b = append(b, strings.ReplaceAll(s, "'", "''")...)
	return append(b, '\'')
}
