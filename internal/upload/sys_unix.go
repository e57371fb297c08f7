//go:build unix

package upload

import (
	"io/fs"
	"syscall"
)

// devIno returns the device and inode of fi.
func devIno(fi fs.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}
