package formats

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// hashTree feeds a directory's relative names, modes and file contents to w in
// lexical order, so equal trees give equal digests wherever they live.
func hashTree(w io.Writer, root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\x00%d\x00", filepath.ToSlash(rel), d.Type())
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
}
