package r

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
)

// Kinds say how a value crosses into and out of R.
const (
	kindJSON  = "json"  // JSON text ↔ jsonlite (length-1 vectors unboxed)
	kindText  = "text"  // UTF-8 bytes ↔ a character string
	kindBytes = "bytes" // bytes ↔ a raw vector
	kindRDS   = "rds"   // serialize() bytes ↔ any R object (R formats)
	kindPath  = "path"  // a path string
	kindAuto  = "auto"  // untyped output: JSON if it can, else raw
)

// portKind is the wire name of how a typed port's values cross.
func portKind(p modes.Port) (string, error) {
	c, err := modes.CrossingOf(p, formats.RuntimeR)
	return [...]string{modes.CrossData: kindJSON, modes.CrossText: kindText, modes.CrossBytes: kindBytes,
		modes.CrossNative: kindRDS, modes.CrossPath: kindPath}[c], err
}

type wireInput struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	File string `json:"file,omitempty"`
	Path string `json:"path,omitempty"`
}

type wireOutput struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	File   string `json:"file"`
	Type   string `json:"type"`
	Format string `json:"format"`
}

// request is a prepared run: its directory of input and output files and
// the JSON line the zygote reads. It is built before a slot is taken, so
// the slot is held only while R works.
type request struct {
	WorkDir string       `json:"workdir"`
	Script  string       `json:"script"`
	Result  string       `json:"result"`
	Inputs  []wireInput  `json:"inputs"`
	Outputs []wireOutput `json:"outputs"`

	dir  string
	line []byte
}

func prepare(req modes.Request) (*request, error) {
	t := req.Task
	workDir := req.WorkDir
	if workDir == "" {
		workDir = os.TempDir()
	}
	workDir, err := filepath.Abs(workDir)
	if err != nil {
		return nil, fmt.Errorf("step %s: work dir: %w", t.Name, err)
	}
	// A directory per run: converters and validators may share a work dir.
	dir, err := os.MkdirTemp(workDir, ".truss-r-")
	if err != nil {
		return nil, fmt.Errorf("step %s: %w", t.Name, err)
	}
	r := &request{WorkDir: workDir, Script: t.Script, Result: filepath.Join(dir, "result.json"),
		Inputs: []wireInput{}, Outputs: []wireOutput{}, dir: dir}
	fail := func(err error) (*request, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	for i, p := range t.Inputs {
		v, ok := req.Inputs[p.Name]
		if !ok {
			continue // an optional input left unbound is simply not defined
		}
		in, err := writeInput(p, v, workDir, filepath.Join(dir, "in-"+strconv.Itoa(i)))
		if err != nil {
			return fail(fmt.Errorf("step %s: input %q: %w", t.Name, p.Name, err))
		}
		r.Inputs = append(r.Inputs, in)
	}
	for i, p := range t.Outputs {
		kind := kindAuto
		if p.Type != "" {
			if kind, err = portKind(p); err != nil {
				return fail(fmt.Errorf("step %s: output: %w", t.Name, err))
			}
		}
		r.Outputs = append(r.Outputs, wireOutput{Name: p.Name, Kind: kind, File: filepath.Join(dir, "out-"+strconv.Itoa(i)), Type: p.Type, Format: p.Format})
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fail(fmt.Errorf("step %s: %w", t.Name, err))
	}
	r.line = append(line, '\n')
	return r, nil
}

// writeInput puts one value where R reads it.
func writeInput(p modes.Port, v formats.Value, workDir, file string) (wireInput, error) {
	in := wireInput{Name: p.Name, File: file}
	var (
		data []byte
		err  error
	)
	if p.Type == "" {
		// Untyped: hand over what the value holds.
		switch v.Kind() {
		case formats.RepPath:
			in.Kind, in.Path, in.File = kindPath, v.Path, ""
			return in, nil
		case formats.RepBinary:
			in.Kind, data = kindBytes, v.Bytes
		default:
			in.Kind = kindJSON
			if data, err = formats.EncodeJSON(v.Data); err != nil {
				return in, err
			}
		}
		return in, os.WriteFile(file, data, 0o600)
	}
	if in.Kind, err = portKind(p); err != nil {
		return in, err
	}
	switch in.Kind {
	case kindPath:
		in.File = ""
		if v.Path != "" {
			in.Path = v.Path
			return in, nil
		}
		if !p.IsFilepath() {
			return in, fmt.Errorf("%s/%s value carries no path", p.Type, p.Format)
		}
		in.Path, err = writeInputFile(p.Name, v, workDir)
		return in, err
	case kindJSON:
		if v.Kind() != formats.RepData {
			return in, fmt.Errorf("%s/%s expects data, got %s", p.Type, p.Format, v.Kind())
		}
		data, err = formats.EncodeJSON(v.Data)
	default: // text, bytes, rds
		data, err = v.Payload()
		if err != nil {
			err = fmt.Errorf("%s/%s: %w", p.Type, p.Format, err)
		}
	}
	if err != nil {
		return in, err
	}
	return in, os.WriteFile(file, data, 0o600)
}

// writeInputFile gives a filepath input that arrived as a value a file in
// the work dir, named after the port.
func writeInputFile(name string, v formats.Value, workDir string) (string, error) {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("cannot use port name %q as a file name", name)
	}
	data, err := v.Payload()
	if err != nil {
		if data, err = formats.EncodeJSON(v.Data); err != nil {
			return "", err
		}
	}
	path := filepath.Join(workDir, name)
	return path, os.WriteFile(path, data, 0o644)
}

// readOutput turns the file R wrote for port p into a Value.
func readOutput(step string, p modes.Port, kind, file string) (formats.Value, error) {
	v := formats.Value{Type: p.Type, Format: p.Format}
	fail := func(format string, args ...any) (formats.Value, error) {
		return formats.Value{}, fmt.Errorf("step %s: output %q: %s", step, p.Name, fmt.Sprintf(format, args...))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fail("reading what R wrote: %v", err)
	}
	switch kind {
	case kindJSON:
		d, err := formats.DecodeJSON(data)
		if err != nil {
			return fail("reading JSON from R: %v", err)
		}
		if p.Type == "table" && p.Format == "rows" {
			rows, err := formats.RowsFromJSON(d)
			if err != nil {
				return fail("%v", err)
			}
			d = rows
		}
		v.Data = d
	case kindText, kindBytes, kindRDS:
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
		return fail("unknown kind %q from R", kind)
	}
	return v, nil
}
