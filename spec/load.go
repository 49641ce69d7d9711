package spec

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/truss-dev/truss/formats"
)

// Options tunes what the loader checks.
type Options struct {
	// Formats, when set, is used to check every port's type and format.
	// nil: types and formats are not checked.
	Formats *formats.Registry
	// Modes are the known task modes; nil means python, r, docker, shell,
	// workflow.
	Modes []string
}

func defaultModes() []string { return []string{"docker", "python", "r", "shell", "workflow"} }

// LoadFile reads a task or workflow spec. task:, script_file and
// script_uri are resolved relative to the file. The returned Task may be
// partial when the diagnostics hold errors; it is nil when the file could
// not be read or parsed at all.
func LoadFile(path string, opts Options) (*Task, Diagnostics) {
	l := newLoader(opts)
	t, err := l.loadFile(path)
	if err != nil {
		l.errorf(Pos{File: path}, "cannot read spec: %v", err)
	}
	l.checkRunnable(t)
	return t, finish(l.diags)
}

// Parse reads a spec held in memory. file names it in positions and anchors
// relative paths ("" = the working directory).
func Parse(file string, data []byte, opts Options) (*Task, Diagnostics) {
	l := newLoader(opts)
	if file != "" {
		l.stack = append(l.stack, include{key: fileKey(file), display: file})
	}
	t := l.parseTask(file, data)
	l.checkRunnable(t)
	return t, finish(l.diags)
}

// maxFileSize bounds what the loader reads: specs, scripts and binding
// files are text written by people, and a path to /dev/zero must not hang.
const maxFileSize = 64 << 20

// readFile reads a regular file of bounded size.
func readFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, maxFileSize>>20)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// loader holds the state of one load: diagnostics, the chain of task files
// being included (to report include cycles) and the task files already
// loaded (a file included by several steps is read once and its Task
// shared).
type loader struct {
	opts  Options
	modes []string
	diags Diagnostics
	stack []include
	done  map[string]*Task
	// scripted marks tasks that name a script in any form, so a script
	// that failed to load is not also reported as missing.
	scripted map[*Task]bool
}

type include struct {
	key     string // absolute, cleaned path: identifies the file
	display string // the path as the user wrote it, joined to its includer's directory
}

func newLoader(opts Options) *loader {
	modes := opts.Modes
	if len(modes) == 0 {
		modes = defaultModes()
	}
	return &loader{opts: opts, modes: modes, done: map[string]*Task{}, scripted: map[*Task]bool{}}
}

func (l *loader) errorf(p Pos, format string, args ...any) {
	l.diags = append(l.diags, errorAt(p, format, args...))
}

func (l *loader) warnf(p Pos, format string, args ...any) {
	l.diags = append(l.diags, warningAt(p, format, args...))
}

func fileKey(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}

// errCycle reports an include cycle; its message is the chain of files.
type errCycle struct{ chain []string }

func (e *errCycle) Error() string { return "include cycle: " + strings.Join(e.chain, " -> ") }

// loadFile reads and decodes a task file. Errors are for the includer to
// report (a missing file, a cycle); problems inside the file are
// diagnostics with the file's own positions.
func (l *loader) loadFile(path string) (*Task, error) {
	key := fileKey(path)
	for i, inc := range l.stack {
		if inc.key == key {
			var chain []string
			for _, s := range l.stack[i:] {
				chain = append(chain, s.display)
			}
			return nil, &errCycle{chain: append(chain, path)}
		}
	}
	if t, ok := l.done[key]; ok {
		return t, nil
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	l.stack = append(l.stack, include{key: key, display: path})
	defer func() { l.stack = l.stack[:len(l.stack)-1] }()
	t := l.parseTask(path, data)
	l.done[key] = t
	return t, nil
}

// srcFile is the file a node was read from: its syntax decides which
// hints fit a message, its directory anchors relative paths.
type srcFile struct {
	name string
	dir  string
	json bool
}

// parseTree parses JSON (first non-blank byte `{`) or YAML into nodes.
func parseTree(file string, data []byte) (*node, bool, Diagnostics) {
	trimmed := strings.TrimLeft(string(data[:min(len(data), 4096)]), " \t\r\n")
	if strings.HasPrefix(trimmed, "{") {
		n, ds := parseJSON(newLineIndex(file, data, false))
		return n, true, ds
	}
	n, ds := parseYAML(newLineIndex(file, data, true))
	return n, false, ds
}

func (l *loader) parseTask(file string, data []byte) *Task {
	root, isJSON, ds := parseTree(file, data)
	l.diags = append(l.diags, ds...)
	if root == nil || root.kind == nullNode {
		if !ds.HasErrors() {
			l.errorf(Pos{File: file, Line: 1, Col: 1}, "empty spec: write a task map with mode, inputs, outputs and a script (or steps)")
		}
		return nil
	}
	if root.kind != mapNode {
		l.errorf(root.pos, "a spec is a map of task fields (mode, inputs, outputs, script, steps, …), not %s", root.describe())
		return nil
	}
	f := &srcFile{name: file, dir: filepath.Dir(file), json: isJSON}
	t := l.task(root, f)
	t.File = file
	return t
}

// resolvePath anchors a path written in a spec at the spec's directory.
func (f *srcFile) resolvePath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(f.dir, filepath.FromSlash(p))
}

// readRelated reads a file named by a spec (script_file, script_uri) and
// phrases a failure for the user.
func readRelated(key, written, resolved string) (string, error) {
	data, err := readFile(resolved)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%s %s not found (looked for %s)", key, written, resolved)
	case err != nil:
		return "", fmt.Errorf("cannot read %s %s: %w", key, written, err)
	}
	return string(data), nil
}
