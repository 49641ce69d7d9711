package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truss-dev/truss/internal/testenv"
)

// TestDiskFullFailsRunThenResumeCompletes puts the store on a small tmpfs,
// fills it, runs a step whose output does not fit (the run fails with a
// clear message), frees the space and resumes.
func TestDiskFullFailsRunThenResumeCompletes(t *testing.T) {
	if os.Getuid() != 0 {
		testenv.Unavailable(t, "mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	if err := os.MkdirAll(store, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", store).CombinedOutput(); err != nil {
		testenv.Unavailable(t, "cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", store).Run() })

	spec := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(spec, []byte(`mode: workflow
inputs: [{name: n, type: integer, format: integer}]
outputs: [{name: size, type: integer, format: integer, from: measure.size}]
steps:
  - name: make
    in: {n: n}
    task: {script: "text = 'x' * n", inputs: [{name: n, type: integer, format: integer}], outputs: [{name: text, type: string, format: text}]}
  - name: measure
    in: {text: make.text}
    task: {script: "size = len(text)", inputs: [{name: text, type: string, format: text}], outputs: [{name: size, type: integer, format: integer}]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A first small run creates the database; then a filler leaves too little room.
	if o := trussStore(t, store, "run", spec, "-i", "n=10"); o.code != 0 {
		t.Fatalf("warm-up run: exit %d\n%s", o.code, o.stderr)
	}
	filler := filepath.Join(store, "filler")
	var free int64 = 4 << 20
	if out, err := exec.Command("df", "--output=avail", "-B1", store).Output(); err == nil {
		lines := strings.Fields(string(out))
		if len(lines) == 2 {
			if _, err := fmt.Sscan(lines[1], &free); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filler, bytes.Repeat([]byte{0}, int(free-200<<10)), 0o644); err != nil {
		t.Fatalf("filling the tmpfs: %v", err)
	}
	o := trussStore(t, store, "run", spec, "-i", "n=1000000")
	if o.code != 1 || !strings.Contains(o.stderr, "no space left on device") {
		t.Fatalf("run on a full disk: exit %d, want 1 with a disk-full message\n%s", o.code, o.stderr)
	}
	id := runID(t, o.stderr)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	o = trussStore(t, store, "resume", id)
	if o.code != 0 || !strings.Contains(o.stdout, "size: 1000000") {
		t.Fatalf("resume after freeing space: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
}
