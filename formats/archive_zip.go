package formats

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ZipDir writes dir as a zip archive at dest with members named
// base(dir)/<path> (Girder Worker's layout: `shapefile/shapefile.shp`).
// Like Girder Worker it stores files, not directory entries, except for
// empty directories, which would otherwise be lost; symlinks are stored as
// links.
func ZipDir(ctx context.Context, dir, dest string) error {
	return writeAtomically(dest, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		err := walkDir(ctx, dir, func(name, full string, d fs.DirEntry) error {
			info, err := d.Info()
			if err != nil {
				return err
			}
			switch {
			case d.IsDir():
				empty, err := isEmptyDir(full)
				if err != nil || !empty {
					return err
				}
				h, err := zip.FileInfoHeader(info)
				if err != nil {
					return err
				}
				h.Name = name + "/"
				_, err = zw.CreateHeader(h)
				return err
			case info.Mode()&fs.ModeSymlink != 0:
				target, err := os.Readlink(full)
				if err != nil {
					return err
				}
				h, err := zip.FileInfoHeader(info)
				if err != nil {
					return err
				}
				h.Name, h.Method = name, zip.Store
				fw, err := zw.CreateHeader(h)
				if err != nil {
					return err
				}
				_, err = io.WriteString(fw, target)
				return err
			case info.Mode().IsRegular():
				h, err := zip.FileInfoHeader(info)
				if err != nil {
					return err
				}
				h.Name, h.Method = name, zip.Deflate
				fw, err := zw.CreateHeader(h)
				if err != nil {
					return err
				}
				return copyFile(ctx, fw, full)
			}
			return nil // sockets, devices, fifos have no place in an archive
		})
		if err != nil {
			return fmt.Errorf("zipping %s: %w", dir, err)
		}
		return zw.Close()
	})
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if err == io.EOF {
		return true, nil
	}
	return false, err
}

func copyFile(ctx context.Context, w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, ctxReader{ctx, f})
	return err
}

// CheckZip reports whether path is a readable zip archive.
func CheckZip(path string) error {
	r, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("%s is not a zip archive: %w", path, err)
	}
	return r.Close()
}

// ExtractZip extracts the zip archive into dest, which must not exist,
// refusing members that would land outside dest (../, absolute paths,
// symlinks leading out) and archives over the limits. See extractTo for
// how a single top-level directory is handled.
func ExtractZip(ctx context.Context, archive, dest string, lim ExtractLimits) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return fmt.Errorf("%s is not a zip archive: %w", archive, err)
	}
	defer zr.Close()
	lim = lim.withDefaults()
	if len(zr.File) > lim.MaxEntries {
		return &ArchiveError{Archive: archive, Reason: fmt.Sprintf("it has %d members, more than the limit of %d (zip bomb?)", len(zr.File), lim.MaxEntries)}
	}
	// The declared sizes may lie (extraction counts real bytes), but when
	// they already exceed the limit there is no point starting.
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
		if declared > uint64(lim.MaxBytes) {
			return &ArchiveError{Archive: archive, Reason: fmt.Sprintf("it declares more than %s of content (limit; zip bomb?)", humanBytes(lim.MaxBytes))}
		}
	}
	return extractTo(ctx, archive, dest, lim, func(x *extractor) error {
		for _, f := range zr.File {
			if err := x.count(); err != nil {
				return err
			}
			if err := extractZipMember(x, f); err != nil {
				return err
			}
		}
		return nil
	})
}

func extractZipMember(x *extractor, f *zip.File) error {
	mode := f.Mode()
	switch {
	case mode.IsDir():
		return x.dir(f.Name, mode)
	case mode&fs.ModeSymlink != 0:
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("reading %s from %s: %w", f.Name, x.archive, err)
		}
		target, err := io.ReadAll(io.LimitReader(rc, 4096))
		rc.Close()
		if err != nil {
			return fmt.Errorf("reading %s from %s: %w", f.Name, x.archive, err)
		}
		return x.symlink(f.Name, string(target))
	case mode.IsRegular():
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("reading %s from %s: %w", f.Name, x.archive, err)
		}
		defer rc.Close()
		return x.file(f.Name, mode, rc)
	}
	return x.refuse(f.Name, fmt.Sprintf("has an unsupported type (%v)", mode.Type()))
}
