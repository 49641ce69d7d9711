package validators

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/modes/python"
)

// runtimeValidators holds the image, directory and python validators only.
func runtimeValidators() *Registry {
	r := New(formats.Default())
	addImage(r)
	addDirectory(r)
	addPython(r)
	return r
}

// pyEnv returns an Env whose python mode can import modules (testenv
// finds such an interpreter, or skips — fails under TRUSS_REQUIRE_ALL=1).
func pyEnv(t *testing.T, modules ...string) converters.Env {
	t.Helper()
	m, err := python.New(python.Options{Executable: testenv.Python(t, modules...), Slots: 2, Preload: modules})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return converters.Env{WorkDir: t.TempDir(), Modes: modes.Set{"python": m}}
}

// pickleOf pickles the value of a Python expression with exe.
func pickleOf(t *testing.T, exe, imports, expr string) []byte {
	t.Helper()
	out, err := exec.Command(exe, "-c", imports+"\nimport pickle, sys\nsys.stdout.buffer.write(pickle.dumps("+expr+"))").Output()
	if err != nil {
		t.Fatalf("pickling %s: %v", expr, err)
	}
	return out
}

func validate(t *testing.T, r *Registry, env converters.Env, typ, format string, v formats.Value) error {
	t.Helper()
	v.Type, v.Format = typ, format
	return r.Validate(context.Background(), env, v)
}

func TestPythonObjectValidator(t *testing.T) {
	r := runtimeValidators()
	env := pyEnv(t)
	if err := validate(t, r, env, "python", "object", formats.Value{Bytes: pickleOf(t, "python3", "", "{'a': 1}")}); err != nil {
		t.Errorf("valid object: %v", err)
	}
	err := validate(t, r, env, "python", "object", formats.Value{Bytes: []byte("garbage")})
	if err == nil || !strings.Contains(err.Error(), `input "input"`) {
		t.Errorf("garbage object: %v", err)
	}
}

func TestRuntimeObjectValidators(t *testing.T) {
	r := runtimeValidators()
	env := pyEnv(t, "networkx", "PIL")
	py := testenv.Python(t, "networkx", "PIL")
	graph := pickleOf(t, py, "import networkx", "networkx.path_graph(3)")
	img := pickleOf(t, py, "from PIL import Image", "Image.new('RGB', (2, 2))")
	dict := pickleOf(t, py, "", "{}")
	if err := validate(t, r, env, "graph", "networkx", formats.Value{Bytes: graph}); err != nil {
		t.Errorf("graph: %v", err)
	}
	if err := validate(t, r, env, "image", "pil", formats.Value{Bytes: img}); err != nil {
		t.Errorf("pil: %v", err)
	}
	if err := validate(t, r, env, "graph", "networkx", formats.Value{Bytes: img}); err == nil || err.Error() != "expected a networkx graph, got PIL.Image.Image" {
		t.Errorf("image as graph: %v", err)
	}
	if err := validate(t, r, env, "image", "pil", formats.Value{Bytes: dict}); err == nil || err.Error() != "expected a PIL image, got builtins.dict" {
		t.Errorf("dict as image: %v", err)
	}
}

