package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

func TestNodeCodecRoundTrip(t *testing.T) {
	digest := strings.Repeat("0123456789abcdef", 4)
	east := time.FixedZone("", 5*3600+30*60)
	for _, n := range []*Node{
		{Run: "r", ID: "n"},
		{Run: "r", ID: "a/b~c", Kind: "step", Status: "succeeded", Error: "é\x00\n", Reason: "why", Attempts: 3,
			Start: t0, End: t0.Add(time.Nanosecond).In(east), CacheKey: digest, Log: digest,
			Outputs: map[string]Ref{
				"x": {Digest: digest, Type: "table", Format: "rows", Kind: KindData, Size: 12, Inline: []byte("[1,2]")},
				"y": {Digest: strings.ToUpper(digest), Kind: KindBytes, Inline: []byte{}},
				"z": {Digest: digest, Kind: KindFile, Size: 1 << 40, Name: "out.csv"},
			},
			CachedFrom: "r0/n", Fingerprint: digest, Inputs: map[string]string{"a": digest, "b": "short"}, Progress: "3/4 step 3 of 4"},
		{Run: "r", ID: "n", Outputs: map[string]Ref{}, Inputs: map[string]string{}, Attempts: -1},
	} {
		raw := appendNode(nil, n)
		var got Node
		if err := unmarshalNode(raw, &got); err != nil {
			t.Fatalf("decode %s: %v", n.ID, err)
		}
		want := *n
		want.V = binaryVersion
		if d := cmp.Diff(&want, &got); d != "" {
			t.Errorf("node %s (-want +got):\n%s", n.ID, d)
		}
		_, wantOff := want.End.Zone()
		if _, off := got.End.Zone(); off != wantOff {
			t.Errorf("node %s: zone offset %d, want %d", n.ID, off, wantOff)
		}
		for cut := 1; cut < len(raw); cut++ {
			var short Node
			if err := unmarshalNode(raw[:cut], &short); err == nil {
				t.Errorf("node %s cut at %d of %d bytes decodes", n.ID, cut, len(raw))
			}
		}
	}
	e := CacheEntry{Run: "r", Node: "n", Outputs: map[string]Ref{"o": {Digest: digest, Kind: KindData, Inline: []byte("1")}}, Created: t0}
	var got CacheEntry
	if err := unmarshalCache(appendCache(nil, &e), &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(e, got); d != "" {
		t.Errorf("cache entry (-want +got):\n%s", d)
	}
}

// Node and cache records written as JSON by an earlier truss are read; a
// newer truss's records are refused with a clear error.
func TestOldAndNewerRecords(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer mustClose(t, s)
	old := Node{V: 1, Run: "old", ID: "a", Kind: "step", Status: "succeeded", Attempts: 1, Start: t0, End: t0.Add(time.Second),
		CacheKey: "k", Outputs: map[string]Ref{"out": {Digest: strings.Repeat("b", 64), Kind: KindData, Size: 1, Inline: []byte("1")},
			"empty": {Digest: emptyDigest, Type: "string", Format: "text", Kind: KindBytes, Inline: []byte{}}}}
	oldNode, _ := json.Marshal(&old)
	if strings.Contains(string(oldNode), `"Inline":""`) {
		t.Fatal("JSON kept the empty inline value: the repair below is not tested")
	}
	oldCache, _ := json.Marshal(cacheRecord{V: 1, CacheEntry: CacheEntry{Run: "old", Node: "a", Outputs: old.Outputs, Created: t0}})
	newerJSON, _ := json.Marshal(&Node{V: 7, Run: "newer", ID: "j"})
	err := s.update(func(tx *bolt.Tx) error {
		nb, cb := tx.Bucket(bucketNodes), tx.Bucket(bucketCache)
		for k, v := range map[string][]byte{"old/a": oldNode, "newer/j": newerJSON, "newer2/b": {3, 0, 0}} {
			if err := nb.Put([]byte(k), v); err != nil {
				return err
			}
		}
		if err := cb.Put([]byte("old"), oldCache); err != nil {
			return err
		}
		return cb.Put([]byte("newer"), []byte{3, 1, 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := s.Nodes("old")
	if err != nil || len(nodes) != 1 {
		t.Fatalf("Nodes(old) = %v, %v", nodes, err)
	}
	if d := cmp.Diff(&old, nodes[0]); d != "" {
		t.Errorf("old node (-want +got):\n%s", d)
	}
	if !s.Has(nodes[0].Outputs["empty"]) {
		t.Error("an empty inline value of a JSON record reads back as missing")
	}
	e, ok, err := s.CacheGet("old")
	if err != nil || !ok || e.Node != "a" || !e.Created.Equal(t0) || string(e.Outputs["out"].Inline) != "1" || e.Outputs["empty"].Inline == nil {
		t.Errorf("CacheGet(old) = %+v, %v, %v", e, ok, err)
	}
	for _, run := range []string{"newer", "newer2"} {
		if _, err := s.Nodes(run); err == nil || !strings.Contains(err.Error(), "newer truss") {
			t.Errorf("Nodes(%s) = %v, want a newer-truss error", run, err)
		}
	}
	if _, ok, err := s.CacheGet("newer"); ok || err != nil {
		t.Errorf("CacheGet(newer) = %v, %v; want not found", ok, err)
	}
	if _, err := s.GC(GCOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.CacheGet("old"); !ok {
		t.Error("gc dropped a readable old cache entry")
	}
}

func TestJournal(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	j := s.NewJournal()
	const writers, each = 8, 200
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := fmt.Sprintf("w%d-%03d", w, i)
				j.PutNode(&Node{Run: "run", ID: id, Status: "running"})
				j.CachePut("key-"+id, CacheEntry{Run: "run", Node: id, Created: t0})
				j.PutNode(&Node{Run: "run", ID: id, Status: "succeeded", Attempts: 1})
			}
		}()
	}
	wg.Wait()
	if err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	nodes, err := s.Nodes("run")
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != writers*each {
		t.Fatalf("%d node records, want %d", len(nodes), writers*each)
	}
	for _, n := range nodes {
		if n.Status != "succeeded" {
			t.Fatalf("node %s: status %s, want the last record queued", n.ID, n.Status)
		}
	}
	if _, ok, err := s.CacheGet("key-w3-007"); !ok || err != nil {
		t.Errorf("cache entry: %v, %v", ok, err)
	}
	// Bad records and a closed store surface in Wait.
	j.PutNode(&Node{ID: "no run"})
	if err := j.Wait(); err == nil {
		t.Error("Wait after a record without a run: no error")
	}
	mustClose(t, s)
	j = s.NewJournal()
	j.PutNode(&Node{Run: "run", ID: "late"})
	if err := j.Wait(); !errors.Is(err, ErrClosed) {
		t.Errorf("Wait on a closed store = %v, want ErrClosed", err)
	}
}

// A failing commit reaches Wait.
func TestJournalCommitError(t *testing.T) {
	s, err := Open(t.TempDir(), Options{maxDBSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, s)
	j := s.NewJournal()
	big := strings.Repeat("x", 64<<10)
	for i := 0; i < 64; i++ {
		j.PutNode(&Node{Run: "run", ID: fmt.Sprint(i), Error: big})
	}
	if err := j.Wait(); err == nil {
		t.Error("64 × 64 KiB records in a 1 MiB database: no error")
	}
}

// CacheGet keeps entries it read; every write to the cache bucket (put,
// journal, gc) must still show.
func TestCacheGetSeesWrites(t *testing.T) {
	s := open(t, t.TempDir())
	defer mustClose(t, s)
	get := func(key string) string {
		t.Helper()
		e, ok, err := s.CacheGet(key)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return ""
		}
		return e.Run + "/" + e.Node
	}
	if err := s.CachePut("k", CacheEntry{Run: "run0000", Node: "a", Created: t0}); err != nil {
		t.Fatal(err)
	}
	if got := get("k"); got != "run0000/a" {
		t.Fatalf("CacheGet = %q", got)
	}
	if err := s.CachePut("k", CacheEntry{Run: "run0001", Node: "b", Created: t0}); err != nil {
		t.Fatal(err)
	}
	if got := get("k"); got != "run0001/b" {
		t.Errorf("after CachePut: %q, want run0001/b", got)
	}
	j := s.NewJournal()
	j.CachePut("k", CacheEntry{Run: "run0002", Node: "c", Created: t0})
	if err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := get("k"); got != "run0002/c" {
		t.Errorf("after a journal put: %q, want run0002/c", got)
	}
	for _, id := range []string{"run0002", "run0003"} {
		if err := s.PutRun(&Run{ID: id, Status: "succeeded", Created: t0, Updated: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GC(GCOptions{KeepRuns: 1}); err != nil {
		t.Fatal(err)
	}
	if got := get("k"); got != "" {
		t.Errorf("after gc removed its run: %q, want no entry", got)
	}
}
