package formats

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// TarGzDir writes dir as a gzip-compressed tar archive at dest with the
// directory added under its base name (Girder Worker's tarfile.add(path,
// arcname=basename)): directories, files and symlinks.
func TarGzDir(ctx context.Context, dir, dest string) error {
	return writeAtomically(dest, func(w io.Writer) error {
		gz := gzip.NewWriter(w)
		tw := tar.NewWriter(gz)
		err := walkDir(ctx, dir, func(name, full string, d fs.DirEntry) error {
			info, err := d.Info()
			if err != nil {
				return err
			}
			link := ""
			switch {
			case info.Mode()&fs.ModeSymlink != 0:
				if link, err = os.Readlink(full); err != nil {
					return err
				}
			case !d.IsDir() && !info.Mode().IsRegular():
				return nil // sockets, devices, fifos have no place in an archive
			}
			h, err := tar.FileInfoHeader(info, link)
			if err != nil {
				return err
			}
			h.Name = name
			if d.IsDir() {
				h.Name += "/"
			}
			// Owner names would need lookups and mean nothing elsewhere.
			h.Uname, h.Gname = "", ""
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			if h.Typeflag == tar.TypeReg {
				return copyFile(ctx, tw, full)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("archiving %s: %w", dir, err)
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return gz.Close()
	})
}

// openTar opens a tar archive compressed with gzip or bzip2, or not at all
// (Python's tarfile.open, which Girder Worker used, detects these too).
func openTar(path string) (*tar.Reader, io.Closer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReader(f)
	magic, _ := br.Peek(3)
	var r io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s is not a gzip file: %w", path, err)
		}
		r = gz
	case bytes.HasPrefix(magic, []byte("BZh")):
		r = bzip2.NewReader(br)
	}
	return tar.NewReader(r), f, nil
}

// CheckTarGz reports whether path is a readable (compressed) tar archive:
// its first header must parse.
func CheckTarGz(path string) error {
	tr, c, err := openTar(path)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := tr.Next(); err != nil && err != io.EOF {
		return fmt.Errorf("%s is not a tar archive: %w", path, err)
	}
	return nil
}

// ExtractTarGz extracts a (gzip, bzip2 or un-compressed) tar archive into
// dest, which must not exist, with ExtractZip's safety rules. Devices and
// fifos are refused.
func ExtractTarGz(ctx context.Context, archive, dest string, lim ExtractLimits) error {
	tr, c, err := openTar(archive)
	if err != nil {
		return err
	}
	defer c.Close()
	return extractTo(ctx, archive, dest, lim, func(x *extractor) error {
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
					return fmt.Errorf("%s is corrupt: %w", archive, err)
				}
				return fmt.Errorf("reading %s: %w", archive, err)
			}
			if h.Typeflag == tar.TypeXGlobalHeader {
				continue
			}
			if err := x.count(); err != nil {
				return err
			}
			mode := fs.FileMode(h.Mode).Perm()
			switch h.Typeflag {
			case tar.TypeDir:
				err = x.dir(h.Name, mode)
			case tar.TypeReg, tar.TypeGNUSparse:
				err = x.file(h.Name, mode, tr)
			case tar.TypeSymlink:
				err = x.symlink(h.Name, h.Linkname)
			case tar.TypeLink:
				err = x.hardlink(h.Name, h.Linkname)
			default:
				err = x.refuse(h.Name, fmt.Sprintf("has an unsupported type (tar type %q)", h.Typeflag))
			}
			if err != nil {
				return err
			}
		}
	})
}
