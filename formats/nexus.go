package formats

import (
	"strings"
)

// ParseNexus reads the first tree of the TREES block of a NEXUS text; see
// ParseNexusAll.
func ParseNexus(text []byte) (*Tree, error) {
	trees, err := ParseNexusAll(text)
	if err != nil {
		return nil, err
	}
	return trees[0], nil
}

// ParseNexusAll reads every TREE of every TREES block of a NEXUS text.
// Keywords are case-insensitive, [comments] may appear anywhere between
// tokens, blocks other than TREES are skipped, the TRANSLATE table is
// applied to leaf labels (internal labels are often support values that
// would collide with translation keys, so they are left alone), and a
// [&R] or [&U] comment after '=' sets the tree's Rooting. The TREE name is
// kept in Tree.Name.
func ParseNexusAll(text []byte) ([]*Tree, error) {
	if err := checkTextUTF8("nexus", text); err != nil {
		return nil, err
	}
	lx := &nexusLexer{newickParser: newickParser{s: string(text), format: "nexus"}}
	lx.skipBOM()
	tok, err := lx.next()
	if err != nil {
		return nil, err
	}
	if !tok.is("#NEXUS") {
		return nil, lx.errorf(tok.pos, "expected #NEXUS at the start, found %s", tok.describe())
	}
	var trees []*Tree
	for {
		tok, err := lx.next()
		if err != nil {
			return nil, err
		}
		if tok.kind == nexusEOF {
			break
		}
		if !tok.is("BEGIN") {
			return nil, lx.errorf(tok.pos, "expected BEGIN <block>; found %s", tok.describe())
		}
		name, err := lx.next()
		if err != nil {
			return nil, err
		}
		if name.kind != nexusWord {
			return nil, lx.errorf(name.pos, "expected a block name after BEGIN, found %s", name.describe())
		}
		if err := lx.expect(';', "after BEGIN "+name.text); err != nil {
			return nil, err
		}
		if name.is("TREES") {
			block, err := lx.treesBlock()
			if err != nil {
				return nil, err
			}
			trees = append(trees, block...)
		} else if err := lx.skipBlock(name); err != nil {
			return nil, err
		}
	}
	if len(trees) == 0 {
		return nil, lx.errorf(len(lx.s), "no TREE command in a TREES block")
	}
	return trees, nil
}

// nexusLexer splits NEXUS into words, quoted words and punctuation, and
// hands the text after "TREE name =" to the Newick parser it embeds (so
// positions in errors are positions in the whole NEXUS text).
type nexusLexer struct {
	newickParser
}

type nexusKind int8

const (
	nexusEOF nexusKind = iota
	nexusWord
	nexusQuoted
	nexusPunct
)

type nexusToken struct {
	kind nexusKind
	text string
	pos  int
}

// is compares a word case-insensitively, as NEXUS keywords are.
func (t nexusToken) is(word string) bool {
	return t.kind == nexusWord && strings.EqualFold(t.text, word)
}

func (t nexusToken) punct(c byte) bool {
	return t.kind == nexusPunct && t.text[0] == c
}

func (t nexusToken) describe() string {
	switch t.kind {
	case nexusEOF:
		return "end of text"
	case nexusQuoted:
		return "'" + t.text + "'"
	}
	return "\"" + t.text + "\""
}

func isNexusPunct(c byte) bool { return c == ';' || c == '=' || c == ',' }

func (lx *nexusLexer) next() (nexusToken, error) {
	if err := lx.skip(); err != nil {
		return nexusToken{}, err
	}
	start := lx.pos
	if start >= len(lx.s) {
		return nexusToken{kind: nexusEOF, pos: start}, nil
	}
	c := lx.s[start]
	switch {
	case isNexusPunct(c):
		lx.pos++
		return nexusToken{kind: nexusPunct, text: lx.s[start : start+1], pos: start}, nil
	case c == '\'':
		text, err := lx.quoted()
		return nexusToken{kind: nexusQuoted, text: text, pos: start}, err
	case c == ']':
		return nexusToken{}, lx.errorf(start, "']' without a '[' to close")
	}
	for lx.pos < len(lx.s) {
		c := lx.s[lx.pos]
		if isNewickSpace(c) || isNexusPunct(c) || c == '[' || c == ']' || c == '\'' {
			break
		}
		lx.pos++
	}
	return nexusToken{kind: nexusWord, text: lx.s[start:lx.pos], pos: start}, nil
}

func (lx *nexusLexer) expect(c byte, where string) error {
	tok, err := lx.next()
	if err != nil {
		return err
	}
	if !tok.punct(c) {
		return lx.errorf(tok.pos, "expected '%c' %s, found %s", c, where, tok.describe())
	}
	return nil
}

