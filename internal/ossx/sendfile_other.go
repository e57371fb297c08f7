//go:build !linux

package ossx

import "os"

// sendFile writes n bytes of f from off to the connection, through memory:
// sendfile(2) is used on Linux only.
func (c *deadlineConn) sendFile(f *os.File, off, n int64) (int64, error) {
	return c.copySection(f, off, n)
}
