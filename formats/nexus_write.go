package formats

import (
	"fmt"
	"strconv"
	"strings"
)

// WriteNexus writes trees as ape's write.nexus does, without its timestamp
// comment: a TAXA block listing the leaf labels, then a TREES block with a
// TRANSLATE table (labels numbered 1…N in order of first appearance) and
// one "TREE * name = [&R] newick;" line per tree, whose leaves are written
// as their numbers. A tree without a name is called UNTITLED. The rooting
// tag is the tree's Rooting when known, otherwise ape's is.rooted rule: a
// root with more than two children and no root length is unrooted.
func WriteNexus(trees ...*Tree) ([]byte, error) {
	if len(trees) == 0 {
		return nil, fmt.Errorf("nexus: no tree to write")
	}
	number := map[string]int{}
	var labels []string
	for i, t := range trees {
		if t == nil || t.Root == nil {
			return nil, fmt.Errorf("nexus: tree %d is empty", i+1)
		}
		for _, leaf := range t.Leaves() {
			if _, ok := number[leaf.Name]; !ok && leaf.Name != "" {
				labels = append(labels, leaf.Name)
				number[leaf.Name] = len(labels)
			}
		}
	}

	var b strings.Builder
	b.WriteString("#NEXUS\n\nBEGIN TAXA;\n")
	fmt.Fprintf(&b, "\tDIMENSIONS NTAX = %d;\n\tTAXLABELS\n", len(labels))
	for _, l := range labels {
		b.WriteString("\t\t" + nexusQuote(l) + "\n")
	}
	b.WriteString("\t;\nEND;\nBEGIN TREES;\n")
	if len(labels) > 0 {
		b.WriteString("\tTRANSLATE\n")
		for i, l := range labels {
			sep := ","
			if i == len(labels)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "\t\t%d\t%s%s\n", i+1, nexusQuote(l), sep)
		}
		b.WriteString("\t;\n")
	}
	rename := func(n *TreeNode) (string, bool) {
		if k, ok := number[n.Name]; ok {
			return strconv.Itoa(k), true
		}
		return "", false
	}
	for _, t := range trees {
		name := t.Name
		if name == "" {
			name = "UNTITLED"
		}
		tag := "[&R]"
		if !nexusRooted(t) {
			tag = "[&U]"
		}
		line, err := appendNewickLabels(nil, t, rename)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "\tTREE * %s = %s %s\n", nexusQuote(name), tag, line)
	}
	b.WriteString("END;\n")
	return []byte(b.String()), nil
}

func nexusRooted(t *Tree) bool {
	switch t.Rooting {
	case Rooted:
		return true
	case Unrooted:
		return false
	}
	return t.Root.HasLength || len(t.Root.Children) <= 2
}

// nexusQuote quotes a word when NEXUS punctuation or whitespace would split
// it (the NEXUS standard's list, stricter than our own reader needs, so
// other readers such as PAUP and ape read it too).
func nexusQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\r\n\v\f()[]{}/\\,;:=*'\"`+-<>") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
