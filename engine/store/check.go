package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CheckReport is what Check found. Problems is empty when the store is
// sound.
type CheckReport struct {
	Runs, Nodes, CacheEntries int
	Blobs                     int   // blob files
	BlobBytes                 int64 // their total size
	Unreferenced              int   // blobs no record names (gc removes them)
	// DBCorrupt is set when truss.db cannot be read; `truss store compact`
	// salvages what it can.
	DBCorrupt bool
	Problems  []string
}

// OK reports whether Check found nothing wrong.
func (r CheckReport) OK() bool { return len(r.Problems) == 0 }

// Check verifies a store that is not open elsewhere: bbolt's consistency
// check, every record decodes, and every blob a record names exists and
// hashes to its digest. Damage is reported in the report, not as an error;
// the error is for a store that cannot be checked at all (missing, or in
// use by another process).
func Check(dir string) (CheckReport, error) {
	var rep CheckReport
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if _, err := os.Stat(filepath.Join(dir, DBFile)); err != nil {
		return rep, fmt.Errorf("checking store %s: %w (is this a truss store? it is created by `truss run`)", dir, err)
	}
	problem := func(format string, a ...any) { rep.Problems = append(rep.Problems, fmt.Sprintf(format, a...)) }
	refs := map[string][]string{} // digest → who names it

	db, err := openDB(dir, &bolt.Options{Timeout: time.Second, ReadOnly: true}, true)
	switch {
	case errors.Is(err, ErrInUse):
		return rep, err
	case errors.Is(err, ErrCorrupt):
		rep.DBCorrupt = true
		problem("%s: %v", DBFile, errors.Unwrap(err))
	case err != nil:
		return rep, err
	default:
		err := guard(dir, func() error {
			return db.View(func(tx *bolt.Tx) error {
				for e := range tx.Check() {
					rep.DBCorrupt = true
					problem("%s: %v", DBFile, e)
					if len(rep.Problems) > 100 {
						break
					}
				}
				return nil
			})
		})
		if err != nil {
			rep.DBCorrupt = true
			problem("%s: %v", DBFile, errors.Unwrap(err))
		}
		if !rep.DBCorrupt {
			checkRecords(dir, db, &rep, refs, problem)
		}
		db.Close()
	}

	blobs, err := listBlobs(dir)
	if err != nil {
		problem("listing blobs: %v", err)
	}
	have := map[string]string{}
	for _, b := range blobs {
		rep.Blobs++
		rep.BlobBytes += b.size
		have[b.digest] = b.path
		if len(refs[b.digest]) == 0 {
			rep.Unreferenced++
		}
	}
	digests := make([]string, 0, len(refs))
	for d := range refs {
		digests = append(digests, d)
	}
	sort.Strings(digests)
	for _, d := range digests {
		who := refs[d][0]
		p, ok := have[d]
		if !ok {
			problem("blob %s (named by %s) is missing", d, who)
			continue
		}
		got, _, err := hashFile(p)
		switch {
		case err != nil:
			problem("blob %s (named by %s) is unreadable: %v", d, who, err)
		case got != d:
			problem("blob %s (named by %s) is damaged: its content hashes to %s", d, who, got)
		}
	}
	return rep, nil
}

func checkRecords(dir string, db *bolt.DB, rep *CheckReport, refs map[string][]string, problem func(string, ...any)) {
	read := func(bucket []byte) []kv {
		var out []kv
		err := guard(dir, func() error {
			return db.View(func(tx *bolt.Tx) error {
				b := tx.Bucket(bucket)
				if b == nil {
					problem("%s: bucket %s is missing", DBFile, bucket)
					return nil
				}
				return b.ForEach(func(k, v []byte) error {
					out = append(out, kv{bytes.Clone(k), bytes.Clone(v)})
					return nil
				})
			})
		})
		if err != nil {
			rep.DBCorrupt = true
			problem("%s: reading %s: %v", DBFile, bucket, errors.Unwrap(err))
		}
		return out
	}
	for _, r := range read(bucketRuns) {
		rep.Runs++
		var run Run
		if err := json.Unmarshal(r.v, &run); err != nil {
			problem("run %s: unreadable record: %v", r.k, err)
		}
	}
	for _, r := range read(bucketNodes) {
		rep.Nodes++
		var n Node
		if err := unmarshalNode(r.v, &n); err != nil {
			problem("node %s: unreadable record: %v", r.k, err)
			continue
		}
		for _, d := range nodeDigests(&n) {
			refs[d] = append(refs[d], "node "+string(r.k))
		}
	}
	for _, r := range read(bucketCache) {
		rep.CacheEntries++
		var e CacheEntry
		if err := unmarshalCache(r.v, &e); err != nil {
			problem("cache entry %s: unreadable record: %v", r.k, err)
			continue
		}
		for _, o := range e.Outputs {
			if o.Inline == nil {
				refs[o.Digest] = append(refs[o.Digest], "cache entry "+string(r.k))
			}
		}
	}
}

