package formats

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// ParseNewick reads the first tree of a Newick text. The whole text is
// parsed, so a broken later tree is still reported; use ParseNewickAll to
// get every tree.
//
// The dialect is the lenient one most tools write: whitespace and newlines
// anywhere between tokens, [comments] anywhere between tokens (nested
// brackets allowed, contents dropped), 'quoted labels' (a quote inside is
// written twice), internal node labels, branch lengths in any float form
// (1, -0.5, .5, 5., 1e-5, 1E+3), a root length, and a final ';' that may
// be left off the last tree. Underscores in unquoted labels are kept as they are (ape and ete3
// do the same; the Newick rule that they stand for blanks would turn
// Geospiza_fortis into "Geospiza fortis").
func ParseNewick(text []byte) (*Tree, error) {
	trees, err := ParseNewickAll(text)
	if err != nil {
		return nil, err
	}
	return trees[0], nil
}

// ParseNewickAll reads every tree of a Newick text, each ended by ';'.
func ParseNewickAll(text []byte) ([]*Tree, error) {
	if err := checkTextUTF8("newick", text); err != nil {
		return nil, err
	}
	p := newickParser{s: string(text), format: "newick"}
	p.skipBOM()
	var trees []*Tree
	for {
		if err := p.skip(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.s) {
			break
		}
		root, err := p.tree()
		if err != nil {
			return nil, err
		}
		trees = append(trees, &Tree{Root: root})
	}
	if len(trees) == 0 {
		return nil, syntaxErrorAt("newick", p.s, p.pos, "no tree: the text is empty")
	}
	return trees, nil
}

// newickParser reads Newick from s. It keeps no recursion: open '(' live on
// an explicit stack, so the depth of a tree costs heap, not goroutine stack.
type newickParser struct {
	s      string
	pos    int
	format string // names the format in errors ("newick", or "nexus" for TREE commands)
	ended  bool   // the last tree read was ended by ';' (not by the end of the text)

	// Nodes and child lists are carved from slabs that double up to a
	// limit: a 100,000-leaf tree then costs a few hundred allocations
	// instead of half a million, and a 3-leaf tree a few small ones.
	nodes     []TreeNode
	kids      []*TreeNode
	slabNodes int
	slabKids  int
}

// newickFrame is an open '(' : the node it starts, where its children begin on
// the pending stack, and where the '(' is (for "missing ')'" errors).
type newickFrame struct {
	node  *TreeNode
	first int
	open  int
}

func (p *newickParser) errorf(off int, msg string, args ...any) error {
	return syntaxErrorAt(p.format, p.s, off, msg, args...)
}

func (p *newickParser) skipBOM() {
	p.pos += len(p.s) - len(strings.TrimPrefix(p.s, "\uFEFF"))
}

func (p *newickParser) newNode() *TreeNode {
	if len(p.nodes) == 0 {
		p.slabNodes = min(max(2*p.slabNodes, 8), 1024)
		p.nodes = make([]TreeNode, p.slabNodes)
	}
	n := &p.nodes[0]
	p.nodes = p.nodes[1:]
	return n
}

// childSlice returns a slice of exactly n pointers carved from a slab.
func (p *newickParser) childSlice(n int) []*TreeNode {
	if n > 256 {
		return make([]*TreeNode, n)
	}
	if len(p.kids) < n {
		p.slabKids = min(max(2*p.slabKids, 16, n), 4096)
		p.kids = make([]*TreeNode, p.slabKids)
	}
	out := p.kids[:n:n]
	p.kids = p.kids[n:]
	return out
}

func isNewickSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// isNewickDelim reports the bytes that end an unquoted label or a length.
func isNewickDelim(c byte) bool {
	switch c {
	case '(', ')', '[', ']', '\'', ':', ';', ',':
		return true
	}
	return isNewickSpace(c)
}

// skip passes over whitespace and [comments].
func (p *newickParser) skip() error {
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case isNewickSpace(c):
			p.pos++
		case c == '[':
			if _, err := p.readComment(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// readComment passes over a [comment] starting at p.pos, nested brackets
// included, and returns its text.
func (p *newickParser) readComment() (string, error) {
	start := p.pos
	depth := 0
	for i := p.pos; i < len(p.s); i++ {
		switch p.s[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				p.pos = i + 1
				return p.s[start+1 : i], nil
			}
		}
	}
	return "", p.errorf(start, "unterminated comment: '[' is never closed by ']'")
}

// tree reads one tree and the ';' after it (which may be missing at the end
// of the text).
func (p *newickParser) tree() (*TreeNode, error) {
	var (
		stack   []newickFrame
		pending []*TreeNode // children read so far of every open '('
	)
	for {
		// A subtree starts here: either '(' or a leaf.
		if err := p.skip(); err != nil {
			return nil, err
		}
		if p.pos < len(p.s) && p.s[p.pos] == '(' {
			stack = append(stack, newickFrame{node: p.newNode(), first: len(pending), open: p.pos})
			p.pos++
			continue
		}
		leaf := p.newNode()
		start := p.pos
		if err := p.labelAndLength(leaf); err != nil {
			return nil, err
		}
		if len(stack) == 0 {
			if p.pos == start {
				return nil, p.errorf(p.pos, "expected a tree ('(' or a label), found %s", describeCharAt(p.s, p.pos))
			}
			return leaf, p.end()
		}
		pending = append(pending, leaf)

		// Close every subtree that ends here, until a ',' starts a sibling.
	closing:
		for {
			if err := p.skip(); err != nil {
				return nil, err
			}
			if p.pos >= len(p.s) {
				open := stack[len(stack)-1].open
				line, col := textLineCol(p.s, open)
				return nil, p.errorf(p.pos, "unexpected end of text: the '(' at line %d, column %d is never closed by ')'", line, col)
			}
			switch p.s[p.pos] {
			case ',':
				p.pos++
				break closing
			case ')':
				p.pos++
				f := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				f.node.Children = p.childSlice(len(pending) - f.first)
				copy(f.node.Children, pending[f.first:])
				pending = pending[:f.first]
				if err := p.labelAndLength(f.node); err != nil {
					return nil, err
				}
				if len(stack) == 0 {
					return f.node, p.end()
				}
				pending = append(pending, f.node)
			default:
				return nil, p.errorf(p.pos, "expected ',' or ')' after a node, found %s", describeCharAt(p.s, p.pos))
			}
		}
	}
}

// end reads what may follow a complete tree: ';' or the end of the text.
func (p *newickParser) end() error {
	p.ended = false
	if err := p.skip(); err != nil {
		return err
	}
	if p.pos >= len(p.s) {
		return nil
	}
	if p.s[p.pos] == ';' {
		p.pos++
		p.ended = true
		return nil
	}
	if p.s[p.pos] == ')' {
		return p.errorf(p.pos, "unbalanced ')': the tree is already complete")
	}
	return p.errorf(p.pos, "unexpected %s after the tree; expected ';'", describeCharAt(p.s, p.pos))
}

// labelAndLength reads the optional label and optional ':length' of n.
func (p *newickParser) labelAndLength(n *TreeNode) error {
	if err := p.skip(); err != nil {
		return err
	}
	if p.pos < len(p.s) {
		if p.s[p.pos] == '\'' {
			name, err := p.quoted()
			if err != nil {
				return err
			}
			n.Name = name
		} else {
			start := p.pos
			for p.pos < len(p.s) && !isNewickDelim(p.s[p.pos]) {
				p.pos++
			}
			n.Name = p.s[start:p.pos]
		}
	}
	if err := p.skip(); err != nil {
		return err
	}
	if p.pos >= len(p.s) || p.s[p.pos] != ':' {
		return nil
	}
	p.pos++
	if err := p.skip(); err != nil {
		return err
	}
	start := p.pos
	for p.pos < len(p.s) && !isNewickDelim(p.s[p.pos]) {
		p.pos++
	}
	if start == p.pos {
		return p.errorf(start, "expected a branch length after ':', found %s", describeCharAt(p.s, start))
	}
	text := p.s[start:p.pos]
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		if errors.Is(err, strconv.ErrRange) {
			return p.errorf(start, "branch length %q is out of range", text)
		}
		return p.errorf(start, "bad branch length %q: expected a finite number", text)
	}
	n.Length, n.HasLength = f, true
	return nil
}

// quoted reads a 'quoted label' at p.pos, in which a doubled quote
// stands for one.
func (p *newickParser) quoted() (string, error) {
	open := p.pos
	p.pos++
	start := p.pos
	var b strings.Builder
	for p.pos < len(p.s) {
		i := strings.IndexByte(p.s[p.pos:], '\'')
		if i < 0 {
			break
		}
		p.pos += i
		if p.pos+1 < len(p.s) && p.s[p.pos+1] == '\'' {
			b.WriteString(p.s[start : p.pos+1])
			p.pos += 2
			start = p.pos
			continue
		}
		p.pos++
		if b.Len() == 0 {
			return p.s[start : p.pos-1], nil
		}
		b.WriteString(p.s[start : p.pos-1])
		return b.String(), nil
	}
	return "", p.errorf(open, "unterminated quoted label: the ' is never closed")
}
