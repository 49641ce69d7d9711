package formats

import (
	"math"
	"strings"
	"testing"
)

func TestCheckScalar(t *testing.T) {
	tests := []struct {
		typ     string
		v       any
		wantErr string // "" for valid
	}{
		{"boolean", true, ""},
		{"boolean", int64(1), "expected a boolean, got integer 1"},
		{"integer", int64(5), ""},
		{"integer", true, "expected an integer, got boolean true"}, // Python 2 let bools pass
		{"integer", 2.0, "expected an integer, got float 2.0"},
		{"integer", "abc", `expected an integer, got string "abc"`},
		{"integer", 5, "expected an integer, got Go int 5"},
		{"number", int64(5), ""},
		{"number", 1.5, ""},
		{"number", math.NaN(), ""},
		{"number", false, "expected a number, got boolean false"},
		{"number", nil, "expected a number, got null"},
		{"string", "héllo", ""},
		{"string", "bad\xff", "invalid UTF-8 at byte 3"},
		{"string", int64(1), "expected a string, got integer 1"},
		{"integer_list", []any{}, ""},
		{"integer_list", []any{int64(1), int64(2)}, ""},
		{"integer_list", []any{int64(1), true}, "element 1: expected an integer, got boolean true"},
		{"integer_list", []any{int64(1), 1.5}, "element 1: expected an integer, got float 1.5"},
		{"number_list", []any{int64(1), 1.5}, ""},
		{"number_list", []any{true}, "element 0: expected a number, got boolean true"},
		{"number_list", "1,2", `expected a list of numbers, got string "1,2"`},
		{"string_list", []any{"a", "b"}, ""},
		{"string_list", []string{"a"}, ""},
		{"string_list", []any{"a", nil}, "element 1: expected a string, got null"},
		{"integer_list", []string{"a"}, `expected a list of integers, got list ["a"]`},
		{"table", nil, `"table" is not a scalar type`},
	}
	for _, tt := range tests {
		err := CheckScalar(tt.typ, tt.v)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("CheckScalar(%s, %#v) = %v, want nil", tt.typ, tt.v, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("CheckScalar(%s, %#v) = %v, want %q", tt.typ, tt.v, err, tt.wantErr)
		}
	}
}

func TestDescribe(t *testing.T) {
	long := strings.Repeat("é", 30)
	tests := []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{true, "boolean true"},
		{int64(-3), "integer -3"},
		{4.0, "float 4.0"},
		{"abc", `string "abc"`},
		{long, `string "` + strings.Repeat("é", 20) + `"…`},
		{[]any{int64(1), "x"}, `list [1,"x"]`},
		{map[string]any{"b": 1.5, "a": nil}, `object {"a":null,"b":1.5}`},
		{&Rows{Fields: []string{"a"}}, "rows (1 fields, 0 rows)"},
		{int32(7), "Go int32 7"},
	}
	for _, tt := range tests {
		if got := Describe(tt.v); got != tt.want {
			t.Errorf("Describe(%#v) = %s, want %s", tt.v, got, tt.want)
		}
	}
}

func TestParseJSONText(t *testing.T) {
	tests := []struct {
		in      string
		want    any
		wantErr string
	}{
		{"1", int64(1), ""},
		{" [1, 2.5] ", []any{int64(1), 2.5}, ""},
		{"NaN", nil, ""}, // Python's json output; checked below
		{"", nil, "empty JSON text"},
		{"   ", nil, "empty JSON text"},
		{"[1, x]", nil, "invalid JSON at byte offset 4"},
		{"1.5x", nil, "unexpected text after the value at byte offset 3"},
		{"1 2", nil, "unexpected text after the value at byte offset 2"},
		{`{"a": 1`, nil, "ends (at byte offset 7) inside a value"},
		{"\"\xff\"", nil, "not UTF-8 text: invalid byte 0xff at offset 1"},
		{"[NaN, y]", nil, "invalid JSON"},
	}
	for _, tt := range tests {
		got, err := ParseJSONText([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseJSONText(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			if cerr := CheckJSONText([]byte(tt.in)); cerr == nil {
				t.Errorf("CheckJSONText(%q) = nil, want an error", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseJSONText(%q): %v", tt.in, err)
			continue
		}
		if tt.in == "NaN" {
			if f, ok := got.(float64); !ok || !math.IsNaN(f) {
				t.Errorf("ParseJSONText(NaN) = %#v", got)
			}
		} else if Describe(got) != Describe(tt.want) {
			t.Errorf("ParseJSONText(%q) = %s, want %s", tt.in, Describe(got), Describe(tt.want))
		}
		if err := CheckJSONText([]byte(tt.in)); err != nil {
			t.Errorf("CheckJSONText(%q): %v", tt.in, err)
		}
	}
}

func TestDecodeScalarJSON(t *testing.T) {
	tests := []struct {
		typ, in, wantErr string
	}{
		{"integer", "12", ""},
		{"integer", "1.5", `integer/json text "1.5" is not an integer`},
		{"integer", "true", `integer/json text "true" is not an integer`},
		{"number", "1.5", ""},
		{"boolean", "5", `boolean/json text "5" is not a boolean`},
		{"string", `"x"`, ""},
		{"string", "5", `string/json text "5" is not a string`},
		{"integer_list", "[1, 2]", ""},
		{"integer_list", `[1, "a"]`, `integer_list/json text "[1, \"a\"]" is not a list of integers: element 1: expected an integer, got string "a"`},
		{"number", "[1", `number/json text "[1": invalid JSON`},
	}
	for _, tt := range tests {
		_, err := DecodeScalarJSON(tt.typ, []byte(tt.in))
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("DecodeScalarJSON(%s, %q): %v", tt.typ, tt.in, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("DecodeScalarJSON(%s, %q) = %v, want %q", tt.typ, tt.in, err, tt.wantErr)
		}
	}
}
