//go:build unix

package follow

import (
	"os"
	"syscall"
)

// DevIno returns the device and inode numbers of st.
func DevIno(st os.FileInfo) (dev, ino uint64) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Dev), uint64(s.Ino) //nolint:unconvert // types differ across platforms
	}
	return 0, 0
}
