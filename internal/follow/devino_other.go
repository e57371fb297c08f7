//go:build !unix

package follow

import "os"

// DevIno is not available here: file identity needs inode numbers, which
// gtail only reads on Unix systems. gtail refuses to run elsewhere.
func DevIno(os.FileInfo) (dev, ino uint64) { return 0, 0 }
