package osslocal

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveEcho runs newHTTPServer with short timeouts around a handler that
// reads the whole body and answers its length.
func serveEcho(t *testing.T, tm timeouts) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return
		}
		io.WriteString(w, strings.Repeat("x", int(n)))
	})
	hs := newHTTPServer(h, tm, slog.New(slog.DiscardHandler))
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	return l.Addr().String()
}

// closedByServer reports whether the server hangs up on conn (read EOF or
// reset) before the test's own, much longer, deadline.
func closedByServer(t *testing.T, conn net.Conn) bool {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return true
}

func TestSlowClientsAreCut(t *testing.T) {
	tm := timeouts{header: 100 * time.Millisecond, idle: 100 * time.Millisecond, stall: 300 * time.Millisecond}
	addr := serveEcho(t, tm)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("headers never finished", func(t *testing.T) {
		c := dial()
		io.WriteString(c, "PUT /b/k HTTP/1.1\r\nHost: 127.0.0.1\r\n")
		if !closedByServer(t, c) {
			t.Fatal("server kept a connection whose headers never ended")
		}
	})
	t.Run("body stalls", func(t *testing.T) {
		c := dial()
		io.WriteString(c, "PUT /b/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nabc")
		if !closedByServer(t, c) {
			t.Fatal("server kept a connection whose body stopped arriving")
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		c := dial()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !closedByServer(t, c) {
			t.Fatal("server kept an idle connection")
		}
	})
	t.Run("slow but steady body passes", func(t *testing.T) {
		c := dial()
		io.WriteString(c, "PUT /b/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\nConnection: close\r\n\r\n")
		// Each byte arrives within the stall limit, the whole body after
		// more than it: progress keeps the request alive.
		for range 10 {
			time.Sleep(40 * time.Millisecond)
			io.WriteString(c, "z")
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "xxxxxxxxxx" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
}
