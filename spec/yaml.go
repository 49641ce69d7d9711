package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// maxDepth bounds nesting (and alias chains) so hostile input cannot
// exhaust the stack.
const maxDepth = 10000

// parseYAML builds the node tree of a YAML document. A nil node with no
// diagnostics means the file holds no document (empty or only comments).
func parseYAML(li *lineIndex) (n *node, diags Diagnostics) {
	// yaml.v3 recovers only its own errors; anything else it panics with
	// is a parser bug, and Parse promises never to panic.
	defer func() {
		if r := recover(); r != nil {
			n, diags = nil, Diagnostics{errorAt(li.pos(0), "YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(li.data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, Diagnostics{yamlSyntaxDiag(li, err)}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		diags = append(diags, errorAt(Pos{File: li.file, Line: max(1, min(extra.Line, len(li.starts))), Col: max(1, extra.Column)},
			"a spec file holds one YAML document; remove the --- separator and what follows, or move it to its own file"))
	case !errors.Is(err, io.EOF):
		diags = append(diags, yamlSyntaxDiag(li, err))
	}
	if len(doc.Content) == 0 {
		return nil, diags
	}
	c := &yamlConv{li: li, budget: 10*len(li.data) + 10000, active: map[*yaml.Node]bool{}}
	n = c.conv(doc.Content[0], 0)
	return n, append(diags, c.diags...)
}

var yamlErrLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlSyntaxDiag turns a yaml.v3 error ("yaml: line 3: …") into a
// diagnostic. yaml.v3 reports lines but not columns, and omits the line
// when it is the first one.
func yamlSyntaxDiag(li *lineIndex, err error) Diagnostic {
	msg := err.Error()
	pos := Pos{File: li.file, Line: 1, Col: 1}
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		msg = m[2]
		if m[1] != "" {
			pos.Line, _ = strconv.Atoi(m[1])
			// yaml.v3 adds one to the 0-based line of scanner errors only;
			// parser errors come out 0-based.
			if yamlParserProblem(msg) {
				pos.Line++
			}
			// The end-of-stream mark sits on a line past the last one.
			pos.Line = max(1, min(pos.Line, len(li.starts)))
		}
	}
	if anchor, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		anchor = strings.TrimSuffix(anchor, "' referenced")
		if i := bytes.Index(li.data, []byte("*"+anchor)); i >= 0 {
			pos = li.pos(i)
		}
		return errorAt(pos, "YAML: unknown anchor %s: define it with &%s before using *%s", anchor, anchor, anchor)
	}
	return errorAt(pos, "YAML syntax error: %s%s", msg, yamlHint(msg))
}

// yamlParserProblem tells the problems of yaml.v3's parser (as opposed to
// its scanner) apart; their line numbers are 0-based.
func yamlParserProblem(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'", "did not find expected ',' or '}'",
		"did not find expected '-' indicator", "did not find expected <document start>",
		"did not find expected <stream-start>", "did not find expected key",
		"did not find expected node content", "found duplicate %TAG directive",
		"found duplicate %YAML directive", "found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

// yamlHint adds what usually causes the terse messages of the YAML scanner.
func yamlHint(msg string) string {
	switch {
	case strings.Contains(msg, "mapping values are not allowed"):
		return ` (check the indentation, or quote a value that contains ": ")`
	case strings.Contains(msg, "cannot start any token"):
		return " (indent with spaces, not tabs; quote values that start with @ or `)"
	case strings.Contains(msg, "did not find expected key"):
		return " (check the indentation of this block)"
	case strings.Contains(msg, "unexpected end of stream"):
		return " (a quoted string or a [ or { is not closed; the file may be truncated)"
	case strings.Contains(msg, "did not find expected ',' or"):
		return " (a [ or { opened here is not closed)"
	}
	return ""
}

type yamlConv struct {
	li     *lineIndex
	diags  Diagnostics
	budget int                 // nodes left to build: aliases may not expand without bound
	active map[*yaml.Node]bool // anchors being expanded, to catch self-reference
}

// pos is a node's position. yaml.v3 puts an implicit empty value at the
// end of the stream on a line past the last one; such a position becomes
// the end of the file.
func (c *yamlConv) pos(y *yaml.Node) Pos {
	if y.Line > len(c.li.starts) {
		return c.li.pos(len(c.li.data))
	}
	return Pos{File: c.li.file, Line: max(1, y.Line), Col: max(1, y.Column)}
}

