package formats

import (
	"fmt"
	"unicode/utf8"
)

// SyntaxError is a parse error of a text format (newick, nexus, phyloxml,
// graphml, adjacencylist, …) at a place in the text. The tree and graph
// readers return it, wrapped or not, so callers can use errors.As to find
// where the text went wrong.
type SyntaxError struct {
	Format string // the format being read: "newick", "nexus", "graphml", …
	Offset int    // byte offset of the problem, from 0
	Line   int    // line of the problem, from 1
	Col    int    // column in characters (not bytes), from 1
	Msg    string // what was found and what was expected
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s: line %d, column %d (byte %d): %s", e.Format, e.Line, e.Col, e.Offset, e.Msg)
}

// syntaxErrorAt builds a SyntaxError at byte offset off of text, counting
// lines and columns only now: errors are rare, offsets are free to track.
func syntaxErrorAt(format, text string, off int, msg string, args ...any) *SyntaxError {
	if off > len(text) {
		off = len(text)
	}
	line, col := textLineCol(text, off)
	return &SyntaxError{Format: format, Offset: off, Line: line, Col: col, Msg: fmt.Sprintf(msg, args...)}
}

// textLineCol turns a byte offset into a 1-based line and character column.
func textLineCol(text string, off int) (line, col int) {
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if text[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return line, utf8.RuneCountInString(text[start:off]) + 1
}

// checkTextUTF8 rejects text that is not UTF-8, saying where the first bad
// byte is: every text format of trees and graphs is UTF-8.
func checkTextUTF8(format string, text []byte) error {
	if utf8.Valid(text) {
		return nil
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size <= 1 {
			return syntaxErrorAt(format, string(text), i, "invalid UTF-8 byte 0x%02x", text[i])
		}
		i += size
	}
	return nil
}

// describeCharAt shows the byte at off for an error message ("end of text" past
// the end).
func describeCharAt(text string, off int) string {
	if off >= len(text) {
		return "end of text"
	}
	r, _ := utf8.DecodeRuneInString(text[off:])
	return fmt.Sprintf("%q", r)
}
