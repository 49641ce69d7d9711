package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/truss-dev/truss/formats"
)

const helperEnv = "TRUSS_STORE_TEST_HELPER"

// TestMain doubles as a helper process: the test binary re-executed with
// helperEnv set runs a helper instead of the tests.
func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(helper(h, os.Getenv("TRUSS_STORE_DIR")))
	}
	os.Exit(m.Run())
}

func helper(name, dir string) int {
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	switch name {
	case "hold": // keep the store open until killed
		fmt.Println("ready")
		time.Sleep(time.Minute)
	case "write": // write records and values forever, saying which were acknowledged
		out := bufio.NewWriter(os.Stdout)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					id := fmt.Sprintf("w%d-%06d", w, i)
					ref, err := s.PutValue(formats.Value{Type: "string", Format: "text", Bytes: []byte("value " + id)})
					if err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(1)
					}
					n := &Node{Run: "R", ID: id, Status: "succeeded", Outputs: map[string]Ref{"out": ref}}
					if err := s.PutNode(n); err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(1)
					}
					mu.Lock()
					fmt.Fprintln(out, id)
					out.Flush()
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	return 0
}

func startHelper(t *testing.T, name, dir string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+name, "TRUSS_STORE_DIR="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewScanner(stdout)
}

func open(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustClose(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestRecordsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	run := &Run{
		ID: "01JABCDEF", SpecFile: "spec.yaml", Status: "failed", Error: "step b failed",
		Created: t0, Updated: t0.Add(time.Minute),
		Bundle:  map[string][]byte{"spec.yaml": []byte("steps: []\n"), "tasks/b.py": []byte("print(1)\n")},
		Inputs:  json.RawMessage(`{"a":{"mode":"inline","data":1}}`),
		Outputs: json.RawMessage(`{}`),
		Options: json.RawMessage(`{"jobs":4}`),
	}
	nodes := []*Node{
		{Run: run.ID, ID: "a", Kind: "step", Status: "succeeded", Attempts: 1, Start: t0, End: t0.Add(time.Second),
			CacheKey: "k1", Log: strings.Repeat("a", 64), Outputs: map[string]Ref{"out": {Digest: strings.Repeat("b", 64), Type: "number", Format: "json", Kind: KindData, Size: 1}}},
		{Run: run.ID, ID: "b", Kind: "step", Status: "failed", Error: "boom", Attempts: 3},
		{Run: run.ID, ID: "c", Kind: "step", Status: "skipped", Reason: "upstream b failed"},
		{Run: run.ID, ID: "d", Kind: "step", Status: "cached", CachedFrom: "01JOLD/d"},
	}
	entry := CacheEntry{Run: run.ID, Node: "a", Outputs: nodes[0].Outputs, Created: t0}
	if err := s.PutRun(run); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := s.PutNode(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CachePut("k1", entry); err != nil {
		t.Fatal(err)
	}
	// An unrelated run whose id shares a prefix with nothing above.
	if err := s.PutRun(&Run{ID: "01JZZZ", Created: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)

	s = open(t, dir)
	defer mustClose(t, s)
	want := *run
	want.V = 1
	for _, id := range []string{run.ID, "01JAB"} {
		got, err := s.Run(id)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(&want, got); d != "" {
			t.Errorf("Run(%q) (-want +got):\n%s", id, d)
		}
	}
	if _, err := s.Run("01J"); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("Run(ambiguous prefix) = %v, want an ambiguity error", err)
	}
	if _, err := s.Run("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Run(nope) = %v, want ErrNotFound", err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != "01JZZZ" {
		t.Errorf("Runs() not newest first: %v", runs)
	}
	got, err := s.Nodes(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	var wantNodes []*Node
	for _, n := range nodes {
		c := *n
		c.V = binaryVersion // node records are binary since version 2
		wantNodes = append(wantNodes, &c)
	}
	if d := cmp.Diff(wantNodes, got); d != "" {
		t.Errorf("Nodes (-want +got):\n%s", d)
	}
	e, ok, err := s.CacheGet("k1")
	if err != nil || !ok {
		t.Fatalf("CacheGet = %v, %v", ok, err)
	}
	if d := cmp.Diff(entry, e); d != "" {
		t.Errorf("CacheGet (-want +got):\n%s", d)
	}
	if _, ok, err := s.CacheGet("missing"); ok || err != nil {
		t.Errorf("CacheGet(missing) = %v, %v", ok, err)
	}
	if s.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", s.Dir(), dir)
	}
}

func TestRecordValidation(t *testing.T) {
	s := open(t, t.TempDir())
	defer mustClose(t, s)
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"run without id", s.PutRun(&Run{})},
		{"run id with slash", s.PutRun(&Run{ID: "a/b"})},
		{"node without run", s.PutNode(&Node{ID: "x"})},
		{"empty cache key", s.CachePut("", CacheEntry{})},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestConcurrentPutNodeDurable(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	const writers, each = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := s.PutNode(&Node{Run: "R", ID: fmt.Sprintf("n%02d-%02d", w, i), Status: "succeeded", Attempts: i}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	mustClose(t, s)
	s = open(t, dir)
	defer mustClose(t, s)
	nodes, err := s.Nodes("R")
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != writers*each {
		t.Fatalf("after reopen: %d nodes, want %d", len(nodes), writers*each)
	}
}

func TestPutNodeAsync(t *testing.T) {
	s := open(t, t.TempDir())
	var chans []<-chan error
	for i := 0; i < 500; i++ {
		chans = append(chans, s.PutNodeAsync(&Node{Run: "R", ID: strconv.Itoa(i)}))
	}
	for _, c := range chans {
		if err := <-c; err != nil {
			t.Fatal(err)
		}
	}
	mustClose(t, s)
	if err := <-s.PutNodeAsync(&Node{Run: "R", ID: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("PutNodeAsync after Close = %v, want ErrClosed", err)
	}
}

func TestValueRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := t.TempDir()
	file := filepath.Join(src, "data.csv")
	if err := os.WriteFile(file, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(src, "tree")
	for p, c := range map[string]string{"x.txt": "x", "sub/y.txt": "yy", "sub/deeper/z": ""} {
		full := filepath.Join(tree, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(tree, "empty"), 0o755)
	if err := os.Symlink("x.txt", filepath.Join(tree, "link")); err != nil {
		t.Fatal(err)
	}
	rows := &formats.Rows{Fields: []string{"a", "b"}, Rows: []formats.Row{
		{Cells: []any{int64(1), "x"}}, {Cells: []any{2.5, formats.Missing}},
	}}

	s := open(t, dir)
	defer mustClose(t, s)
	tests := []struct {
		name string
		v    formats.Value
	}{
		{"data object", formats.Value{Type: "python", Format: "object", Data: map[string]any{"a": []any{int64(1), 2.0, "s", nil, true}}}},
		{"data number", formats.Value{Type: "number", Format: "number", Data: int64(42)}},
		{"data null", formats.Value{Type: "python", Format: "object", Data: nil}},
		{"table rows", formats.Value{Type: "table", Format: "rows", Data: rows}},
		{"bytes", formats.Value{Type: "string", Format: "text", Bytes: []byte("héllo\n")}},
		{"empty bytes", formats.Value{Type: "string", Format: "text", Bytes: []byte{}}},
		{"large bytes", formats.Value{Type: "string", Format: "text", Bytes: bytes.Repeat([]byte("0123456789"), InlineMax)}},
		{"large data", formats.Value{Type: "string_list", Format: "string_list", Data: []any{strings.Repeat("x", 2*InlineMax)}}},
		{"file", formats.Value{Type: "table", Format: "csv", Path: file}},
		{"directory", formats.Value{Type: "directory", Format: "path", Path: tree}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref, err := s.PutValue(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			// Small data and bytes live inline in the ref; the rest in a blob.
			small := tc.v.Path == "" && ref.Size <= InlineMax
			if small != (ref.Inline != nil) || !small && !s.HasBlob(ref.Digest) || !s.Has(ref) {
				t.Fatalf("size %d: inline %v, blob %v", ref.Size, ref.Inline != nil, s.HasBlob(ref.Digest))
			}
			got, err := s.GetValue(ref)
			if err != nil {
				t.Fatal(err)
			}
			if got.Type != tc.v.Type || got.Format != tc.v.Format {
				t.Errorf("label %s/%s, want %s/%s", got.Type, got.Format, tc.v.Type, tc.v.Format)
			}
			if tc.v.Path != "" {
				if filepath.Base(got.Path) != filepath.Base(tc.v.Path) || !strings.HasPrefix(got.Path, filepath.Join(dir, "restored")) {
					t.Errorf("restored at %s", got.Path)
				}
				// Same content digest as the original.
				want, _ := formats.Digest(tc.v)
				have, err := formats.Digest(got)
				if err != nil || have != want {
					t.Errorf("restored digest %s (%v), want %s", have, err, want)
				}
				// Restoring twice reuses the copy.
				again, err := s.GetValue(ref)
				if err != nil || again.Path != got.Path {
					t.Errorf("second restore: %v, %v", again.Path, err)
				}
				return
			}
			if d := cmp.Diff(tc.v, got, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b *formats.Rows) bool {
				ea, _ := formats.EncodeJSON(a)
				eb, _ := formats.EncodeJSON(b)
				return string(ea) == string(eb)
			})); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if tc.v.Bytes != nil && got.Bytes == nil {
				t.Errorf("empty bytes came back as nil (data)")
			}
			if _, ok := tc.v.Data.(*formats.Rows); ok {
				if _, ok := got.Data.(*formats.Rows); !ok {
					t.Errorf("table/rows came back as %T", got.Data)
				}
			}
		})
	}

	// Equal trees give equal blobs; a damaged blob is reported.
	same := bytes.Repeat([]byte("same"), InlineMax)
	r1, _ := s.PutValue(formats.Value{Type: "string", Format: "text", Bytes: same})
	r2, _ := s.PutValue(formats.Value{Type: "string", Format: "text", Bytes: same})
	if r1.Digest != r2.Digest {
		t.Errorf("equal content gave digests %s and %s", r1.Digest, r2.Digest)
	}
	p := s.BlobPath(r1.Digest)
	os.Chmod(p, 0o644)
	os.WriteFile(p, []byte("tampered"), 0o644)
	if _, err := s.GetValue(r1); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("GetValue of a damaged blob = %v, want a 'damaged' error", err)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	dir := t.TempDir()
	cmd, out := startHelper(t, "hold", dir)
	if !out.Scan() || out.Text() != "ready" {
		t.Fatalf("helper did not start: %q", out.Text())
	}
	start := time.Now()
	_, err := Open(dir, Options{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open = %v, want ErrInUse", err)
	}
	want := fmt.Sprintf("store %s is in use by pid %d", dir, cmd.Process.Pid)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open took %s", d)
	}
	if _, err := Check(dir); !errors.Is(err, ErrInUse) {
		t.Errorf("Check of a store in use = %v, want ErrInUse", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	// The lock dies with the process; the stale pid file does not matter.
	s := open(t, dir)
	mustClose(t, s)
}

func TestCorruptDB(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(path string) error
	}{
		{"garbage", func(p string) error { return os.WriteFile(p, []byte(strings.Repeat("not a database ", 2000)), 0o644) }},
		{"truncated to 100 bytes", func(p string) error { return os.Truncate(p, 100) }},
		{"truncated after meta pages", func(p string) error { return os.Truncate(p, 4*4096) }},
		{"zeroed meta pages", func(p string) error {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt(make([]byte, 2*4096), 0)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir)
			fillRuns(t, s, 20, 20, false)
			mustClose(t, s)
			if err := tc.corrupt(filepath.Join(dir, DBFile)); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir, Options{})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %v, want ErrCorrupt", err)
			}
			for _, w := range []string{"corrupt", "truss store check", "truss store compact"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			rep, err := Check(dir)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !rep.DBCorrupt {
				t.Errorf("Check = %+v, want a corrupt db reported", rep)
			}
			// Compact salvages what it can, or says what to do.
			if _, err := CompactWithReport(dir); err != nil {
				if !strings.Contains(err.Error(), "move it aside") {
					t.Errorf("Compact error %q gives no way out", err)
				}
				return
			}
			s, err = Open(dir, Options{})
			if err != nil {
				t.Fatalf("Open after Compact: %v", err)
			}
			mustClose(t, s)
		})
	}
}

func TestCompactKeepsRecords(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	fillRuns(t, s, 10, 50, false)
	before := snapshot(t, s)
	mustClose(t, s)
	rep, err := CompactWithReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Salvaged || rep.Records != 10+10*50 {
		t.Errorf("Compact report %+v", rep)
	}
	s = open(t, dir)
	defer mustClose(t, s)
	if d := cmp.Diff(before, snapshot(t, s)); d != "" {
		t.Errorf("records changed by Compact (-before +after):\n%s", d)
	}
	if c, err := Check(dir); err == nil {
		t.Errorf("Check of an open store = %+v, want ErrInUse", c)
	}
}

func TestCheckFindsMissingAndDamagedBlobs(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	fillRuns(t, s, 2, 5, true)
	big := func(c byte) Ref {
		r, err := s.PutValue(formats.Value{Type: "string", Format: "text", Bytes: bytes.Repeat([]byte{c}, 2*InlineMax)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	nodes := []*Node{
		{V: 1, Run: "run0000", ID: "big1", Status: "succeeded", Outputs: map[string]Ref{"out": big('a')}},
		{V: 1, Run: "run0000", ID: "big2", Status: "succeeded", Outputs: map[string]Ref{"out": big('b')}},
	}
	for _, n := range nodes {
		if err := s.PutNode(n); err != nil {
			t.Fatal(err)
		}
	}
	mustClose(t, s)
	rep, err := Check(dir)
	if err != nil || !rep.OK() {
		t.Fatalf("Check of a sound store: %+v, %v", rep, err)
	}
	os.Remove(BlobPathIn(dir, nodes[0].Outputs["out"].Digest))
	p := BlobPathIn(dir, nodes[1].Outputs["out"].Digest)
	os.Chmod(p, 0o644)
	os.WriteFile(p, []byte("x"), 0o644)
	rep, err = Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(rep.Problems, "\n")
	if !strings.Contains(text, "missing") || !strings.Contains(text, "damaged") || rep.DBCorrupt {
		t.Errorf("Check problems:\n%s", text)
	}
}

// snapshot is every record of a store.
func snapshot(t *testing.T, s *Store) map[string]any {
	t.Helper()
	out := map[string]any{}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		nodes, err := s.Nodes(r.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[r.ID] = r
		out[r.ID+"/nodes"] = nodes
	}
	return out
}

// fillRuns writes runs×nodes records, with small values when values.
func fillRuns(tb testing.TB, s *Store, runs, nodes int, values bool) {
	tb.Helper()
	for r := 0; r < runs; r++ {
		id := fmt.Sprintf("run%04d", r)
		run := &Run{ID: id, Status: "succeeded", Created: t0.Add(time.Duration(r) * time.Minute), Updated: t0.Add(time.Duration(r) * time.Minute),
			Bundle: map[string][]byte{"spec.yaml": []byte("steps: []")}}
		if err := s.PutRun(run); err != nil {
			tb.Fatal(err)
		}
		var chans []<-chan error
		for n := 0; n < nodes; n++ {
			node := &Node{Run: id, ID: fmt.Sprintf("step%03d", n), Kind: "step", Status: "succeeded", Attempts: 1,
				Start: run.Created, End: run.Created.Add(time.Second), CacheKey: fmt.Sprintf("%064x", n)}
			if values {
				ref, err := s.PutValue(formats.Value{Type: "number", Format: "json", Data: map[string]any{"run": int64(r), "node": int64(n)}})
				if err != nil {
					tb.Fatal(err)
				}
				log, _, err := s.PutBlob(strings.NewReader(fmt.Sprintf("run %d node %d: done\n", r, n)))
				if err != nil {
					tb.Fatal(err)
				}
				node.Outputs = map[string]Ref{"out": ref}
				node.Log = log
			}
			chans = append(chans, s.PutNodeAsync(node))
		}
		for _, c := range chans {
			if err := <-c; err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// BlobPathIn is BlobPath for a store that is not open.
func BlobPathIn(dir, digest string) string { return blobPath(dir, digest) }

func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	cmd, out := startHelper(t, "write", dir)
	var acked []string
	for out.Scan() {
		acked = append(acked, out.Text())
		if len(acked) == 300 {
			break
		}
	}
	if len(acked) < 300 {
		t.Fatalf("helper acknowledged only %d writes", len(acked))
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Lines already in the pipe were acknowledged before the kill too.
	for out.Scan() {
		acked = append(acked, out.Text())
	}
	cmd.Wait()

	s := open(t, dir)
	nodes, err := s.Nodes("R")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]*Node{}
	for _, n := range nodes {
		have[n.ID] = n
	}
	for _, id := range acked {
		n, ok := have[id]
		if !ok {
			t.Errorf("acknowledged node %s lost", id)
			continue
		}
		v, err := s.GetValue(n.Outputs["out"])
		if err != nil || string(v.Bytes) != "value "+id {
			t.Errorf("value of %s: %q, %v", id, v.Bytes, err)
		}
	}
	mustClose(t, s)
	rep, err := Check(dir)
	if err != nil || !rep.OK() {
		t.Errorf("Check after the kill: %+v, %v", rep, err)
	}
	t.Logf("%d acknowledged, %d in the store", len(acked), len(nodes))
}

// fillRunsValues is fillRuns with values; unique makes every value and log
// differ from run to run.
func fillRunsValues(tb testing.TB, s *Store, runs, nodes int, unique bool) {
	tb.Helper()
	for r := 0; r < runs; r++ {
		id := fmt.Sprintf("run%04d", r)
		at := t0.Add(time.Duration(r) * time.Minute)
		run := &Run{ID: id, Status: "succeeded", Created: at, Updated: at, SpecFile: "spec.yaml",
			Bundle: map[string][]byte{"spec.yaml": []byte(strings.Repeat("steps: []\n", 50))}, Options: json.RawMessage(`{"jobs":8}`)}
		if err := s.PutRun(run); err != nil {
			tb.Fatal(err)
		}
		var chans []<-chan error
		for n := 0; n < nodes; n++ {
			k := int64(n)
			if unique {
				k = int64(r*nodes + n)
			}
			ref, err := s.PutValue(formats.Value{Type: "python", Format: "object", Data: map[string]any{"result": k, "label": "small value"}})
			if err != nil {
				tb.Fatal(err)
			}
			log, _, err := s.PutBlob(strings.NewReader(fmt.Sprintf("step %d: computed %d\n", n, k)))
			if err != nil {
				tb.Fatal(err)
			}
			chans = append(chans, s.PutNodeAsync(&Node{Run: id, ID: fmt.Sprintf("step%03d", n), Kind: "step", Status: "succeeded", Attempts: 1,
				Start: at, End: at.Add(time.Second), CacheKey: fmt.Sprintf("%064x", k), Log: log, Outputs: map[string]Ref{"out": ref}}))
		}
		for _, c := range chans {
			if err := <-c; err != nil {
				tb.Fatal(err)
			}
		}
	}
}
