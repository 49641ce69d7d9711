package store

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/truss-dev/truss/formats"
)

// BlobPath is where the blob with this digest lives (whether or not it
// exists).
func (s *Store) BlobPath(digest string) string { return blobPath(s.dir, digest) }

func blobPath(dir, digest string) string {
	sub := "__"
	if len(digest) >= 2 {
		sub = digest[:2]
	}
	return filepath.Join(dir, blobsDir, blobAlgo, sub, digest)
}

func validDigest(d string) bool {
	if len(d) != sha256.Size*2 {
		return false
	}
	_, err := hex.DecodeString(d)
	return err == nil
}

// HasBlob reports whether the blob exists, and marks it used (for GC's LRU).
func (s *Store) HasBlob(digest string) bool {
	if !validDigest(digest) {
		return false
	}
	p := s.BlobPath(digest)
	if _, err := os.Stat(p); err != nil {
		return false
	}
	touch(p)
	return true
}

// touch records an access: GC evicts the blobs used longest ago first.
// The mtime is the access time (atime is often not kept).
func touch(p string) {
	now := time.Now()
	_ = os.Chtimes(p, now, now)
}

// PutBlob stores r's content: written to a temp file, fsynced, renamed to
// its digest. Storing content that is already there only marks it used.
func (s *Store) PutBlob(r io.Reader) (digest string, size int64, err error) {
	return s.putBlob(func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	})
}

