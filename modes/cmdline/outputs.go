package cmdline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
)

// DefaultStdCap bounds a _stdout or _stderr output held in memory; declare
// the port with target: filepath to keep a bigger stream as a file.
const DefaultStdCap = 64 << 20

// tailSize is how much of stderr an error message quotes.
const tailSize = 2048

// Sinks receive a command's stdout and stderr: every byte goes to the node
// log, to the _stdout/_stderr output when one is declared (held in memory
// up to a cap, or written to a file in the data directory when the port
// has target: filepath), and the end of stderr is kept for error messages.
// Stdout and Stderr may be written from two goroutines.
type Sinks struct {
	Stdout, Stderr io.Writer

	spec *Spec
	out  [2]*capture // _stdout, _stderr (nil when not declared)
	tail *tailBuf
}

type capture struct {
	port Port
	cap  int
	buf  bytes.Buffer
	file *os.File
	path string
	over bool
	err  error
}

func (c *capture) Write(p []byte) (int, error) {
	if c.err != nil || c.over {
		return len(p), nil // keep draining: the log still gets it
	}
	if c.file != nil {
		if _, err := c.file.Write(p); err != nil {
			c.err = err
		}
		return len(p), nil
	}
	if c.buf.Len()+len(p) > c.cap {
		c.over = true
		c.buf = bytes.Buffer{}
		return len(p), nil
	}
	c.buf.Write(p)
	return len(p), nil
}

// tailBuf keeps the last tailSize bytes written.
type tailBuf struct {
	b []byte
}

func (t *tailBuf) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= tailSize {
		t.b = append(t.b[:0], p[len(p)-tailSize:]...)
		return n, nil
	}
	if over := len(t.b) + len(p) - tailSize; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	t.b = append(t.b, p...)
	return n, nil
}

// lockedWriter serializes writes of the two streams to one log.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(p) // a failing log must not fail the step
	return len(p), nil
}

// NewSinks prepares the sinks of one run. capBytes bounds in-memory
// _stdout/_stderr outputs (0 = DefaultStdCap). Call Close when the command
// has exited and its output is drained.
func (s *Spec) NewSinks(log io.Writer, dataDir string, capBytes int) (*Sinks, error) {
	if log == nil {
		log = io.Discard
	}
	if capBytes <= 0 {
		capBytes = DefaultStdCap
	}
	k := &Sinks{spec: s, tail: &tailBuf{}}
	for _, p := range s.Outputs {
		i := -1
		switch p.Name {
		case "_stdout":
			i = 0
		case "_stderr":
			i = 1
		}
		if i < 0 {
			continue
		}
		c := &capture{port: p, cap: capBytes}
		if p.IsFilepath() {
			rel, err := s.relOutput(p)
			if err != nil {
				return nil, err
			}
			c.path = filepath.Join(dataDir, rel)
			if c.file, err = os.Create(c.path); err != nil {
				k.closeFiles()
				return nil, fmt.Errorf("output %q: %w", p.Name, err)
			}
		}
		k.out[i] = c
	}
	mu := &sync.Mutex{}
	lw := lockedWriter{mu: mu, w: log}
	k.Stdout, k.Stderr = lw, io.MultiWriter(lw, k.tail)
	if k.out[0] != nil {
		k.Stdout = io.MultiWriter(lw, k.out[0])
	}
	if k.out[1] != nil {
		k.Stderr = io.MultiWriter(lw, k.tail, k.out[1])
	}
	return k, nil
}

// StderrTail is the end of what the command wrote to stderr.
func (k *Sinks) StderrTail() string { return string(k.tail.b) }

func (k *Sinks) closeFiles() error {
	var errs []error
	for _, c := range k.out {
		if c != nil && c.file != nil {
			errs = append(errs, c.file.Close())
			c.file = nil
		}
	}
	return errors.Join(errs...)
}

// Close closes the files of filepath std outputs.
func (k *Sinks) Close() error { return k.closeFiles() }

// stdValues are the _stdout/_stderr outputs.
func (k *Sinks) stdValues(res map[string]formats.Value) error {
	for _, c := range k.out {
		if c == nil {
			continue
		}
		p := c.port
		if c.err != nil {
			return &modes.StepError{Step: k.spec.Step, Message: fmt.Sprintf("output %q: writing %s: %v", p.Name, c.path, c.err)}
		}
		if c.over {
			return &modes.StepError{Step: k.spec.Step, Message: fmt.Sprintf("output %q: the command wrote more than %s to %s; declare the port with target: filepath to keep it as a file", p.Name, size(c.cap), p.Name[1:])}
		}
		v := formats.Value{Type: p.Type, Format: p.Format}
		switch {
		case c.path != "":
			v.Path = c.path
		case p.Type == "" || p.Rep == formats.RepData:
			v.Data = c.buf.String() // script_data is a str
		default:
			v.Bytes = append([]byte{}, c.buf.Bytes()...)
		}
		res[p.Name] = v
	}
	return nil
}

// Collect gathers the outputs after the command exited (reference 5.4):
// _stdout/_stderr from the sinks, and each filepath output from its path
// in the data directory, which must exist. Errors are *modes.StepError
// naming the step and the port.
func (s *Spec) Collect(k *Sinks, dataDir string) (map[string]formats.Value, error) {
	res := make(map[string]formats.Value, len(s.Outputs))
	if k != nil {
		if err := k.stdValues(res); err != nil {
			return nil, err
		}
	}
	for _, p := range s.Outputs {
		if p.IsStd() || !p.IsFilepath() || p.Stream {
			continue
		}
		rel, err := s.relOutput(p)
		if err != nil {
			return nil, &modes.StepError{Step: s.Step, Message: err.Error()}
		}
		host := filepath.Join(dataDir, rel)
		if _, err := os.Stat(host); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, &modes.StepError{Step: s.Step, Message: fmt.Sprintf("output %q: Output filepath %s does not exist.", p.Name, host)}
			}
			return nil, &modes.StepError{Step: s.Step, Message: fmt.Sprintf("output %q: %v", p.Name, err)}
		}
		// Kept as a file, whatever the format: converters and validators
		// read it when they need the content; a command step downstream
		// gets the path, so big files never pass through memory.
		v := formats.Value{Type: p.Type, Format: p.Format, Path: host}
		res[p.Name] = v
	}
	return res, nil
}

func size(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// MakeOutputDirs creates the parent directories of filepath outputs in the
// data directory, so a command can write sub/out.txt without a mkdir.
func (s *Spec) MakeOutputDirs(dataDir string) error {
	for _, p := range s.Outputs {
		if p.IsStd() || !p.IsFilepath() {
			continue
		}
		rel, err := s.relOutput(p)
		if err != nil {
			return err
		}
		if dir := filepath.Dir(rel); dir != "." {
			if err := os.MkdirAll(filepath.Join(dataDir, dir), 0o755); err != nil {
				return fmt.Errorf("output %q: %w", p.Name, err)
			}
		}
	}
	return nil
}
