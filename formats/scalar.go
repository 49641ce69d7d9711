package formats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// ScalarTypes lists the types whose in-memory format is a plain JSON-like
// value checked by CheckScalar, in registry order.
func ScalarTypes() []string {
	return []string{"boolean", "integer", "number", "string", "integer_list", "number_list", "string_list"}
}

// IsScalarType reports whether typ is one of ScalarTypes.
func IsScalarType(typ string) bool { return scalarNoun(typ) != "" }

// ScalarNoun names what a value of a scalar type is, with its article:
// "an integer", "a list of strings".
func ScalarNoun(typ string) string {
	if n := scalarNoun(typ); n != "" {
		return n
	}
	return "a " + typ
}

func scalarNoun(typ string) string {
	switch typ {
	case "boolean":
		return "a boolean"
	case "integer":
		return "an integer"
	case "number":
		return "a number"
	case "string":
		return "a string"
	case "integer_list":
		return "a list of integers"
	case "number_list":
		return "a list of numbers"
	case "string_list":
		return "a list of strings"
	}
	return ""
}

// listElem is the element type of a list type ("" for other types).
func listElem(typ string) string {
	switch typ {
	case "integer_list":
		return "integer"
	case "number_list":
		return "number"
	case "string_list":
		return "string"
	}
	return ""
}

// CheckScalar returns nil when v is a valid in-memory value of the scalar
// type typ, or an error saying what was expected and what was got
// ("expected an integer, got string \"abc\""). Unlike Girder Worker (Python
// 2, where bool is an int) a boolean is not an integer or a number, and
// integers are int64 only: a float, even an integral one, is not an integer.
func CheckScalar(typ string, v any) error {
	switch typ {
	case "boolean":
		if _, ok := v.(bool); ok {
			return nil
		}
	case "integer":
		if _, ok := v.(int64); ok {
			return nil
		}
	case "number":
		switch v.(type) {
		case int64, float64:
			return nil
		}
	case "string":
		if s, ok := v.(string); ok {
			if i := invalidUTF8At(s); i >= 0 {
				return fmt.Errorf("expected a string of UTF-8 text, got invalid UTF-8 at byte %d of %s", i, Describe(v))
			}
			return nil
		}
	case "integer_list", "number_list", "string_list":
		return checkList(typ, v)
	default:
		return fmt.Errorf("%q is not a scalar type", typ)
	}
	return fmt.Errorf("expected %s, got %s", ScalarNoun(typ), Describe(v))
}

func checkList(typ string, v any) error {
	elem := listElem(typ)
	switch l := v.(type) {
	case []any:
		for i, e := range l {
			if err := CheckScalar(elem, e); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		return nil
	case []string:
		// EncodeJSON writes []string, so Go code may hand one over.
		if elem != "string" {
			break
		}
		for i, e := range l {
			if err := CheckScalar(elem, e); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		return nil
	}
	return fmt.Errorf("expected %s, got %s", ScalarNoun(typ), Describe(v))
}

// describeMax caps the excerpt of a value or text shown in an error.
const describeMax = 40

// Describe names a value's JSON type followed by a short excerpt, for error
// messages: `string "abc"`, `float 1.5`, `list [1,2,"x"]`, `null`. Go types
// outside the JSON-like model are named as such (`Go int 5`), which is what
// a caller needs to see when it passed an int instead of an int64.
func Describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case int64:
		return "integer " + strconv.FormatInt(x, 10)
	case float64:
		return "float " + PyFloat(x)
	case string:
		return "string " + excerpt([]byte(x), true)
	case []any, []string:
		return "list " + jsonExcerpt(v)
	case map[string]any:
		return "object " + jsonExcerpt(v)
	case *Rows:
		if x == nil {
			return "nil rows"
		}
		return fmt.Sprintf("rows (%d fields, %d rows)", len(x.Fields), len(x.Rows))
	}
	return fmt.Sprintf("Go %T %s", v, excerpt([]byte(fmt.Sprint(v)), false))
}

// Excerpt quotes the start of a text for an error message, cut at
// describeMax bytes (on a rune boundary) with "…" when longer.
func Excerpt(text []byte) string { return excerpt(text, true) }

func jsonExcerpt(v any) string {
	b, err := EncodeJSON(v)
	if err != nil {
		return "(not JSON: " + err.Error() + ")"
	}
	return excerpt(b, false)
}