// CompactReport says what Compact copied.
type CompactReport struct {
	Records int
	// Salvaged is set when the old file was damaged: records on damaged
	// pages are lost, and the old file is kept as BadFile.
	Salvaged bool
	BadFile  string
	Problems []string
}

// Compact copies the live records into a fresh database and replaces the
// old file atomically.
func Compact(dir string) error {
	_, err := CompactWithReport(dir)
	return err
}

// CompactWithReport is Compact, saying what it copied. A damaged database
// is salvaged: every record still readable is copied, the damaged file is
// kept next to the new one as truss.db.bad-<time>.
func CompactWithReport(dir string) (CompactReport, error) {
	var rep CompactReport
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		return rep, fmt.Errorf("compacting store %s: %w (is this a truss store?)", dir, err)
	}
	// Read-only: the freelist of a damaged file is not loaded, and the shared
	// lock still keeps writers out.
	src, err := openDB(dir, &bolt.Options{Timeout: time.Second, ReadOnly: true}, false)
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return rep, fmt.Errorf("%s cannot be read at all (%v): move it aside (mv %s %s.bad) to start with an empty store; the values in %s are kept",
				path, errors.Unwrap(err), path, path, filepath.Join(dir, blobsDir))
		}
		return rep, err
	}
	defer src.Close()
	if err := writePid(dir); err == nil {
		defer os.Remove(filepath.Join(dir, PidFile))
	}

	tmp := path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o644, &bolt.Options{NoSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return rep, fmt.Errorf("compacting store %s: %w (is the disk full?)", dir, err)
	}
	defer os.Remove(tmp)
	cerr := guard(dir, func() error { return bolt.Compact(dst, src, 4<<20) })
	if cerr != nil {
		// Damaged: start over, copying record by record what can be read.
		dst.Close()
		os.Remove(tmp)
		if dst, err = bolt.Open(tmp, 0o644, &bolt.Options{NoSync: true, FreelistType: bolt.FreelistMapType}); err != nil {
			return rep, fmt.Errorf("compacting store %s: %w", dir, err)
		}
		rep.Salvaged = true
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s is damaged (%v): copying the readable records", DBFile, cerr))
		if err := salvage(dir, src, dst, &rep); err != nil {
			dst.Close()
			return rep, err
		}
	}
	// Every bucket exists in the result, even if the source lost one.
	err = dst.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRuns, bucketNodes, bucketCache} {
			bk, err := tx.CreateBucketIfNotExists(b)
			if err != nil {
				return err
			}
			if !rep.Salvaged {
				rep.Records += bk.Stats().KeyN
			}
		}
		return nil
	})
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rep, fmt.Errorf("compacting store %s: writing %s: %w (is the disk full?)", dir, tmp, err)
	}
	if rep.Salvaged {
		rep.BadFile = fmt.Sprintf("%s.bad-%s", path, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Link(path, rep.BadFile); err != nil {
			return rep, fmt.Errorf("compacting store %s: keeping the damaged file: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return rep, fmt.Errorf("compacting store %s: %w", dir, err)
	}
	if err := syncDir(dir); err != nil {
		return rep, fmt.Errorf("compacting store %s: %w", dir, err)
	}
	return rep, nil
}

// salvage copies, bucket by bucket, every record of src that can be read
// before a damaged page stops the bucket's cursor.
func salvage(dir string, src, dst *bolt.DB, rep *CompactReport) error {
	for _, name := range [][]byte{bucketRuns, bucketNodes, bucketCache} {
		var recs [][2][]byte
		err := guard(dir, func() error {
			return src.View(func(tx *bolt.Tx) error {
				b := tx.Bucket(name)
				if b == nil {
					return fmt.Errorf("bucket missing")
				}
				c := b.Cursor()
				for k, v := c.First(); k != nil; k, v = c.Next() {
					if v != nil {
						recs = append(recs, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
					}
				}
				return nil
			})
		})
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("bucket %s: %v (%d records before the damage kept)", name, err, len(recs)))
		}
		err = dst.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(name)
			if err != nil {
				return err
			}
			for _, r := range recs {
				if err := b.Put(r[0], r[1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("compacting store %s: %w (is the disk full?)", dir, err)
		}
		rep.Records += len(recs)
	}
	return nil
}