// shadowModules puts modules that fail to import ahead of the real ones on
// PYTHONPATH, so "module not installed" paths are tested whatever the
// machine has installed. Python processes started afterwards see them.
func shadowModules(t *testing.T, names ...string) {
	dir := t.TempDir()
	for _, n := range names {
		src := fmt.Sprintf("raise ModuleNotFoundError(\"No module named '%s'\", name=%q)\n", n, n)
		if err := os.WriteFile(filepath.Join(dir, n+".py"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PYTHONPATH", dir)
}

func TestMissingModuleMessages(t *testing.T) {
	r := runtimeValidators()
	py := testenv.Python(t, "networkx")
	dataset := pickleOf(t, py, "", "None")
	graph := pickleOf(t, py, "import networkx", "networkx.path_graph(3)")
	shadowModules(t, "netCDF4", "networkx")
	env := pyEnv(t)
	err := validate(t, r, env, "netcdf", "dataset", formats.Value{Bytes: dataset})
	if err == nil || err.Error() != "python module netCDF4 is not installed (Debian: python3-netcdf4; pip: netCDF4)" {
		t.Errorf("netCDF4: err = %v", err)
	}
	err = validate(t, r, env, "graph", "networkx", formats.Value{Bytes: graph})
	if err == nil || !strings.Contains(err.Error(), "python module networkx is not installed (Debian: python3-networkx; pip: networkx)") {
		t.Errorf("networkx: err = %v", err)
	}
}

func TestPickleValidators(t *testing.T) {
	r := runtimeValidators()
	env := converters.Env{}
	p := []byte("\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01.")
	if err := validate(t, r, env, "python", "pickle", formats.Value{Bytes: p}); err != nil {
		t.Error(err)
	}
	if err := validate(t, r, env, "python", "pickle.base64", formats.Value{Bytes: formats.EncodeBase64(p)}); err != nil {
		t.Error(err)
	}
	for _, bad := range []formats.Value{{Bytes: []byte("text")}, {Bytes: []byte{}}, {Data: "a string"}} {
		if err := validate(t, r, env, "python", "pickle", bad); err == nil {
			t.Errorf("%v accepted as a pickle", bad)
		}
	}
	if err := validate(t, r, env, "python", "pickle.base64", formats.Value{Bytes: []byte("@@@")}); err == nil {
		t.Error("bad base64 accepted")
	}
}

func TestNetCDFBinaryValidator(t *testing.T) {
	r := runtimeValidators()
	hdf5 := append(make([]byte, 512), []byte("\x89HDF\r\n\x1a\nrest")...)
	for _, ok := range [][]byte{[]byte("CDF\x01...."), []byte("CDF\x02"), []byte("\x89HDF\r\n\x1a\n"), hdf5} {
		if err := validate(t, r, converters.Env{}, "netcdf", "binary", formats.Value{Bytes: ok}); err != nil {
			t.Errorf("%q: %v", ok[:min(8, len(ok))], err)
		}
	}
	if err := validate(t, r, converters.Env{}, "netcdf", "binary", formats.Value{Bytes: []byte("CDF\x09")}); err == nil {
		t.Error("bad netCDF accepted")
	}
}

func TestImageValidators(t *testing.T) {
	r := runtimeValidators()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 3))); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	jpg, err := formats.PNGToJPEG(raw, 75)
	if err != nil {
		t.Fatal(err)
	}
	env := converters.Env{}
	for _, tc := range []struct {
		format string
		v      formats.Value
		want   string // "" valid
	}{
		{"png", formats.Value{Bytes: raw}, ""},
		{"png", formats.Value{Bytes: jpg}, "not a PNG image (no PNG signature; it is a JPEG)"},
		{"png", formats.Value{Data: "text"}, "not a PNG image"},
		{"png", formats.Value{Data: int64(3)}, "expected bytes, got integer"},
		{"jpeg", formats.Value{Bytes: jpg}, ""},
		{"jpeg", formats.Value{Bytes: raw}, "not a JPEG image"},
		{"jpeg", formats.Value{Bytes: []byte{0xff, 0xd8, 0xff, 0}}, "broken JPEG header"},
		{"png.base64", formats.Value{Bytes: formats.EncodeBase64(raw)}, ""},
		{"png.base64", formats.Value{Bytes: []byte("!!")}, "invalid base64"},
		{"png.base64", formats.Value{Bytes: formats.EncodeBase64(jpg)}, "not a PNG image"},
	} {
		err := validate(t, r, env, "image", tc.format, tc.v)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s %v: err = %v, want %q", tc.format, tc.v, err, tc.want)
		}
	}
}

func TestDirectoryValidators(t *testing.T) {
	r := runtimeValidators()
	env := converters.Env{}
	dir := t.TempDir()
	file := filepath.Join(dir, "f.zip")
	if err := os.WriteFile(file, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	fixtures := filepath.Dir(testenv.Fixture(t, "testZip.zip"))
	for _, tc := range []struct {
		format string
		v      formats.Value
		want   string
	}{
		{"path", formats.Value{Path: dir}, ""},
		{"path", formats.Value{Path: file}, "is not a directory"},
		{"path", formats.Value{Path: filepath.Join(dir, "missing")}, "no such file or directory"},
		{"path", formats.Value{Data: "x"}, "expected a directory path, got string"},
		{"zip", formats.Value{Path: filepath.Join(fixtures, "testZip.zip")}, ""},
		{"zip", formats.Value{Path: file}, "is not a zip archive"},
		{"zip", formats.Value{Path: dir}, "is not a regular file"},
		{"tgz", formats.Value{Path: filepath.Join(fixtures, "testTar.tar.gz")}, ""},
		{"tgz", formats.Value{Path: filepath.Join(fixtures, "testZip.zip")}, "is not a tar archive"},
	} {
		if tc.want == "" {
			if _, err := os.Stat(tc.v.Path); err != nil {
				continue // fixture missing
			}
		}
		err := validate(t, r, env, "directory", tc.format, tc.v)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s %v: err = %v, want %q", tc.format, tc.v, err, tc.want)
		}
	}
}
