package store

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

const benchRecords, benchWriters = 10000, 8

func benchNode(run string, i int) *Node {
	return &Node{Run: run, ID: fmt.Sprintf("step%05d", i), Kind: "step", Status: "succeeded", Attempts: 1,
		Start: t0, End: t0.Add(time.Millisecond), CacheKey: fmt.Sprintf("%064x", i)}
}

// writeAll writes benchRecords node records from benchWriters goroutines.
func writeAll(b *testing.B, run string, put func(*Node) error) {
	var wg sync.WaitGroup
	errs := make(chan error, benchWriters)
	for w := 0; w < benchWriters; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < benchRecords; i += benchWriters {
				if err := put(benchNode(run, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkPutNodeGroupCommit: 10,000 node records from 8 goroutines through
// the writer (fsync on). sync: each writer waits for its commit (PutNode);
// async: each writer enqueues (PutNodeAsync) and collects the results at
// the end, as the engine's scheduler does.
func BenchmarkPutNodeGroupCommit(b *testing.B) {
	for _, mode := range []string{"sync", "async"} {
		b.Run(mode, func(b *testing.B) {
			s := open(b, b.TempDir())
			defer mustClose(b, s)
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				run := fmt.Sprintf("run%04d", n)
				if mode == "sync" {
					writeAll(b, run, s.PutNode)
					continue
				}
				var mu sync.Mutex
				var chans []<-chan error
				writeAll(b, run, func(nd *Node) error {
					c := s.PutNodeAsync(nd)
					mu.Lock()
					chans = append(chans, c)
					mu.Unlock()
					return nil
				})
				for _, c := range chans {
					if err := <-c; err != nil {
						b.Fatal(err)
					}
				}
			}
			reportRate(b)
		})
	}
}

// BenchmarkPutNodePerUpdate is the baseline: the same records, each in its
// own bbolt Update (fsync on), from the same 8 goroutines.
func BenchmarkPutNodePerUpdate(b *testing.B) {
	s := open(b, b.TempDir())
	defer mustClose(b, s)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		writeAll(b, fmt.Sprintf("run%04d", n), func(nd *Node) error {
			return s.db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNodes).Put(nodeKey(nd.Run, nd.ID), appendNode(nil, nd))
			})
		})
	}
	reportRate(b)
}

// storeSize is the apparent size and the disk usage (blocks) of a tree.
func storeSize(dir string) (apparent, disk int64) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := os.Lstat(p); err == nil {
			apparent += info.Size()
			disk += diskUsage(info)
		}
		return nil
	})
	return apparent, disk
}

// TestStoreSize100Runs: 100 runs of a 100-node workflow, each node with a
// small output value and a log. Two cases: a workflow re-run on the same
// inputs (values repeat across runs, as a cache hit would), and the worst
// case where every value and log differs. Reports sizes; asserts that GC
// with a budget brings the blobs under it.
func TestStoreSize100Runs(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped under testing.Short: writes 10,000 records")
	}
	for _, unique := range []bool{false, true} {
		t.Run(fmt.Sprintf("unique=%v", unique), func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer mustClose(t, s)
			fillRunsValues(t, s, 100, 100, unique)
			app, disk := storeSize(dir)
			dbInfo, _ := os.Stat(filepath.Join(dir, DBFile))
			t.Logf("100 runs × 100 nodes, unique values=%v: %.2f MB apparent, %.2f MB on disk (truss.db %.2f MB)",
				unique, mb(app), mb(disk), mb(dbInfo.Size()))
			const budget = 256 << 10
			rep, err := s.GC(GCOptions{KeepRuns: 10, MaxBytes: budget})
			if err != nil {
				t.Fatal(err)
			}
			if rep.BytesLeft > budget {
				t.Errorf("after GC %d blob bytes left, budget %d", rep.BytesLeft, budget)
			}
			app2, disk2 := storeSize(dir)
			t.Logf("after GC{KeepRuns:10, MaxBytes:256 KiB}: %+v; store %.2f MB apparent, %.2f MB on disk", rep, mb(app2), mb(disk2))
		})
	}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }
