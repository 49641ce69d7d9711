package formats

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"unicode/utf8"
)

// DecodeBSON is table objectlist.bson → objectlist: the concatenated
// documents of b as map[string]any values (see DecodeBSONDocs for the key
// order).
func DecodeBSON(b []byte) ([]any, error) {
	docs, err := DecodeBSONDocs(b)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(docs))
	for i, d := range docs {
		out[i] = d.Map()
	}
	return out, nil
}

// DecodeBSONDocs decodes concatenated BSON documents, keeping key order.
// Every length is checked against the bytes that remain, so corrupt input
// gives an error naming the byte offset, never a panic.
func DecodeBSONDocs(b []byte) ([]BSONDoc, error) {
	docs := []BSONDoc{}
	for off := 0; off < len(b); {
		d := bsonDecoder{b: b}
		doc, end, err := d.document(off, len(b), 0, false)
		if err != nil {
			return nil, fmt.Errorf("bson: document %d: %w", len(docs), err)
		}
		docs = append(docs, doc.(BSONDoc))
		off = end
	}
	return docs, nil
}

type bsonDecoder struct{ b []byte }

func (d *bsonDecoder) errorf(off int, format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", off, fmt.Sprintf(format, args...))
}

// document decodes the document (or array) starting at off, which must end
// by limit. It returns a BSONDoc, or a []any for an array, and the offset
// after it.
func (d *bsonDecoder) document(off, limit, depth int, array bool) (any, int, error) {
	if depth > bsonMaxDepth {
		return nil, 0, d.errorf(off, "documents nested more than %d levels deep", bsonMaxDepth)
	}
	if limit-off < 5 {
		return nil, 0, d.errorf(off, "%d bytes left, too few for a document (at least 5)", limit-off)
	}
	size := int64(int32(binary.LittleEndian.Uint32(d.b[off:])))
	if size < 5 || size > int64(limit-off) {
		return nil, 0, d.errorf(off, "document length %d is not between 5 and the %d bytes left", size, limit-off)
	}
	end := off + int(size)
	if d.b[end-1] != 0 {
		return nil, 0, d.errorf(end-1, "document does not end in 0x00")
	}
	var doc BSONDoc
	var list []any
	if array {
		list = []any{}
	}
	for p := off + 4; p < end-1; {
		t := d.b[p]
		keyEnd := bytes.IndexByte(d.b[p+1:end-1], 0)
		if keyEnd < 0 {
			return nil, 0, d.errorf(p+1, "element key runs past the end of its document")
		}
		key := d.b[p+1 : p+1+keyEnd]
		if !utf8.Valid(key) {
			return nil, 0, d.errorf(p+1, "element key is not UTF-8")
		}
		v, next, err := d.value(t, p+2+keyEnd, end-1, depth)
		if err != nil {
			return nil, 0, fmt.Errorf("element %q (type 0x%02x at byte %d): %w", key, t, p, err)
		}
		if array {
			list = append(list, v) // keys "0", "1", … are not checked, as pymongo does not
		} else {
			doc = append(doc, BSONElem{Key: string(key), Value: v})
		}
		p = next
	}
	if array {
		return list, end, nil
	}
	if doc == nil {
		doc = BSONDoc{}
	}
	return doc, end, nil
}

