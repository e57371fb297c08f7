package ossx

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testFileBody sends file[off:off+n] through SendFile in pieces of chunk.
type testFileBody struct {
	f          *os.File
	off, left  int64
	chunk      int64
	sendCalled bool
}

func (b *testFileBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	n, err := b.f.ReadAt(p[:min(int64(len(p)), b.left)], b.off)
	b.off += int64(n)
	b.left -= int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (b *testFileBody) Close() error { return nil }
func (b *testFileBody) Len() int     { return int(b.left) }

func (b *testFileBody) SendFile(send func(f *os.File, off, n int64) (int64, error)) (int64, error) {
	b.sendCalled = true
	var total int64
	for b.left > 0 {
		m, err := send(b.f, b.off, min(b.left, b.chunk))
		b.off += m
		b.left -= m
		total += m
		if err != nil || m == 0 {
			return total, err
		}
	}
	return total, nil
}

// A FileBody goes out whole and in order, from its offset, over a TCP
// connection (sendfile) and over one that is not a socket (a copy); the
// file's own offset is not used; a limit shorter than the body makes it an
// ordinary reader.
func TestDeadlineConnSendFile(t *testing.T) {
	data := make([]byte, 3*writeBufSize+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Seek(17, io.SeekStart) // not where the body starts: must not matter

	tcp := func(t *testing.T) (net.Conn, net.Conn) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			c, _ := ln.Accept()
			accepted <- c
		}()
		a, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return a, <-accepted
	}
	for _, tc := range []struct {
		name     string
		conn     func(*testing.T) (net.Conn, net.Conn)
		off, n   int64
		limit    int64
		sendfile bool
	}{
		{"tcp", tcp, 0, int64(len(data)), int64(len(data)), true},
		{"tcp from an offset", tcp, 5000, int64(len(data)) - 5000, int64(len(data)) - 5000, true},
		{"pipe", func(*testing.T) (net.Conn, net.Conn) { return net.Pipe() }, 300, 2 * writeBufSize, 2 * writeBufSize, true},
		{"limit shorter than the body", tcp, 0, int64(len(data)), 1000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.conn(t)
			defer a.Close()
			defer b.Close()
			got := make(chan []byte)
			go func() {
				all, _ := io.ReadAll(b)
				got <- all
			}()
			c := &deadlineConn{Conn: a, timeout: time.Minute}
			fb := &testFileBody{f: f, off: tc.off, left: tc.n, chunk: 700000}
			lr := &io.LimitedReader{R: fb, N: tc.limit}
			n, err := c.ReadFrom(lr)
			a.Close()
			if err != nil || n != tc.limit || lr.N != 0 {
				t.Fatalf("ReadFrom = %d, %v (left %d); want %d", n, err, lr.N, tc.limit)
			}
			if fb.sendCalled != tc.sendfile {
				t.Errorf("SendFile called: %v, want %v", fb.sendCalled, tc.sendfile)
			}
			if !bytes.Equal(<-got, data[tc.off:tc.off+tc.limit]) {
				t.Fatal("bytes sent differ from the file's")
			}
		})
	}
	// A file shorter than the section: what there is, then no error from
	// send; the body decides (the upload's says the source changed).
	a, b := tcp(t)
	defer b.Close()
	go io.Copy(io.Discard, b)
	c := &deadlineConn{Conn: a, timeout: time.Minute}
	n, err := c.sendFile(f, int64(len(data))-10, 100)
	a.Close()
	if n != 10 || err != nil {
		t.Fatalf("sendFile past the end = %d, %v; want 10, nil", n, err)
	}
}
