package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// GCOptions say what GC keeps. Zero fields do not limit.
type GCOptions struct {
	MaxAge   time.Duration // remove runs last updated longer ago
	KeepRuns int           // keep only the newest KeepRuns runs
	MaxBytes int64         // then evict blobs, least recently used first, until the blob total is ≤ MaxBytes
}

// GCReport says what GC did.
type GCReport struct {
	RunsRemoved, BlobsRemoved int
	BytesFreed, BytesLeft     int64
}

// statusRunning is the status of a run or node in progress; a running run
// pins its blobs.
const statusRunning = "running"

// GC removes runs older than MaxAge or beyond the newest KeepRuns (with
// their node records and the cache entries they made), then the blobs no
// record references, then, least recently used first, blobs not referenced
// by a running run until the blob total is within MaxBytes (cache entries
// naming an evicted blob go too). Runs with status "running" are never
// removed, nor are unreferenced blobs written since the oldest of them
// started (they may be its outputs, not yet recorded).
func (s *Store) GC(opts GCOptions) (GCReport, error) {
	var rep GCReport
	now := time.Now()
	runs, err := s.Runs()
	if err != nil {
		return rep, err
	}
	remove := map[string]bool{}
	var running []string
	var runningSince time.Time
	for i, r := range runs {
		if r.Status == statusRunning {
			running = append(running, r.ID)
			if runningSince.IsZero() || r.Created.Before(runningSince) {
				runningSince = r.Created
			}
			continue
		}
		last := r.Updated
		if last.IsZero() {
			last = r.Created
		}
		if (opts.MaxAge > 0 && now.Sub(last) > opts.MaxAge) || (opts.KeepRuns > 0 && i >= opts.KeepRuns) {
			remove[r.ID] = true
		}
	}
	if len(remove) > 0 {
		err := s.update(func(tx *bolt.Tx) error {
			rb, nb, cb := tx.Bucket(bucketRuns), tx.Bucket(bucketNodes), tx.Bucket(bucketCache)
			for id := range remove {
				if err := rb.Delete([]byte(id)); err != nil {
					return err
				}
				if err := deletePrefix(nb, []byte(id+"/")); err != nil {
					return err
				}
			}
			return deleteCache(cb, func(e *CacheEntry) bool { return remove[e.Run] })
		})
		s.forget()
		if err != nil {
			return rep, fmt.Errorf("gc: removing runs: %w", err)
		}
		rep.RunsRemoved = len(remove)
	}

	// What the remaining records reference, and what running runs pin.
	referenced, pinned, err := s.references(running)
	if err != nil {
		return rep, fmt.Errorf("gc: %w", err)
	}
	blobs, err := listBlobs(s.dir)
	if err != nil {
		return rep, fmt.Errorf("gc: listing blobs: %w", err)
	}
	kept := blobs[:0]
	var total int64
	for _, b := range blobs {
		young := len(running) > 0 && !b.mtime.Before(runningSince)
		if !referenced[b.digest] && !young {
			if err := s.removeBlob(b, &rep); err != nil {
				return rep, err
			}
			continue
		}
		kept = append(kept, b)
		total += b.size
	}
	if opts.MaxBytes > 0 && total > opts.MaxBytes {
		sort.SliceStable(kept, func(i, j int) bool { return kept[i].mtime.Before(kept[j].mtime) })
		evicted := map[string]bool{}
		for _, b := range kept {
			if total <= opts.MaxBytes {
				break
			}
			if pinned[b.digest] {
				continue
			}
			if err := s.removeBlob(b, &rep); err != nil {
				return rep, err
			}
			evicted[b.digest] = true
			total -= b.size
		}
		if len(evicted) > 0 {
			err := s.update(func(tx *bolt.Tx) error {
				return deleteCache(tx.Bucket(bucketCache), func(e *CacheEntry) bool {
					for _, r := range e.Outputs {
						if evicted[r.Digest] {
							return true
						}
					}
					return false
				})
			})
			s.forget()
			if err != nil {
				return rep, fmt.Errorf("gc: removing cache entries of evicted blobs: %w", err)
			}
		}
	}
	rep.BytesLeft = total
	s.cleanRestored()
	return rep, nil
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// deleteCache removes the cache entries drop selects (unreadable ones too,
// but not a newer truss's).
func deleteCache(b *bolt.Bucket, drop func(*CacheEntry) bool) error {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var e CacheEntry
		err := unmarshalCache(v, &e)
		var ve *versionError
		if errors.As(err, &ve) {
			return nil
		}
		if err != nil || drop(&e) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// references returns the blob digests named by node and cache records, and
// those named by the nodes of the given runs.
func (s *Store) references(pinnedRuns []string) (all, pinned map[string]bool, err error) {
	nodes, err := s.scan(bucketNodes, nil)
	if err != nil {
		return nil, nil, err
	}
	cache, err := s.scan(bucketCache, nil)
	if err != nil {
		return nil, nil, err
	}
	isPinned := map[string]bool{}
	for _, id := range pinnedRuns {
		isPinned[id] = true
	}
	all, pinned = map[string]bool{}, map[string]bool{}
	for _, r := range nodes {
		var n Node
		if unmarshalNode(r.v, &n) != nil {
			continue
		}
		for _, d := range nodeDigests(&n) {
			all[d] = true
			if isPinned[n.Run] {
				pinned[d] = true
			}
		}
	}
	for _, r := range cache {
		var e CacheEntry
		if unmarshalCache(r.v, &e) != nil {
			continue
		}
		for _, r := range e.Outputs {
			all[r.Digest] = true
		}
	}
	return all, pinned, nil
}

func nodeDigests(n *Node) []string {
	var out []string
	if n.Log != "" {
		out = append(out, n.Log)
	}
	for _, r := range n.Outputs {
		if r.Digest != "" && r.Inline == nil {
			out = append(out, r.Digest)
		}
	}
	return out
}

type blobFile struct {
	digest, path string
	size         int64
	mtime        time.Time
}

// listBlobs lists the blob files (digest-named files under blobs/sha256).
func listBlobs(dir string) ([]blobFile, error) {
	var out []blobFile
	root := filepath.Join(dir, blobsDir, blobAlgo)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() || !validDigest(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		out = append(out, blobFile{digest: d.Name(), path: p, size: info.Size(), mtime: info.ModTime()})
		return nil
	})
	return out, err
}

func (s *Store) removeBlob(b blobFile, rep *GCReport) error {
	if err := os.Remove(b.path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("gc: removing blob %s: %w", b.digest, err)
	}
	os.RemoveAll(filepath.Join(s.dir, restoredDir, b.digest))
	rep.BlobsRemoved++
	rep.BytesFreed += b.size
	return nil
}

// cleanRestored removes restored copies whose blob is gone.
func (s *Store) cleanRestored() {
	entries, _ := os.ReadDir(filepath.Join(s.dir, restoredDir))
	for _, e := range entries {
		if validDigest(e.Name()) {
			if _, err := os.Stat(s.BlobPath(e.Name())); err == nil {
				continue
			}
		}
		os.RemoveAll(filepath.Join(s.dir, restoredDir, e.Name()))
	}
}
