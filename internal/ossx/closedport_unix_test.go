//go:build unix

package ossx

import (
	"fmt"
	"syscall"
	"testing"
)

// ClosedPort returns "127.0.0.1:PORT" where nothing listens and nothing
// can start to until the test ends: the port is bound but never put in the
// listening state, so connecting is refused. (Closing a listener instead
// would free the port for the next test's listener to reuse.)
func ClosedPort(t testing.TB) string {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}
