package formats

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// phyloIndentCap bounds the indentation of nested clades: past it, deeper
// clades are written at the same indentation, so a caterpillar tree
// 100,000 levels deep does not cost gigabytes of spaces.
const phyloIndentCap = 32

// WritePhyloXML writes trees as phyloXML 1.10: one <phylogeny> per tree
// (rooted="false" only for trees known to be unrooted) with nested
// <clade> elements carrying <name> and <branch_length>.
func WritePhyloXML(trees ...*Tree) ([]byte, error) {
	if len(trees) == 0 {
		return nil, fmt.Errorf("phyloxml: no tree to write")
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<phyloxml xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
		` xsi:schemaLocation="http://www.phyloxml.org http://www.phyloxml.org/1.10/phyloxml.xsd"` +
		` xmlns="http://www.phyloxml.org">` + "\n")
	for i, t := range trees {
		if t == nil || t.Root == nil {
			return nil, fmt.Errorf("phyloxml: tree %d is empty", i+1)
		}
		rooted := "true"
		if t.Rooting == Unrooted {
			rooted = "false"
		}
		fmt.Fprintf(&b, "  <phylogeny rooted=%q>\n", rooted)
		if t.Name != "" {
			if err := checkXMLText(t.Name); err != nil {
				return nil, fmt.Errorf("phyloxml: tree name %w", err)
			}
			b.WriteString("    <name>")
			appendXMLEscaped(&b, t.Name)
			b.WriteString("</name>\n")
		}
		if err := writeClades(&b, t.Root); err != nil {
			return nil, err
		}
		b.WriteString("  </phylogeny>\n")
	}
	b.WriteString("</phyloxml>\n")
	return b.Bytes(), nil
}

// writeClades writes the clade of root and its descendants, iteratively.
func writeClades(b *bytes.Buffer, root *TreeNode) error {
	type open struct {
		n    *TreeNode
		next int
	}
	indent := func(depth int) string { return strings.Repeat("  ", min(depth, phyloIndentCap)+2) }
	stack := []open{{n: root}}
	if err := writeCladeHead(b, root, indent(0)); err != nil {
		return err
	}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next < len(top.n.Children) {
			c := top.n.Children[top.next]
			top.next++
			if c == nil {
				return fmt.Errorf("phyloxml: node %q has a nil child", top.n.Name)
			}
			if err := writeCladeHead(b, c, indent(len(stack))); err != nil {
				return err
			}
			stack = append(stack, open{n: c})
			continue
		}
		stack = stack[:len(stack)-1]
		b.WriteString(indent(len(stack)) + "</clade>\n")
	}
	return nil
}

func writeCladeHead(b *bytes.Buffer, n *TreeNode, ind string) error {
	b.WriteString(ind + "<clade>\n")
	if n.Name != "" {
		if err := checkXMLText(n.Name); err != nil {
			return fmt.Errorf("phyloxml: clade name %w", err)
		}
		b.WriteString(ind + "  <name>")
		appendXMLEscaped(b, n.Name)
		b.WriteString("</name>\n")
	}
	if n.HasLength {
		b.WriteString(ind + "  <branch_length>" + strconv.FormatFloat(n.Length, 'g', -1, 64) + "</branch_length>\n")
	}
	return nil
}
