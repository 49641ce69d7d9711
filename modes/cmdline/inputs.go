package cmdline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/truss-dev/truss/formats"
)

// Materialize gives every filepath input that arrived as a value (bytes or
// data) a file in the data directory, named after the port, and returns
// the inputs with those paths. Values that already are paths are kept as
// they are.
func (s *Spec) Materialize(in map[string]formats.Value, dataDir string) (map[string]formats.Value, error) {
	var out map[string]formats.Value
	for _, p := range s.Inputs {
		v, ok := in[p.Name]
		// A stream port's file is its named pipe, which the mode makes.
		if !ok || !p.IsFilepath() || v.Path != "" || p.Stream {
			continue
		}
		if out == nil {
			out = make(map[string]formats.Value, len(in))
			for k, v := range in {
				out[k] = v
			}
		}
		path, err := writeInputFile(p.Name, v, dataDir)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", p.Name, err)
		}
		v.Path, v.Bytes, v.Data = path, nil, nil
		out[p.Name] = v
	}
	if out == nil {
		return in, nil
	}
	return out, nil
}

func writeInputFile(name string, v formats.Value, dir string) (string, error) {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("cannot use port name %q as a file name", name)
	}
	var data []byte
	switch {
	case v.Bytes != nil:
		data = v.Bytes
	default:
		if s, ok := v.Data.(string); ok {
			data = []byte(s)
		} else {
			var err error
			if data, err = formats.EncodeJSON(v.Data); err != nil {
				return "", err
			}
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", err
	}
	return path, nil
}
