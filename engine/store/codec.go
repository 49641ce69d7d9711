package store

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Node records and cache entries are stored in a compact binary encoding
// (version 2): a version byte, then the fields in a fixed order. Encoding
// them with encoding/json (time.Time, maps, reflection) was most of the
// cost of checkpointing a node. Runs stay JSON (version 1); node and cache
// records written as JSON by an earlier truss are still read.
//
// Strings are a uvarint n<<1 and n bytes, or 1 and 32 bytes for a sha256
// hex digest (most of a record). Maps and Inline are a uvarint len+1 (0:
// nil) and their content; times a uvarint length (0: zero time) and
// time.Time's binary encoding.
const binaryVersion = 2

// versionError is a record written by a newer truss.
type versionError struct{ v int }

func (e *versionError) Error() string {
	return fmt.Sprintf("written by a newer truss (record version %d): upgrade truss", e.v)
}

var errShort = errors.New("record is truncated")

func appendNode(b []byte, n *Node) []byte {
	b = append(b, binaryVersion)
	b = appendStr(b, n.Run)
	b = appendStr(b, n.ID)
	b = appendStr(b, n.Kind)
	b = appendStr(b, n.Status)
	b = appendStr(b, n.Error)
	b = appendStr(b, n.Reason)
	b = binary.AppendVarint(b, int64(n.Attempts))
	b = appendTime(b, n.Start)
	b = appendTime(b, n.End)
	b = appendStr(b, n.CacheKey)
	b = appendStr(b, n.Log)
	b = appendRefs(b, n.Outputs)
	b = appendStr(b, n.CachedFrom)
	b = appendStr(b, n.Fingerprint)
	if n.Inputs == nil {
		b = append(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(n.Inputs))+1)
		for port, d := range n.Inputs {
			b = appendStr(b, port)
			b = appendStr(b, d)
		}
	}
	return appendStr(b, n.Progress)
}

func appendCache(b []byte, e *CacheEntry) []byte {
	b = append(b, binaryVersion)
	b = appendStr(b, e.Run)
	b = appendStr(b, e.Node)
	b = appendRefs(b, e.Outputs)
	return appendTime(b, e.Created)
}

func appendRefs(b []byte, refs map[string]Ref) []byte {
	if refs == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(refs))+1)
	for port, r := range refs {
		b = appendStr(b, port)
		b = appendStr(b, r.Digest)
		b = appendStr(b, r.Type)
		b = appendStr(b, r.Format)
		b = appendStr(b, r.Kind)
		b = binary.AppendVarint(b, r.Size)
		b = appendStr(b, r.Name)
		if r.Inline == nil {
			b = append(b, 0)
		} else {
			b = binary.AppendUvarint(b, uint64(len(r.Inline))+1)
			b = append(b, r.Inline...)
		}
	}
	return b
}

func appendStr(b []byte, s string) []byte {
	if len(s) == 64 {
		if p, ok := appendDigest(b, s); ok {
			return p
		}
	}
	b = binary.AppendUvarint(b, uint64(len(s))<<1)
	return append(b, s...)
}

// appendDigest packs 64 lower-case hex digits (which unpack to the same
// string) into 32 bytes after a 1; ok is false for anything else.
func appendDigest(b []byte, s string) ([]byte, bool) {
	n := len(b)
	b = append(b, 1)
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return b[:n], false
		}
		b = append(b, hi<<4|lo)
	}
	return b, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	n := len(b)
	b = append(b, 0) // the length (15 or 16), set below
	b, err := t.AppendBinary(b)
	if err != nil {
		// A zone offset time cannot encode: keep the instant.
		b, _ = t.UTC().AppendBinary(b[:n+1])
	}
	b[n] = byte(len(b) - n - 1)
	return b
}

// decoder reads a binary record. Strings are cut from one copy of the
// record, so a decoded record costs few allocations.
type decoder struct {
	b   []byte
	s   string // the same bytes as b
	off int
	err error
}

func newDecoder(raw []byte) *decoder { return &decoder{b: raw, s: string(raw), off: 1} }

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.off = len(d.b)
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.off += n
	return v
}

// length reads a length that must fit in what is left.
func (d *decoder) length(v uint64) int {
	if v > uint64(len(d.b)-d.off) {
		d.fail(errShort)
		return 0
	}
	return int(v)
}

func (d *decoder) str() string {
	v := d.uvarint()
	if v == 1 {
		n := d.length(32)
		if d.err != nil {
			return ""
		}
		s := hex.EncodeToString(d.b[d.off : d.off+n])
		d.off += n
		return s
	}
	if v&1 != 0 {
		d.fail(errors.New("bad string"))
		return ""
	}
	n := d.length(v >> 1)
	s := d.s[d.off : d.off+n]
	d.off += n
	return s
}

