package converters

import "github.com/truss-dev/truss/formats"

// addImage registers the Go-native image converters; the PIL ones are
// runtime converters (python.go).
//
// Beyond Girder Worker, png ↔ jpeg convert in Go, so png → jpeg no longer
// needs Python and PIL (png → pil → jpeg).
func addImage(r *Registry) {
	r.MustAdd(Converter{Type: "image", From: "png", To: "png.base64", Run: bytesConverter(func(b []byte) ([]byte, error) {
		return formats.EncodeBase64(b), nil
	})})
	r.MustAdd(Converter{Type: "image", From: "png.base64", To: "png", Run: bytesConverter(formats.DecodeBase64)})
	r.MustAdd(Converter{Type: "image", From: "png", To: "jpeg", Lossy: true, Run: bytesConverter(func(b []byte) ([]byte, error) {
		return formats.PNGToJPEG(b, formats.DefaultJPEGQuality)
	})})
	r.MustAdd(Converter{Type: "image", From: "jpeg", To: "png", Run: bytesConverter(formats.JPEGToPNG)})
}
