package ship

import (
	"os"
	"syscall"
)

// datasync makes f's data durable without its timestamps: a slot is
// overwritten in place, so its blocks and the file size are already on disk.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
