// Package dockertest gives the docker mode's tests local images to run.
// No registry is reachable where the tests run, so nothing is pulled: the
// images are made here from a root filesystem tar built in memory (the
// static gwtest program of internal/testimage/gwtest, plus busybox) and
// loaded with `docker import`. Each is tagged with a hash of its content,
// so an unchanged image is reused across runs and test packages, and a
// changed gwtest gets a new tag instead of a stale image.
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truss-dev/truss/internal/testenv"
)

// Label is set (to "1") on the images made here; remove them all with
// `docker image rm $(docker images -q --filter label=truss.test)`.
const Label = "truss.test"

const (
	gwRepo      = "truss-test/gw"
	busyboxRepo = "truss-test/busybox"
)

// busyboxApplets get a /bin symlink to busybox in the images.
var busyboxApplets = []string{
	"[", "cat", "cp", "dd", "echo", "env", "false", "grep", "head", "id",
	"ls", "mkdir", "mkfifo", "printf", "rm", "sed", "sh", "sha256sum",
	"sleep", "tail", "test", "touch", "tr", "true", "wc",
}

// The results are cached per process because making an image costs a go
// build and a docker import: package-level state is acceptable in a test
// helper. Failures are cached too, and reported to every test that asks.
var (
	dockerOnce, gwOnce, busyboxOnce sync.Once
	dockerPath, gwRef, busyboxRef   string
	dockerErr, gwErr, busyboxErr    error
)

// Image returns the reference of the local test image (built on first use;
// reused when an image with the same content already exists). Its
// entrypoint is /gwtest, so `docker run IMAGE stdio` runs `gwtest stdio`;
// busybox (sh, cat, …) is in /bin.
func Image(t testing.TB) string {
	t.Helper()
	docker := Docker(t)
	gwOnce.Do(func() { gwRef, gwErr = makeImage(docker, true) })
	check(t, gwErr)
	return gwRef
}

// Busybox returns the reference of a minimal image holding only busybox
// (sh, cat, true, …), without gwtest; its command is sh.
func Busybox(t testing.TB) string {
	t.Helper()
	docker := Docker(t)
	busyboxOnce.Do(func() { busyboxRef, busyboxErr = makeImage(docker, false) })
	check(t, busyboxErr)
	return busyboxRef
}

// Docker returns the path of a docker CLI whose daemon answers, or skips
// t (fails it when TRUSS_REQUIRE_ALL=1).
func Docker(t testing.TB) string {
	t.Helper()
	dockerOnce.Do(func() { dockerPath, dockerErr = findDocker() })
	check(t, dockerErr)
	return dockerPath
}

// Run runs the docker CLI with args and returns its stdout; on failure it
// fails t with docker's stderr. Call it from the test's goroutine.
func Run(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(Docker(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out)
}

// Leftovers returns the IDs of all containers, running or not, that carry
// label ("key" or "key=value"), so a suite can assert it left none behind.
func Leftovers(t testing.TB, label string) []string {
	t.Helper()
	return strings.Fields(Run(t, "ps", "-a", "-q", "--no-trunc", "--filter", "label="+label))
}

// unavailable is something the machine lacks: it skips rather than fails
// (unless TRUSS_REQUIRE_ALL=1). Other errors fail the test.
type unavailable string

func (u unavailable) Error() string { return string(u) }

func check(t testing.TB, err error) {
	t.Helper()
	var u unavailable
	switch {
	case err == nil:
	case errors.As(err, &u):
		testenv.Unavailable(t, "%s", u)
	default:
		t.Fatal(err)
	}
}

func findDocker() (string, error) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		return "", unavailable("the docker CLI is not on PATH (Debian: apt-get install docker.io)")
	}
	// A timeout, since an unreachable DOCKER_HOST can hang.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, docker, "version", "--format", "{{.Server.Version}} {{.Server.Os}}/{{.Server.Arch}}")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", unavailable(fmt.Sprintf("the docker daemon does not answer `docker version` (%v: %s); start it (systemctl start docker) and let this user use it (docker group)",
			err, bytes.TrimSpace(stderr.Bytes())))
	}
	// The image holds binaries of this machine, so the daemon must run
	// them natively.
	fields := strings.Fields(string(out))
	if want := "linux/" + runtime.GOARCH; len(fields) != 2 || fields[1] != want {
		return "", unavailable(fmt.Sprintf("the docker daemon reports %q; the test images need a %s daemon", strings.TrimSpace(string(out)), want))
	}
	return docker, nil
}

