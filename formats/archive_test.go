package formats

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/internal/testenv"
)

func needFixture(t *testing.T, name string) string {
	t.Helper()
	return testenv.Fixture(t, name)
}

// treeOf maps every path under dir to its content ("dir/" for
// directories, "-> target" for symlinks).
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case rel == ".":
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "-> " + target
		case d.IsDir():
			out[rel] = "dir/"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExtractFixtures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		extract func(context.Context, string, string, ExtractLimits) error
	}{
		{"testZip.zip", ExtractZip},
		{"testTar.tar.gz", ExtractTarGz},
	} {
		src := needFixture(t, tc.name)
		dest := filepath.Join(t.TempDir(), "out")
		if err := tc.extract(context.Background(), src, dest, ExtractLimits{}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		tree := treeOf(t, dest)
		if len(tree) != 2 || len(tree["provision.retry"]) != 43 || len(tree["site.retry"]) != 15 {
			t.Errorf("%s extracted to %v", tc.name, keys(tree))
		}
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestArchiveRoundTrip(t *testing.T) {
	src := needFixture(t, "shapefile")
	want := treeOf(t, src)
	if len(want) != 5 {
		t.Fatalf("fixture has %d files", len(want))
	}
	for _, tc := range []struct {
		ext     string
		write   func(context.Context, string, string) error
		extract func(context.Context, string, string, ExtractLimits) error
		check   func(string) error
	}{
		{".zip", ZipDir, ExtractZip, CheckZip},
		{".tgz", TarGzDir, ExtractTarGz, CheckTarGz},
	} {
		work := t.TempDir()
		archive := filepath.Join(work, "shapefile"+tc.ext)
		if err := tc.write(context.Background(), src, archive); err != nil {
			t.Fatal(err)
		}
		if err := tc.check(archive); err != nil {
			t.Errorf("%s: %v", tc.ext, err)
		}
		members := archiveMembers(t, archive)
		if tc.ext == ".zip" {
			// Girder Worker's layout: files only, under the directory's name.
			wantMembers := []string{"shapefile/shapefile.cpg", "shapefile/shapefile.dbf", "shapefile/shapefile.prj", "shapefile/shapefile.shp", "shapefile/shapefile.shx"}
			if diff := cmp.Diff(wantMembers, members); diff != "" {
				t.Errorf("zip members (-want +got):\n%s", diff)
			}
		} else if members[0] != "shapefile/" || len(members) != 6 {
			t.Errorf("tgz members %v", members)
		}
		dest := filepath.Join(work, "out", "shapefile")
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := tc.extract(context.Background(), archive, dest, ExtractLimits{}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, treeOf(t, dest)); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", tc.ext, diff)
		}
		// Under another name the archive's top directory is kept.
		other := filepath.Join(work, "other")
		if err := tc.extract(context.Background(), archive, other, ExtractLimits{}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(other, "shapefile", "shapefile.shp")); err != nil {
			t.Errorf("%s into another name: %v", tc.ext, err)
		}
		if err := tc.extract(context.Background(), archive, dest, ExtractLimits{}); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("extracting over an existing dir: %v", err)
		}
	}
}