// value decodes an element of type t whose value starts at p and must end
// by limit.
func (d *bsonDecoder) value(t byte, p, limit, depth int) (any, int, error) {
	need := func(n int) error {
		if limit-p < n {
			return d.errorf(p, "value needs %d bytes, %d left", n, limit-p)
		}
		return nil
	}
	switch t {
	case bsonDouble:
		if err := need(8); err != nil {
			return nil, 0, err
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(d.b[p:])), p + 8, nil
	case bsonString:
		if err := need(4); err != nil {
			return nil, 0, err
		}
		n := int64(int32(binary.LittleEndian.Uint32(d.b[p:])))
		if n < 1 || n > int64(limit-p-4) {
			return nil, 0, d.errorf(p, "string length %d is not between 1 and the %d bytes left", n, limit-p-4)
		}
		s := d.b[p+4 : p+4+int(n)-1]
		if d.b[p+4+int(n)-1] != 0 {
			return nil, 0, d.errorf(p+4+int(n)-1, "string does not end in 0x00")
		}
		if !utf8.Valid(s) {
			return nil, 0, d.errorf(p+4, "string is not UTF-8")
		}
		return string(s), p + 4 + int(n), nil
	case bsonDocument, bsonArray:
		return d.document(p, limit, depth+1, t == bsonArray)
	case bsonBinary:
		if err := need(5); err != nil {
			return nil, 0, err
		}
		n := int64(int32(binary.LittleEndian.Uint32(d.b[p:])))
		if n < 0 || n > int64(limit-p-5) {
			return nil, 0, d.errorf(p, "binary length %d is not between 0 and the %d bytes left", n, limit-p-5)
		}
		raw := d.b[p+5 : p+5+int(n)]
		return map[string]any{
			"$binary": base64.StdEncoding.EncodeToString(raw),
			"$type":   fmt.Sprintf("%02x", d.b[p+4]),
		}, p + 5 + int(n), nil
	case bsonUndef, bsonNull:
		return nil, p, nil
	case bsonObjectID:
		if err := need(12); err != nil {
			return nil, 0, err
		}
		return map[string]any{"$oid": hex.EncodeToString(d.b[p : p+12])}, p + 12, nil
	case bsonBool:
		if err := need(1); err != nil {
			return nil, 0, err
		}
		switch d.b[p] {
		case 0:
			return false, p + 1, nil
		case 1:
			return true, p + 1, nil
		}
		return nil, 0, d.errorf(p, "boolean byte is 0x%02x, not 0 or 1", d.b[p])
	case bsonDatetime:
		if err := need(8); err != nil {
			return nil, 0, err
		}
		return map[string]any{"$date": int64(binary.LittleEndian.Uint64(d.b[p:]))}, p + 8, nil
	case bsonInt32:
		if err := need(4); err != nil {
			return nil, 0, err
		}
		return int64(int32(binary.LittleEndian.Uint32(d.b[p:]))), p + 4, nil
	case bsonInt64:
		if err := need(8); err != nil {
			return nil, 0, err
		}
		return int64(binary.LittleEndian.Uint64(d.b[p:])), p + 8, nil
	}
	return nil, 0, fmt.Errorf("unsupported BSON element type 0x%02x%s", t, bsonTypeName(t))
}

// bsonTypeName names the BSON types this codec does not support.
func bsonTypeName(t byte) string {
	switch t {
	case 0x0B:
		return " (regular expression)"
	case 0x0C:
		return " (DBPointer)"
	case 0x0D:
		return " (JavaScript code)"
	case 0x0E:
		return " (symbol)"
	case 0x0F:
		return " (JavaScript code with scope)"
	case 0x11:
		return " (timestamp)"
	case 0x13:
		return " (decimal128)"
	case 0x7F:
		return " (max key)"
	case 0xFF:
		return " (min key)"
	}
	return ""
}

// CheckBSON checks that b frames as concatenated BSON documents (each an
// int32 length of at least 5 that stays inside b, ending in 0x00) without
// decoding them: a cheap test that bytes are BSON at all. No bytes is a
// valid, empty, sequence.
func CheckBSON(b []byte) error {
	for off, doc := 0, 0; off < len(b); doc++ {
		if len(b)-off < 5 {
			return fmt.Errorf("bson: document %d at byte %d: %d bytes left, too few for a document (at least 5)", doc, off, len(b)-off)
		}
		n := int64(int32(binary.LittleEndian.Uint32(b[off:])))
		switch {
		case n < 5 || n > int64(len(b)-off):
			return fmt.Errorf("bson: document %d at byte %d: length %d is not between 5 and the %d bytes left", doc, off, n, len(b)-off)
		case b[off+int(n)-1] != 0:
			return fmt.Errorf("bson: document %d at byte %d: does not end in 0x00", doc, off)
		}
		off += int(n)
	}
	return nil
}
