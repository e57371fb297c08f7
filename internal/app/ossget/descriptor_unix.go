//go:build unix

package ossget

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/ossx/ossx/internal/ossx"
)

// descriptor reports whether dest names one of this process's own open
// descriptors (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), and
// which. Written through the descriptor as - is, the object lands where
// the shell sends it: appended to a log a script opened with exec >> LOG
// (or 2>> LOG, 3>> LOG), where replacing the file the link leads to would
// drop the log's lines and leave the shell writing to a file no longer
// there.
func descriptor(dest string) (int, bool) {
	switch dest {
	case "/dev/stdin":
		return 0, true
	case "/dev/stdout":
		return 1, true
	case "/dev/stderr":
		return 2, true
	}
	for _, dir := range []string{"/dev/fd/", "/proc/self/fd/"} {
		if n, ok := strings.CutPrefix(dest, dir); ok {
			fd, err := strconv.Atoi(n)
			return fd, err == nil && fd >= 0 && strconv.Itoa(fd) == n
		}
	}
	return 0, false
}

// checkDescriptor fails when DEST names a descriptor the shell did not
// open. run calls it before this process opens a file or socket of its
// own, which could take that number and would then receive the object.
func checkDescriptor(dest string) error {
	fd, ok := descriptor(dest)
	if !ok {
		return nil
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return &ossx.UsageError{
			Err:  fmt.Errorf("DEST %s: descriptor %d is not open", dest, fd),
			Hint: fmt.Sprintf("open it where ossget is run, e.g. ossget SRC %s %d>>FILE", dest, fd),
		}
	}
	return nil
}
