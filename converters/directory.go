package converters

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/truss-dev/truss/formats"
)

// addDirectory registers the Go-native directory converters. Girder
// Worker's naming is kept (a directory `shapefile` zips to `shapefile.zip`
// with members `shapefile/…`; `x.zip` extracts to a directory `x`), with
// three changes: results are written into the calling node's work dir, not
// next to the input; extraction is confined to its directory and bounded
// (see formats.ExtractZip); and an archive whose only top-level entry is a
// directory named like the target extracts to that directory, so path →
// zip → path gives back the same tree instead of `shapefile/shapefile/…`.
func addDirectory(r *Registry) {
	r.MustAdd(Converter{Type: "directory", From: "path", To: "zip", Run: archiveDir(".zip", formats.ZipDir)})
	r.MustAdd(Converter{Type: "directory", From: "path", To: "tgz", Run: archiveDir(".tgz", formats.TarGzDir)})
	r.MustAdd(Converter{Type: "directory", From: "zip", To: "path", Run: extractArchive(formats.ExtractZip)})
	r.MustAdd(Converter{Type: "directory", From: "tgz", To: "path", Run: extractArchive(formats.ExtractTarGz)})
}

func archiveDir(ext string, write func(ctx context.Context, dir, dest string) error) Func {
	return func(ctx context.Context, env Env, in formats.Value) (formats.Value, error) {
		if in.Path == "" {
			return formats.Value{}, errors.New("expected a directory path")
		}
		dir := filepath.Clean(in.Path)
		dest, err := freshPath(env.WorkDir, filepath.Base(dir)+ext)
		if err != nil {
			return formats.Value{}, err
		}
		if err := write(ctx, dir, dest); err != nil {
			return formats.Value{}, err
		}
		return formats.Value{Path: dest}, nil
	}
}

func extractArchive(extract func(ctx context.Context, archive, dest string, lim formats.ExtractLimits) error) Func {
	return func(ctx context.Context, env Env, in formats.Value) (formats.Value, error) {
		if in.Path == "" {
			return formats.Value{}, errors.New("expected the path of an archive")
		}
		dest, err := freshPath(env.WorkDir, archiveStem(in.Path))
		if err != nil {
			return formats.Value{}, err
		}
		if err := extract(ctx, in.Path, dest, formats.ExtractLimits{MaxBytes: env.MaxExtractBytes}); err != nil {
			return formats.Value{}, err
		}
		return formats.Value{Path: dest}, nil
	}
}

// archiveStem is the directory name an archive extracts to: its base name
// without the archive extension (x.zip, x.tgz, x.tar.gz, x.tar.bz2 → x;
// Girder Worker stripped only the last extension, giving x.tar).
func archiveStem(path string) string {
	base := filepath.Base(path)
	lower := strings.ToLower(base)
	for _, ext := range []string{".tar.gz", ".tar.bz2", ".tgz", ".tbz2", ".tar", ".zip"} {
		if strings.HasSuffix(lower, ext) && len(base) > len(ext) {
			return base[:len(base)-len(ext)]
		}
	}
	if ext := filepath.Ext(base); ext != "" && len(base) > len(ext) {
		return base[:len(base)-len(ext)]
	}
	return base
}

// freshPath returns workDir/name, or workDir/<new dir>/name when that is
// taken, so a conversion never overwrites anything and the base name the
// next conversion derives its names from is kept.
func freshPath(workDir, name string) (string, error) {
	if workDir == "" {
		return "", errors.New("directory conversions need a work dir (converters.Env.WorkDir)")
	}
	p := filepath.Join(workDir, name)
	if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
		return p, nil
	} else if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(workDir, "convert-*")
	if err != nil {
		return "", fmt.Errorf("work dir: %w", err)
	}
	return filepath.Join(dir, name), nil
}
