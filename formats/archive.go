package formats

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Defaults of ExtractLimits.
const (
	DefaultMaxExtractBytes   int64 = 4 << 30
	DefaultMaxExtractEntries       = 1 << 20
)

// ExtractLimits bound what extracting one archive may write, so a zip bomb
// fails with a clear error instead of filling the disk.
type ExtractLimits struct {
	MaxBytes   int64 // total bytes of extracted files (0: DefaultMaxExtractBytes)
	MaxEntries int   // number of members (0: DefaultMaxExtractEntries)
}

func (l ExtractLimits) withDefaults() ExtractLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxExtractBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxExtractEntries
	}
	return l
}

// ArchiveError is an archive refused as unsafe or over a limit.
type ArchiveError struct {
	Archive string
	Member  string // "" when the archive as a whole is refused
	Reason  string
}

func (e *ArchiveError) Error() string {
	if e.Member != "" {
		return fmt.Sprintf("refusing to extract %s: member %q %s", e.Archive, e.Member, e.Reason)
	}
	return fmt.Sprintf("refusing to extract %s: %s", e.Archive, e.Reason)
}

// memberName validates an archive member name and returns it cleaned
// (slash-separated, relative); "" means the archive root itself.
func memberName(name string) (string, string) {
	if name == "" {
		return "", "has an empty name"
	}
	if strings.ContainsRune(name, 0) {
		return "", "has a NUL byte in its name"
	}
	if strings.HasPrefix(name, "/") || filepath.IsAbs(name) {
		return "", "has an absolute path"
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", ""
	}
	if !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", "points outside the archive (../)"
	}
	return clean, ""
}

// sizeNote says by how much a limit was exceeded, for bomb errors.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// extractor writes members under a root it cannot escape (os.Root refuses
// any path or symlink leading out), within the limits.
type extractor struct {
	ctx     context.Context
	archive string
	root    *os.Root
	lim     ExtractLimits
	written int64
	entries int
	links   []pendingLink // symlinks, made last
}

type pendingLink struct{ name, target string }

func (x *extractor) refuse(member, reason string) error {
	return &ArchiveError{Archive: x.archive, Member: member, Reason: reason}
}

// count charges one member against the entry limit.
func (x *extractor) count() error {
	x.entries++
	if x.entries > x.lim.MaxEntries {
		return x.refuse("", fmt.Sprintf("it has more than %d members (limit; zip bomb?)", x.lim.MaxEntries))
	}
	return x.ctx.Err()
}

func (x *extractor) dir(name string, mode fs.FileMode) error {
	clean, bad := memberName(name)
	if bad != "" {
		return x.refuse(name, bad)
	}
	if clean == "" {
		return nil
	}
	if err := x.root.MkdirAll(clean, dirPerm(mode)); err != nil {
		return x.refuse(name, "cannot be created: "+rootReason(err))
	}
	return nil
}

func (x *extractor) file(name string, mode fs.FileMode, r io.Reader) error {
	clean, bad := memberName(name)
	if bad != "" {
		return x.refuse(name, bad)
	}
	if clean == "" {
		return x.refuse(name, "is a file in place of the archive root")
	}
	if dir := path.Dir(clean); dir != "." {
		if err := x.root.MkdirAll(dir, 0o755); err != nil {
			return x.refuse(name, "cannot be created: "+rootReason(err))
		}
	}
	f, err := x.root.OpenFile(clean, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, filePerm(mode))
	if err != nil {
		return x.refuse(name, "cannot be created: "+rootReason(err))
	}
	remaining := x.lim.MaxBytes - x.written
	n, err := io.Copy(f, io.LimitReader(ctxReader{x.ctx, r}, remaining+1))
	x.written += n
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if n > remaining {
		return x.refuse("", fmt.Sprintf("it expands to more than %s (limit; zip bomb?)", humanBytes(x.lim.MaxBytes)))
	}
	if err != nil {
		if ctxErr := x.ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("extracting %s from %s: %w", name, x.archive, err)
	}
	return nil
}

// hardlink links name to an earlier member.
func (x *extractor) hardlink(name, target string) error {
	clean, bad := memberName(name)
	if bad != "" {
		return x.refuse(name, bad)
	}
	old, bad := memberName(target)
	if bad != "" || old == "" {
		return x.refuse(name, "is a hard link outside the archive ("+target+")")
	}
	if dir := path.Dir(clean); dir != "." {
		if err := x.root.MkdirAll(dir, 0o755); err != nil {
			return x.refuse(name, "cannot be created: "+rootReason(err))
		}
	}
	if err := x.root.Link(old, clean); err != nil {
		return x.refuse(name, "hard link cannot be created: "+rootReason(err))
	}
	return nil
}

