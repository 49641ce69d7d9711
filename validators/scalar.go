package validators

import (
	"context"
	"fmt"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
)

// addScalar registers the validators of the scalar types. They follow
// Girder Worker's rules with Python 3's types: a boolean is not an integer
// or a number (Python 2 let True pass as 1), an integer is an int64 (a
// float, even 2.0, is not), a number is an int64 or a float64. JSON texts
// must be UTF-8 and, beyond Girder Worker, parse as JSON holding a value of
// the type; text must be UTF-8.
func addScalar(r *Registry) {
	for _, typ := range formats.ScalarTypes() {
		r.MustAdd(Validator{Type: typ, Format: typ, Run: scalarData(typ)})
		r.MustAdd(Validator{Type: typ, Format: "json", Run: scalarJSON(typ)})
	}
	r.MustAdd(Validator{Type: "string", Format: "text", Run: utf8Text})
}

func scalarData(typ string) Func {
	return func(_ context.Context, _ converters.Env, v formats.Value) error {
		if err := dataPayload(v); err != nil {
			return err
		}
		return formats.CheckScalar(typ, v.Data)
	}
}

func scalarJSON(typ string) Func {
	return func(_ context.Context, _ converters.Env, v formats.Value) error {
		text, err := textPayload(v)
		if err != nil {
			return err
		}
		_, err = formats.DecodeScalarJSON(typ, text)
		return err
	}
}

func utf8Text(_ context.Context, _ converters.Env, v formats.Value) error {
	text, err := textPayload(v)
	if err != nil {
		return err
	}
	return formats.CheckUTF8Text(text)
}

// dataPayload checks that a data-format value carries its payload in Data.
func dataPayload(v formats.Value) error {
	switch {
	case v.Path != "":
		return fmt.Errorf("expected a value in memory, got the path %s", v.Path)
	case v.Bytes != nil:
		return fmt.Errorf("expected a value in Data, got %d bytes of text or binary data", len(v.Bytes))
	}
	return nil
}

// textPayload returns the text or bytes of a text or binary value.
func textPayload(v formats.Value) ([]byte, error) {
	switch {
	case v.Bytes != nil:
		return v.Bytes, nil
	case v.Path != "":
		return v.FileBytes()
	case v.Data == nil:
		return []byte{}, nil // empty content whose Bytes were left nil
	}
	return nil, fmt.Errorf("expected text or bytes, got %s in Data", formats.Describe(v.Data))
}
