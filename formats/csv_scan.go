package formats

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// csvText is the parser's private copy of a csv text, seen both as bytes
// (scanned eight at a time) and as a string (whose substrings become the
// cells without being copied). The copy is never written after it is made,
// which is what makes the string view sound; it also keeps the cells
// independent of the caller's slice.
type csvText struct {
	b []byte
	s string
}

func newCSVText(text []byte) csvText {
	b := make([]byte, len(text))
	copy(b, text)
	return csvText{b: b, s: unsafe.String(unsafe.SliceData(b), len(b))}
}

// csvStopper finds the first of three bytes, eight bytes at a time: the
// bytes that end an unquoted field (delimiter, CR, LF) or interrupt a
// quoted one (quote, CR, LF).
type csvStopper struct {
	x, y, z uint64 // each byte repeated in every lane
	table   [256]bool
}

func newCSVStopper(x, y, z byte) csvStopper {
	const ones = 0x0101010101010101
	st := csvStopper{x: uint64(x) * ones, y: uint64(y) * ones, z: uint64(z) * ones}
	st.table[x], st.table[y], st.table[z] = true, true, true
	return st
}

// scan returns the index of the first stop byte in b at or after i, or
// len(b). A lane of w equal to a stop byte becomes zero after the xor; the
// classic has-zero-byte test flags it, and may also flag lanes above a true
// zero (borrows), never below, so the lowest flag is exact.
func (st *csvStopper) scan(b []byte, i int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		a, c, d := w^st.x, w^st.y, w^st.z
		m := (a-lo)&^a | (c-lo)&^c | (d-lo)&^d
		if m &= hi; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b) && !st.table[b[i]]; i++ {
	}
	return i
}