func (c *yamlConv) conv(y *yaml.Node, depth int) *node {
	c.budget--
	if c.budget == 0 {
		c.diags = append(c.diags, errorAt(c.pos(y), "YAML aliases expand to too many values; use fewer nested aliases"))
	}
	if c.budget <= 0 || depth > maxDepth {
		if depth == maxDepth+1 {
			c.diags = append(c.diags, errorAt(c.pos(y), "nesting deeper than %d levels", maxDepth))
		}
		return &node{kind: nullNode, pos: c.pos(y)}
	}
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil || c.active[y.Alias] {
			c.diags = append(c.diags, errorAt(c.pos(y), "alias *%s refers to the value that contains it", y.Value))
			return &node{kind: nullNode, pos: c.pos(y)}
		}
		c.active[y.Alias] = true
		defer delete(c.active, y.Alias)
		return c.conv(y.Alias, depth+1)
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return &node{kind: nullNode, pos: c.pos(y)}
		}
		return c.conv(y.Content[0], depth+1)
	case yaml.SequenceNode:
		n := &node{kind: listNode, pos: c.pos(y)}
		for _, it := range y.Content {
			n.items = append(n.items, c.conv(it, depth+1))
		}
		return n
	case yaml.MappingNode:
		return c.mapping(y, depth)
	default:
		return c.scalar(y)
	}
}

func (c *yamlConv) mapping(y *yaml.Node, depth int) *node {
	n := &node{kind: mapNode, pos: c.pos(y)}
	var merges []*yaml.Node
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			c.diags = append(c.diags, errorAt(c.pos(k), "map keys must be plain names, not %s", kindWord(k)))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if prev := n.get(k.Value); prev != nil {
			c.diags = append(c.diags, errorAt(c.pos(k), "duplicate key %s (first at %s); remove one", q(k.Value), shortPos(prev.keyPos)))
			continue
		}
		n.entries = append(n.entries, entry{key: k.Value, keyPos: c.pos(k), val: c.conv(v, depth+1)})
	}
	// Merge keys (<<: *base): keys written in this map win, and among
	// merged maps the earlier one wins.
	for _, m := range merges {
		var sources []*node
		switch mn := c.conv(m, depth+1); mn.kind {
		case mapNode:
			sources = append(sources, mn)
		case listNode:
			sources = append(sources, mn.items...)
		default:
			sources = append(sources, mn)
		}
		for _, s := range sources {
			if s.kind != mapNode {
				c.diags = append(c.diags, errorAt(s.pos, "<< merges maps: its value must be a map or a list of maps, not %s", s.describe()))
				continue
			}
			for _, e := range s.entries {
				if n.get(e.key) == nil {
					n.entries = append(n.entries, e)
				}
			}
		}
	}
	return n
}

func (c *yamlConv) scalar(y *yaml.Node) *node {
	n := &node{pos: c.pos(y), text: y.Value, kind: stringNode}
	switch y.ShortTag() {
	case "!!null":
		n.kind = nullNode
	case "!!bool":
		if y.Decode(&n.b) == nil {
			n.kind = boolNode
		}
	case "!!int":
		if y.Decode(&n.i) == nil {
			n.kind = intNode
		} else if y.Decode(&n.f) == nil {
			n.kind = floatNode // beyond int64
		}
	case "!!float":
		if y.Decode(&n.f) == nil {
			n.kind = floatNode
		}
	}
	if n.kind == stringNode {
		n.textPos = c.textPos(y)
	}
	return n
}

// textPos is where a string's text begins: block scalars (| and >) start
// on the line after their indicator, at the block's indentation; quoted
// ones one column after the quote.
func (c *yamlConv) textPos(y *yaml.Node) Pos {
	p := c.pos(y)
	switch {
	case y.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		if p.Line >= len(c.li.starts) {
			return c.li.pos(len(c.li.data)) // an empty block at the end of the file
		}
		p.Line++
		p.Col = 1
		for l := p.Line; l <= len(c.li.starts); l++ {
			if text := c.li.line(l); strings.TrimSpace(text) != "" {
				p.Col = len(text) - len(strings.TrimLeft(text, " ")) + 1
				break
			}
		}
	case y.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		p.Col++
	}
	return p
}

func kindWord(y *yaml.Node) string {
	switch y.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map"
	}
	return fmt.Sprintf("a %v node", y.Kind)
}
