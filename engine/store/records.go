package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Run is the record of one run (bucket runs, key ID).
type Run struct {
	V                           int `json:"v"`
	ID, SpecFile, Status, Error string
	Created, Updated            time.Time
	// Bundle is the resolved spec: every file the run needs (spec, task files,
	// scripts) by path, so resume works when files changed or moved.
	Bundle map[string][]byte
	// Bindings are the caller's input/output bindings as JSON, secrets removed.
	Inputs, Outputs json.RawMessage
	Options         json.RawMessage // run flags (jobs, no-validate, …) as JSON
}

// Node is the record of one node of a run (bucket nodes, key run/node).
type Node struct {
	V                                    int `json:"v"`
	Run, ID, Kind, Status, Error, Reason string
	Attempts                             int
	Start, End                           time.Time
	CacheKey                             string
	Log                                  string         // blob digest of the node log ("" none)
	Outputs                              map[string]Ref // by port
	CachedFrom                           string         // "run/node" when reused from the cache
	// Fingerprint and Inputs (port → digest) make up CacheKey; kept so a
	// rerun can say whether the definition or which input changed.
	Fingerprint string            `json:",omitempty"`
	Inputs      map[string]string `json:",omitempty"`
	// Progress is the step's last progress report ("3/4 message").
	Progress string `json:",omitempty"`
}

// Ref names a value in the blob store. Digest is the sha256 of the blob;
// Kind says how it was stored: data (canonical JSON), bytes, file or dir (a
// tar of the tree). Name is the base name a file or directory is restored
// under.
type Ref struct {
	Digest, Type, Format, Kind string
	Size                       int64
	Name                       string
	// Inline holds a small data or bytes value in the record itself
	// (InlineMax bytes at most): no blob file, no fsync of its own, which
	// is what keeps checkpointing many small values cheap.
	Inline []byte `json:",omitempty"`
}

// InlineMax is the largest encoded value kept inside a record.
const InlineMax = 1024

// Kinds of Ref.
const (
	KindData  = "data"
	KindBytes = "bytes"
	KindFile  = "file"
	KindDir   = "dir"
)

// CacheEntry maps a cache key to the outputs of the node that computed it.
type CacheEntry struct {
	Run, Node string
	Outputs   map[string]Ref
	Created   time.Time
}

// cacheRecord is a CacheEntry as stored: versioned.
type cacheRecord struct {
	V int `json:"v"`
	CacheEntry
}

func nodeKey(run, node string) []byte { return []byte(run + "/" + node) }

// PutRun writes r; it is durable when PutRun returns.
func (s *Store) PutRun(r *Run) error {
	if r.ID == "" || strings.Contains(r.ID, "/") {
		return fmt.Errorf("store: run id %q must be non-empty and have no '/'", r.ID)
	}
	rec := *r
	rec.V = recordVersion
	b, err := json.Marshal(&rec)
	if err != nil {
		return fmt.Errorf("store: encoding run %s: %w", r.ID, err)
	}
	key := []byte(r.ID)
	return s.update(func(tx *bolt.Tx) error { return appendish(tx.Bucket(bucketRuns)).Put(key, b) })
}

// PutNode writes n; it is durable when PutNode returns. Concurrent callers
// share one commit.
func (s *Store) PutNode(n *Node) error { return <-s.PutNodeAsync(n) }

// PutNodeAsync enqueues n; the channel yields the result of the commit
// that carries it.
func (s *Store) PutNodeAsync(n *Node) <-chan error {
	if err := checkNode(n); err != nil {
		return fail(err)
	}
	b := appendNode(nil, n)
	key := nodeKey(n.Run, n.ID)
	return s.submit(func(tx *bolt.Tx) error { return appendish(tx.Bucket(bucketNodes)).Put(key, b) })
}

func checkNode(n *Node) error {
	if n.Run == "" || n.ID == "" {
		return fmt.Errorf("store: node record needs a run and a node id (got %q/%q)", n.Run, n.ID)
	}
	return nil
}

// appendish fills pages of buckets whose keys mostly arrive in order (run
// IDs are time-ordered ULIDs): bbolt's default split at 50% would leave
// every page half empty and double the database.
func appendish(b *bolt.Bucket) *bolt.Bucket {
	b.FillPercent = 0.9
	return b
}

func fail(err error) <-chan error {
	c := make(chan error, 1)
	c <- err
	return c
}

