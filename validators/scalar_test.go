package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
)

// scalarTableValidators holds only the scalar and table validators.
func scalarTableValidators() *Registry {
	r := New(formats.Default())
	addScalar(r)
	addTable(r)
	return r
}

type scalarTableCase struct {
	typ, format string
	value       formats.Value
	want        string // "" when valid, else a part of the error
}

func runScalarTableCases(t *testing.T, cases []scalarTableCase) {
	t.Helper()
	r := scalarTableValidators()
	for _, tc := range cases {
		v := tc.value
		v.Type, v.Format = tc.typ, tc.format
		err := r.Validate(context.Background(), converters.Env{}, v)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s/%s %v: valid value rejected: %v", tc.typ, tc.format, v, err)
		case tc.want != "" && err == nil:
			t.Errorf("%s/%s %v: invalid value accepted; want an error containing %q", tc.typ, tc.format, v, tc.want)
		case tc.want != "" && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s/%s %v: err = %v, want it to contain %q", tc.typ, tc.format, v, err, tc.want)
		}
	}
}

func stData(v any) formats.Value      { return formats.Value{Data: v} }
func stText(s string) formats.Value   { return formats.Value{Bytes: []byte(s)} }
func stBinary(b []byte) formats.Value { return formats.Value{Bytes: b} }

func TestScalarValidatorsRegistered(t *testing.T) {
	r := scalarTableValidators()
	for _, typ := range formats.ScalarTypes() {
		for _, f := range []string{typ, "json"} {
			if _, ok := r.Get(typ, f); !ok {
				t.Errorf("no validator for %s/%s", typ, f)
			}
		}
	}
	if _, ok := r.Get("string", "text"); !ok {
		t.Error("no validator for string/text")
	}
}

func TestScalarValidators(t *testing.T) {
	runScalarTableCases(t, []scalarTableCase{
		{"boolean", "boolean", stData(false), ""},
		{"boolean", "boolean", stData(int64(0)), "expected a boolean, got integer 0"},
		{"integer", "integer", stData(int64(3)), ""},
		// Python 2's bool is an int; here it is not.
		{"integer", "integer", stData(true), "expected an integer, got boolean true"},
		{"integer", "integer", stData(3.0), "expected an integer, got float 3.0"},
		{"integer", "integer", stData("abc"), `expected an integer, got string "abc"`},
		{"number", "number", stData(2.5), ""},
		{"number", "number", stData(int64(2)), ""},
		{"number", "number", stData(true), "expected a number, got boolean true"},
		{"string", "string", stData("x"), ""},
		{"string", "string", stData("\xff"), "invalid UTF-8"},
		{"integer_list", "integer_list", stData([]any{int64(1)}), ""},
		{"integer_list", "integer_list", stData([]any{}), ""},
		{"integer_list", "integer_list", stData([]any{int64(1), false}), "element 1: expected an integer, got boolean false"},
		{"number_list", "number_list", stData([]any{true}), "element 0: expected a number, got boolean true"},
		{"string_list", "string_list", stData([]any{"a", int64(1)}), "element 1: expected a string, got integer 1"},
		{"number", "number", stText("1"), "expected a value in Data, got 1 bytes"},
		{"number", "number", formats.Value{Path: "/x"}, "expected a value in memory"},
		// JSON texts must parse and hold the type.
		{"boolean", "json", stText("true"), ""},
		{"integer", "json", stText(" 12 "), ""},
		{"integer", "json", stText("1.5"), `integer/json text "1.5" is not an integer`},
		{"number", "json", stText("1e3"), ""},
		{"number", "json", stText("[1, x]"), "invalid JSON at byte offset 4"},
		{"number", "json", stText(""), "empty JSON text"},
		{"string", "json", stText(`"é"`), ""},
		{"string", "json", stText("\"\xff\""), "not UTF-8 text: invalid byte 0xff at offset 1"},
		{"integer_list", "json", stText("[1, 2, 3, 4]"), ""},
		{"string_list", "json", stText(`["a", 1]`), "element 1: expected a string, got integer 1"},
		{"integer", "json", stData("12"), `expected text or bytes, got string "12" in Data`},
		{"string", "text", stText("héllo"), ""},
		{"string", "text", stText("bad\xfe"), "invalid byte 0xfe at offset 3"},
		{"string", "text", formats.Value{}, ""}, // empty text
	})
}
