// Package formats holds the type/format registry, the Value that flows on a
// DAG edge, canonical JSON encoding with content digests, and the Go-native
// codecs of data formats.
package formats

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// Value is what flows on an edge: a (type, format) label plus exactly one
// payload. Which payload is set follows from the format's Rep.
type Value struct {
	Type   string
	Format string
	// Data is a JSON-like Go value (nil, bool, int64, float64, string,
	// []any, map[string]any) or, for table/rows, a *Rows.
	Data any
	// Bytes holds text (UTF-8) or binary payloads. Empty text is []byte{},
	// never nil: a nil Bytes means the payload is Data.
	Bytes []byte
	// Path names a file or directory on the host.
	Path string
}

// Kind reports which payload field carries the value.
func (v Value) Kind() Rep {
	switch {
	case v.Path != "":
		return RepPath
	case v.Bytes != nil:
		return RepBinary
	default:
		return RepData
	}
}

func (v Value) String() string {
	label := v.Type + "/" + v.Format
	switch v.Kind() {
	case RepPath:
		return label + " path " + v.Path
	case RepBinary:
		return fmt.Sprintf("%s (%d bytes)", label, len(v.Bytes))
	default:
		return fmt.Sprintf("%s %T", label, v.Data)
	}
}

// FileBytes reads the file at Path: the content of a text or binary value
// that a command step left on disk, read where a converter or validator
// needs it. Errors name the value's type and format.
func (v Value) FileBytes() ([]byte, error) {
	b, err := os.ReadFile(v.Path)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", v.Type, v.Format, err)
	}
	return b, nil
}

// Payload is the bytes of a text or binary value: Bytes as they are, the
// content of the file at Path, or a string held as Data (inline text).
func (v Value) Payload() ([]byte, error) {
	switch {
	case v.Bytes != nil:
		return v.Bytes, nil
	case v.Path != "":
		return os.ReadFile(v.Path)
	}
	if s, ok := v.Data.(string); ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("expected bytes, got %s", TypeName(v.Data))
}

// Digest is the sha256 of the value's canonical encoding: the canonical JSON
// of Data, the bytes of Bytes, or the content of the file or directory tree
// at Path. The type and format are part of the digest, so one text read as
// csv and as tsv gives two digests.
func Digest(v Value) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s/%s\x00", v.Type, v.Format)
	switch v.Kind() {
	case RepPath:
		h.Write([]byte("path\x00"))
		if err := hashPath(h, v.Path); err != nil {
			return "", err
		}
	case RepBinary:
		h.Write([]byte("bytes\x00"))
		h.Write(v.Bytes)
	default:
		h.Write([]byte("data\x00"))
		b, err := EncodeJSON(v.Data)
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashPath(w io.Writer, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	}
	return hashTree(w, path)
}
