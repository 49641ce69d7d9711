//go:build unix

package store

import (
	"os"
	"syscall"
)

// unlockFile drops the flock bbolt took on f: after a panic inside bbolt
// the file stays mapped, and the mapping would keep the lock alive past
// Close.
func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
