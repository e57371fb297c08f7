package ossx

import (
	"bytes"
	"io"
	"net"
	"testing"
	"testing/iotest"
	"time"
)

// deadlineConn.ReadFrom sends request bodies whole and in order, whether
// they are in memory, small, or streamed through the pooled buffer.
func TestDeadlineConnReadFrom(t *testing.T) {
	data := make([]byte, 3*writeBufSize+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name string
		r    func() io.Reader
		n    int64
	}{
		{"bytes.Reader", func() io.Reader { return bytes.NewReader(data) }, int64(len(data))},
		{"small", func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) }, 4096},
		{"streamed", func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) }, int64(len(data))},
		{"limited below the reader's length", func() io.Reader { return bytes.NewReader(data) }, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			got := make(chan []byte)
			go func() {
				all, _ := io.ReadAll(b)
				got <- all
			}()
			c := &deadlineConn{Conn: a, timeout: time.Minute}
			lr := &io.LimitedReader{R: tc.r(), N: tc.n}
			n, err := c.ReadFrom(lr)
			a.Close()
			if err != nil || n != tc.n || lr.N != 0 {
				t.Fatalf("ReadFrom = %d, %v (left %d); want %d", n, err, lr.N, tc.n)
			}
			if !bytes.Equal(<-got, data[:tc.n]) {
				t.Fatal("bytes sent differ from the body")
			}
		})
	}
}

// writeCounter is a connection that keeps what is written to it, one write
// at a time.
type writeCounter struct {
	net.Conn
	writes []int
	all    bytes.Buffer
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, len(p))
	return w.all.Write(p)
}

func (w *writeCounter) SetWriteDeadline(time.Time) error { return nil }

// The SDK hands net/http every body in an io.NopCloser, which net/http
// leaves on: ReadFrom takes it off, so an in-memory body still goes out in
// one write, not copied through the pooled buffer.
func TestDeadlineConnReadFromNopCloser(t *testing.T) {
	data := make([]byte, 3*writeBufSize+5)
	for i := range data {
		data[i] = byte(i * 13)
	}
	for _, body := range []io.Reader{
		io.NopCloser(bytes.NewReader(data)),
		io.NopCloser(struct{ io.Reader }{bytes.NewReader(data)}), // no WriterTo: copied
	} {
		w := &writeCounter{}
		c := &deadlineConn{Conn: w, timeout: time.Minute}
		lr := &io.LimitedReader{R: body, N: int64(len(data))}
		n, err := c.ReadFrom(lr)
		if err != nil || n != int64(len(data)) || !bytes.Equal(w.all.Bytes(), data) {
			t.Fatalf("%T: ReadFrom = %d, %v; bytes equal: %v", body, n, err, bytes.Equal(w.all.Bytes(), data))
		}
		_, inMemory := unwrapNopCloser(body).(*bytes.Reader)
		if want := 1; inMemory && len(w.writes) != want {
			t.Errorf("%T: %d writes %v, want one", body, len(w.writes), w.writes)
		}
		if !inMemory && len(w.writes) != 4 {
			t.Errorf("%T: %d writes %v, want 4 of up to %d", body, len(w.writes), w.writes, writeBufSize)
		}
	}
}
