// Package testenv finds the external tools integration tests use. A missing
// tool skips the test with a message locally, and fails it when
// TRUSS_REQUIRE_ALL=1 (CI installs everything, so nothing may skip there).
package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireTool skips or fails t, per TRUSS_REQUIRE_ALL, with a message.
func requireTool(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("TRUSS_REQUIRE_ALL") == "1" {
		t.Fatalf("required tool missing (TRUSS_REQUIRE_ALL=1): "+format, args...)
	}
	t.Skipf("skipping: "+format+" (run `make deps`)", args...)
}

// Tool returns the path of an executable on PATH.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		requireTool(t, "%s is not installed", name)
	}
	return p
}

// Python returns a python3 that can import every module given. Debian's
// python3-* packages serve /usr/bin/python3, which may not be the python3
// first on PATH, so both are tried.
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	candidates := []string{}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, "/usr/bin/python3")
	script := "import sys"
	for _, m := range modules {
		script += "; import " + m
	}
	// Print the interpreter's own path: a version manager's shim (pyenv)
	// costs hundreds of milliseconds per start, which would distort every
	// timing that involves starting python.
	script += "; print(sys.executable)"
	for _, c := range candidates {
		if out, err := exec.Command(c, "-c", script).Output(); err == nil {
			if exe := strings.TrimSpace(string(out)); exe != "" {
				return exe
			}
			return c
		}
	}
	if len(modules) == 0 {
		requireTool(t, "python3 is not installed")
	}
	pkgs := make([]string, len(modules))
	for i, m := range modules {
		pkgs[i] = "python3-" + strings.ToLower(m)
	}
	requireTool(t, "no python3 here imports %s (Debian: %s)", strings.Join(modules, ", "), strings.Join(pkgs, " "))
	return ""
}

// Unavailable skips t with a message, or fails it when TRUSS_REQUIRE_ALL=1:
// for anything a test needs that the machine may lack.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	requireTool(t, format, args...)
}

// Fixture returns the path of one of the shared Girder Worker fixtures
// (../shared/fixtures/girder_worker beside the repository).
func Fixture(t testing.TB, name string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "..", "shared", "fixtures", "girder_worker", name)
	if _, err := os.Stat(p); err != nil {
		requireTool(t, "fixture %s is missing: %v", name, err)
	}
	return p
}

// moduleRoot walks up from the working directory (a package directory
// under test) to the directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}
