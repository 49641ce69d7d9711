// Package store keeps what the engine needs to resume and reuse work: run and
// node records in a bbolt file (truss.db) and values and logs in a
// content-addressed blob directory (blobs/sha256/ab/<digest>).
//
// One writer goroutine owns every bbolt write: callers enqueue records and
// the writer commits whatever is queued in one Update (group commit, fsync
// on), so many concurrent state transitions cost one fsync. Blobs are
// written temp, fsync, rename before the record that names them, so a record
// never points at a blob that is not on disk. Read transactions are short:
// records are copied out (or decoded, when that is quick) and the
// transaction ends.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// File and directory names inside a store directory.
const (
	DBFile      = "truss.db"
	PidFile     = "truss.pid"
	blobsDir    = "blobs"
	blobAlgo    = "sha256"
	tmpDir      = "tmp"
	restoredDir = "restored"
)

// Bucket names.
var (
	bucketRuns  = []byte("runs")
	bucketNodes = []byte("nodes")
	bucketCache = []byte("cache")
)

// recordVersion is the "v" of JSON records: runs, and node and cache
// records written before binaryVersion.
const recordVersion = 1

// maxBatch bounds how many queued writes one Update commits.
const maxBatch = 8192

// Errors callers can test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrInUse    = errors.New("store is in use")
	ErrCorrupt  = errors.New("store database is corrupt")
	ErrClosed   = errors.New("store is closed")
)

// InUseError is returned by Open when another process holds the store.
type InUseError struct {
	Dir string
	Pid int // 0 when the holder did not say
}

