package follow

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Born returns when f's inode was created (statx's birth time), if the
// file system records it (ext4, xfs, btrfs, tmpfs do). An inode number
// says which file only as long as that file exists: the file system gives a
// deleted file's number to the next file it creates; the birth time tells
// the two apart.
func Born(f *os.File) (time.Time, bool) {
	c, err := f.SyscallConn()
	if err != nil {
		return time.Time{}, false
	}
	var stx unix.Statx_t
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.Statx(int(fd), "", unix.AT_EMPTY_PATH, unix.STATX_BTIME, &stx)
	}); err != nil || serr != nil || stx.Mask&unix.STATX_BTIME == 0 {
		return time.Time{}, false
	}
	return time.Unix(stx.Btime.Sec, int64(stx.Btime.Nsec)), true
}
