package converters

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/internal/testenv"
	"github.com/truss-dev/truss/modes"
	"github.com/truss-dev/truss/modes/python"
)

// runtimeRegistry holds the image, directory and python converters only.
func runtimeRegistry(t *testing.T) *Registry {
	t.Helper()
	r := New(formats.Default())
	addImage(r)
	addDirectory(r)
	addPython(r)
	return r
}

// pythonEnv returns an Env whose python mode can import modules (testenv
// finds such an interpreter, or skips — fails under TRUSS_REQUIRE_ALL=1).
func pythonEnv(t *testing.T, modules ...string) Env {
	t.Helper()
	m, err := python.New(python.Options{Executable: testenv.Python(t, modules...), Slots: 2, Preload: modules})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return Env{WorkDir: t.TempDir(), Modes: modes.Set{"python": m}}
}

func convertTo(t *testing.T, r *Registry, env Env, in formats.Value, to string) (formats.Value, error) {
	t.Helper()
	path, err := r.Path(in.Type, in.Format, to)
	if err != nil {
		t.Fatal(err)
	}
	return ConvertPath(context.Background(), env, path, in)
}

func hops(t *testing.T, r *Registry, typ, from, to string) string {
	t.Helper()
	path, err := r.Path(typ, from, to)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{from}
	for _, c := range path {
		names = append(names, c.To)
	}
	return strings.Join(names, "->")
}

func TestPickleConverters(t *testing.T) {
	r := runtimeRegistry(t)
	env := pythonEnv(t)
	// A python/object's bytes are already a pickle: the object → pickle
	// hop runs no python.
	if c, _ := r.Get("python", "object", "pickle"); c.Runtime != formats.RuntimeGo {
		t.Errorf("object -> pickle runs in %q, want Go", c.Runtime)
	}
	pickled, err := exec.Command("python3", "-c", "import pickle, sys; sys.stdout.buffer.write(pickle.dumps({'a': (1, 2.5)}))").Output()
	if err != nil {
		t.Fatal(err)
	}
	in := formats.Value{Type: "python", Format: "pickle", Bytes: pickled}
	b64, err := convertTo(t, r, env, in, "pickle.base64")
	if err != nil {
		t.Fatal(err)
	}
	back, err := convertTo(t, r, env, b64, "pickle")
	if err != nil || !bytes.Equal(back.Bytes, pickled) {
		t.Fatalf("pickle.base64 round trip: %v %v", back, err)
	}
	obj, err := convertTo(t, r, env, in, "object")
	if err != nil {
		t.Fatal(err)
	}
	if obj.Type != "python" || obj.Format != "object" || len(obj.Bytes) == 0 {
		t.Errorf("object = %v", obj)
	}
	again, err := convertTo(t, r, env, obj, "pickle.base64")
	if err != nil || len(again.Bytes) == 0 {
		t.Errorf("object -> pickle.base64: %v %v", again, err)
	}
	if got := hops(t, r, "python", "object", "pickle.base64"); got != "object->pickle->pickle.base64" {
		t.Errorf("path %s", got)
	}

	_, err = convertTo(t, r, env, formats.Value{Type: "python", Format: "pickle", Bytes: []byte("not a pickle")}, "object")
	if err == nil || !strings.Contains(err.Error(), "UnpicklingError") {
		t.Errorf("bad pickle: %v", err)
	}
}

// nodeLinkJSON is a networkx 1.x document with links by position.
const nodeLinkJSON = `{"directed": false, "graph": {"name": "g"}, "nodes": [{"id": "a", "colour": "red"}, {"id": "b"}, {"id": "c"}],
 "links": [{"source": 0, "target": 1, "weight": 2.5}, {"source": 1, "target": 2}], "multigraph": false}`

