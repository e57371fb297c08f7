//go:build unix

package osslocaltest

import (
	"fmt"
	"syscall"
	"testing"
)

// ClosedEndpoint returns "http://127.0.0.1:PORT" where nothing listens and
// nothing can start to until the test ends, so connecting is refused, as
// with an OSS that is down: the port is bound but never put in the
// listening state. (Closing a listener instead would free the port for the
// next test's listener to reuse.)
func ClosedEndpoint(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("osslocaltest: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("osslocaltest: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("osslocaltest: %v", err)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}
