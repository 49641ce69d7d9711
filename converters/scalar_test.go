package converters

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/truss-dev/truss/formats"
)

// scalarTableRegistry holds only the scalar and table converters.
func scalarTableRegistry(t *testing.T) *Registry {
	t.Helper()
	r := New(formats.Default())
	addScalar(r)
	addTable(r)
	return r
}

// scalarTableConvert converts in to the format to along the registry's
// cheapest path.
func scalarTableConvert(t *testing.T, r *Registry, in formats.Value, to string) (formats.Value, error) {
	t.Helper()
	path, err := r.Path(in.Type, in.Format, to)
	if err != nil {
		t.Fatal(err)
	}
	return ConvertPath(context.Background(), Env{}, path, in)
}

func TestScalarConverters(t *testing.T) {
	r := scalarTableRegistry(t)
	tests := []struct {
		typ  string
		data any
		json string
	}{
		{"boolean", true, "true"},
		{"integer", int64(-7), "-7"},
		{"number", int64(3), "3"},
		{"number", 4.0, "4.0"},
		{"number", 1e16, "1e+16"},
		{"string", "héllo \"x\"", `"héllo \"x\""`},
		{"integer_list", []any{int64(1), int64(2), int64(3), int64(4)}, "[1,2,3,4]"},
		{"number_list", []any{1.5, int64(2)}, "[1.5,2]"},
		{"string_list", []any{"a", "b"}, `["a","b"]`},
		{"string_list", []any{}, `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.json, func(t *testing.T) {
			out, err := scalarTableConvert(t, r, formats.Value{Type: tt.typ, Format: tt.typ, Data: tt.data}, "json")
			if err != nil {
				t.Fatal(err)
			}
			if out.Format != "json" || string(out.Bytes) != tt.json {
				t.Fatalf("→ json: %s %q, want %q", out.Format, out.Bytes, tt.json)
			}
			back, err := scalarTableConvert(t, r, out, tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.data, back.Data); diff != "" {
				t.Errorf("json → %s (-want +got):\n%s", tt.typ, diff)
			}
		})
	}
}

func TestScalarConverterErrors(t *testing.T) {
	r := scalarTableRegistry(t)
	tests := []struct {
		in      formats.Value
		to      string
		wantErr string
	}{
		{formats.Value{Type: "integer", Format: "json", Bytes: []byte("1.5")}, "integer", `integer/json text "1.5" is not an integer`},
		{formats.Value{Type: "integer", Format: "json", Bytes: []byte("true")}, "integer", `integer/json text "true" is not an integer`},
		{formats.Value{Type: "boolean", Format: "json", Bytes: []byte("1")}, "boolean", `boolean/json text "1" is not a boolean`},
		{formats.Value{Type: "string", Format: "json", Bytes: []byte("5")}, "string", `string/json text "5" is not a string`},
		{formats.Value{Type: "number_list", Format: "json", Bytes: []byte(`[1, "2"]`)}, "number_list", `element 1: expected a number, got string "2"`},
		{formats.Value{Type: "number", Format: "json", Bytes: []byte("[1,")}, "number", "invalid JSON"},
		{formats.Value{Type: "integer", Format: "integer", Data: "12"}, "json", `expected an integer, got string "12"`},
		{formats.Value{Type: "number", Format: "number", Data: true}, "json", "expected a number, got boolean true"},
		{formats.Value{Type: "string", Format: "string", Data: int64(1)}, "text", "expected a string, got integer 1"},
		{formats.Value{Type: "integer", Format: "json", Path: "/nonexistent/x.json"}, "integer", "no such file or directory"},
	}
	for _, tt := range tests {
		_, err := scalarTableConvert(t, r, tt.in, tt.to)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%v → %s: error %v, want %q", tt.in, tt.to, err, tt.wantErr)
		}
	}
}

func TestStringTextPaths(t *testing.T) {
	r := scalarTableRegistry(t)
	out, err := scalarTableConvert(t, r, formats.Value{Type: "string", Format: "string", Data: "a\nb"}, "text")
	if err != nil || string(out.Bytes) != "a\nb" {
		t.Fatalf("string → text: %q, %v", out.Bytes, err)
	}
	// Girder Worker's format_test: text → json goes text → string → json.
	path, err := r.Path("string", "text", "json")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range path {
		keys = append(keys, c.Key())
	}
	if diff := cmp.Diff([]string{"string/text->string", "string/string->json"}, keys); diff != "" {
		t.Errorf("path (-want +got):\n%s", diff)
	}
	out, err = ConvertPath(context.Background(), Env{}, path, formats.Value{Type: "string", Format: "text", Bytes: []byte("héllo")})
	if err != nil || string(out.Bytes) != `"héllo"` {
		t.Errorf("text → json: %q, %v", out.Bytes, err)
	}
}
