package bindings

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/spec"
)

// Mode returns the IO mode of a binding as Girder Worker detects it: an
// explicit mode wins; else no url → inline; file:// → local; https → http;
// any other scheme names its mode.
func Mode(b *spec.Binding) string {
	if b.Mode != "" && b.Mode != "auto" {
		return b.Mode
	}
	if b.URL == "" {
		if b.Path != "" && !b.HasData {
			return "local"
		}
		return "inline"
	}
	u, err := url.Parse(b.URL)
	if err != nil || u.Scheme == "" {
		return "inline"
	}
	switch u.Scheme {
	case "file":
		return "local"
	case "https":
		return "http"
	}
	return u.Scheme
}

// localPath is the file a local binding names (path, or a file:// URL with
// Girder Worker's rule: the text after "file://", so file://data/x.csv is
// relative), resolved against baseDir.
func localPath(b *spec.Binding, baseDir string) string {
	p := b.Path
	if p == "" && strings.HasPrefix(b.URL, "file://") {
		p = strings.TrimPrefix(b.URL, "file://")
	}
	return absPath(p, baseDir)
}

// Fetch reads a binding's value in the binding's own format (the port's
// format when the binding names none). baseDir resolves relative paths.
func Fetch(ctx context.Context, reg *formats.Registry, b *spec.Binding, port *spec.Port, baseDir string) (formats.Value, error) {
	if err := ctx.Err(); err != nil {
		return formats.Value{}, err
	}
	format := b.Format
	if format == "" {
		format = port.Format
	}
	typ := port.Type
	switch mode := Mode(b); mode {
	case "inline":
		if !b.HasData {
			return formats.Value{}, fmt.Errorf("inline binding has no data")
		}
		enc, _ := b.Fields["encoding"].(string)
		return FromData(reg, typ, format, b.Data, enc, baseDir)
	case "local":
		p := localPath(b, baseDir)
		if p == "" || p == "." {
			return formats.Value{}, fmt.Errorf("local binding has no path")
		}
		v, err := FromFile(reg, typ, format, p)
		if err != nil {
			return formats.Value{}, fmt.Errorf("read %s: %w", p, unwrapPathError(err))
		}
		return v, nil
	default:
		return formats.Value{}, fmt.Errorf("input mode %q is not supported yet (supported: inline, local)", mode)
	}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Push delivers an output value to its binding: inline keeps it for the
// result document; local writes it to the binding's path.
func Push(ctx context.Context, v formats.Value, b *spec.Binding, reg *formats.Registry, baseDir string) error {
	if b == nil {
		return nil
	}
	switch mode := Mode(b); mode {
	case "inline":
		return nil
	case "local":
		p := localPath(b, baseDir)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if v.Path != "" {
			return copyPath(v.Path, p)
		}
		data, err := Bytes(v)
		if err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o644)
	default:
		return fmt.Errorf("output mode %q is not supported yet (supported: inline, local)", mode)
	}
}

// Bytes is a value's payload as file content: text and binary as they are,
// data as compact JSON.
func Bytes(v formats.Value) ([]byte, error) {
	switch {
	case v.Path != "":
		return os.ReadFile(v.Path)
	case v.Bytes != nil:
		return v.Bytes, nil
	default:
		b, err := formats.EncodeJSON(v.Data)
		if err != nil {
			return nil, err
		}
		return append(b, '\n'), nil
	}
}

func copyPath(src, dst string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	}
	return os.CopyFS(dst, os.DirFS(src))
}
