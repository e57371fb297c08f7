//go:build unix

package download

import (
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives f the owner and group of old, where the process may:
// root may; another user may keep the group if it is in it (as cp -p
// does). It reports whether f has old's group now.
func keepOwner(f *os.File, old fs.FileInfo) bool {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	if f.Chown(int(st.Uid), int(st.Gid)) == nil || f.Chown(-1, int(st.Gid)) == nil {
		return true
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	now, ok := fi.Sys().(*syscall.Stat_t)
	return ok && now.Gid == st.Gid
}
