// Package bindings implements Girder Worker's IO modes for inputs and
// outputs (inline and local here), the -i/-o command-line shorthands, and
// the JSON form of values in `truss run --json`.
package bindings

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/truss-dev/truss/formats"
)

// FromData makes a Value of typ/format from inline binding data, following
// the format's representation. baseDir resolves relative paths.
func FromData(reg *formats.Registry, typ, format string, data any, encoding, baseDir string) (formats.Value, error) {
	v := formats.Value{Type: typ, Format: format}
	if typ == "" {
		v.Data = normalizeYAML(data)
		return v, nil
	}
	f, ok := reg.Lookup(typ, format)
	if !ok {
		return v, unknownFormat(reg, typ, format)
	}
	switch f.Rep {
	case formats.RepData:
		d := normalizeYAML(data)
		if typ == "table" && format == "rows" {
			rows, err := formats.RowsFromJSON(d)
			if err != nil {
				return v, err
			}
			v.Data = rows
			return v, nil
		}
		v.Data = d
	case formats.RepText:
		switch d := data.(type) {
		case string:
			v.Bytes = []byte(d)
		case []byte:
			v.Bytes = d
		default:
			// Structured data given for a JSON text format is written as JSON.
			if !isJSONText(format) {
				return v, fmt.Errorf("%s/%s data must be text, got %s", typ, format, formats.TypeName(normalizeYAML(data)))
			}
			b, err := formats.EncodeJSON(normalizeYAML(data))
			if err != nil {
				return v, err
			}
			v.Bytes = b
		}
	case formats.RepBinary:
		switch d := data.(type) {
		case string:
			if encoding == "base64" {
				b, err := base64.StdEncoding.DecodeString(d)
				if err != nil {
					return v, fmt.Errorf("%s/%s data is not valid base64: %w", typ, format, err)
				}
				v.Bytes = b
			} else {
				v.Bytes = []byte(d)
			}
		case []byte:
			v.Bytes = d
		default:
			return v, fmt.Errorf("%s/%s data must be bytes (a string, or base64 with encoding: base64), got %s", typ, format, formats.TypeName(normalizeYAML(data)))
		}
		if v.Bytes == nil {
			v.Bytes = []byte{}
		}
	case formats.RepPath:
		s, ok := data.(string)
		if !ok || s == "" {
			return v, fmt.Errorf("%s/%s data must be a path", typ, format)
		}
		v.Path = absPath(s, baseDir)
	}
	return v, nil
}

func isJSONText(format string) bool {
	switch format {
	case "json", "rows.json", "objectlist.json", "nested.json", "networkx.json", "clique.json":
		return true
	}
	return false
}

// FromFile reads a local file as a value of typ/format.
func FromFile(reg *formats.Registry, typ, format, path string) (formats.Value, error) {
	v := formats.Value{Type: typ, Format: format}
	if typ != "" {
		f, ok := reg.Lookup(typ, format)
		if !ok {
			return v, unknownFormat(reg, typ, format)
		}
		if f.Rep == formats.RepPath {
			if _, err := os.Stat(path); err != nil {
				return v, err
			}
			v.Path = path
			return v, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return v, err
		}
		if f.Rep == formats.RepData {
			d, err := formats.DecodeJSON(b)
			if err != nil {
				return v, fmt.Errorf("%s: %s/%s from a file must be JSON: %w", path, typ, format, err)
			}
			return FromData(reg, typ, format, d, "", "")
		}
		v.Bytes = b
		return v, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return v, err
	}
	v.Bytes = b
	return v, nil
}

func absPath(p, baseDir string) string {
	if filepath.IsAbs(p) || baseDir == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(baseDir, p)
}

func unknownFormat(reg *formats.Registry, typ, format string) error {
	if !reg.HasType(typ) {
		return fmt.Errorf("unknown type %q (known types: %s)", typ, strings.Join(reg.Types(), ", "))
	}
	return fmt.Errorf("unknown format %s/%s (known %s formats: %s)", typ, format, typ, strings.Join(reg.FormatNames(typ), ", "))
}

// normalizeYAML turns what a YAML or JSON decoder produced into the
// JSON-like value model (int64, float64, map[string]any, []any).
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case uint64:
		if x <= 1<<63-1 {
			return int64(x)
		}
		return float64(x)
	case float32:
		return float64(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeYAML(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeYAML(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = normalizeYAML(e)
		}
		return out
	}
	return formats.Normalize(v)
}
