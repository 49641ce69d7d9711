package formats

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func samplePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 5, 4))
	for y := range 4 {
		for x := range 5 {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(50 * x), G: uint8(60 * y), B: 90, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPNGAndJPEGConfig(t *testing.T) {
	raw := samplePNG(t)
	cfg, err := PNGConfig(raw)
	if err != nil || cfg.Width != 5 || cfg.Height != 4 {
		t.Fatalf("PNGConfig = %+v, %v", cfg, err)
	}
	if _, err := JPEGConfig(raw); err == nil || !strings.Contains(err.Error(), "not a JPEG image (no JPEG start marker; it is a PNG)") {
		t.Errorf("JPEGConfig(png) = %v", err)
	}
	jpg, err := PNGToJPEG(raw, DefaultJPEGQuality)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := JPEGConfig(jpg); err != nil || cfg.Width != 5 {
		t.Errorf("JPEGConfig = %+v, %v", cfg, err)
	}
	if _, err := PNGConfig(jpg); err == nil || !strings.Contains(err.Error(), "it is a JPEG") {
		t.Errorf("PNGConfig(jpeg) = %v", err)
	}
	back, err := JPEGToPNG(jpg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := PNGConfig(back); err != nil || cfg.Width != 5 || cfg.Height != 4 {
		t.Errorf("jpeg -> png: %+v, %v", cfg, err)
	}
	for _, bad := range [][]byte{nil, []byte("\x89PNG\r\n\x1a\nbroken"), EncodeBase64(raw)} {
		if _, err := PNGConfig(bad); err == nil {
			t.Errorf("PNGConfig(%.12q) accepted", bad)
		}
	}
	if _, err := PNGConfig(EncodeBase64(raw)); err == nil || !strings.Contains(err.Error(), "use format png.base64") {
		t.Errorf("base64 hint missing: %v", err)
	}
}

func TestBase64(t *testing.T) {
	raw := []byte("any bytes \x00\xff, pickled or PNG")
	enc := EncodeBase64(raw)
	if string(enc) != "YW55IGJ5dGVzIAD/LCBwaWNrbGVkIG9yIFBORw==" {
		t.Errorf("EncodeBase64 = %s", enc)
	}
	// Python's b64decode ignores line breaks; missing padding is tolerated.
	for _, in := range []string{string(enc), "YW55IGJ5dGVzIAD/LCBw\naWNrbGVkIG9yIFBORw==\n", "YW55IGJ5dGVzIAD/LCBwaWNrbGVkIG9yIFBORw"} {
		got, err := DecodeBase64([]byte(in))
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("DecodeBase64(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := DecodeBase64([]byte("not*base64")); err == nil {
		t.Error("invalid base64 accepted")
	}
}

func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte("YW55IGJ5dGVz"))
	f.Add([]byte("YQ\n=="))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := DecodeBase64(in)
		if err != nil {
			return
		}
		again, err := DecodeBase64(EncodeBase64(out))
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("re-encoding %q does not round-trip", out)
		}
	})
}
