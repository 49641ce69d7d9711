package store

import (
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Journal queues node records and cache entries for the writer, in order,
// with no channel, closure or wake-up per record: what has piled up goes
// to the writer as one request, and the writer encodes it. Wait returns
// once everything queued is committed. A node's "running" record still
// waiting when the node's next record is queued (a quick node's result
// overtook it) is replaced by that record, so it costs nothing. A Journal
// is safe for concurrent use.
//
// A record goes to the writer at once when no commit is in flight;
// otherwise it joins the pile that goes when that commit ends, so a busy
// run commits in few, large transactions (each costs two fsyncs and
// rewrites every page it touches) and a quiet one commits each record
// as it happens.
type Journal struct {
	s    *Store
	mu   sync.Mutex
	idle sync.Cond // outstanding dropped to 0
	// queue waits for the writer; pos finds the running records in it.
	queue []journalRec
	pos   map[nodeID]int
	// sent: a request that will take queue is with the writer.
	sent        bool
	outstanding int  // requests not yet committed
	waiting     int  // goroutines in Wait: send at once
	armed       bool // a flush is on its way
	err         error
	spare       []journalRec // a committed queue, for reuse
	buf         []byte       // the writer's encoding buffer
}

// journalBatch sends a pile this big without waiting for the commit in
// flight.
const journalBatch = 4096

type journalRec struct {
	node  *Node // nil: a cache entry, or superseded
	entry *CacheEntry
	key   string // of the cache entry
}

type nodeID struct{ run, id string }

// NewJournal starts a journal on s. Call Wait before closing s: Close
// does not wait for records still lingering in a journal.
func (s *Store) NewJournal() *Journal {
	j := &Journal{s: s, pos: map[nodeID]int{}}
	j.idle.L = &j.mu
	return j
}

// PutNode queues n. The journal keeps n: the caller must not change it
// (or its maps) afterwards.
func (j *Journal) PutNode(n *Node) {
	if err := checkNode(n); err != nil {
		j.fail(err)
		return
	}
	id := nodeID{n.Run, n.ID}
	j.mu.Lock()
	if len(j.pos) > 0 {
		if i, ok := j.pos[id]; ok {
			j.queue[i].node = nil
			delete(j.pos, id)
		}
	}
	if n.Status == statusRunning {
		j.pos[id] = len(j.queue)
	}
	j.queue = append(j.queue, journalRec{node: n})
	j.queued()
}

// CachePut queues a cache entry. The journal keeps e.Outputs: the caller
// must not change it afterwards.
func (j *Journal) CachePut(key string, e CacheEntry) {
	if key == "" {
		j.fail(errEmptyKey)
		return
	}
	j.mu.Lock()
	j.queue = append(j.queue, journalRec{key: key, entry: &e})
	j.queued()
}

// queued sends the queue when the writer is idle; while a commit is in
// flight, records pile up and go together when it ends (group commit),
// so a record waits at most for one commit before its own starts. It
// unlocks j.mu.
func (j *Journal) queued() {
	switch {
	case j.sent: // a request will take the queue
	case j.outstanding == 0 || len(j.queue) >= journalBatch || j.waiting > 0:
		j.kick()
		return
	}
	j.mu.Unlock()
}

// flush sends what piled up during a commit.
func (j *Journal) flush() {
	j.mu.Lock()
	j.armed = false
	if !j.sent && len(j.queue) > 0 {
		j.kick()
		return
	}
	j.mu.Unlock()
}

// Wait returns once every record queued so far is committed, with the
// first error of any of them.
func (j *Journal) Wait() error {
	j.mu.Lock()
	j.waiting++
	if !j.sent && len(j.queue) > 0 {
		j.kick()
		j.mu.Lock()
	}
	for j.outstanding > 0 {
		j.idle.Wait()
	}
	j.waiting--
	err := j.err
	j.mu.Unlock()
	return err
}

func (j *Journal) fail(err error) {
	j.mu.Lock()
	if j.err == nil {
		j.err = err
	}
	j.mu.Unlock()
}

// kick sends a request that will take the queue; it unlocks j.mu.
func (j *Journal) kick() {
	j.sent = true
	j.outstanding++
	j.mu.Unlock()
	var recs []journalRec
	taken := false
	j.s.enqueue(&writeReq{
		fn: func(tx *bolt.Tx) error {
			if !taken { // a retry of a failed batch writes the same records
				recs, taken = j.take(), true
			}
			return j.write(tx, recs)
		},
		after: func(err error) { j.committed(recs, err) },
	})
}

// take hands the queue to the writer; records queued from now on go in
// the next request.
func (j *Journal) take() []journalRec {
	j.mu.Lock()
	defer j.mu.Unlock()
	recs := j.queue
	j.queue, j.spare = j.spare[:0], nil
	if len(j.pos) > 0 {
		for _, r := range recs {
			if r.node != nil && r.node.Status == statusRunning {
				delete(j.pos, nodeID{r.node.Run, r.node.ID})
			}
		}
	}
	j.sent = false
	return recs
}

// write puts recs in tx. Only the writer goroutine calls it, one request
// at a time, so j.buf needs no lock; bbolt keeps the slices it is given
// until the commit, so the buffer is only reused by the next request.
func (j *Journal) write(tx *bolt.Tx, recs []journalRec) error {
	nodes, cache := appendish(tx.Bucket(bucketNodes)), tx.Bucket(bucketCache)
	b := j.buf[:0]
	for _, r := range recs {
		if r.node == nil && r.entry == nil {
			continue
		}
		start := len(b)
		bucket := nodes
		if r.node != nil {
			b = append(append(append(b, r.node.Run...), '/'), r.node.ID...)
		} else {
			b = append(b, r.key...)
			bucket = cache
		}
		mid := len(b)
		if r.node != nil {
			b = appendNode(b, r.node)
		} else {
			b = appendCache(b, r.entry)
		}
		// Full slice expressions: a later append never writes into them.
		if err := bucket.Put(b[start:mid:mid], b[mid:len(b):len(b)]); err != nil {
			return err
		}
	}
	if cap(b) <= 4<<20 {
		j.buf = b
	}
	return nil
}

// committed records the result of a request and recycles its queue.
func (j *Journal) committed(recs []journalRec, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err != nil && j.err == nil {
		j.err = err
	}
	var keys []string
	for _, r := range recs {
		if r.entry != nil {
			keys = append(keys, r.key)
		}
	}
	if keys != nil {
		j.s.forget(keys...)
	}
	if recs != nil && cap(recs) <= 1<<16 {
		clear(recs)
		j.spare = recs[:0]
	}
	j.outstanding--
	if !j.sent && len(j.queue) > 0 && !j.armed {
		// Not from here: this runs on the writer goroutine, which must not
		// wait to hand itself a request.
		j.armed = true
		go j.flush()
	}
	if j.outstanding == 0 {
		j.idle.Broadcast()
	}
}
