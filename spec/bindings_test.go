package spec

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestLoadBindings(t *testing.T) {
	want := map[string]*Binding{
		"x": {Format: "number", Data: int64(10), HasData: true,
			Fields: map[string]any{"format": "number", "data": int64(10)}},
		"table": {Mode: "local", Path: "data/flu.csv", Format: "csv",
			Fields: map[string]any{"mode": "local", "path": "data/flu.csv", "format": "csv"}},
		"tree": {URL: "https://example.org/anolis.nwk", Format: "newick",
			Fields: map[string]any{"url": "https://example.org/anolis.nwk", "format": "newick"}},
		"img": {Mode: "girder", Name: "img.png", Format: "png",
			Fields: map[string]any{"mode": "girder", "api_url": "https://girder.example/api/v1", "token": "abc",
				"id": "5f00", "name": "img.png", "format": "png"}},
		"nothing": {Format: "json", Data: nil, HasData: true,
			Fields: map[string]any{"format": "json", "data": nil}},
	}
	for _, file := range []string{"inputs.yaml", "inputs.json"} {
		t.Run(file, func(t *testing.T) {
			got, ds := LoadBindings(filepath.Join("testdata", "bindings", file))
			if len(ds) > 0 {
				t.Fatalf("diagnostics:\n%v", ds)
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreTypes(Pos{})); diff != "" {
				t.Errorf("bindings (-want +got):\n%s", diff)
			}
		})
	}
	got, _ := LoadBindings(filepath.Join("testdata", "bindings", "inputs.yaml"))
	if p := got["table"].Pos; p != (Pos{File: "testdata/bindings/inputs.yaml", Line: 2, Col: 8}) {
		t.Errorf("table binding at %v, want testdata/bindings/inputs.yaml:2:8", p)
	}
}

func TestBindingDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"empty file binds nothing", "", nil},
		{"bare value", "x: 10\ny: {fromat: csv, data: a}\n", []string{
			"b.yaml:1:4: binding for x must be a map like {format: number, data: 10}, not an integer (a bare value goes on the command line: -i x=VALUE)",
			"b.yaml:2:5: unknown key fromat in binding for y; did you mean format?",
		}},
		{"list", "- x\n", []string{
			"b.yaml:1:1: a bindings file maps port names to bindings, like {x: {format: number, data: 10}}; this one holds a list",
		}},
		{"wrong kinds", "x: {format: [csv], path: 3, mode: local}\n", []string{
			"b.yaml:1:13: binding for x: format must be a string, not a list",
			"b.yaml:1:26: binding for x: path must be a string, not an integer",
		}},
		{"json syntax", "{\"x\": {\"format\": \"number\" \"data\": 1}}", []string{
			"b.yaml:1:27: JSON syntax error: invalid character '\"' after object key:value pair",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := ParseBindings("b.yaml", []byte(tc.src))
			var got []string
			for _, d := range ds {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, ds := LoadBindings("testdata/bindings/nope.yaml"); len(ds) != 1 || ds[0].Pos.File != "testdata/bindings/nope.yaml" {
		t.Errorf("missing file: %v", ds)
	}
}