func (d *decoder) time() time.Time {
	n := d.length(d.uvarint())
	if n == 0 || d.err != nil {
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalBinary(d.b[d.off : d.off+n]); err != nil {
		d.fail(err)
	}
	d.off += n
	return t
}

// count reads a map's length+1; isNil reports a nil map.
func (d *decoder) count() (n int, isNil bool) {
	v := d.uvarint()
	if v == 0 || d.err != nil {
		return 0, true
	}
	// Every entry takes at least two bytes: a bound against garbage.
	if v-1 > uint64(len(d.b)-d.off)/2 {
		d.fail(errShort)
		return 0, true
	}
	return int(v - 1), false
}

func (d *decoder) refs() map[string]Ref {
	n, isNil := d.count()
	if isNil {
		return nil
	}
	refs := make(map[string]Ref, n)
	for i := 0; i < n && d.err == nil; i++ {
		port := d.str()
		r := Ref{Digest: d.str(), Type: d.str(), Format: d.str(), Kind: d.str(), Size: d.varint(), Name: d.str()}
		if v := d.uvarint(); v > 0 {
			k := d.length(v - 1)
			r.Inline = append(make([]byte, 0, k), d.b[d.off:d.off+k]...)
			d.off += k
		}
		refs[port] = r
	}
	return refs
}

func (d *decoder) done() error {
	if d.err == nil && d.off != len(d.b) {
		d.err = errors.New("trailing bytes after the record")
	}
	return d.err
}

func decodeNodeBinary(raw []byte, n *Node) error {
	d := newDecoder(raw)
	*n = Node{V: binaryVersion, Run: d.str(), ID: d.str(), Kind: d.str(), Status: d.str(), Error: d.str(), Reason: d.str()}
	n.Attempts = int(d.varint())
	n.Start, n.End = d.time(), d.time()
	n.CacheKey, n.Log = d.str(), d.str()
	n.Outputs = d.refs()
	n.CachedFrom, n.Fingerprint = d.str(), d.str()
	if c, isNil := d.count(); !isNil {
		n.Inputs = make(map[string]string, c)
		for i := 0; i < c && d.err == nil; i++ {
			port := d.str()
			n.Inputs[port] = d.str()
		}
	}
	n.Progress = d.str()
	return d.done()
}

// recordVersionOf is the version of a stored node or cache record: 1 for
// JSON, else its first byte.
func recordVersionOf(raw []byte) int {
	if len(raw) == 0 || raw[0] == '{' || raw[0] == ' ' || raw[0] == '\n' || raw[0] == '\t' || raw[0] == '\r' {
		return recordVersion
	}
	return int(raw[0])
}

// unmarshalNode decodes a node record of any version this truss reads.
func unmarshalNode(raw []byte, n *Node) error {
	switch v := recordVersionOf(raw); {
	case v == binaryVersion:
		return decodeNodeBinary(raw, n)
	case v == recordVersion:
		if err := json.Unmarshal(raw, n); err != nil {
			return err
		}
		if n.V > recordVersion {
			return &versionError{n.V}
		}
		emptyInline(n.Outputs)
		return nil
	case v > binaryVersion && v < ' ':
		return &versionError{v}
	default:
		return fmt.Errorf("unknown record encoding (first byte %#x)", raw[0])
	}
}

// unmarshalCache decodes a cache record of any version this truss reads.
func unmarshalCache(raw []byte, e *CacheEntry) error {
	switch v := recordVersionOf(raw); {
	case v == binaryVersion:
		d := newDecoder(raw)
		*e = CacheEntry{Run: d.str(), Node: d.str(), Outputs: d.refs(), Created: d.time()}
		return d.done()
	case v == recordVersion:
		var rec cacheRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return err
		}
		if rec.V > recordVersion {
			return &versionError{rec.V}
		}
		emptyInline(rec.Outputs)
		*e = rec.CacheEntry
		return nil
	case v > binaryVersion && v < ' ':
		return &versionError{v}
	default:
		return fmt.Errorf("unknown record encoding (first byte %#x)", raw[0])
	}
}

// emptyDigest is the sha256 of no bytes.
const emptyDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// emptyInline restores the empty inline values JSON records lost: Inline
// was omitempty, so an empty value read back as a ref to a blob that was
// never written, and its node reran.
func emptyInline(refs map[string]Ref) {
	for port, r := range refs {
		if r.Inline == nil && r.Size == 0 && r.Digest == emptyDigest && (r.Kind == KindBytes || r.Kind == KindData) {
			r.Inline = []byte{}
			refs[port] = r
		}
	}
}
