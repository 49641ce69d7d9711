package r

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// logPump copies a zygote's stdout and stderr to the log of the step it is
// running. The zygote writes an end marker after each child has exited, so
// the pump knows when everything a step printed has arrived: output between
// steps (the zygote's own) is kept in a short tail for error messages.
type logPump struct {
	marker []byte
	marks  chan struct{}

	mu   sync.Mutex
	w    io.Writer // the running step's log, nil between steps
	last []byte    // tail of what arrived with no step attached
}

const tailMax = 8 << 10

func newLogPump(r io.ReadCloser, marker []byte) *logPump {
	p := &logPump{marker: marker, marks: make(chan struct{}, 1)}
	go p.pump(r)
	return p
}

func (p *logPump) pump(r io.ReadCloser) {
	defer r.Close()
	buf := make([]byte, 32<<10)
	var pending []byte
	for {
		n, err := r.Read(buf)
		pending = append(pending, buf[:n]...)
		for {
			i := bytes.Index(pending, p.marker)
			if i < 0 {
				break
			}
			p.write(pending[:i])
			pending = pending[i+len(p.marker):]
			select {
			case p.marks <- struct{}{}:
			default:
			}
		}
		// Keep what may be the start of a marker split across reads.
		keep := min(len(pending), len(p.marker)-1)
		if err != nil {
			keep = 0
		}
		p.write(pending[:len(pending)-keep])
		pending = append([]byte(nil), pending[len(pending)-keep:]...)
		if err != nil {
			return
		}
	}
}

func (p *logPump) write(b []byte) {
	if len(b) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil {
		_, _ = p.w.Write(b)
		return
	}
	p.last = append(p.last, b...)
	if over := len(p.last) - tailMax; over > 0 {
		p.last = append(p.last[:0], p.last[over:]...)
	}
}

// attach sends what arrives next to w (a step starts).
func (p *logPump) attach(w io.Writer) {
	select {
	case <-p.marks: // a stale marker of an abandoned step
	default:
	}
	p.mu.Lock()
	p.w = w
	p.mu.Unlock()
}

// wait blocks until the end marker of the running step arrives, or d.
func (p *logPump) wait(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.marks:
	case <-t.C:
	}
}

func (p *logPump) detach() {
	p.mu.Lock()
	p.w = nil
	p.mu.Unlock()
}

func (p *logPump) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return string(p.last)
}
