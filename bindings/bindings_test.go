package bindings

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/spec"
)

func testTask() *spec.Task {
	return &spec.Task{
		Inputs: []*spec.Port{
			{Name: "x", Type: "number", Format: "number"},
			{Name: "label", Type: "string", Format: "string"},
			{Name: "table", Type: "table", Format: "rows"},
			{Name: "tree", Type: "tree", Format: "newick"},
			{Name: "list", Type: "number_list", Format: "number_list"},
			{Name: "any"},
		},
		Outputs: []*spec.Port{{Name: "out", Type: "table", Format: "rows"}},
	}
}

func TestInputFlags(t *testing.T) {
	reg := formats.Default()
	got, err := InputFlags(testTask(), reg, []string{
		"x=10", "label=10", "table=@data/flu.csv", "tree=(a:1,b:2);", "list=[1, 2.5]", "any=@notes.txt",
	}, "/base")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*spec.Binding{
		"x":     {Mode: "inline", Format: "number", Data: int64(10), HasData: true},
		"label": {Mode: "inline", Format: "string", Data: "10", HasData: true},
		"table": {Mode: "local", Path: "/base/data/flu.csv", Format: "csv"},
		"tree":  {Mode: "inline", Format: "newick", Data: "(a:1,b:2);", HasData: true},
		"list":  {Mode: "inline", Format: "number_list", Data: []any{int64(1), 2.5}, HasData: true},
		"any":   {Mode: "local", Path: "/base/notes.txt"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFlagErrors(t *testing.T) {
	reg := formats.Default()
	for _, tc := range []struct {
		in, out []string
		want    string
	}{
		{in: []string{"x"}, want: "expected NAME=VALUE or NAME=@PATH"},
		{in: []string{"tabl=1"}, want: `the spec has no input "tabl"; did you mean "table"?`},
		{in: []string{"zzzzzz=1"}, want: "(it has: x, label, table, tree, list, any)"},
		{in: []string{"list=[1,"}, want: "not a YAML value"},
		{out: []string{"out=xlsx"}, want: "unknown format table/xlsx (known table formats: column.names,"},
		{out: []string{"outt=csv"}, want: `no output "outt"; did you mean "out"?`},
	} {
		_, err := InputFlags(testTask(), reg, tc.in, "")
		if err == nil {
			_, err = OutputFlags(testTask(), reg, tc.out, "")
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: err = %v, want %q", tc.in, tc.out, err, tc.want)
		}
		if _, usage := err.(*UsageError); err != nil && !usage {
			t.Errorf("%v %v: %T is not a UsageError", tc.in, tc.out, err)
		}
	}
}

func TestOutputFlagsExtension(t *testing.T) {
	got, err := OutputFlags(testTask(), formats.Default(), []string{"out=@res/t.tsv"}, "/b")
	if err != nil {
		t.Fatal(err)
	}
	if b := got["out"]; b.Mode != "local" || b.Path != "/b/res/t.tsv" || b.Format != "tsv" {
		t.Errorf("binding = %+v", b)
	}
}

func TestModeDetection(t *testing.T) {
	for _, tc := range []struct {
		b    spec.Binding
		want string
	}{
		{spec.Binding{Data: 1, HasData: true}, "inline"},
		{spec.Binding{URL: "file://data/x.csv"}, "local"},
		{spec.Binding{URL: "https://example.org/x"}, "http"},
		{spec.Binding{URL: "girder://abc"}, "girder"},
		{spec.Binding{Mode: "local", URL: "https://x"}, "local"},
		{spec.Binding{Path: "x.csv"}, "local"},
	} {
		if got := Mode(&tc.b); got != tc.want {
			t.Errorf("Mode(%+v) = %s, want %s", tc.b, got, tc.want)
		}
	}
}

func TestFetchAndPush(t *testing.T) {
	ctx := context.Background()
	reg := formats.Default()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.csv"), []byte("a,b\n1,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	port := &spec.Port{Name: "t", Type: "table", Format: "rows"}
	// file:// URLs are relative to the base directory, as in Girder Worker.
	v, err := Fetch(ctx, reg, &spec.Binding{URL: "file://t.csv", Format: "csv"}, port, dir)
	if err != nil {
		t.Fatal(err)
	}
	if v.Format != "csv" || string(v.Bytes) != "a,b\n1,x\n" {
		t.Errorf("fetched %v %q", v, v.Bytes)
	}
	// Inline structured data for a JSON text format is written as JSON.
	v, err = Fetch(ctx, reg, &spec.Binding{Format: "rows.json", Data: map[string]any{"fields": []any{"a"}, "rows": []any{}}, HasData: true}, port, dir)
	if err != nil || string(v.Bytes) != `{"fields":["a"],"rows":[]}` {
		t.Errorf("rows.json from structured data: %q, %v", v.Bytes, err)
	}
	// Inline rows become *formats.Rows.
	v, err = Fetch(ctx, reg, &spec.Binding{Data: map[string]any{"fields": []any{"a"}, "rows": []any{map[string]any{"a": 1}}}, HasData: true}, port, dir)
	if r, ok := v.Data.(*formats.Rows); err != nil || !ok || len(r.Rows) != 1 {
		t.Errorf("inline rows: %#v, %v", v.Data, err)
	}
	// Errors name the problem.
	if _, err := Fetch(ctx, reg, &spec.Binding{Path: "nope.csv", Format: "csv"}, port, dir); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Fetch(ctx, reg, &spec.Binding{URL: "ftp://x/y"}, port, dir); err == nil || !strings.Contains(err.Error(), `input mode "ftp" is not supported yet`) {
		t.Errorf("unknown mode: %v", err)
	}
	if _, err := Fetch(ctx, reg, &spec.Binding{Format: "png", Data: []any{1}, HasData: true}, &spec.Port{Name: "i", Type: "image", Format: "png"}, dir); err == nil {
		t.Error("a list for binary data should fail")
	}
	// Push writes data as JSON, text as it is.
	out := filepath.Join(dir, "sub", "o.json")
	if err := Push(ctx, formats.Value{Type: "number", Format: "number", Data: 2.0}, &spec.Binding{Mode: "local", Path: out}, reg, ""); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "2.0\n" {
		t.Errorf("pushed %q", b)
	}
}

func TestToJSON(t *testing.T) {
	reg := formats.Default()
	for _, tc := range []struct {
		v    formats.Value
		want JSONValue
	}{
		{formats.Value{Type: "number", Format: "number", Data: int64(3)}, JSONValue{Type: "number", Format: "number", Data: RawJSON("3")}},
		{formats.Value{Type: "table", Format: "csv", Bytes: []byte("a\n1\n")}, JSONValue{Type: "table", Format: "csv", Data: RawJSON(`"a\n1\n"`)}},
		{formats.Value{Type: "image", Format: "png", Bytes: []byte{0x89, 'P'}}, JSONValue{Type: "image", Format: "png", Data: RawJSON(`"iVA="`), Encoding: "base64"}},
		{formats.Value{Type: "directory", Format: "path", Path: "/tmp/x"}, JSONValue{Type: "directory", Format: "path", Path: "/tmp/x"}},
	} {
		got, err := ToJSON(reg, tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.v, diff)
		}
	}
}
