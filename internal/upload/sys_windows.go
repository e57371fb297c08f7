//go:build windows

package upload

import "io/fs"

// devIno is (0, 0) on Windows: FileInfo carries no inode there, so a file
// replaced by one of the same size and mtime is not told apart, and a
// symlink loop under --follow-symlinks is not detected (the walk ends when
// the path grows too long).
func devIno(fs.FileInfo) (dev, ino uint64) { return 0, 0 }
