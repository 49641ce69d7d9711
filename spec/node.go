package spec

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// nodeKind is the kind of a parsed value. JSON and YAML both parse into the
// same node tree, so one decoder serves both syntaxes.
type nodeKind uint8

const (
	nullNode nodeKind = iota
	boolNode
	intNode
	floatNode
	stringNode
	listNode
	mapNode
)

// node is one value of a spec file with the position it was written at.
type node struct {
	kind nodeKind
	pos  Pos
	// text is a scalar as written (a string's value; a number's literal), so
	// names written as numbers (step 4) keep their spelling.
	text string
	b    bool
	i    int64
	f    float64
	// textPos is where a string's text starts: after the opening quote, or
	// on the line after `|` for YAML block scalars. Scripts use it to map
	// their line numbers back onto the spec.
	textPos Pos
	items   []*node // listNode
	entries []entry // mapNode, in file order, keys unique
}

// entry is one key of a map node.
type entry struct {
	key    string
	keyPos Pos
	val    *node
}

// get returns the entry for key, or nil.
func (n *node) get(key string) *entry {
	if n == nil || n.kind != mapNode {
		return nil
	}
	for i := range n.entries {
		if n.entries[i].key == key {
			return &n.entries[i]
		}
	}
	return nil
}

// keys lists the keys of a map node, sorted.
func (n *node) keys() []string {
	out := make([]string, len(n.entries))
	for i, e := range n.entries {
		out[i] = e.key
	}
	sort.Strings(out)
	return out
}

func (n *node) isScalar() bool { return n.kind < listNode }

// describe names the kind of a node for messages ("got a list").
func (n *node) describe() string {
	switch n.kind {
	case nullNode:
		return "null"
	case boolNode:
		return "a boolean"
	case intNode:
		return "an integer"
	case floatNode:
		return "a number"
	case stringNode:
		return "a string"
	case listNode:
		return "a list"
	default:
		return "a map"
	}
}

// value converts a node to a plain Go value: nil, bool, int64, float64,
// string, []any or map[string]any (the shapes formats.Value.Data holds).
func (n *node) value() any {
	switch n.kind {
	case nullNode:
		return nil
	case boolNode:
		return n.b
	case intNode:
		return n.i
	case floatNode:
		return n.f
	case stringNode:
		return n.text
	case listNode:
		out := make([]any, len(n.items))
		for i, it := range n.items {
			out[i] = it.value()
		}
		return out
	default:
		out := make(map[string]any, len(n.entries))
		for _, e := range n.entries {
			out[e.key] = e.val.value()
		}
		return out
	}
}

// name returns a scalar usable as a name: strings as they are, integers
// and other numbers as written (Girder Worker step names may be integers).
func (n *node) name() (string, bool) {
	switch n.kind {
	case stringNode, intNode, floatNode:
		return n.text, true
	}
	return "", false
}

// lineIndex turns byte offsets into 1-based line and column (columns count
// characters, as YAML's do). Lines end where the syntax says: \n, \r\n
// or a lone \r, and in YAML also NEL, LS and PS, so positions agree with
// the ones yaml.v3 reports.
type lineIndex struct {
	file   string
	data   []byte
	starts []int // offset of the first byte of each line
}

func newLineIndex(file string, data []byte, yamlBreaks bool) *lineIndex {
	li := &lineIndex{file: file, data: data, starts: []int{0}}
	for i := 0; i < len(data); i++ {
		if n := breakLen(data[i:], yamlBreaks); n > 0 {
			i += n - 1
			li.starts = append(li.starts, i+1)
		}
	}
	return li
}

// breakLen is the length of the line break at the start of b, or 0.
func breakLen(b []byte, yamlBreaks bool) int {
	switch {
	case b[0] == '\n':
		return 1
	case b[0] == '\r':
		if len(b) > 1 && b[1] == '\n' {
			return 2
		}
		return 1
	case !yamlBreaks:
		return 0
	case len(b) > 1 && b[0] == 0xC2 && b[1] == 0x85: // NEL
		return 2
	case len(b) > 2 && b[0] == 0xE2 && b[1] == 0x80 && (b[2] == 0xA8 || b[2] == 0xA9): // LS, PS
		return 3
	}
	return 0
}

func (li *lineIndex) pos(off int) Pos {
	off = max(0, min(off, len(li.data)))
	line := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
	col := utf8.RuneCount(li.data[li.starts[line]:off]) + 1
	return Pos{File: li.file, Line: line + 1, Col: col}
}

// line returns the text of a 1-based line without its newline ("" when out
// of range).
func (li *lineIndex) line(n int) string {
	if n < 1 || n > len(li.starts) {
		return ""
	}
	start := li.starts[n-1]
	end := len(li.data)
	if n < len(li.starts) {
		end = li.starts[n]
	}
	return strings.TrimRight(string(li.data[start:end]), "\r\n")
}

// parseNumber converts a JSON number literal to int64 when it is a whole
// number that fits, else float64.
func parseNumber(lit string) (*node, bool) {
	if i, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return &node{kind: intNode, text: lit, i: i}, true
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return nil, false
		}
	}
	return &node{kind: floatNode, text: lit, f: f}, true
}