// makeImage makes the gwtest image (withGwtest) or the busybox-only one
// unless an image of the same content is already there.
func makeImage(docker string, withGwtest bool) (string, error) {
	busybox, err := findBusybox()
	if err != nil {
		return "", err
	}
	files := baseFiles(busybox)
	repo := busyboxRepo
	changes := []string{`CMD ["sh"]`}
	if withGwtest {
		gwtest, err := buildGwtest()
		if err != nil {
			return "", err
		}
		files = append(files, file{name: "gwtest", mode: 0o755, data: gwtest})
		repo = gwRepo
		changes = []string{`ENTRYPOINT ["/gwtest"]`}
	}
	// An imported image has no environment: without PATH, `--entrypoint
	// sh` would depend on the daemon's default.
	changes = append(changes, "ENV PATH=/bin", "LABEL "+Label+"=1")
	tarball, err := rootfs(files)
	if err != nil {
		return "", err
	}
	// The changes are part of the image too, so they are hashed with it.
	h := sha256.New()
	h.Write(tarball)
	for _, c := range changes {
		h.Write([]byte("\x00" + c))
	}
	ref := repo + ":" + hex.EncodeToString(h.Sum(nil))[:12]

	if exec.Command(docker, "image", "inspect", "--format", "{{.Id}}", ref).Run() == nil {
		return ref, nil
	}
	// Concurrent test binaries may both import: same content, same tag,
	// so the loser only leaves an untagged duplicate.
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	cmd := exec.Command(docker, append(args, "-", ref)...)
	cmd.Stdin = bytes.NewReader(tarball)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("docker import %s: %v\n%s", ref, err, out)
	}
	return ref, nil
}

// findBusybox returns busybox's contents. It must be static: the image has
// no libc.
func findBusybox() ([]byte, error) {
	candidates := []string{"/bin/busybox"}
	if p, err := exec.LookPath("busybox"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if isStatic(c) {
			return os.ReadFile(c)
		}
	}
	return nil, unavailable("no statically linked busybox at /bin/busybox or on PATH (Debian: apt-get install busybox-static)")
}

func isStatic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP { // static-pie has PT_DYNAMIC but no interpreter
			return false
		}
	}
	return true
}

// buildGwtest builds internal/testimage/gwtest as a static linux binary.
// -trimpath and -buildvcs=false keep the binary, hence the image tag,
// independent of the checkout's location and git state.
func buildGwtest() ([]byte, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return nil, unavailable("the go command is not on PATH; it is needed to build the gwtest test image")
	}
	root, err := moduleRoot(goTool)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dockertest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "gwtest")
	cmd := exec.Command(goTool, "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", bin, "./internal/testimage/gwtest")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		// gwtest is ours: a failed build is a bug, not a missing tool.
		return nil, fmt.Errorf("building gwtest: %v\n%s", err, out)
	}
	return os.ReadFile(bin)
}

// moduleRoot finds the directory of truss's go.mod: above this source
// file, or, when the path was trimmed, as `go env GOMOD` in the working
// directory (a package directory of the module under test).
func moduleRoot(goTool string) (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		for dir := filepath.Dir(file); ; {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	out, err := exec.Command(goTool, "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("dockertest: cannot find truss's go.mod (go env GOMOD: %q, %v)", gomod, err)
	}
	return filepath.Dir(gomod), nil
}

// file is one entry of the image's root filesystem.
type file struct {
	name string // without a leading slash
	mode int64
	dir  bool
	link string // symlink target
	data []byte
}

func baseFiles(busybox []byte) []file {
	files := []file{
		{name: "bin", dir: true, mode: 0o755},
		{name: "etc", dir: true, mode: 0o755},
		{name: "mnt", dir: true, mode: 0o755},
		{name: "tmp", dir: true, mode: 0o1777},
		{name: "bin/busybox", mode: 0o755, data: busybox},
		{name: "etc/passwd", mode: 0o644, data: []byte(
			"root:x:0:0:root:/root:/bin/sh\n" +
				"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")},
		{name: "etc/group", mode: 0o644, data: []byte(
			"root:x:0:\n" +
				"nobody:x:65534:\n")},
	}
	for _, applet := range busyboxApplets {
		files = append(files, file{name: "bin/" + applet, mode: 0o777, link: "busybox"})
	}
	return files
}

// rootfs writes files as a tar, deterministically (sorted, so parents come
// first; fixed times and owners), so equal content gives an equal hash.
func rootfs(files []file) ([]byte, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	mtime := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: f.mode, ModTime: mtime, Format: tar.FormatUSTAR}
		switch {
		case f.dir:
			hdr.Typeflag, hdr.Name = tar.TypeDir, f.name+"/"
		case f.link != "":
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, f.link
		default:
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
