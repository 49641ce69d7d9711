package validators

import (
	"context"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
)

// addImage registers the Go-native image validators: unlike Girder
// Worker's (any string passes), they check the PNG or JPEG signature and
// decode the image header. image/pil is checked in Python (python.go).
func addImage(r *Registry) {
	r.MustAdd(Validator{Type: "image", Format: "png", Run: imageCheck(formats.PNGConfig)})
	r.MustAdd(Validator{Type: "image", Format: "jpeg", Run: imageCheck(formats.JPEGConfig)})
	r.MustAdd(Validator{Type: "image", Format: "png.base64", Run: func(ctx context.Context, env converters.Env, v formats.Value) error {
		b, err := v.Payload()
		if err != nil {
			return err
		}
		raw, err := formats.DecodeBase64(b)
		if err != nil {
			return err
		}
		_, err = formats.PNGConfig(raw)
		return err
	}})
}

func imageCheck[C any](config func([]byte) (C, error)) Func {
	return func(ctx context.Context, env converters.Env, v formats.Value) error {
		b, err := v.Payload()
		if err != nil {
			return err
		}
		_, err = config(b)
		return err
	}
}