func TestArchiveKeepsSymlinksAndEmptyDirs(t *testing.T) {
	src := filepath.Join(t.TempDir(), "data")
	for _, d := range []string{"sub", "empty"} {
		if err := os.MkdirAll(filepath.Join(src, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "sub", "f.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub/f.txt", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	want := treeOf(t, src)
	for _, pair := range []struct {
		write   func(context.Context, string, string) error
		extract func(context.Context, string, string, ExtractLimits) error
	}{{ZipDir, ExtractZip}, {TarGzDir, ExtractTarGz}} {
		work := t.TempDir()
		archive := filepath.Join(work, "a")
		if err := pair.write(context.Background(), src, archive); err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(work, "data")
		if err := pair.extract(context.Background(), archive, dest, ExtractLimits{}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, treeOf(t, dest)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}

func archiveMembers(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			out = append(out, f.Name)
		}
		return out
	}
	tr, c, err := openTar(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		out = append(out, h.Name)
	}
	return out
}

// entry is one member of a hand-made malicious archive.
type entry struct {
	name, body, link string
	kind             byte // tar type flag; '0' file, '2' symlink, '1' hard link, '5' dir, '3' char device
}

func makeTarGz(t *testing.T, entries []entry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.kind, Mode: 0o644, Linkname: e.link}
		if e.kind == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.kind == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	tw.Close()
	gz.Close()
	p := filepath.Join(t.TempDir(), "evil.tgz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func makeZip(t *testing.T, entries []entry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		body := e.body
		switch e.kind {
		case tar.TypeSymlink:
			h.SetMode(fs.ModeSymlink | 0o777)
			body = e.link
		case tar.TypeDir:
			h.SetMode(fs.ModeDir | 0o755)
		default:
			h.SetMode(0o644)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "evil.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExtractRefusesMaliciousArchives(t *testing.T) {
	big := strings.Repeat("0", 10<<20) // compresses to ~10 KB: a small bomb
	cases := []struct {
		name    string
		entries []entry
		lim     ExtractLimits
		want    string
		tarOnly bool
	}{
		{"dotdot", []entry{{name: "ok.txt", body: "x", kind: tar.TypeReg}, {name: "../evil", body: "x", kind: tar.TypeReg}}, ExtractLimits{}, `member "../evil" points outside the archive`, false},
		{"nested dotdot", []entry{{name: "a/../../evil", body: "x", kind: tar.TypeReg}}, ExtractLimits{}, "points outside the archive", false},
		{"absolute", []entry{{name: "/tmp/evil", body: "x", kind: tar.TypeReg}}, ExtractLimits{}, `member "/tmp/evil" has an absolute path`, false},
		{"absolute symlink", []entry{{name: "link", link: "/etc/passwd", kind: tar.TypeSymlink}}, ExtractLimits{}, "is a symlink to an absolute path (/etc/passwd)", false},
		{"escaping symlink", []entry{{name: "sub/link", link: "../../outside", kind: tar.TypeSymlink}}, ExtractLimits{}, "is a symlink pointing outside the archive (../../outside)", false},
		{"symlink under symlink", []entry{
			{name: "d", link: ".", kind: tar.TypeSymlink},
			{name: "d/x", link: "../escape", kind: tar.TypeSymlink},
		}, ExtractLimits{}, "is a symlink inside a symlinked directory", false},
		{"write through symlink", []entry{
			{name: "d", link: "sub", kind: tar.TypeSymlink},
			{name: "d/x", body: "x", kind: tar.TypeReg},
		}, ExtractLimits{}, `member "d" symlink cannot be created`, false},
		{"hard link out", []entry{{name: "h", link: "../../etc/passwd", kind: tar.TypeLink}}, ExtractLimits{}, "is a hard link outside the archive", true},
		{"device", []entry{{name: "dev", kind: tar.TypeChar}}, ExtractLimits{}, "has an unsupported type", true},
		{"over size cap", []entry{{name: "zeros", body: big, kind: tar.TypeReg}}, ExtractLimits{MaxBytes: 1 << 20}, "more than 1.0 MiB", false},
		{"too many entries", []entry{{name: "a", body: "1", kind: tar.TypeReg}, {name: "b", body: "2", kind: tar.TypeReg}, {name: "c", body: "3", kind: tar.TypeReg}}, ExtractLimits{MaxEntries: 2}, "more than", false},
	}
	for _, tc := range cases {
		for _, format := range []string{"tgz", "zip"} {
			if format == "zip" && tc.tarOnly {
				continue
			}
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				var archive string
				extract := ExtractTarGz
				if format == "zip" {
					archive, extract = makeZip(t, tc.entries), ExtractZip
				} else {
					archive = makeTarGz(t, tc.entries)
				}
				work := t.TempDir()
				dest := filepath.Join(work, "inner", "out")
				if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
					t.Fatal(err)
				}
				err := extract(context.Background(), archive, dest, tc.lim)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.want)
				}
				var ae *ArchiveError
				if !errors.As(err, &ae) {
					t.Errorf("err is %T, want *ArchiveError", err)
				}
				if !strings.HasPrefix(err.Error(), "refusing to extract "+archive) {
					t.Errorf("message does not name the archive: %v", err)
				}
				// Nothing was written: no destination, no stray file.
				left, _ := os.ReadDir(filepath.Dir(dest))
				if len(left) != 0 {
					t.Errorf("left behind in the work dir: %v", left)
				}
				for _, p := range []string{filepath.Join(work, "evil"), filepath.Join(work, "inner", "evil"), filepath.Join(work, "escape")} {
					if _, err := os.Lstat(p); err == nil {
						t.Errorf("%s was written", p)
					}
				}
			})
		}
	}
}

func TestExtractRefusesLyingZip(t *testing.T) {
	// The central directory says 10 bytes; the data inflates to 1 MiB.
	var raw bytes.Buffer
	zw := zip.NewWriter(&raw)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "x", Method: zip.Store, UncompressedSize64: 10, CompressedSize64: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	archive := filepath.Join(t.TempDir(), "lie.zip")
	if err := os.WriteFile(archive, raw.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "out")
	if err := ExtractZip(context.Background(), archive, dest, ExtractLimits{MaxBytes: 1 << 10}); err == nil {
		t.Fatal("a zip whose data exceeds its declared size was extracted")
	}
	if _, err := os.Stat(dest); err == nil {
		t.Error("destination left behind")
	}
}

func TestExtractDeclaredSizeOverCap(t *testing.T) {
	archive := makeZip(t, []entry{{name: "zeros", body: strings.Repeat("0", 4096), kind: tar.TypeReg}})
	err := ExtractZip(context.Background(), archive, filepath.Join(t.TempDir(), "out"), ExtractLimits{MaxBytes: 1024})
	if err == nil || !strings.Contains(err.Error(), "declares more than 1.0 KiB") {
		t.Errorf("err = %v", err)
	}
}

func TestExtractCancelled(t *testing.T) {
	archive := makeTarGz(t, []entry{{name: "a", body: "1", kind: tar.TypeReg}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dest := filepath.Join(t.TempDir(), "out")
	if err := ExtractTarGz(ctx, archive, dest, ExtractLimits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestCheckArchives(t *testing.T) {
	notArchive := filepath.Join(t.TempDir(), "x.zip")
	if err := os.WriteFile(notArchive, []byte("plain text, not an archive at all......................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................."), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckZip(notArchive); err == nil {
		t.Error("CheckZip accepted text")
	}
	if err := CheckTarGz(notArchive); err == nil {
		t.Error("CheckTarGz accepted text")
	}
	if err := CheckZip(needFixture(t, "testZip.zip")); err != nil {
		t.Error(err)
	}
	if err := CheckTarGz(needFixture(t, "testTar.tar.gz")); err != nil {
		t.Error(err)
	}
}
