package upload

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"golang.org/x/time/rate"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/ossx"
)

// partBody is the body of a part of path: n bytes from off, hashed, as
// sendPart makes it; finals counts the calls of its final check.
func partBody(t *testing.T, u *Uploader, path string, off, n int64, finals *int) *body {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	bd := u.newBody(context.Background(), io.NewSectionReader(f, off, n), n, func() error { *finals++; return nil })
	bd.crc = crc64ecma.New()
	return bd
}

// offline is an Uploader whose client is never used.
func offline(t *testing.T) *Uploader {
	c, err := oss.New("http://127.0.0.1:9", "id", "secret")
	if err != nil {
		t.Fatal(err)
	}
	return New(c, Options{})
}

// copySend is a connection's send through memory: it appends the section
// to *sent.
func copySend(sent *[]byte) func(f *os.File, off, n int64) (int64, error) {
	return func(f *os.File, off, n int64) (int64, error) {
		buf := make([]byte, n)
		m, err := f.ReadAt(buf, off)
		*sent = append(*sent, buf[:m]...)
		if err == io.EOF {
			err = nil
		}
		return int64(m), err
	}
}

// A part of a file goes to the connection as an ossx.FileBody (sendfile),
// and its CRC64 is that of the bytes sent: sections of every alignment
// against the read buffer and the send chunk, from offsets inside the file.
func TestPartBodySendFile(t *testing.T) {
	path, data := randomFile(t, 2*sendChunk+readBufSize+777)
	u := offline(t)
	for _, tc := range []struct{ off, n int64 }{
		{0, int64(len(data))},
		{4321, int64(len(data)) - 4321 - 100},
		{readBufSize - 1, sendChunk + 1},
		{sendChunk, readBufSize},
		{17, 1},
	} {
		t.Run(strconv.FormatInt(tc.off, 10)+"+"+strconv.FormatInt(tc.n, 10), func(t *testing.T) {
			var finals int
			bd := partBody(t, u, path, tc.off, tc.n, &finals)
			var progress int64
			bd.progress = func(n int64) { progress += n }
			fb, ok := bd.reader().(ossx.FileBody)
			if !ok {
				t.Fatalf("a part's body is a %T, not an ossx.FileBody", bd.reader())
			}
			var sent []byte
			n, err := fb.SendFile(copySend(&sent))
			want := data[tc.off : tc.off+tc.n]
			if err != nil || n != tc.n || !bytes.Equal(sent, want) {
				t.Fatalf("SendFile = %d, %v; sent %d bytes equal to the section: %v", n, err, len(sent), bytes.Equal(sent, want))
			}
			if bd.crc.Sum64() != crcOf(want) {
				t.Errorf("CRC64 %d, want %d", bd.crc.Sum64(), crcOf(want))
			}
			if finals != 1 || progress != tc.n || bd.left != 0 {
				t.Errorf("final called %d times, progress %d, left %d; want 1, %d, 0", finals, progress, bd.left, tc.n)
			}
		})
	}
}

// The part's CRC64 comes from the read made just before the send: should
// the file change in between, the server's CRC64 of what it received is not
// the part's, and verify refuses the part.
func TestPartChangedBetweenHashAndSend(t *testing.T) {
	path, data := randomFile(t, sendChunk+5000)
	u := offline(t)
	var finals int
	bd := partBody(t, u, path, 0, int64(len(data)), &finals)
	var sent []byte
	send := copySend(&sent)
	changed := false
	_, err := bd.reader().(ossx.FileBody).SendFile(func(f *os.File, off, n int64) (int64, error) {
		if !changed {
			changed = true
			w, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			w.WriteAt([]byte{^data[100]}, 100)
			w.Close()
		}
		return send(f, off, n)
	})
	if err != nil {
		t.Fatal(err)
	}
	if bd.crc.Sum64() != crcOf(data) {
		t.Fatal("the part's CRC64 is not that of the bytes read")
	}
	h := http.Header{}
	h.Set(oss.HTTPHeaderOssCRC64, strconv.FormatUint(crcOf(sent), 10))
	var mismatch *CRCMismatchError
	if _, err := u.verify(h, bd.crc.Sum64(), ""); !errors.As(err, &mismatch) {
		t.Fatalf("verify = %v, want a CRC64 mismatch", err)
	}
}

// A file that got shorter than the part fails the part with
// ErrSourceChanged before the missing chunk is sent.
func TestPartBodyFileShrunk(t *testing.T) {
	path, data := randomFile(t, sendChunk+5000)
	u := offline(t)
	var finals int
	bd := partBody(t, u, path, 0, int64(len(data)), &finals)
	if err := os.Truncate(path, sendChunk+100); err != nil {
		t.Fatal(err)
	}
	var sent []byte
	n, err := bd.reader().(ossx.FileBody).SendFile(copySend(&sent))
	if !errors.Is(err, ErrSourceChanged) || n != sendChunk || finals != 0 {
		t.Fatalf("SendFile = %d, %v (final called %d times); want %d bytes, ErrSourceChanged, no final", n, err, finals, sendChunk)
	}
}

// With a bandwidth limit, a part is read through the body (no sendfile,
// whose chunks the limiter could not pace) and hashed there; the object
// holds the file's bytes.
func TestMultipartWithLimiter(t *testing.T) {
	e := newEnv(t)
	path, data := randomFile(t, 550<<10)
	lim := rate.NewLimiter(rate.Inf, 64<<10)
	u := e.uploader(func(o *Options) { o.Limiter = lim })
	var finals int
	if _, ok := partBody(t, u, path, 0, 1000, &finals).reader().(ossx.FileBody); ok {
		t.Fatal("a rate-limited part's body is an ossx.FileBody")
	}
	res, err := u.File(context.Background(), path, dst("limited"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.object("limited"), data) || res.CRC64 != crcOf(data) || res.Verified != VerifiedCRC64 {
		t.Fatalf("object differs from the file, or result %+v", res)
	}
}
