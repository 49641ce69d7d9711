package formats

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// BSON support covers what objectlist.bson (and TreeStore) documents
// hold: documents, arrays, strings, int32, int64, doubles, booleans,
// null, ObjectIds, datetimes and binary data. Types without a JSON-like
// equivalent are represented the way MongoDB's legacy extended JSON
// (bson.json_util, which Girder Worker used) writes them, so they survive
// a trip through JSON and back:
//
//	ObjectId  {"$oid": "<24 hex digits>"}
//	datetime  {"$date": <milliseconds since the epoch, int64>}
//	binary    {"$binary": "<base64>", "$type": "<2 hex digits>"}

// BSONElem is one key and value of a BSON document.
type BSONElem struct {
	Key   string
	Value any
}

// BSONDoc is a BSON document with its key order, which maps lose.
// Values are JSON-like values or nested BSONDocs.
type BSONDoc []BSONElem

// Map converts d, and every BSONDoc inside it, to map[string]any; a
// repeated key keeps its last value.
func (d BSONDoc) Map() map[string]any {
	m := make(map[string]any, len(d))
	for _, e := range d {
		m[e.Key] = bsonToMaps(e.Value)
	}
	return m
}

func bsonToMaps(v any) any {
	switch x := v.(type) {
	case BSONDoc:
		return x.Map()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = bsonToMaps(e)
		}
		return out
	}
	return v
}

// AppendJSON writes d as a JSON object in its own key order.
func (d BSONDoc) AppendJSON(b *bytes.Buffer) error {
	b.WriteByte('{')
	for i, e := range d {
		if i > 0 {
			b.WriteByte(',')
		}
		appendString(b, e.Key)
		b.WriteByte(':')
		if err := appendJSON(b, e.Value); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

// BSON element types.
const (
	bsonDouble   = 0x01
	bsonString   = 0x02
	bsonDocument = 0x03
	bsonArray    = 0x04
	bsonBinary   = 0x05
	bsonUndef    = 0x06
	bsonObjectID = 0x07
	bsonBool     = 0x08
	bsonDatetime = 0x09
	bsonNull     = 0x0A
	bsonInt32    = 0x10
	bsonInt64    = 0x12
)

// bsonMaxDepth bounds nesting, in encoding and decoding alike.
const bsonMaxDepth = 512

// EncodeBSON is table objectlist → objectlist.bson: the concatenated BSON
// documents of the elements, each a map[string]any (keys written sorted)
// or a BSONDoc. Integers that fit in 32 bits are written as int32, others
// as int64, as pymongo does.
func EncodeBSON(docs []any) ([]byte, error) {
	out := []byte{}
	for i, d := range docs {
		var err error
		if out, err = AppendBSON(out, d); err != nil {
			return nil, fmt.Errorf("bson: element %d: %w", i, err)
		}
	}
	return out, nil
}

// AppendBSON appends the BSON encoding of one document (a map[string]any
// or a BSONDoc) to dst.
func AppendBSON(dst []byte, doc any) ([]byte, error) {
	switch doc.(type) {
	case map[string]any, BSONDoc:
	default:
		return nil, fmt.Errorf("expected an object, got %s", Describe(doc))
	}
	return appendBSONValueDoc(dst, doc, 0)
}

// appendBSONValueDoc appends the document body of a map or BSONDoc.
func appendBSONValueDoc(dst []byte, doc any, depth int) ([]byte, error) {
	if depth > bsonMaxDepth {
		return nil, fmt.Errorf("nested more than %d levels deep", bsonMaxDepth)
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	var err error
	switch d := doc.(type) {
	case map[string]any:
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if dst, err = appendBSONElem(dst, k, d[k], depth); err != nil {
				return nil, err
			}
		}
	case BSONDoc:
		for _, e := range d {
			if dst, err = appendBSONElem(dst, e.Key, e.Value, depth); err != nil {
				return nil, err
			}
		}
	case []any:
		for i, e := range d {
			if dst, err = appendBSONElem(dst, strconv.Itoa(i), e, depth); err != nil {
				return nil, err
			}
		}
	case []string:
		for i, e := range d {
			if dst, err = appendBSONElem(dst, strconv.Itoa(i), e, depth); err != nil {
				return nil, err
			}
		}
	}
	dst = append(dst, 0)
	size := len(dst) - start
	if size > math.MaxInt32 {
		return nil, fmt.Errorf("document of %d bytes is too large for BSON", size)
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(size))
	return dst, nil
}

func appendBSONElem(dst []byte, key string, v any, depth int) ([]byte, error) {
	if strings.IndexByte(key, 0) >= 0 {
		return nil, fmt.Errorf("key %q holds a NUL byte, which BSON keys cannot", key)
	}
	if !utf8.ValidString(key) {
		return nil, fmt.Errorf("key %q is not UTF-8", key)
	}
	head := func(t byte) []byte {
		dst = append(dst, t)
		dst = append(dst, key...)
		return append(dst, 0)
	}
	var err error
	switch x := v.(type) {
	case nil:
		return head(bsonNull), nil
	case bool:
		dst = head(bsonBool)
		if x {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case int64:
		return appendBSONInt(head, x), nil
	case int:
		return appendBSONInt(head, int64(x)), nil
	case int32:
		return appendBSONInt(head, int64(x)), nil
	case float64:
		dst = head(bsonDouble)
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(x)), nil
	case string:
		if !utf8.ValidString(x) {
			return nil, fmt.Errorf("key %q: string %s is not UTF-8, which BSON strings must be", key, Excerpt([]byte(x)))
		}
		dst = head(bsonString)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(x)+1))
		dst = append(dst, x...)
		return append(dst, 0), nil
	case map[string]any:
		if t, body, ok := bsonSpecial(x); ok {
			return append(head(t), body...), nil
		}
		dst, err = appendBSONValueDoc(head(bsonDocument), x, depth+1)
	case BSONDoc:
		dst, err = appendBSONValueDoc(head(bsonDocument), x, depth+1)
	case []any, []string:
		dst, err = appendBSONValueDoc(head(bsonArray), x, depth+1)
	default:
		return nil, fmt.Errorf("key %q: cannot encode %s as BSON", key, Describe(v))
	}
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", key, err)
	}
	return dst, nil
}

