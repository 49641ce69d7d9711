package formats

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPyFloat(t *testing.T) {
	for f, want := range map[float64]string{
		4: "4.0", 1.5: "1.5", 1e16: "1e+16", 1e15: "1000000000000000.0", 0.0001: "0.0001",
		0.00001: "1e-05", -2.5e-7: "-2.5e-07", 123456789.125: "123456789.125", 0.30000000000000004: "0.30000000000000004",
		math.Inf(1): "Infinity", math.Inf(-1): "-Infinity",
	} {
		if got := PyFloat(f); got != want {
			t.Errorf("PyFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestEncodeJSONIsCanonical(t *testing.T) {
	v := map[string]any{"b": []any{int64(1), 2.0, "x\n\"é"}, "a": nil, "c": map[string]any{"z": true, "y": false}}
	got, err := EncodeJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":null,"b":[1,2.0,"x\n\"é"],"c":{"y":false,"z":true}}`; string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestDecodeJSONReadsPythonConstants(t *testing.T) {
	got, err := DecodeJSON([]byte(`{"a": [NaN, Infinity, -Infinity, 3, 3.0], "s": "NaN"}`))
	if err != nil {
		t.Fatal(err)
	}
	a := got.(map[string]any)["a"].([]any)
	if f, ok := a[0].(float64); !ok || !math.IsNaN(f) {
		t.Errorf("NaN decoded as %#v", a[0])
	}
	if diff := cmp.Diff([]any{math.Inf(1), math.Inf(-1), int64(3), 3.0}, a[1:]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if s := got.(map[string]any)["s"]; s != "NaN" {
		t.Errorf("the string \"NaN\" became %#v", s)
	}
}

func TestRowsJSONKeepsFieldOrder(t *testing.T) {
	rows, err := RowsFromJSON(map[string]any{"fields": []any{"z", "a"}, "rows": []any{
		map[string]any{"a": int64(1), "z": "x"}, map[string]any{"z": "y", "extra": true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := EncodeJSON(rows)
	if want := `{"fields":["z","a"],"rows":[{"z":"x","a":1},{"z":"y","extra":true}]}`; string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
