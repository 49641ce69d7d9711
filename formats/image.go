package formats

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
)

// pngSignature opens every PNG file.
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// DefaultJPEGQuality is what png → jpeg uses: PIL's default, so images
// converted in Go match those a Girder Worker pil → jpeg hop made in size.
const DefaultJPEGQuality = 75

// PNGConfig checks that b is a PNG (signature and a readable header) and
// returns its dimensions and colour model.
func PNGConfig(b []byte) (image.Config, error) {
	if !bytes.HasPrefix(b, pngSignature) {
		return image.Config{}, fmt.Errorf("not a PNG image (no PNG signature%s)", sniffNote(b))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return image.Config{}, fmt.Errorf("broken PNG header: %w", err)
	}
	return cfg, nil
}

// JPEGConfig checks that b is a JPEG (SOI marker and a readable frame
// header) and returns its dimensions and colour model.
func JPEGConfig(b []byte) (image.Config, error) {
	if len(b) < 3 || b[0] != 0xff || b[1] != 0xd8 || b[2] != 0xff {
		return image.Config{}, fmt.Errorf("not a JPEG image (no JPEG start marker%s)", sniffNote(b))
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return image.Config{}, fmt.Errorf("broken JPEG header: %w", err)
	}
	return cfg, nil
}

// sniffNote names what b looks like instead, when that is recognisable.
func sniffNote(b []byte) string {
	switch {
	case len(b) == 0:
		return "; the value is empty"
	case bytes.HasPrefix(b, pngSignature):
		return "; it is a PNG"
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8:
		return "; it is a JPEG"
	case bytes.HasPrefix(b, []byte("iVBORw0KGgo")):
		return "; it looks like base64 of a PNG: use format png.base64"
	case bytes.HasPrefix(b, []byte("GIF8")):
		return "; it is a GIF"
	}
	return ""
}

// PNGToJPEG re-encodes a PNG as JPEG. JPEG has no alpha: transparent pixels
// are composed onto white, as an image viewer shows them.
func PNGToJPEG(b []byte, quality int) ([]byte, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decoding PNG: %w", err)
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, flattenAlpha(img), &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encoding JPEG: %w", err)
	}
	return out.Bytes(), nil
}

// JPEGToPNG re-encodes a JPEG as PNG (lossless from the decoded pixels).
func JPEGToPNG(b []byte) ([]byte, error) {
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decoding JPEG: %w", err)
	}
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return nil, fmt.Errorf("encoding PNG: %w", err)
	}
	return out.Bytes(), nil
}

// flattenAlpha composes an image with transparency onto white; opaque
// images are returned as they are.
func flattenAlpha(img image.Image) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	bounds := img.Bounds()
	out := image.NewRGBA(bounds)
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, a := img.At(x, y).RGBA() // premultiplied, 16-bit
			white := 0xffff - a
			i := out.PixOffset(x, y)
			out.Pix[i+0] = uint8((r + white) >> 8)
			out.Pix[i+1] = uint8((g + white) >> 8)
			out.Pix[i+2] = uint8((b + white) >> 8)
			out.Pix[i+3] = 0xff
		}
	}
	return out
}

// DecodeBase64 decodes standard base64 the way Python's base64.b64decode
// does by default, which Girder Worker used: whitespace and line breaks are
// ignored and padding may be missing. Shared by png.base64 and
// pickle.base64.
func DecodeBase64(text []byte) ([]byte, error) {
	clean := make([]byte, 0, len(text))
	for _, c := range text {
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
		default:
			clean = append(clean, c)
		}
	}
	if len(clean)%4 != 0 {
		out, err := base64.RawStdEncoding.DecodeString(string(bytes.TrimRight(clean, "=")))
		if err != nil {
			return nil, fmt.Errorf("invalid base64: %w", err)
		}
		return out, nil
	}
	out, err := base64.StdEncoding.DecodeString(string(clean))
	if err != nil {
		return nil, fmt.Errorf("invalid base64: %w", err)
	}
	return out, nil
}

// EncodeBase64 is standard base64 with padding (Python's b64encode).
func EncodeBase64(b []byte) []byte {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out
}
