package python

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
)

// Kinds say how a value crosses into and out of Python.
const (
	kindJSON   = "json"   // JSON text ↔ json.loads / json.dumps
	kindText   = "text"   // UTF-8 bytes ↔ str
	kindBytes  = "bytes"  // bytes ↔ bytes
	kindPickle = "pickle" // pickle bytes ↔ any object (runtime formats)
	kindPath   = "path"   // a path string
	kindAuto   = "auto"   // untyped output: JSON if it can, else bytes
)

// portKind is the wire name of how a typed port's values cross.
func portKind(p modes.Port) (string, error) {
	c, err := modes.CrossingOf(p, formats.RuntimePython)
	return [...]string{modes.CrossData: kindJSON, modes.CrossText: kindText, modes.CrossBytes: kindBytes,
		modes.CrossNative: kindPickle, modes.CrossPath: kindPath}[c], err
}

// wireInput is one input in a run request. Blob is [offset, length] into
// the request's concatenated blobs.
type wireInput struct {
	Name string   `json:"name"`
	Kind string   `json:"kind"`
	Blob [2]int64 `json:"blob"`
	Path string   `json:"path,omitempty"`
}

type wireOutput struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// request is a prepared run: its header and blobs, built before a pool
// slot is taken so the slot is held only while Python works.
type request struct {
	Op       string       `json:"op"`
	WorkDir  string       `json:"workdir"`
	Script   string       `json:"script"`
	Filename string       `json:"filename"`
	SysPath  string       `json:"syspath,omitempty"`
	Inputs   []wireInput  `json:"inputs"`
	Outputs  []wireOutput `json:"outputs"`
	Blobs    []int64      `json:"blobs"`

	blobs [][]byte
}

// scriptFilename names the script in tracebacks; frames of this file are
// the script's own.
func scriptFilename(t *modes.Task) string {
	if t.ScriptFile != "" {
		return t.ScriptFile
	}
	return "<script>"
}

func prepare(req modes.Request) (*request, error) {
	t := req.Task
	if t == nil {
		return nil, fmt.Errorf("python: request without a task")
	}
	workDir, err := filepath.Abs(req.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("step %s: work dir: %w", t.Name, err)
	}
	// Empty lists, not null: Python iterates them.
	r := &request{Op: "run", WorkDir: workDir, Script: t.Script, Filename: scriptFilename(t),
		Inputs: []wireInput{}, Outputs: []wireOutput{}, Blobs: []int64{}}
	if t.ScriptFile != "" {
		// Let a script file import the modules next to it.
		if dir, err := filepath.Abs(filepath.Dir(t.ScriptFile)); err == nil {
			r.SysPath = dir
		}
	}
	var off int64
	for _, p := range t.Inputs {
		v, ok := req.Inputs[p.Name]
		if !ok {
			// An optional input left unbound is simply not defined.
			continue
		}
		in, data, err := encodeInput(p, v, workDir)
		if err != nil {
			return nil, fmt.Errorf("step %s: input %q: %w", t.Name, p.Name, err)
		}
		if in.Kind != kindPath {
			in.Blob = [2]int64{off, int64(len(data))}
			off += int64(len(data))
			r.blobs = append(r.blobs, data)
			r.Blobs = append(r.Blobs, int64(len(data)))
		}
		r.Inputs = append(r.Inputs, in)
	}
	for _, p := range t.Outputs {
		kind := kindAuto
		if p.Type != "" {
			if kind, err = portKind(p); err != nil {
				return nil, fmt.Errorf("step %s: output: %w", t.Name, err)
			}
		}
		r.Outputs = append(r.Outputs, wireOutput{Name: p.Name, Kind: kind})
	}
	return r, nil
}

// encodeInput turns one value into its wire form (and blob).
func encodeInput(p modes.Port, v formats.Value, workDir string) (wireInput, []byte, error) {
	in := wireInput{Name: p.Name}
	if p.Type == "" {
		// Untyped: hand over what the value holds.
		switch v.Kind() {
		case formats.RepPath:
			in.Kind, in.Path = kindPath, v.Path
			return in, nil, nil
		case formats.RepBinary:
			in.Kind = kindBytes
			return in, v.Bytes, nil
		}
		data, err := formats.EncodeJSON(v.Data)
		in.Kind = kindJSON
		return in, data, err
	}
	kind, err := portKind(p)
	if err != nil {
		return in, nil, err
	}
	in.Kind = kind
	switch kind {
	case kindPath:
		if v.Path != "" {
			in.Path = v.Path
			return in, nil, nil
		}
		if !p.IsFilepath() {
			return in, nil, fmt.Errorf("%s/%s value carries no path", p.Type, p.Format)
		}
		in.Path, err = writeInputFile(p.Name, v, workDir)
		return in, nil, err
	case kindJSON:
		if v.Kind() != formats.RepData {
			return in, nil, fmt.Errorf("%s/%s expects data, got %s", p.Type, p.Format, v.Kind())
		}
		data, err := formats.EncodeJSON(v.Data)
		return in, data, err
	default: // text, bytes, pickle
		data, err := v.Payload()
		if err != nil {
			return in, nil, fmt.Errorf("%s/%s: %w", p.Type, p.Format, err)
		}
		return in, data, nil
	}
}

// writeInputFile gives a filepath input that arrived as a value a file in
// the work dir, named after the port.
func writeInputFile(name string, v formats.Value, workDir string) (string, error) {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("cannot use port name %q as a file name", name)
	}
	var data []byte
	var err error
	switch {
	case v.Bytes != nil:
		data = v.Bytes
	default:
		if s, ok := v.Data.(string); ok {
			data = []byte(s)
		} else if data, err = formats.EncodeJSON(v.Data); err != nil {
			return "", err
		}
	}
	path := filepath.Join(workDir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", err
	}
	return path, nil
}

// decodeOutput turns the child's bytes for port p into a Value.
func decodeOutput(step string, p modes.Port, kind string, data []byte) (formats.Value, error) {
	v := formats.Value{Type: p.Type, Format: p.Format}
	fail := func(format string, args ...any) (formats.Value, error) {
		return formats.Value{}, fmt.Errorf("step %s: output %q: %s", step, p.Name, fmt.Sprintf(format, args...))
	}
	switch kind {
	case kindJSON:
		d, err := formats.DecodeJSON(data)
		if err != nil {
			return fail("reading JSON from python: %v", err)
		}
		if p.Type == "table" && p.Format == "rows" {
			rows, err := formats.RowsFromJSON(d)
			if err != nil {
				return fail("%v", err)
			}
			d = rows
		}
		v.Data = d
	case kindText, kindBytes, kindPickle:
		if data == nil {
			data = []byte{} // an empty payload is still a bytes value
		}
		v.Bytes = data
	case kindPath:
		path := string(data)
		if _, err := os.Stat(path); err != nil {
			if os.IsNotExist(err) {
				return fail("the script set it to %s, which does not exist", path)
			}
			return fail("%v", err)
		}
		v.Path = path
	default:
		return fail("unknown kind %q from python", kind)
	}
	return v, nil
}
