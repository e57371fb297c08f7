package upload

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// damager sits between the client and osslocal (on loopback, as an
// http.Handler around the server): it flips one byte in the body of the
// damagePart-th part and strips the per-part x-oss-hash-crc64ecma from
// every UploadPart answer, so that only the whole object's CRC64 at
// Complete can notice. It records whether each request carried
// Content-MD5.
type damager struct {
	next       http.Handler
	damagePart int // 0: damage nothing

	mu         sync.Mutex
	parts      int
	partMD5    int // parts that carried Content-MD5
	putMD5     int // PUTs (not parts) that carried Content-MD5
	puts       int
	damagedOne bool
}

func (d *damager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	isPart := r.Method == http.MethodPut && q.Has("partNumber")
	d.mu.Lock()
	hasMD5 := r.Header.Get("Content-MD5") != ""
	switch {
	case isPart:
		d.parts++
		if hasMD5 {
			d.partMD5++
		}
		if d.parts == d.damagePart {
			r.Body = &flipByte{r: r.Body, at: 1000}
			d.damagedOne = true
		}
		w = stripCRC{w}
	case r.Method == http.MethodPut:
		d.puts++
		if hasMD5 {
			d.putMD5++
		}
	}
	d.mu.Unlock()
	d.next.ServeHTTP(w, r)
}

// flipByte inverts byte at of a body.
type flipByte struct {
	r   io.ReadCloser
	at  int64
	off int64
}

func (f *flipByte) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if f.at >= f.off && f.at < f.off+int64(n) {
		p[f.at-f.off] ^= 0xff
	}
	f.off += int64(n)
	return n, err
}

func (f *flipByte) Close() error { return f.r.Close() }

// stripCRC drops the CRC64 header from an answer.
type stripCRC struct{ http.ResponseWriter }

func (s stripCRC) WriteHeader(code int) {
	s.Header().Del(oss.HTTPHeaderOssCRC64)
	s.ResponseWriter.WriteHeader(code)
}

func (s stripCRC) Write(p []byte) (int, error) {
	s.Header().Del(oss.HTTPHeaderOssCRC64)
	return s.ResponseWriter.Write(p)
}

// damagedEnv starts osslocal behind a damager and returns an Uploader
// talking to it (small parts, not resumable), and a bucket that reads
// osslocal directly.
func damagedEnv(t *testing.T, damagePart int) (*Uploader, *damager, *oss.Bucket) {
	t.Helper()
	srv := osslocaltest.Start(t)
	d := &damager{next: srv.Server, damagePart: damagePart}
	proxy := httptest.NewServer(d) // 127.0.0.1
	t.Cleanup(proxy.Close)
	vars := map[string]string{}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	direct, err := ossx.Load(ossx.Options{Retries: -1}, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	bk, err := direct.OpenBucket(srv.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	vars["OSS_ENDPOINT"] = proxy.URL
	cfg, err := ossx.Load(ossx.Options{Retries: -1}, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Retry.Base, cfg.Retry.Max = time.Millisecond, 5*time.Millisecond
	c, err := cfg.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	u := New(c, Options{Threshold: 300 << 10, PartSize: MinPartSize, Jobs: 2, Retry: cfg.Retry})
	return u, d, bk
}

// A part damaged on the way, with no per-part CRC64 in the answer to
// catch it (parts carry no Content-MD5), is still caught by the object's
// CRC64 at Complete: the upload fails and leaves no object. Files and
// streams alike.
func TestDamagedPartCaughtAtComplete(t *testing.T) {
	for _, name := range []string{"file", "stream"} {
		t.Run(name, func(t *testing.T) {
			u, d, bk := damagedEnv(t, 2)
			path, data := randomFile(t, 650<<10)
			var err error
			if name == "file" {
				_, err = u.File(context.Background(), path, dst("damaged"))
			} else {
				_, err = u.Stream(context.Background(), bytes.NewReader(data), dst("damaged"))
			}
			var crc *CRCMismatchError
			if !errors.As(err, &crc) {
				t.Fatalf("err = %v, want a CRC64 mismatch", err)
			}
			if !d.damagedOne {
				t.Fatal("no part went through the damager")
			}
			if ok, herr := bk.IsObjectExist("damaged"); herr != nil || ok {
				t.Fatalf("object left behind (exists %v, %v)", ok, herr)
			}
		})
	}
}

// Content-MD5 goes on single PUTs (issue 3) but not on parts, whose
// integrity the CRC64s check.
func TestContentMD5OnSinglePutsOnly(t *testing.T) {
	u, d, _ := damagedEnv(t, 0)
	small, _ := randomFile(t, 100<<10)
	big, _ := randomFile(t, 650<<10)
	for _, p := range []string{small, big} {
		if _, err := u.File(context.Background(), p, dst("md5")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := u.Stream(context.Background(), strings.NewReader("short"), dst("md5")); err != nil {
		t.Fatal(err)
	}
	if d.puts != 2 || d.putMD5 != 2 {
		t.Errorf("%d of %d single PUTs carried Content-MD5, want 2 of 2", d.putMD5, d.puts)
	}
	if d.parts == 0 || d.partMD5 != 0 {
		t.Errorf("%d of %d parts carried Content-MD5, want none", d.partMD5, d.parts)
	}
}
