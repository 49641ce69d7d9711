package validators

import (
	"context"
	"fmt"
	"os"

	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
)

// addDirectory registers the directory validators: a path must be an
// existing directory (Girder Worker accepted any existing path), an archive
// an existing file that opens as that kind of archive (Girder Worker only
// checked that the file exists).
func addDirectory(r *Registry) {
	r.MustAdd(Validator{Type: "directory", Format: "path", Run: func(ctx context.Context, env converters.Env, v formats.Value) error {
		if v.Path == "" {
			return fmt.Errorf("expected a directory path, got %s", describeNonPath(v))
		}
		info, err := os.Stat(v.Path)
		if err != nil {
			return fmt.Errorf("directory %s: %w", v.Path, err)
		}
		if !info.IsDir() {
			return fmt.Errorf("%s is not a directory", v.Path)
		}
		return nil
	}})
	r.MustAdd(Validator{Type: "directory", Format: "zip", Run: archiveCheck(formats.CheckZip)})
	r.MustAdd(Validator{Type: "directory", Format: "tgz", Run: archiveCheck(formats.CheckTarGz)})
}

func archiveCheck(check func(string) error) Func {
	return func(ctx context.Context, env converters.Env, v formats.Value) error {
		if v.Path == "" {
			return fmt.Errorf("expected the path of an archive, got %s", describeNonPath(v))
		}
		info, err := os.Stat(v.Path)
		if err != nil {
			return fmt.Errorf("archive %s: %w", v.Path, err)
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("archive %s is not a regular file", v.Path)
		}
		return check(v.Path)
	}
}

// describeNonPath describes a value that is not what a validator wants.
func describeNonPath(v formats.Value) string {
	if v.Bytes != nil {
		return fmt.Sprintf("%d bytes", len(v.Bytes))
	}
	return formats.TypeName(v.Data)
}
