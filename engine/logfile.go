package engine

import (
	"os"
	"path/filepath"
	"sync"
)

// lazyLog creates its file on the first write, so nodes that print
// nothing cost no file operations. Writes may come from several goroutines
// (a step's stdout and stderr copiers).
type lazyLog struct {
	path   string
	header string

	mu      sync.Mutex
	f       *os.File
	err     error
	written bool
}

func (l *lazyLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil && l.err == nil {
		if l.err = os.MkdirAll(filepath.Dir(l.path), 0o755); l.err == nil {
			l.f, l.err = os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		}
		if l.err == nil && l.header != "" {
			_, l.err = l.f.WriteString(l.header)
		}
	}
	if l.err != nil {
		return 0, l.err
	}
	l.written = true
	return l.f.Write(p)
}

// Close closes the file if one was created and reports its path ("" when
// nothing was ever written).
func (l *lazyLog) Close() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return ""
	}
	_ = l.f.Close()
	return l.path
}