func TestNetworkxConverters(t *testing.T) {
	r := runtimeRegistry(t)
	env := pythonEnv(t, "networkx")
	in := formats.Value{Type: "graph", Format: "networkx.json", Bytes: []byte(nodeLinkJSON)}
	g, err := convertTo(t, r, env, in, "networkx")
	if err != nil {
		t.Fatal(err)
	}
	out, err := convertTo(t, r, env, g, "networkx.json")
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal([]byte(nodeLinkJSON), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Bytes, &got); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("networkx.json round trip (-want +got):\n%s", diff)
	}
	// Key order and separators as networkx 1.x under Python's json.dumps.
	if !strings.HasPrefix(string(out.Bytes), `{"directed": false, "graph": {"name": "g"}, "nodes": [{"colour": "red", "id": "a"}`) {
		t.Errorf("layout: %s", out.Bytes)
	}

	// networkx ≥ 2 documents (links by id) are read as well.
	v2 := `{"directed": true, "multigraph": true, "graph": {}, "nodes": [{"id": "x"}, {"id": "y"}], "links": [{"source": "x", "target": "y", "key": 0}, {"source": "x", "target": "y", "key": 1}]}`
	g2, err := convertTo(t, r, env, formats.Value{Type: "graph", Format: "networkx.json", Bytes: []byte(v2)}, "networkx")
	if err != nil {
		t.Fatal(err)
	}
	out2, err := convertTo(t, r, env, g2, "networkx.json")
	if err != nil {
		t.Fatal(err)
	}
	const want2 = `{"directed": true, "graph": {}, "nodes": [{"id": "x"}, {"id": "y"}], "links": [{"source": 0, "target": 1, "key": 0}, {"source": 0, "target": 1, "key": 1}], "multigraph": true}`
	if string(out2.Bytes) != want2 {
		t.Errorf("multigraph:\n got %s\nwant %s", out2.Bytes, want2)
	}
}

