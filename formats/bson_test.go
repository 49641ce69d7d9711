package formats

import (
	"bytes"
	"encoding/hex"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Byte layouts from the BSON specification (bsonspec.org) and pymongo.
func TestEncodeBSONKnownBytes(t *testing.T) {
	tests := []struct {
		name string
		doc  any
		hex  string
	}{
		{"hello world", map[string]any{"hello": "world"}, "160000000268656c6c6f0006000000776f726c640000"},
		{"empty", map[string]any{}, "0500000000"},
		{"int32, int64, double, bool, null", BSONDoc{{"i", int64(1)}, {"l", int64(1) << 40}, {"d", 1.5}, {"t", true}, {"n", nil}},
			"29000000" + "106900" + "01000000" + "126c00" + "0000000000010000" + "016400" + "000000000000f83f" + "087400" + "01" + "0a6e00" + "00"},
		{"array", map[string]any{"a": []any{"x", int64(2)}}, "1d000000" + "046100" + "15000000" + "023000" + "02000000" + "7800" + "103100" + "02000000" + "00" + "00"},
		{"ObjectId", map[string]any{"_id": map[string]any{"$oid": "530cdb1add29bc5628984303"}}, "16000000" + "075f696400" + "530cdb1add29bc5628984303" + "00"},
		{"datetime", map[string]any{"d": map[string]any{"$date": int64(1000)}}, "10000000" + "096400" + "e803000000000000" + "00"},
		{"binary", map[string]any{"b": map[string]any{"$binary": "AQI=", "$type": "00"}}, "0f000000" + "056200" + "02000000" + "00" + "0102" + "00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendBSON(nil, tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tt.hex {
				t.Errorf("got  %x\nwant %s", got, tt.hex)
			}
			docs, err := DecodeBSONDocs(got)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.doc
			if d, ok := want.(BSONDoc); ok {
				want = d.Map()
			}
			if diff := cmp.Diff(want, any(docs[0].Map())); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBSONRoundTrip(t *testing.T) {
	list := []any{
		map[string]any{"_id": map[string]any{"$oid": "530cdb1add29bc5628984303"}, "bar": 2.0, "foo": 1.0},
		map[string]any{"nested": map[string]any{"deep": map[string]any{"x": []any{int64(1), nil, "é", math.Inf(1), false}}},
			"big": int64(-1) << 50, "small": int64(-7), "when": map[string]any{"$date": int64(-5)},
			"bin": map[string]any{"$binary": "AAEC/w==", "$type": "80"}, "empty": map[string]any{}, "list": []any{}},
		map[string]any{"$oid": "not hex", "$date": "not a number"},
	}
	b, err := EncodeBSON(list)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeBSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(list, back); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if b, err := EncodeBSON(nil); err != nil || b == nil || len(b) != 0 {
		t.Errorf("EncodeBSON(nil) = %#v, %v; want empty non-nil bytes", b, err)
	}
	if docs, err := DecodeBSON([]byte{}); err != nil || len(docs) != 0 {
		t.Errorf("DecodeBSON(empty) = %v, %v", docs, err)
	}
	// Key order is kept by DecodeBSONDocs, and by the JSON of a BSONDoc.
	ordered, err := AppendBSON(nil, BSONDoc{{"z", int64(1)}, {"a", BSONDoc{{"y", true}, {"b", nil}}}})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := DecodeBSONDocs(ordered)
	if err != nil {
		t.Fatal(err)
	}
	if js, _ := EncodeJSON(docs[0]); string(js) != `{"z":1,"a":{"y":true,"b":null}}` {
		t.Errorf("ordered JSON = %s", js)
	}
}

func TestEncodeBSONErrors(t *testing.T) {
	tests := []struct {
		doc  any
		want string
	}{
		{[]any{int64(1)}, "element 0: expected an object, got list"},
		{"x", "expected an object, got string"},
		{map[string]any{"a\x00b": int64(1)}, "NUL byte"},
		{map[string]any{"s": "\xff"}, "is not UTF-8"},
		{map[string]any{"r": &Rows{}}, `key "r": cannot encode rows`},
		{map[string]any{"x": map[string]any{"y": struct{}{}}}, `key "x": key "y": cannot encode`},
	}
	for _, tt := range tests {
		var err error
		if l, ok := tt.doc.([]any); ok {
			_, err = EncodeBSON([]any{l})
		} else {
			_, err = EncodeBSON([]any{tt.doc})
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("EncodeBSON(%#v) error = %v, want %q", tt.doc, err, tt.want)
		}
	}
	deep := map[string]any{}
	for i := 0; i < bsonMaxDepth+5; i++ {
		deep = map[string]any{"d": deep}
	}
	if _, err := EncodeBSON([]any{deep}); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("deep document: %v", err)
	}
}

// Every truncation and every single-byte corruption of valid BSON decodes
// or fails cleanly; none panics.
func TestDecodeBSONCorrupt(t *testing.T) {
	good, err := EncodeBSON([]any{
		map[string]any{"s": "text", "a": []any{int64(1), 2.5, map[string]any{"o": map[string]any{"$oid": "530cdb1add29bc5628984303"}}}, "b": true},
		map[string]any{"bin": map[string]any{"$binary": "AQID", "$type": "00"}, "n": nil, "l": int64(1) << 40},
	})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(good); n++ {
		if _, err := DecodeBSON(good[:n]); err == nil && n > 0 && CheckBSON(good[:n]) == nil && n != len(good) {
			// A prefix can only decode if it ends on a document boundary.
			if _, err2 := DecodeBSONDocs(good[:n]); err2 != nil {
				t.Errorf("prefix %d: DecodeBSON ok but DecodeBSONDocs %v", n, err2)
			}
		}
	}
	for i := range good {
		for _, b := range []byte{0x00, 0x01, 0x7f, 0x80, 0xff, good[i] + 1} {
			bad := bytes.Clone(good)
			bad[i] = b
			_, _ = DecodeBSON(bad)
			_ = CheckBSON(bad)
		}
	}
	tests := []struct {
		hex, want string
	}{
		{"05000000", "4 bytes left, too few"},
		{"04000000" + "00", "document length 4"},
		{"0600000000" + "ff", "document does not end in 0x00"},
		{"0700000000" + "00", "document length 7 is not between 5 and the 6 bytes left"},
		{"0500000001", "does not end in 0x00"},
		{"09000000" + "087800" + "02" + "00", "boolean byte is 0x02"},
		{"0c000000" + "117800" + "0000000000", "unsupported BSON element type 0x11 (timestamp)"},
		{"0d000000" + "027800" + "ffffff7f" + "0000", "string length 2147483647"},
		{"09000000" + "027800" + "01" + "00", "value needs 4 bytes, 1 left"},
		{"0a000000" + "02787878" + "0000", "value needs 4 bytes"},
		{"07000000" + "027878", "does not end in 0x00"},
		{"08000000" + "027878" + "00", "element key runs past the end of its document"},
		{"0e000000" + "027800" + "02000000" + "ff00" + "00", "string is not UTF-8"},
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.hex)
		if _, err := DecodeBSON(b); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodeBSON(%s) error = %v, want %q", tt.hex, err, tt.want)
		}
	}
	var deep []byte
	for i := 0; i < bsonMaxDepth+5; i++ {
		deep = bsonWrap(deep)
	}
	if _, err := DecodeBSON(deep); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("deep document: %v", err)
	}
}

// bsonWrap returns a document {"d": inner}, or {} when inner is empty.
func bsonWrap(inner []byte) []byte {
	if inner == nil {
		return []byte{5, 0, 0, 0, 0}
	}
	n := 4 + 1 + 2 + len(inner) + 1
	out := []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), bsonDocument, 'd', 0}
	out = append(out, inner...)
	return append(out, 0)
}

func TestCheckBSON(t *testing.T) {
	good, _ := EncodeBSON([]any{map[string]any{"a": int64(1)}, map[string]any{}})
	if err := CheckBSON(good); err != nil {
		t.Error(err)
	}
	if err := CheckBSON(nil); err != nil {
		t.Errorf("empty: %v", err)
	}
	if err := CheckBSON(good[:len(good)-1]); err == nil || !strings.Contains(err.Error(), "document 1") {
		t.Errorf("truncated: %v", err)
	}
	if err := CheckBSON([]byte("not bson at all")); err == nil {
		t.Error("text passed")
	}
}
