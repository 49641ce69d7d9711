package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
)

func TestGC(t *testing.T) {
	tests := []struct {
		name     string
		opts     GCOptions
		wantRuns int // runs left of 10 (the oldest running)
		maxBytes int64
	}{
		{"by count", GCOptions{KeepRuns: 4}, 5, 0},
		{"by age", GCOptions{MaxAge: time.Since(t0.Add(390 * time.Second))}, 4, 0},
		{"by size", GCOptions{MaxBytes: 1500}, 10, 1500},
		{"nothing", GCOptions{}, 10, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir)
			defer mustClose(t, s)
			fillRuns(t, s, 10, 5, true)
			// The oldest run is still running: pinned.
			if err := s.PutRun(&Run{ID: "run0000", Status: "running", Created: t0, Updated: t0}); err != nil {
				t.Fatal(err)
			}
			pinnedNodes, _ := s.Nodes("run0000")
			rep, err := s.GC(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			runs, _ := s.Runs()
			if len(runs) != tc.wantRuns {
				t.Errorf("%d runs left, want %d (report %+v)", len(runs), tc.wantRuns, rep)
			}
			for _, r := range runs {
				if r.Status == "running" {
					goto found
				}
			}
			t.Errorf("running run removed")
		found:
			for _, n := range pinnedNodes {
				if !s.Has(n.Outputs["out"]) || !s.HasBlob(n.Log) { // small outputs are inline; logs are blobs
					t.Errorf("blob of running run's node %s removed", n.ID)
				}
			}
			blobs, _ := listBlobs(dir)
			var total int64
			for _, b := range blobs {
				total += b.size
			}
			if total != rep.BytesLeft {
				t.Errorf("BytesLeft %d, blobs on disk %d", rep.BytesLeft, total)
			}
			if tc.maxBytes > 0 && total > tc.maxBytes {
				t.Errorf("blob total %d over budget %d", total, tc.maxBytes)
			}
			// Every removed run's nodes are gone, and the others' values
			// (unless evicted by size) are still there.
			for _, r := range runs {
				nodes, _ := s.Nodes(r.ID)
				if len(nodes) != 5 {
					t.Errorf("run %s has %d nodes", r.ID, len(nodes))
				}
				if tc.maxBytes == 0 {
					for _, n := range nodes {
						if _, err := s.GetValue(n.Outputs["out"]); err != nil {
							t.Error(err)
						}
					}
				}
			}
			if tc.opts.KeepRuns > 0 {
				if nodes, _ := s.Nodes("run0001"); len(nodes) != 0 {
					t.Errorf("removed run left %d node records", len(nodes))
				}
			}
		})
	}
}

func TestGCUnreferencedBlobs(t *testing.T) {
	s := open(t, t.TempDir())
	defer mustClose(t, s)
	d, _, err := s.PutBlob(strings.NewReader("orphan"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.GC(GCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.HasBlob(d) || rep.BlobsRemoved != 1 || rep.BytesFreed != 6 {
		t.Errorf("orphan blob kept: %+v", rep)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("no space left on device (injected)")
	}
	r.n--
	return copy(p, "xxxx"), nil
}

// TestWriteErrors: a failing write surfaces as an error from PutBlob and
// PutNode, saying what to do, and leaves no partial blob behind.
func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{maxDBSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, s)
	if _, _, err := s.PutBlob(&failingReader{n: 3}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("PutBlob with a failing source = %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, blobsDir, tmpDir)); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	big := strings.Repeat("e", 300<<10)
	var failed error
	for i := 0; i < 10 && failed == nil; i++ {
		failed = s.PutNode(&Node{Run: "R", ID: fmt.Sprint(i), Error: big})
	}
	if failed == nil || !strings.Contains(failed.Error(), "disk full") {
		t.Fatalf("PutNode past the size limit = %v, want a disk-full error", failed)
	}
}

// TestDiskFull fills a 1 MB tmpfs (root only).
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		testenv.Unavailable(t, "cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	s := open(t, dir)
	var perr error
	for i := 0; i < 100 && perr == nil; i++ {
		_, perr = s.PutValue(formats.Value{Type: "string", Format: "text", Bytes: []byte(strings.Repeat(fmt.Sprint(i), 50<<10))})
	}
	if perr == nil || !strings.Contains(perr.Error(), "disk full") {
		t.Errorf("PutValue on a full disk = %v", perr)
	}
	var nerr error
	for i := 0; i < 200 && nerr == nil; i++ {
		nerr = s.PutNode(&Node{Run: "R", ID: fmt.Sprint(i), Error: strings.Repeat("x", 20<<10)})
	}
	if nerr == nil || !strings.Contains(nerr.Error(), "disk full") {
		t.Errorf("PutNode on a full disk = %v", nerr)
	}
	// Freeing space lets writing go on.
	if _, err := s.GC(GCOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutNode(&Node{Run: "R", ID: "after"}); err != nil {
		t.Errorf("PutNode after freeing space: %v", err)
	}
	mustClose(t, s)
	s = open(t, dir)
	mustClose(t, s)
}