// skipCommand passes over the rest of a command, through its ';'.
func (lx *nexusLexer) skipCommand(cmd nexusToken) error {
	for {
		tok, err := lx.next()
		if err != nil {
			return err
		}
		switch {
		case tok.kind == nexusEOF:
			return lx.errorf(cmd.pos, "command %s is never ended by ';'", cmd.describe())
		case tok.punct(';'):
			return nil
		}
	}
}

// skipBlock passes over a block we do not read, through END; (a block
// cut short by the end of the text is accepted).
func (lx *nexusLexer) skipBlock(name nexusToken) error {
	for {
		tok, err := lx.next()
		if err != nil {
			return err
		}
		switch {
		case tok.kind == nexusEOF:
			return nil
		case tok.is("END") || tok.is("ENDBLOCK"):
			return lx.expect(';', "after "+tok.text)
		case tok.punct(';'):
			// an empty command
		default:
			if err := lx.skipCommand(tok); err != nil {
				return err
			}
		}
	}
}

// treesBlock reads the commands of a TREES block after its BEGIN TREES;.
func (lx *nexusLexer) treesBlock() ([]*Tree, error) {
	var (
		trees     []*Tree
		translate map[string]string
	)
	for {
		tok, err := lx.next()
		if err != nil {
			return nil, err
		}
		switch {
		case tok.kind == nexusEOF:
			return trees, nil
		case tok.is("END") || tok.is("ENDBLOCK"):
			return trees, lx.expect(';', "after "+tok.text)
		case tok.punct(';'):
		case tok.is("TRANSLATE"):
			if translate, err = lx.translate(); err != nil {
				return nil, err
			}
		case tok.is("TREE") || tok.is("UTREE"):
			t, err := lx.treeCommand(tok)
			if err != nil {
				return nil, err
			}
			if translate != nil {
				applyTranslate(t, translate)
			}
			trees = append(trees, t)
		default:
			if err := lx.skipCommand(tok); err != nil {
				return nil, err
			}
		}
	}
}

// translate reads "key label, key label, … ;".
func (lx *nexusLexer) translate() (map[string]string, error) {
	table := map[string]string{}
	for {
		key, err := lx.next()
		if err != nil {
			return nil, err
		}
		if key.punct(';') {
			return table, nil
		}
		if key.kind != nexusWord && key.kind != nexusQuoted {
			return nil, lx.errorf(key.pos, "expected a TRANSLATE key, found %s", key.describe())
		}
		label, err := lx.next()
		if err != nil {
			return nil, err
		}
		if label.kind != nexusWord && label.kind != nexusQuoted {
			return nil, lx.errorf(label.pos, "expected the label for TRANSLATE key %s, found %s", key.describe(), label.describe())
		}
		table[key.text] = label.text
		sep, err := lx.next()
		if err != nil {
			return nil, err
		}
		switch {
		case sep.punct(';'):
			return table, nil
		case sep.punct(','):
		default:
			return nil, lx.errorf(sep.pos, "expected ',' or ';' after TRANSLATE entry %s %s, found %s", key.describe(), label.describe(), sep.describe())
		}
	}
}

// treeCommand reads "[*] name = [&R] newick;" after TREE.
func (lx *nexusLexer) treeCommand(cmd nexusToken) (*Tree, error) {
	name, err := lx.next()
	if err != nil {
		return nil, err
	}
	if name.kind == nexusWord && strings.HasPrefix(name.text, "*") {
		// "TREE * name" marks the default tree; "*name" is the same.
		if name.text == "*" {
			if name, err = lx.next(); err != nil {
				return nil, err
			}
		} else {
			name.text = name.text[1:]
		}
	}
	if name.kind != nexusWord && name.kind != nexusQuoted {
		return nil, lx.errorf(name.pos, "expected a tree name after %s, found %s", cmd.text, name.describe())
	}
	if err := lx.expect('=', "after TREE "+name.text); err != nil {
		return nil, err
	}
	t := &Tree{Name: name.text}
	// Comments before the Newick text may say how the tree is rooted.
	for {
		for lx.pos < len(lx.s) && isNewickSpace(lx.s[lx.pos]) {
			lx.pos++
		}
		if lx.pos >= len(lx.s) || lx.s[lx.pos] != '[' {
			break
		}
		c, err := lx.readComment()
		if err != nil {
			return nil, err
		}
		switch strings.ToUpper(strings.TrimSpace(c)) {
		case "&R":
			t.Rooting = Rooted
		case "&U":
			t.Rooting = Unrooted
		}
	}
	root, err := lx.tree()
	if err != nil {
		return nil, err
	}
	if !lx.ended {
		return nil, lx.errorf(lx.pos, "unexpected end of text: the tree %s is not ended by ';'", name.describe())
	}
	t.Root = root
	return t, nil
}

// applyTranslate replaces leaf labels found in the TRANSLATE table.
func applyTranslate(t *Tree, table map[string]string) {
	t.Walk(func(n *TreeNode, _ int) bool {
		if n.IsLeaf() {
			if label, ok := table[n.Name]; ok {
				n.Name = label
			}
		}
		return true
	})
}