func (s *Store) putBlob(write func(io.Writer) error) (digest string, size int64, err error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, blobsDir, tmpDir), "blob-*")
	if err != nil {
		return "", 0, s.writeErr("creating a blob", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	if err := write(cw); err != nil {
		return "", 0, s.writeErr("writing a blob", err)
	}
	if !s.noSync {
		if err := f.Sync(); err != nil {
			return "", 0, s.writeErr("writing a blob", err)
		}
	}
	if err := f.Close(); err != nil {
		return "", 0, s.writeErr("writing a blob", err)
	}
	digest = hex.EncodeToString(h.Sum(nil))
	final := s.BlobPath(digest)
	if _, statErr := os.Stat(final); statErr == nil {
		os.Remove(tmp)
		touch(final)
		return digest, cw.n, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", 0, s.writeErr("writing a blob", err)
	}
	if err := os.Chmod(tmp, 0o444); err != nil {
		return "", 0, s.writeErr("writing a blob", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", 0, s.writeErr("writing a blob", err)
	}
	if !s.noSync {
		if err := syncDir(filepath.Dir(final)); err != nil {
			return "", 0, s.writeErr("writing a blob", err)
		}
	}
	return digest, cw.n, nil
}

func (s *Store) writeErr(what string, err error) error {
	return fmt.Errorf("store %s: %s: %w (is the disk full or read-only? free space, then resume the run)", s.dir, what, err)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// PutValue stores a value's payload as a blob: Data as canonical JSON,
// Bytes as they are, a file's content, or a directory as a tar of its tree
// (sorted, without times or owners, so equal trees give equal blobs).
func (s *Store) PutValue(v formats.Value) (Ref, error) {
	ref := Ref{Type: v.Type, Format: v.Format}
	var write func(io.Writer) error
	switch v.Kind() {
	case formats.RepPath:
		info, err := os.Stat(v.Path)
		if err != nil {
			return Ref{}, fmt.Errorf("storing %s: %w", v, err)
		}
		ref.Name = filepath.Base(filepath.Clean(v.Path))
		if ref.Name == "." || ref.Name == string(filepath.Separator) {
			ref.Name = "value"
		}
		if info.IsDir() {
			ref.Kind = KindDir
			write = func(w io.Writer) error { return tarDir(w, v.Path) }
		} else {
			ref.Kind = KindFile
			write = func(w io.Writer) error {
				f, err := os.Open(v.Path)
				if err != nil {
					return err
				}
				defer f.Close()
				_, err = io.Copy(w, f)
				return err
			}
		}
	case formats.RepBinary:
		ref.Kind = KindBytes
		write = func(w io.Writer) error { _, err := w.Write(v.Bytes); return err }
	default:
		ref.Kind = KindData
		b, err := formats.EncodeJSON(v.Data)
		if err != nil {
			return Ref{}, fmt.Errorf("storing %s: %w", v, err)
		}
		write = func(w io.Writer) error { _, err := w.Write(b); return err }
		if len(b) <= InlineMax {
			return inline(ref, b, false), nil
		}
	}
	if ref.Kind == KindBytes && len(v.Bytes) <= InlineMax {
		return inline(ref, v.Bytes, true), nil
	}
	d, n, err := s.putBlob(write)
	if err != nil {
		return Ref{}, fmt.Errorf("storing %s: %w", v, err)
	}
	ref.Digest, ref.Size = d, n
	return ref, nil
}

// GetValue restores a value stored by PutValue: Data (table/rows as
// *formats.Rows), Bytes, or a file or directory materialised under
// dir/restored/<digest>/<Name>. The content is checked against the digest.
func (s *Store) GetValue(ref Ref) (formats.Value, error) {
	if !validDigest(ref.Digest) {
		return formats.Value{}, fmt.Errorf("store: bad blob digest %q in a value reference", ref.Digest)
	}
	v := formats.Value{Type: ref.Type, Format: ref.Format}
	p := s.BlobPath(ref.Digest)
	switch ref.Kind {
	case KindData, KindBytes:
		b := ref.Inline
		if b == nil {
			var err error
			if b, err = os.ReadFile(p); err != nil {
				return v, s.missing(ref, err)
			}
			touch(p)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != ref.Digest {
			return v, s.damaged(ref)
		}
		if ref.Kind == KindBytes {
			v.Bytes = b
			return v, nil
		}
		data, err := formats.DecodeJSON(b)
		if err != nil {
			return v, fmt.Errorf("store %s: value %s is not JSON: %w (run `truss store check`)", s.dir, ref.Digest, err)
		}
		if ref.Type == "table" && ref.Format == "rows" {
			rows, err := formats.RowsFromJSON(data)
			if err != nil {
				return v, fmt.Errorf("store %s: value %s: %w", s.dir, ref.Digest, err)
			}
			data = rows
		}
		v.Data = data
		return v, nil
	case KindFile, KindDir:
		path, err := s.restore(ref)
		if err != nil {
			return v, err
		}
		v.Path = path
		return v, nil
	}
	return v, fmt.Errorf("store: value %s has unknown kind %q (written by a newer truss?)", ref.Digest, ref.Kind)
}

// inline keeps a small payload in the ref itself (a copy unless b is
// the caller's own).
func inline(ref Ref, b []byte, shared bool) Ref {
	sum := sha256.Sum256(b)
	if shared {
		b = append([]byte{}, b...)
	}
	ref.Digest, ref.Size, ref.Inline = hex.EncodeToString(sum[:]), int64(len(b)), b
	return ref
}

// Has reports whether a value can be read back: inline, or its blob exists.
func (s *Store) Has(ref Ref) bool { return ref.Inline != nil || s.HasBlob(ref.Digest) }

func (s *Store) missing(ref Ref, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store %s: value %s: blob is missing (removed by gc?): %w; rerun the node that made it", s.dir, ref.Digest, err)
	}
	return fmt.Errorf("store %s: reading value %s: %w", s.dir, ref.Digest, err)
}

func (s *Store) damaged(ref Ref) error {
	return fmt.Errorf("store %s: blob %s is damaged (its content no longer matches its digest): run `truss store check`, then rerun the node that made it", s.dir, ref.Digest)
}

// restore materialises a file or directory value once; later calls reuse it.
func (s *Store) restore(ref Ref) (string, error) {
	name := ref.Name
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		name = "value"
	}
	base := filepath.Join(s.dir, restoredDir, ref.Digest)
	final := filepath.Join(base, name)
	if _, err := os.Lstat(final); err == nil {
		touch(s.BlobPath(ref.Digest))
		return final, nil
	}
	blob := s.BlobPath(ref.Digest)
	f, err := os.Open(blob)
	if err != nil {
		return "", s.missing(ref, err)
	}
	defer f.Close()
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", s.writeErr("restoring a value", err)
	}
	tmp, err := os.MkdirTemp(base, ".tmp-")
	if err != nil {
		return "", s.writeErr("restoring a value", err)
	}
	defer os.RemoveAll(tmp)
	h := sha256.New()
	r := io.TeeReader(f, h)
	target := filepath.Join(tmp, name)
	if ref.Kind == KindFile {
		err = copyTo(target, r)
	} else {
		err = untar(r, target)
	}
	if err != nil {
		return "", fmt.Errorf("store %s: restoring value %s: %w", s.dir, ref.Digest, err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return "", s.missing(ref, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != ref.Digest {
		return "", s.damaged(ref)
	}
	if err := os.Rename(target, final); err != nil {
		if _, statErr := os.Lstat(final); statErr == nil {
			return final, nil // restored concurrently
		}
		return "", s.writeErr("restoring a value", err)
	}
	touch(blob)
	return final, nil
}

func copyTo(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// tarDir writes the tree at root as an uncompressed tar with names relative
// to root, in lexical order, without times or owners.
func tarDir(w io.Writer, root string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), Mode: int64(info.Mode().Perm()), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		switch {
		case d.IsDir():
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		case info.Mode()&fs.ModeSymlink != 0:
			if h.Linkname, err = os.Readlink(p); err != nil {
				return err
			}
			h.Typeflag = tar.TypeSymlink
		case info.Mode().IsRegular():
			h.Typeflag, h.Size = tar.TypeReg, info.Size()
		default:
			return nil // sockets, devices, fifos
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.Copy(tw, f)
		if err == nil && n != h.Size {
			err = fmt.Errorf("%s changed size while being stored", p)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("archiving %s: %w", root, err)
	}
	return tw.Close()
}

// untar extracts a tar written by tarDir into dest (created), through
// os.Root so no member can land outside it.
func untar(r io.Reader, dest string) error {
	if err := os.Mkdir(dest, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(r)
	var dirs []*tar.Header
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("archive member %q points outside the value", h.Name)
		}
		mode := fs.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return err
			}
			dirs = append(dirs, h)
		case tar.TypeReg:
			if dir := filepath.Dir(name); dir != "." {
				if err := root.MkdirAll(dir, 0o755); err != nil {
					return err
				}
			}
			f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := root.Symlink(h.Linkname, name); err != nil {
				return err
			}
		}
	}
	// Directory modes last, so read-only directories can be filled first.
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = root.Chmod(filepath.FromSlash(dirs[i].Name), fs.FileMode(dirs[i].Mode).Perm())
	}
	return nil
}

// hashFile hashes a blob file.
func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