func TestNetworkxFixture(t *testing.T) {
	data, err := os.ReadFile(testenv.Fixture(t, "facebook-expected-networkx.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := runtimeRegistry(t)
	env := pythonEnv(t, "networkx")
	g, err := convertTo(t, r, env, formats.Value{Type: "graph", Format: "networkx.json", Bytes: data}, "networkx")
	if err != nil {
		t.Fatal(err)
	}
	out, err := convertTo(t, r, env, g, "networkx.json")
	if err != nil {
		t.Fatal(err)
	}
	// Nodes keep their order; networkx ≥ 2 lists an undirected graph's
	// edges in another order than 1.x did, so links compare as a set.
	want, got := undirectedDoc(t, data), undirectedDoc(t, out.Bytes)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("facebook graph round trip (-want +got):\n%s", diff)
	}
	if len(got.Links) != 300 || len(got.Nodes) != 159 {
		t.Errorf("%d nodes, %d links; want 159 and 300", len(got.Nodes), len(got.Links))
	}
}

type nodeLinkDoc struct {
	Directed, Multigraph bool
	Graph                map[string]any
	Nodes                []map[string]any
	Links                []string // "lo-hi" position pairs, sorted
}

func undirectedDoc(t *testing.T, data []byte) nodeLinkDoc {
	t.Helper()
	var raw struct {
		Directed   bool             `json:"directed"`
		Multigraph bool             `json:"multigraph"`
		Graph      map[string]any   `json:"graph"`
		Nodes      []map[string]any `json:"nodes"`
		Links      []struct {
			Source, Target int
		} `json:"links"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	d := nodeLinkDoc{Directed: raw.Directed, Multigraph: raw.Multigraph, Graph: raw.Graph, Nodes: raw.Nodes}
	for _, l := range raw.Links {
		d.Links = append(d.Links, fmt.Sprintf("%d-%d", min(l.Source, l.Target), max(l.Source, l.Target)))
	}
	slices.Sort(d.Links)
	return d
}

// testPNG is a 16x12 image whose right half is transparent.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 16, 12))
	for y := range 12 {
		for x := range 16 {
			a := uint8(255)
			if x >= 8 {
				a = 0
			}
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(15 * x), G: uint8(20 * y), B: 200, A: a})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImageConvertersGo(t *testing.T) {
	r := runtimeRegistry(t)
	raw := testPNG(t)
	in := formats.Value{Type: "image", Format: "png", Bytes: raw}
	b64, err := convertTo(t, r, Env{}, in, "png.base64")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b64.Bytes, []byte("iVBORw0KGgo")) || b64.Type != "image" || b64.Format != "png.base64" {
		t.Errorf("png.base64 = %.20s (%s/%s)", b64.Bytes, b64.Type, b64.Format)
	}
	back, err := convertTo(t, r, Env{}, b64, "png")
	if err != nil || !bytes.Equal(back.Bytes, raw) {
		t.Fatalf("base64 round trip: %v", err)
	}
	// Girder Worker went png → pil → jpeg through Python; Go does it now.
	if got := hops(t, r, "image", "png.base64", "jpeg"); got != "png.base64->png->jpeg" {
		t.Errorf("path %s", got)
	}
	if c, _ := r.Get("image", "png", "jpeg"); !c.Lossy {
		t.Error("png -> jpeg must be lossy")
	}
	jpg, err := convertTo(t, r, Env{}, in, "jpeg")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := formats.JPEGConfig(jpg.Bytes)
	if err != nil || cfg.Width != 16 || cfg.Height != 12 {
		t.Fatalf("jpeg: %+v %v", cfg, err)
	}
	back, err = convertTo(t, r, Env{}, jpg, "png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(back.Bytes))
	if err != nil {
		t.Fatal(err)
	}
	// The transparent half was put on white.
	if r, g, b, _ := img.At(15, 5).RGBA(); r>>8 < 245 || g>>8 < 245 || b>>8 < 245 {
		t.Errorf("transparent pixel became %d,%d,%d, want white", r>>8, g>>8, b>>8)
	}
	if _, err := convertTo(t, r, Env{}, formats.Value{Type: "image", Format: "png.base64", Bytes: []byte("!!!")}, "png"); err == nil {
		t.Error("bad base64 accepted")
	}
}

func TestImageConvertersPIL(t *testing.T) {
	r := runtimeRegistry(t)
	env := pythonEnv(t, "PIL")
	raw := testPNG(t)
	pil, err := convertTo(t, r, env, formats.Value{Type: "image", Format: "png", Bytes: raw}, "pil")
	if err != nil {
		t.Fatal(err)
	}
	if pil.Format != "pil" || len(pil.Bytes) == 0 {
		t.Fatalf("pil = %v", pil)
	}
	pngOut, err := Convert(context.Background(), env, mustGet(t, r, "image", "pil", "png"), pil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := png.Decode(bytes.NewReader(raw))
	b, err := png.Decode(bytes.NewReader(pngOut.Bytes))
	if err != nil {
		t.Fatal(err)
	}
	for y := range 12 {
		for x := range 16 {
			if ca, cb := color.NRGBAModel.Convert(a.At(x, y)), color.NRGBAModel.Convert(b.At(x, y)); ca != cb {
				t.Errorf("pixel %d,%d: %v != %v", x, y, ca, cb)
			}
		}
	}
	jpg, err := Convert(context.Background(), env, mustGet(t, r, "image", "pil", "jpeg"), pil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := formats.JPEGConfig(jpg.Bytes); err != nil {
		t.Fatalf("pil -> jpeg: %v", err)
	}
	fromJPEG, err := Convert(context.Background(), env, mustGet(t, r, "image", "jpeg", "pil"), jpg)
	if err != nil || len(fromJPEG.Bytes) == 0 {
		t.Fatalf("jpeg -> pil: %v", err)
	}
}

func mustGet(t *testing.T, r *Registry, typ, from, to string) *Converter {
	t.Helper()
	c, ok := r.Get(typ, from, to)
	if !ok {
		t.Fatalf("no converter %s/%s->%s", typ, from, to)
	}
	return c
}

func TestNetCDFConverter(t *testing.T) {
	r := runtimeRegistry(t)
	// A netCDF4 that fails to import stands in for a missing one.
	shadow := t.TempDir()
	if err := os.WriteFile(filepath.Join(shadow, "netCDF4.py"), []byte("raise ModuleNotFoundError(\"No module named 'netCDF4'\", name='netCDF4')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", shadow)
	env := pythonEnv(t)
	_, err := Convert(context.Background(), env, mustGet(t, r, "netcdf", "binary", "dataset"), formats.Value{Type: "netcdf", Format: "binary", Bytes: []byte("CDF\x01")})
	if err == nil || !strings.Contains(err.Error(), "python module netCDF4 is not installed (Debian: python3-netcdf4") {
		t.Errorf("err = %v", err)
	}
}
