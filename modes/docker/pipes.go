package docker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/modes/cmdline"
)

// pipeSize is the kernel buffer asked for each named pipe: bigger buffers
// mean fewer wake-ups when streaming gigabytes.
const pipeSize = 1 << 20

// pipeSet holds a run's named pipes: FIFOs in the data volume that the
// host feeds (in) or drains (out) while the container runs.
type pipeSet struct {
	r     *run
	fifos []string // host paths, removed at the end
	ins   []*inPipe
	outs  []*outPipe
	wg    sync.WaitGroup

	mu   sync.Mutex
	errs []error
}

type inPipe struct {
	path   string
	src    formats.Value
	opened chan struct{} // closed once the writer's open returned
}

type outPipe struct {
	path    string
	dst     io.Writer
	file    *os.File // the file dst writes, when it is one
	capture string   // a stream output's file, renamed over the FIFO at the end
	final   string
	rd, dw  *os.File // our read end and the dummy writer that keeps it from EOF
	flush   func()
}

func (ps *pipeSet) fail(err error) {
	ps.mu.Lock()
	ps.errs = append(ps.errs, err)
	ps.mu.Unlock()
}

// makePipes creates the FIFOs (pipes: entries, stream ports, the progress
// pipe) before the container exists.
func (r *run) makePipes(in map[string]formats.Value) (*pipeSet, error) {
	ps := &pipeSet{r: r}
	mk := func(name string) (string, error) {
		p := filepath.Join(r.workDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		_ = os.Remove(p) // a retry finds the previous attempt's FIFO
		if err := syscall.Mkfifo(p, 0o666); err != nil {
			return "", fmt.Errorf("named pipe %s: %w", name, err)
		}
		ps.fifos = append(ps.fifos, p)
		return p, nil
	}
	for _, p := range r.cfg.pipes {
		host, err := mk(p.name)
		if err != nil {
			ps.close()
			return nil, err
		}
		switch {
		case p.in:
			v, ok := in[p.port]
			if !ok {
				ps.close()
				return nil, fmt.Errorf("pipe %s: input %q has no value", p.name, p.port)
			}
			ps.ins = append(ps.ins, &inPipe{path: host, src: v, opened: make(chan struct{})})
		case p.log:
			ps.outs = append(ps.outs, &outPipe{path: host, dst: r.log})
		default:
			o := &outPipe{path: host}
			port, _ := outputPort(r.spec, p.port)
			target := filepath.Join(r.workDir, filepath.FromSlash(outRel(port)))
			if target == host {
				// A stream output: its path is the FIFO; the bytes go to a
				// file that takes the FIFO's place when the container is done.
				o.capture, o.final = host+".truss-stream", host
				target = o.capture
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				ps.close()
				return nil, err
			}
			f, err := os.Create(target)
			if err != nil {
				ps.close()
				return nil, fmt.Errorf("pipe %s: %w", p.name, err)
			}
			o.dst, o.file = f, f
			ps.outs = append(ps.outs, o)
		}
	}
	if r.cfg.progress {
		host, err := mk(ProgressPipe)
		if err != nil {
			ps.close()
			return nil, err
		}
		pw := &progressWriter{log: r.log, report: r.req.Progress}
		ps.outs = append(ps.outs, &outPipe{path: host, dst: pw, flush: pw.flush})
	}
	return ps, nil
}

func outputPort(s *cmdline.Spec, name string) (cmdline.Port, bool) {
	for _, p := range s.Outputs {
		if p.Name == name {
			return p, true
		}
	}
	return cmdline.Port{}, false
}

// outRel is an output's path relative to the data volume.
func outRel(p cmdline.Port) string {
	return strings.TrimPrefix(p.OutPath(), cmdline.DataVolume+"/")
}

// openReaders opens the out pipes before the container starts, each with
// a dummy writer so that reads wait for data instead of seeing EOF while
// the container has not opened its end yet.
func (ps *pipeSet) openReaders() error {
	for _, o := range ps.outs {
		rd, err := os.OpenFile(o.path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return fmt.Errorf("named pipe %s: %w", filepath.Base(o.path), err)
		}
		dw, err := os.OpenFile(o.path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			rd.Close()
			return fmt.Errorf("named pipe %s: %w", filepath.Base(o.path), err)
		}
		setPipeSize(rd)
		o.rd, o.dw = rd, dw
		ps.wg.Add(1)
		go func() {
			defer ps.wg.Done()
			buf := make([]byte, 256<<10)
			if _, err := io.CopyBuffer(o.dst, onlyReader{rd}, buf); err != nil {
				ps.fail(fmt.Errorf("named pipe %s: %w", filepath.Base(o.path), err))
			}
			if o.flush != nil {
				o.flush()
			}
		}()
	}
	return nil
}

// onlyReader hides ReadFrom/WriteTo so io.CopyBuffer uses our buffer.
type onlyReader struct{ io.Reader }

// finishReaders lets the out pipes reach EOF (the container has exited)
// and waits until they are drained.
func (ps *pipeSet) finishReaders() {
	for _, o := range ps.outs {
		if o.dw != nil {
			o.dw.Close()
			o.dw = nil
		}
	}
}

// startWriters feeds each in pipe from its input as soon as the container
// opens the pipe for reading.
func (ps *pipeSet) startWriters() {
	for _, p := range ps.ins {
		ps.wg.Add(1)
		go func() {
			defer ps.wg.Done()
			// A blocking descriptor (not Go's poller): open waits for the
			// container to open its end, and splice then sleeps in the
			// kernel instead of bouncing through epoll on every full pipe.
			fd, err := syscall.Open(p.path, syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
			close(p.opened)
			if err != nil {
				ps.fail(fmt.Errorf("named pipe %s: %w", filepath.Base(p.path), err))
				return
			}
			w := os.NewFile(uintptr(fd), p.path)
			defer w.Close()
			setPipeSize(w)
			if err := feed(w, p.src); err != nil && !errors.Is(err, syscall.EPIPE) {
				ps.fail(fmt.Errorf("named pipe %s: %w", filepath.Base(p.path), err))
			}
		}()
	}
}

// release unblocks in-pipe writers whose reader never came (the container
// exited without opening the pipe, or stopped reading): a reader of our
// own lets their open return; closing it makes their writes fail with
// EPIPE, which ends them.
func (ps *pipeSet) release() {
	for _, p := range ps.ins {
		rd, err := os.OpenFile(p.path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			continue
		}
		<-p.opened
		rd.Close()
	}
}

// wait waits for every pump and returns the first error.
func (ps *pipeSet) wait() error {
	ps.wg.Wait()
	for _, o := range ps.outs {
		if o.rd != nil {
			o.rd.Close()
			o.rd = nil
		}
		if o.file != nil {
			if err := o.file.Close(); err != nil {
				ps.fail(err)
			}
			o.file = nil
		}
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return errors.Join(ps.errs...)
}

// settle puts each stream output's captured bytes where its FIFO was, so
// output collection finds a file, and marks the port as a plain filepath
// output.
func (ps *pipeSet) settle() error {
	for _, o := range ps.outs {
		if o.capture == "" {
			continue
		}
		if err := os.Remove(o.final); err != nil {
			return err
		}
		if err := os.Rename(o.capture, o.final); err != nil {
			return err
		}
	}
	for i := range ps.r.spec.Outputs {
		ps.r.spec.Outputs[i].Stream = false
	}
	return nil
}

// close closes what is still open and removes the FIFOs.
func (ps *pipeSet) close() {
	for _, o := range ps.outs {
		for _, f := range []*os.File{o.rd, o.dw, o.file} {
			if f != nil {
				f.Close()
			}
		}
		o.rd, o.dw, o.file = nil, nil, nil
	}
	for _, p := range ps.fifos {
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
			_ = os.Remove(p)
		}
	}
}

func setPipeSize(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, 1031 /* F_SETPIPE_SZ */, pipeSize)
	})
}

