//go:build !unix

package ossx

import (
	"net"
	"testing"
)

// ClosedPort returns "127.0.0.1:PORT" where nothing listens (best effort:
// the port is free again once closed).
func ClosedPort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