// Run returns the run with this id, or the only run whose id starts with it.
func (s *Store) Run(id string) (*Run, error) {
	if id == "" {
		return nil, fmt.Errorf("run %q: %w (see `truss runs`)", id, ErrNotFound)
	}
	var raw []byte
	var matches []string
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns)
		if v := b.Get([]byte(id)); v != nil {
			raw = bytes.Clone(v)
			return nil
		}
		c := b.Cursor()
		p := []byte(id)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			matches = append(matches, string(k))
			raw = bytes.Clone(v)
			if len(matches) > 5 {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch {
	case len(matches) > 1:
		return nil, fmt.Errorf("run id prefix %q is ambiguous (%s, …): give more characters", id, strings.Join(matches, ", "))
	case raw == nil:
		return nil, fmt.Errorf("run %q: %w (see `truss runs` for the runs in %s)", id, ErrNotFound, s.dir)
	}
	return decodeRun(s.dir, raw)
}

func decodeRun(dir string, raw []byte) (*Run, error) {
	var r Run
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("store %s: run record is unreadable: %w (run `truss store check`)", dir, err)
	}
	if r.V > recordVersion {
		return nil, fmt.Errorf("store %s: run %s was written by a newer truss (record version %d): upgrade truss", dir, r.ID, r.V)
	}
	return &r, nil
}

func decodeNode(dir string, key, raw []byte) (*Node, error) {
	var n Node
	if err := unmarshalNode(raw, &n); err != nil {
		var ve *versionError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("store %s: node %s was %v", dir, key, err)
		}
		return nil, fmt.Errorf("store %s: node record %s is unreadable: %w (run `truss store check`)", dir, key, err)
	}
	return &n, nil
}

// Runs returns every run, newest first.
func (s *Store) Runs() ([]*Run, error) {
	raws, err := s.scan(bucketRuns, nil)
	if err != nil {
		return nil, err
	}
	runs := make([]*Run, 0, len(raws))
	for _, kv := range raws {
		r, err := decodeRun(s.dir, kv.v)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	sortRuns(runs)
	return runs, nil
}

func sortRuns(runs []*Run) {
	sort.SliceStable(runs, func(i, j int) bool {
		if !runs[i].Created.Equal(runs[j].Created) {
			return runs[i].Created.After(runs[j].Created)
		}
		return runs[i].ID > runs[j].ID
	})
}

// Nodes returns the node records of a run, ordered by node id.
func (s *Store) Nodes(runID string) ([]*Node, error) {
	raws, err := s.scan(bucketNodes, []byte(runID+"/"))
	if err != nil {
		return nil, err
	}
	nodes := make([]*Node, 0, len(raws))
	for _, kv := range raws {
		n, err := decodeNode(s.dir, kv.k, kv.v)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

type kv struct{ k, v []byte }

// scan copies out the records of a bucket whose keys start with prefix.
func (s *Store) scan(bucket, prefix []byte) ([]kv, error) {
	var out []kv
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			out = append(out, kv{bytes.Clone(k), bytes.Clone(v)})
		}
		return nil
	})
	return out, err
}

// CacheGet looks a cache key up. The entry's Outputs may be shared with
// other callers: do not modify it.
func (s *Store) CacheGet(key string) (CacheEntry, bool, error) {
	s.hotMu.Lock()
	if e, ok := s.hot[key]; ok {
		s.hotMu.Unlock()
		return e, true, nil
	}
	gen := s.gen
	s.hotMu.Unlock()
	var e CacheEntry
	var found bool
	var derr error
	err := s.view(func(tx *bolt.Tx) error {
		// Decoding copies what it keeps, and is quick: done in place.
		if raw := tx.Bucket(bucketCache).Get([]byte(key)); raw != nil {
			found, derr = true, unmarshalCache(raw, &e)
		}
		return nil
	})
	if err != nil || !found {
		return CacheEntry{}, false, err
	}
	if derr != nil {
		var ve *versionError
		if errors.As(derr, &ve) {
			return CacheEntry{}, false, nil // a newer truss's entry: not ours to use
		}
		return CacheEntry{}, false, fmt.Errorf("store %s: cache entry %s is unreadable: %w (run `truss store check`)", s.dir, key, derr)
	}
	s.hotMu.Lock()
	if s.gen == gen {
		if len(s.hot) >= hotMax {
			clear(s.hot)
		}
		s.hot[key] = e
	}
	s.hotMu.Unlock()
	return e, true, nil
}

// CachePut records e under key; it is durable when CachePut returns.
func (s *Store) CachePut(key string, e CacheEntry) error { return <-s.CachePutAsync(key, e) }

// CachePutAsync queues a cache entry with the other writes (group
// commit); the channel yields the commit's result.
func (s *Store) CachePutAsync(key string, e CacheEntry) <-chan error {
	if key == "" {
		return fail(errEmptyKey)
	}
	b := appendCache(nil, &e)
	k := []byte(key)
	done := make(chan error, 1)
	s.enqueue(&writeReq{
		fn:    func(tx *bolt.Tx) error { return tx.Bucket(bucketCache).Put(k, b) },
		after: func(error) { s.forget(key) },
		done:  done,
	})
	return done
}

var errEmptyKey = errors.New("store: empty cache key")
