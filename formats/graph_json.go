package formats

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// decodeJSONText decodes the JSON text of a format (nested.json or a
// graph format), turning a JSON syntax error into a SyntaxError with its
// line and column.
func decodeJSONText(format string, text []byte) (any, error) {
	if err := checkTextUTF8(format, text); err != nil {
		return nil, err
	}
	v, err := DecodeJSON(text)
	if err == nil {
		return v, nil
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// The offset is just past the offending byte.
		return nil, syntaxErrorAt(format, string(text), int(max(se.Offset-1, 0)), "invalid JSON: %s", se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, syntaxErrorAt(format, string(text), len(text), "invalid JSON: unexpected end of text")
	}
	return nil, fmt.Errorf("%s: invalid JSON: %w", format, err)
}

// describeJSONValue shows a JSON value in an error: its text when short, its
// kind otherwise.
func describeJSONValue(v any) string {
	if v == nil {
		return "null"
	}
	b, err := EncodeJSON(v)
	if err != nil || len(b) > 40 {
		return TypeName(v)
	}
	return string(b)
}
