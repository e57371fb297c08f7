package osslocaltest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// SilentEndpoint returns "http://127.0.0.1:PORT" of an OSS that accepts
// connections and reads requests but never answers, as a hung server or a
// black-holed network does. It stops when the test ends.
func SilentEndpoint(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("osslocaltest: %v", err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			// Reading keeps a large request body from stalling on a full
			// TCP window: the client waits for an answer, not to write.
			go io.Copy(io.Discard, c)
		}
	}()
	return "http://" + l.Addr().String()
}
