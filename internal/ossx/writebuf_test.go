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