func excerpt(text []byte, quote bool) string {
	cut := len(text) > describeMax
	if cut {
		n := describeMax
		for n > 0 && !utf8.RuneStart(text[n]) {
			n--
		}
		text = text[:n]
	}
	s := string(text)
	if quote {
		s = strconv.Quote(s)
	}
	if cut {
		s += "…"
	}
	return s
}

// invalidUTF8At returns the byte offset of the first invalid UTF-8 sequence
// of s, or -1.
func invalidUTF8At(s string) int {
	if utf8.ValidString(s) {
		return -1
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// CheckUTF8Text returns an error naming the byte offset of the first
// invalid UTF-8 sequence of text, or nil.
func CheckUTF8Text(text []byte) error {
	if utf8.Valid(text) {
		return nil
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size <= 1 {
			return fmt.Errorf("not UTF-8 text: invalid byte 0x%02x at offset %d", text[i], i)
		}
		i += size
	}
	return nil
}

// ParseJSONText decodes JSON text as DecodeJSON does (NaN and Infinity
// accepted) after checking it is UTF-8, and reports where bad text goes
// wrong: "invalid JSON at byte offset 4: invalid character 'x' …".
func ParseJSONText(text []byte) (any, error) {
	if err := CheckUTF8Text(text); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, errors.New("empty JSON text")
	}
	v, err := DecodeJSON(text)
	if err == nil {
		return v, nil
	}
	return nil, jsonErrorAt(text, err)
}

// CheckJSONText validates UTF-8 JSON text without building the value when
// it can: the fast path for large texts that are valid.
func CheckJSONText(text []byte) error {
	if err := CheckUTF8Text(text); err != nil {
		return err
	}
	if json.Valid(text) {
		return nil
	}
	// NaN/Infinity (Python's json output) fail json.Valid but are accepted
	// by DecodeJSON; so are other texts only DecodeJSON can judge.
	_, err := ParseJSONText(text)
	return err
}

// jsonErrorAt turns a DecodeJSON failure into a message with the offset
// of the problem in the original text. DecodeJSON may have retried on a
// rewritten text (Python constants replaced), whose offsets do not match
// the original: the offset is taken from a plain decode of the original
// when that fails in the same way.
func jsonErrorAt(text []byte, decodeErr error) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		if !pyConstantAt(text, int(syn.Offset)-1) {
			return fmt.Errorf("invalid JSON at byte offset %d: %s", syn.Offset-1, syn.Error())
		}
	case errors.As(err, &typ):
		return fmt.Errorf("invalid JSON at byte offset %d: %s", typ.Offset, typ.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("invalid JSON: the text ends (at byte offset %d) inside a value", len(text))
	case err == nil && dec.More():
		return fmt.Errorf("invalid JSON: unexpected text after the value at byte offset %d", nextValueOffset(text, int(dec.InputOffset())))
	}
	return fmt.Errorf("invalid JSON: %w", decodeErr)
}

func nextValueOffset(text []byte, off int) int {
	for off < len(text) && (text[off] == ' ' || text[off] == '\t' || text[off] == '\n' || text[off] == '\r') {
		off++
	}
	return off
}

func pyConstantAt(text []byte, off int) bool {
	if off < 0 || off >= len(text) {
		return false
	}
	rest := text[off:]
	return bytes.HasPrefix(rest, []byte("NaN")) || bytes.HasPrefix(rest, []byte("Infinity")) || bytes.HasPrefix(rest, []byte("-Infinity"))
}

// DecodeScalarJSON reads the JSON text of a typ/json value and checks
// that it holds a value of the scalar type typ, naming the text when it
// does not: `integer/json text "1.5" is not an integer`.
func DecodeScalarJSON(typ string, text []byte) (any, error) {
	v, err := ParseJSONText(text)
	if err != nil {
		return nil, fmt.Errorf("%s/json text %s: %w", typ, Excerpt(text), err)
	}
	if err := CheckScalar(typ, v); err != nil {
		msg := fmt.Sprintf("%s/json text %s is not %s", typ, Excerpt(text), ScalarNoun(typ))
		if _, list := v.([]any); list {
			msg += ": " + err.Error() // which element is wrong
		}
		return nil, errors.New(msg)
	}
	return v, nil
}
