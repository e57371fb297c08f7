//go:build windows

package upload

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

var errLocked = errors.New("locked")

// lockFile takes a non-blocking exclusive LockFileEx lock on the first byte;
// Windows releases it when the process dies.
func lockFile(f *os.File) error {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLocked
	}
	return err
}

// devIno is (0, 0) on Windows: FileInfo carries no inode there, so a file
// replaced by one of the same size and mtime is not told apart, and a
// symlink loop under --follow-symlinks is not detected (the walk ends when
// the path grows too long).
func devIno(fs.FileInfo) (dev, ino uint64) { return 0, 0 }
