package ossx

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sendFile writes n bytes of f from off to the connection with sendfile(2),
// at the offset given (f's own offset is neither used nor moved, so the
// same file can be read elsewhere meanwhile). Like Write, each call that
// makes no progress for the timeout fails.
func (c *deadlineConn) sendFile(f *os.File, off, n int64) (int64, error) {
	dst, ok := c.Conn.(syscall.Conn)
	if !ok {
		return c.copySection(f, off, n)
	}
	out, err := dst.SyscallConn()
	if err != nil {
		return c.copySection(f, off, n)
	}
	in, err := f.SyscallConn()
	if err != nil {
		return c.copySection(f, off, n)
	}
	var sent int64
	var serr error
	cerr := in.Control(func(infd uintptr) {
		for sent < n && serr == nil {
			c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
			var eof bool
			werr := out.Write(func(outfd uintptr) bool {
				m, err := unix.Sendfile(int(outfd), int(infd), &off, int(min(n-sent, 1<<30)))
				switch {
				case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR):
					return false // wait until the socket takes more
				case err != nil:
					serr = os.NewSyscallError("sendfile", err)
				case m == 0:
					eof = true // the file ends before off+n
				default:
					sent += int64(m)
				}
				return true
			})
			if werr != nil && serr == nil {
				serr = werr
			}
			if eof {
				break
			}
		}
	})
	if serr == nil {
		serr = cerr
	}
	return sent, serr
}