// symlink records a link to create after every file: a link made early
// could redirect a later member's write.
func (x *extractor) symlink(name, target string) error {
	clean, bad := memberName(name)
	if bad != "" {
		return x.refuse(name, bad)
	}
	if clean == "" {
		return x.refuse(name, "is a symlink in place of the archive root")
	}
	if target == "" || strings.HasPrefix(target, "/") || filepath.IsAbs(target) {
		return x.refuse(name, fmt.Sprintf("is a symlink to an absolute path (%s)", target))
	}
	if !filepath.IsLocal(filepath.FromSlash(path.Join(path.Dir(clean), target))) {
		return x.refuse(name, fmt.Sprintf("is a symlink pointing outside the archive (%s)", target))
	}
	x.links = append(x.links, pendingLink{clean, target})
	return nil
}

// finish creates the symlinks. The target check in symlink is lexical, so a
// link may not sit below another symlink, where ".." would resolve
// elsewhere than it reads.
func (x *extractor) finish() error {
	sort.Slice(x.links, func(i, j int) bool { return x.links[i].name < x.links[j].name })
	for _, l := range x.links {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		parts := strings.Split(l.name, "/")
		for i := 1; i < len(parts); i++ {
			p := strings.Join(parts[:i], "/")
			info, err := x.root.Lstat(p)
			if err == nil && info.Mode()&fs.ModeSymlink != 0 {
				return x.refuse(l.name, "is a symlink inside a symlinked directory ("+p+")")
			}
		}
		if dir := path.Dir(l.name); dir != "." {
			if err := x.root.MkdirAll(dir, 0o755); err != nil {
				return x.refuse(l.name, "cannot be created: "+rootReason(err))
			}
		}
		if err := x.root.Symlink(l.target, l.name); err != nil {
			return x.refuse(l.name, "symlink cannot be created: "+rootReason(err))
		}
	}
	return nil
}

// rootReason phrases an os.Root error, naming escapes plainly.
func rootReason(err error) string {
	if err == nil {
		return ""
	}
	if strings.Contains(err.Error(), "escapes") {
		return "its path leads outside the extraction directory"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

func filePerm(mode fs.FileMode) fs.FileMode { return mode.Perm()&0o755 | 0o600 }
func dirPerm(mode fs.FileMode) fs.FileMode  { return mode.Perm()&0o755 | 0o700 }

// ctxReader stops a long copy when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// extractTo runs fill against a fresh staging directory next to dest, then
// moves the result to dest, which must not exist. When the archive holds a
// single top-level directory named like dest (what ZipDir and TarGzDir
// write), that directory becomes dest, so archiving a directory and
// extracting it gives back the same tree rather than one nested in itself.
func extractTo(ctx context.Context, archive, dest string, lim ExtractLimits, fill func(*extractor) error) (err error) {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("extracting %s: %s already exists", archive, dest)
	}
	stage, err := os.MkdirTemp(filepath.Dir(dest), ".extract-*")
	if err != nil {
		return fmt.Errorf("extracting %s: %w", archive, err)
	}
	defer os.RemoveAll(stage) // left empty on success, the partial tree on failure
	tree := filepath.Join(stage, "tree")
	if err := os.Mkdir(tree, 0o755); err != nil {
		return fmt.Errorf("extracting %s: %w", archive, err)
	}
	root, err := os.OpenRoot(tree)
	if err != nil {
		return fmt.Errorf("extracting %s: %w", archive, err)
	}
	x := &extractor{ctx: ctx, archive: archive, root: root, lim: lim.withDefaults()}
	err = fill(x)
	if err == nil {
		err = x.finish()
	}
	if cerr := root.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(tree)
	if err != nil {
		return fmt.Errorf("extracting %s: %w", archive, err)
	}
	if len(entries) == 1 && entries[0].IsDir() && entries[0].Name() == filepath.Base(dest) {
		return os.Rename(filepath.Join(tree, entries[0].Name()), dest)
	}
	return os.Rename(tree, dest)
}

// writeAtomically writes dest through a temporary file in its directory so
// a failed or cancelled write leaves no partial archive.
func writeAtomically(dest string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, dest)
}

// walkDir lists the tree under dir (sorted, dir itself first) for the
// archive writers, naming each entry base(dir)/rel with slashes.
func walkDir(ctx context.Context, dir string, visit func(name, full string, d fs.DirEntry) error) error {
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	base := filepath.Base(filepath.Clean(dir))
	return filepath.WalkDir(dir, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, full)
		if err != nil {
			return err
		}
		name := base
		if rel != "." {
			name = base + "/" + filepath.ToSlash(rel)
		}
		return visit(name, full, d)
	})
}
