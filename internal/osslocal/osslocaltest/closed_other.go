//go:build !unix

package osslocaltest

import (
	"net"
	"testing"
)

// ClosedEndpoint returns "http://127.0.0.1:PORT" where nothing listens
// (best effort: the port is free again once closed).
func ClosedEndpoint(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("osslocaltest: %v", err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}