func appendBSONInt(head func(byte) []byte, n int64) []byte {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		return binary.LittleEndian.AppendUint32(head(bsonInt32), uint32(int32(n)))
	}
	return binary.LittleEndian.AppendUint64(head(bsonInt64), uint64(n))
}

// bsonSpecial recognises the extended-JSON forms of ObjectId, datetime and
// binary and returns their element type and body.
func bsonSpecial(m map[string]any) (byte, []byte, bool) {
	switch len(m) {
	case 1:
		if s, ok := m["$oid"].(string); ok && len(s) == 24 {
			if id, err := hex.DecodeString(s); err == nil {
				return bsonObjectID, id, true
			}
		}
		switch ms := m["$date"].(type) {
		case int64:
			return bsonDatetime, binary.LittleEndian.AppendUint64(nil, uint64(ms)), true
		case float64:
			if ms == math.Trunc(ms) && math.Abs(ms) < 1<<63 {
				return bsonDatetime, binary.LittleEndian.AppendUint64(nil, uint64(int64(ms))), true
			}
		}
	case 2:
		data, ok1 := m["$binary"].(string)
		sub, ok2 := m["$type"].(string)
		if !ok1 || !ok2 || len(sub) > 2 {
			break
		}
		st, err := strconv.ParseUint(sub, 16, 8)
		if err != nil {
			break
		}
		raw, err := base64.StdEncoding.DecodeString(data)
		if err != nil || len(raw) > math.MaxInt32 {
			break
		}
		body := binary.LittleEndian.AppendUint32(nil, uint32(len(raw)))
		body = append(body, byte(st))
		return bsonBinary, append(body, raw...), true
	}
	return 0, nil, false
}
