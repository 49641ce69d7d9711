package converters

import (
	"context"
	"fmt"

	"github.com/truss-dev/truss/formats"
)

// addScalar registers X ↔ json for the scalar types (boolean, integer,
// number, string and the three list types) and string ↔ text. JSON is
// written compact and canonical (formats.EncodeJSON). Unlike Girder
// Worker, where json → integer happily produced 1.5 and left it to a later
// validator, reading JSON checks the decoded value's type right away.
func addScalar(r *Registry) {
	for _, typ := range formats.ScalarTypes() {
		r.MustAdd(Converter{Type: typ, From: typ, To: "json", Run: scalarToJSON(typ)})
		r.MustAdd(Converter{Type: typ, From: "json", To: typ, Run: scalarFromJSON(typ)})
	}
	r.MustAdd(Converter{Type: "string", From: "string", To: "text", Run: stringToText})
	r.MustAdd(Converter{Type: "string", From: "text", To: "string", Run: textToString})
}

func scalarToJSON(typ string) Func {
	return func(ctx context.Context, _ Env, in formats.Value) (formats.Value, error) {
		if err := ctx.Err(); err != nil {
			return formats.Value{}, err
		}
		if err := formats.CheckScalar(typ, in.Data); err != nil {
			return formats.Value{}, err
		}
		b, err := formats.EncodeJSON(in.Data)
		if err != nil {
			return formats.Value{}, err
		}
		return formats.Value{Bytes: b}, nil
	}
}

func scalarFromJSON(typ string) Func {
	return func(ctx context.Context, _ Env, in formats.Value) (formats.Value, error) {
		if err := ctx.Err(); err != nil {
			return formats.Value{}, err
		}
		text, err := textInput(in)
		if err != nil {
			return formats.Value{}, err
		}
		v, err := formats.DecodeScalarJSON(typ, text)
		if err != nil {
			return formats.Value{}, err
		}
		return formats.Value{Data: v}, nil
	}
}

func stringToText(ctx context.Context, _ Env, in formats.Value) (formats.Value, error) {
	if err := ctx.Err(); err != nil {
		return formats.Value{}, err
	}
	s, ok := in.Data.(string)
	if !ok {
		return formats.Value{}, fmt.Errorf("expected a string, got %s", formats.Describe(in.Data))
	}
	return formats.Value{Bytes: []byte(s)}, nil
}

func textToString(ctx context.Context, _ Env, in formats.Value) (formats.Value, error) {
	if err := ctx.Err(); err != nil {
		return formats.Value{}, err
	}
	text, err := textInput(in)
	if err != nil {
		return formats.Value{}, err
	}
	return formats.Value{Data: string(text)}, nil
}

// textInput returns the payload of a text or binary value: its Bytes, the
// content of the file a command step left (Path), or a string mistakenly
// left in Data. Files are read only here, where a conversion needs the
// content: a file passed from step to step stays a file.
func textInput(v formats.Value) ([]byte, error) {
	switch {
	case v.Bytes != nil:
		return v.Bytes, nil
	case v.Path != "":
		return v.FileBytes()
	}
	switch d := v.Data.(type) {
	case string:
		return []byte(d), nil
	case nil:
		return []byte{}, nil // an empty text whose Bytes were left nil
	}
	return nil, fmt.Errorf("%s/%s: expected text in Bytes, got %s in Data", v.Type, v.Format, formats.Describe(v.Data))
}