// feed writes a value's content into w.
func feed(w io.Writer, v formats.Value) error {
	var r io.Reader
	switch {
	case v.Path != "":
		f, err := os.Open(v.Path)
		if err != nil {
			return err
		}
		defer f.Close()
		if wf, ok := w.(*os.File); ok {
			if done, err := splice(wf, f); done {
				return err
			}
		}
		r = f
	case v.Bytes != nil:
		r = bytes.NewReader(v.Bytes)
	default:
		if s, ok := v.Data.(string); ok {
			r = strings.NewReader(s)
		} else {
			b, err := formats.EncodeJSON(v.Data)
			if err != nil {
				return err
			}
			r = bytes.NewReader(b)
		}
	}
	_, err := io.CopyBuffer(w, onlyReader{r}, make([]byte, 1<<20))
	return err
}

// progressWriter parses progress-pipe lines: one JSON object per line
// with optional message, current and total; other lines are ignored, as
// in Girder Worker. Absent fields keep their last value.
type progressWriter struct {
	log    io.Writer
	report func(modes.Progress)
	buf    []byte
	cur    modes.Progress
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		p.line(p.buf[:i])
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

func (p *progressWriter) line(b []byte) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return
	}
	if s, ok := m["message"].(string); ok {
		p.cur.Message = s
	}
	if f, ok := m["current"].(float64); ok {
		p.cur.Current = f
	}
	if f, ok := m["total"].(float64); ok {
		p.cur.Total = f
	}
	fmt.Fprintf(p.log, "progress: %s\n", p.cur)
	if p.report != nil {
		p.report(p.cur)
	}
}

// flush ignores an unterminated last line, as Girder Worker does.
func (p *progressWriter) flush() { p.buf = nil }

func describe(pr modes.Progress) string {
	s := pr.Message
	if pr.Total > 0 {
		s = strings.TrimSpace(fmt.Sprintf("%g/%g %s", pr.Current, pr.Total, s))
	}
	return s
}

// splice moves a file's pages into a pipe without copying them through
// user space (twice the throughput of read+write for big inputs). done is
// false when the kernel cannot splice these two; nothing was moved then.
func splice(dst, src *os.File) (done bool, err error) {
	in, err := src.SyscallConn()
	if err != nil {
		return false, nil
	}
	out, err := dst.SyscallConn()
	if err != nil {
		return false, nil
	}
	moved := false
	for {
		var n int64
		var serr error
		cerr := in.Control(func(sfd uintptr) {
			werr := out.Write(func(dfd uintptr) bool {
				n, serr = syscall.Splice(int(sfd), nil, int(dfd), nil, pipeSize, 1 /* SPLICE_F_MOVE */)
				return serr != syscall.EAGAIN
			})
			if serr == nil {
				serr = werr
			}
		})
		switch {
		case cerr != nil:
			return moved, cerr
		case serr == syscall.EINVAL && !moved:
			return false, nil
		case serr != nil:
			return true, serr
		case n == 0:
			return true, nil
		}
		moved = true
	}
}
