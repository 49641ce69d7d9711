package converters

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
)

func dirFixture(t *testing.T, name string) string {
	t.Helper()
	return testenv.Fixture(t, name)
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDirectoryConverters(t *testing.T) {
	r := runtimeRegistry(t)
	src := dirFixture(t, "shapefile")
	want := readTree(t, src)
	env := Env{WorkDir: t.TempDir()}
	in := formats.Value{Type: "directory", Format: "path", Path: src}

	zipped, err := convertTo(t, r, env, in, "zip")
	if err != nil {
		t.Fatal(err)
	}
	if zipped.Path != filepath.Join(env.WorkDir, "shapefile.zip") || zipped.Format != "zip" {
		t.Errorf("zip written to %s (%s)", zipped.Path, zipped.Format)
	}
	back, err := convertTo(t, r, env, zipped, "path")
	if err != nil {
		t.Fatal(err)
	}
	if back.Path != filepath.Join(env.WorkDir, "shapefile") {
		t.Errorf("extracted to %s", back.Path)
	}
	if got := readTree(t, back.Path); len(got) != 5 || got["shapefile.shp"] != want["shapefile.shp"] {
		t.Errorf("zip round trip gave %v", got)
	}

	// zip → tgz goes through path; the name taken is kept, under a fresh dir.
	if got := hops(t, r, "directory", "zip", "tgz"); got != "zip->path->tgz" {
		t.Errorf("path %s", got)
	}
	tgz, err := convertTo(t, r, env, zipped, "tgz")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(tgz.Path) != "shapefile.tgz" {
		t.Errorf("tgz = %s", tgz.Path)
	}
	again, err := convertTo(t, r, env, tgz, "path")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(again.Path) != "shapefile" || again.Path == back.Path {
		t.Errorf("second extraction to %s (first %s)", again.Path, back.Path)
	}
	if got := readTree(t, again.Path); len(got) != 5 || got["shapefile.dbf"] != want["shapefile.dbf"] {
		t.Errorf("tgz round trip gave %v", got)
	}
	// The input was never touched.
	if got := readTree(t, src); len(got) != len(want) {
		t.Errorf("fixture changed: %v", got)
	}
}

func TestDirectoryFixtures(t *testing.T) {
	r := runtimeRegistry(t)
	for name, dir := range map[string]string{"testZip.zip": "testZip", "testTar.tar.gz": "testTar"} {
		format := "zip"
		if strings.HasSuffix(name, ".gz") {
			format = "tgz"
		}
		env := Env{WorkDir: t.TempDir()}
		out, err := convertTo(t, r, env, formats.Value{Type: "directory", Format: format, Path: dirFixture(t, name)}, "path")
		if err != nil {
			t.Fatal(err)
		}
		if out.Path != filepath.Join(env.WorkDir, dir) {
			t.Errorf("%s extracted to %s", name, out.Path)
		}
		if got := readTree(t, out.Path); len(got["provision.retry"]) != 43 || len(got["site.retry"]) != 15 || len(got) != 2 {
			t.Errorf("%s: %v", name, got)
		}
	}
}

func TestDirectoryExtractLimit(t *testing.T) {
	r := runtimeRegistry(t)
	env := Env{WorkDir: t.TempDir(), MaxExtractBytes: 10}
	_, err := convertTo(t, r, env, formats.Value{Type: "directory", Format: "zip", Path: dirFixture(t, "testZip.zip")}, "path")
	if err == nil || !strings.Contains(err.Error(), "refusing to extract") || !strings.Contains(err.Error(), "zip bomb?") {
		t.Errorf("err = %v", err)
	}
	if _, err := convertTo(t, r, Env{}, formats.Value{Type: "directory", Format: "path", Path: t.TempDir()}, "zip"); err == nil || !strings.Contains(err.Error(), "need a work dir") {
		t.Errorf("no work dir: %v", err)
	}
}

func TestArchiveStem(t *testing.T) {
	for in, want := range map[string]string{
		"/a/x.zip": "x", "x.tar.gz": "x", "x.TGZ": "x", "x.tar.bz2": "x", "x.tar": "x", "noext": "noext", "a.b.zip": "a.b", ".zip": ".zip",
	} {
		if got := archiveStem(in); got != want {
			t.Errorf("archiveStem(%q) = %q, want %q", in, got, want)
		}
	}
}
