package bindings

import (
	"bytes"
	"encoding/base64"
	"path/filepath"

	"github.com/truss-dev/truss/formats"
)

// JSONValue is a value in the `truss run --json` document: data formats as
// JSON, text formats as strings, binary formats as base64, files as paths.
type JSONValue struct {
	Type     string  `json:"type,omitempty"`
	Format   string  `json:"format,omitempty"`
	Data     RawJSON `json:"data,omitempty"`
	Encoding string  `json:"encoding,omitempty"`
	Path     string  `json:"path,omitempty"`
}

// RawJSON is canonical JSON text embedded as is.
type RawJSON []byte

// MarshalJSON returns the text unchanged.
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// ToJSON renders a value for the result document.
func ToJSON(reg *formats.Registry, v formats.Value) (JSONValue, error) {
	out := JSONValue{Type: v.Type, Format: v.Format}
	switch {
	case v.Path != "":
		abs, err := filepath.Abs(v.Path)
		if err != nil {
			return out, err
		}
		out.Path = abs
	case v.Bytes != nil:
		rep := formats.RepBinary
		if f, ok := reg.Lookup(v.Type, v.Format); ok {
			rep = f.Rep
		}
		if rep == formats.RepText {
			b, err := formats.EncodeJSON(string(v.Bytes))
			if err != nil {
				return out, err
			}
			out.Data = b
		} else {
			out.Data = quoted(base64.StdEncoding.EncodeToString(v.Bytes))
			out.Encoding = "base64"
		}
	default:
		b, err := formats.EncodeJSON(v.Data)
		if err != nil {
			return out, err
		}
		out.Data = b
	}
	return out, nil
}

func quoted(s string) []byte {
	var b bytes.Buffer
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
	return b.Bytes()
}