func (e *InUseError) Error() string {
	who := "another process"
	if e.Pid > 0 {
		who = "pid " + strconv.Itoa(e.Pid)
	}
	return fmt.Sprintf("store %s is in use by %s: wait for that truss to finish, or pass --store to use another directory", e.Dir, who)
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// CorruptError is a database file that cannot be read.
type CorruptError struct {
	Dir string
	Err error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store %s: %s is corrupt or truncated (%v): run `truss store check %s` to see what is damaged, then `truss store compact %s` to rebuild it from what is readable",
		e.Dir, DBFile, e.Err, e.Dir, e.Dir)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Options tune Open.
type Options struct {
	// Timeout is how long Open waits for the file lock before ErrInUse
	// (default 1s).
	Timeout time.Duration
	// NoSync turns fsync off. For tests and benchmarks only: a crash can
	// lose acknowledged records.
	NoSync bool

	// maxDBSize caps the database file (tests: an injected "disk full").
	maxDBSize int
}

// Store is an open store directory. Its methods are safe for concurrent use.
type Store struct {
	dir    string
	db     *bolt.DB
	noSync bool

	mu     sync.RWMutex // guards closed against sends on reqs
	closed bool
	reqs   chan *writeReq
	done   chan struct{}

	// hot holds cache entries as last committed, so nodes of a run that
	// share a cache key read and decode it once. Writes to the cache
	// bucket drop their keys once committed; gen tells a reader that one
	// happened while it read.
	hotMu sync.Mutex
	hot   map[string]CacheEntry
	gen   uint64
}

// hotMax bounds hot; when full it starts over.
const hotMax = 1024

// Open opens the store in dir, creating it when missing.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		dir = abs
	}
	for _, d := range []string{dir, filepath.Join(dir, blobsDir, blobAlgo), filepath.Join(dir, blobsDir, tmpDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating store %s: %w (check the path and its permissions)", dir, err)
		}
	}
	db, err := openDB(dir, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync, MaxSize: opts.maxDBSize, FreelistType: bolt.FreelistMapType}, true)
	if err != nil {
		return nil, err
	}
	// Grow the file 1 MiB at a time, not bbolt's 16 MiB: stores are small.
	db.AllocSize = 1 << 20
	if err := writePid(dir); err != nil {
		db.Close()
		return nil, err
	}
	// Temp files left by a killed process: nobody else can be writing them
	// now that we hold the lock.
	cleanTmp(filepath.Join(dir, blobsDir, tmpDir))
	err = guard(dir, func() error {
		return db.Update(func(tx *bolt.Tx) error {
			for _, b := range [][]byte{bucketRuns, bucketNodes, bucketCache} {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		db.Close()
		os.Remove(filepath.Join(dir, PidFile))
		if errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		return nil, fmt.Errorf("initialising store %s: %w (is the disk full or read-only?)", dir, err)
	}
	s := &Store{
		dir:    dir,
		db:     db,
		noSync: opts.NoSync,
		reqs:   make(chan *writeReq, 4096),
		done:   make(chan struct{}),
		hot:    map[string]CacheEntry{},
	}
	go s.writer()
	return s, nil
}

// openDB opens dir/truss.db, turning lock timeouts into InUseError and
// unreadable files (errors or panics from bbolt) into CorruptError.
func openDB(dir string, bo *bolt.Options, sizeCheck bool) (db *bolt.DB, err error) {
	path := filepath.Join(dir, DBFile)
	if sizeCheck {
		if err := precheck(dir, path); err != nil {
			return nil, err
		}
	}
	var file *os.File
	bo.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	func() {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				// bbolt left the file open (and locked): release it.
				if file != nil {
					unlockFile(file)
					file.Close()
				}
				db, err = nil, &CorruptError{Dir: dir, Err: fmt.Errorf("%v", r)}
			}
		}()
		db, err = bolt.Open(path, 0o644, bo)
	}()
	if err != nil {
		var ce *CorruptError
		switch {
		case errors.As(err, &ce):
			return nil, err
		case errors.Is(err, berrors.ErrTimeout):
			return nil, &InUseError{Dir: dir, Pid: readPid(dir)}
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
			errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
			return nil, &CorruptError{Dir: dir, Err: err}
		case strings.Contains(err.Error(), "file size too small"), strings.Contains(err.Error(), "page size"):
			return nil, &CorruptError{Dir: dir, Err: err}
		}
		return nil, fmt.Errorf("opening store %s: %w (check the path and its permissions)", dir, err)
	}
	// A file cut short keeps valid meta pages that point past its end;
	// reading those pages would fault.
	if !sizeCheck {
		return db, nil
	}
	if err := checkSize(dir, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// checkSize compares the size the meta page claims with the file's.
func checkSize(dir string, db *bolt.DB) error {
	info, err := os.Stat(filepath.Join(dir, DBFile))
	if err != nil {
		return fmt.Errorf("opening store %s: %w", dir, err)
	}
	var want int64
	if err := guard(dir, func() error {
		return db.View(func(tx *bolt.Tx) error { want = tx.Size(); return nil })
	}); err != nil {
		return err
	}
	if want > info.Size() {
		return &CorruptError{Dir: dir, Err: fmt.Errorf("file is %d bytes, its header says %d", info.Size(), want)}
	}
	return nil
}

// guard runs fn turning a bbolt panic or a fault on the mapped file (a
// damaged page) into a CorruptError.
func guard(dir string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &CorruptError{Dir: dir, Err: fmt.Errorf("%v", r)}
		}
	}()
	return fn()
}

func writePid(dir string) error {
	path := filepath.Join(dir, PidFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w (is the disk full or read-only?)", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func readPid(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, PidFile))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func cleanTmp(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// Dir is the store directory (absolute).
func (s *Store) Dir() string { return s.dir }

// Close commits what is queued, closes the database and removes the pid
// file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.reqs)
	s.mu.Unlock()
	<-s.done
	err := s.db.Close()
	if pid := readPid(s.dir); pid == os.Getpid() {
		os.Remove(filepath.Join(s.dir, PidFile))
	}
	if err != nil {
		return fmt.Errorf("closing store %s: %w", s.dir, err)
	}
	return nil
}

// writeReq is one unit of the writer's work: fn runs inside the batch's
// Update (again, alone, when the batch fails); then after, if set, is
// called with the commit result and done, if set, receives it.
type writeReq struct {
	fn    func(*bolt.Tx) error
	done  chan error
	after func(error)
}

func (r *writeReq) finish(err error) {
	if r.after != nil {
		r.after(err)
	}
	if r.done != nil {
		r.done <- err
	}
}

// forget drops cache entries from hot after a write to them committed
// (or failed); no keys drops all.
func (s *Store) forget(keys ...string) {
	s.hotMu.Lock()
	defer s.hotMu.Unlock()
	s.gen++
	if keys == nil {
		clear(s.hot)
	}
	for _, k := range keys {
		delete(s.hot, k)
	}
}

// submit enqueues fn for the writer.
func (s *Store) submit(fn func(*bolt.Tx) error) <-chan error {
	done := make(chan error, 1)
	s.enqueue(&writeReq{fn: fn, done: done})
	return done
}

// enqueue hands r to the writer, or finishes it with ErrClosed.
func (s *Store) enqueue(r *writeReq) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		r.finish(fmt.Errorf("store %s: %w", s.dir, ErrClosed))
		return
	}
	s.reqs <- r
	s.mu.RUnlock()
}

// update runs fn through the writer and waits for the commit.
func (s *Store) update(fn func(*bolt.Tx) error) error { return <-s.submit(fn) }

// writer is the only goroutine that writes to bbolt.
func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*writeReq, 0, 64)
	for req := range s.reqs {
		batch = append(batch[:0], req)
	drain:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

// commit writes a batch in one Update. When that fails and the batch has
// several requests, each is retried alone so one bad record does not fail
// the others.
func (s *Store) commit(batch []*writeReq) {
	err := s.apply(batch)
	if err == nil || len(batch) == 1 {
		for _, r := range batch {
			r.finish(err)
		}
		return
	}
	for _, r := range batch {
		r.finish(s.apply([]*writeReq{r}))
	}
}

func (s *Store) apply(batch []*writeReq) error {
	err := guard(s.dir, func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			for _, r := range batch {
				if err := r.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err == nil || errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("store %s: writing to %s: %w (is the disk full or read-only? free space, then resume the run)", s.dir, DBFile, err)
}

// view runs a read transaction guarded against damaged pages. fn must copy
// what it keeps and do nothing slow.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	return guard(s.dir, func() error { return s.db.View(fn) })
}
