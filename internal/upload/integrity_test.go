package upload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// damager sits between the client and osslocal (on loopback, as an
// http.Handler around the server): it flips one byte in the body of the
// damagePart-th part and, with strip, drops the per-part
// x-oss-hash-crc64ecma from every UploadPart answer. It records whether
// each request carried Content-MD5.
type damager struct {
	next       http.Handler
	damagePart int // 0: damage nothing
	strip      bool
	etag       string // when set, the ETag of every PUT and part answer

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
		if d.strip {
			w = stripCRC{w}
		}
		if d.etag != "" {
			w = setETag{w, d.etag}
		}
	case r.Method == http.MethodPut:
		d.puts++
		if hasMD5 {
			d.putMD5++
		}
		if d.etag != "" {
			w = setETag{w, d.etag}
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

// setETag replaces the ETag of an answer.
type setETag struct {
	http.ResponseWriter
	etag string
}

func (s setETag) WriteHeader(code int) {
	s.Header().Set("ETag", s.etag)
	s.ResponseWriter.WriteHeader(code)
}

func (s setETag) Write(p []byte) (int, error) {
	s.Header().Set("ETag", s.etag)
	return s.ResponseWriter.Write(p)
}

// damagedEnv starts osslocal (adjusted by opts) behind a damager and
// returns an Uploader talking to it (small parts, not resumable), and a
// bucket that reads osslocal directly.
func damagedEnv(t *testing.T, damagePart int, strip bool, opts ...func(*osslocal.Options)) (*Uploader, *damager, *oss.Bucket) {
	t.Helper()
	srv := osslocaltest.Start(t, opts...)
	d := &damager{next: srv.Server, damagePart: damagePart, strip: strip}
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

// A part damaged on the way is caught by the CRC64 OSS answers for it: the
// upload fails and leaves no object. Files and streams alike.
func TestDamagedPartCaught(t *testing.T) {
	for _, name := range []string{"file", "stream"} {
		t.Run(name, func(t *testing.T) {
			u, d, bk := damagedEnv(t, 2, false)
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

// Parts the server answers without a CRC64 are checked by MD5: the first
// ones (sent before that was known) by reading them again and comparing
// with their ETag, the later ones by Content-MD5 as well. Each part is sent
// once. The whole object's CRC64 at Complete still verifies it.
func TestPartWithoutCRCCheckedByMD5(t *testing.T) {
	for _, name := range []string{"file", "stream"} {
		t.Run(name, func(t *testing.T) {
			u, d, bk := damagedEnv(t, 0, true)
			path, data := randomFile(t, 650<<10)
			res, err := fileOrStream(u, name == "stream", path, data, "md5parts")
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified != VerifiedCRC64 {
				t.Errorf("Verified = %q, want %q (Complete sent a CRC64)", res.Verified, VerifiedCRC64)
			}
			// 7 parts; at most Jobs (2) went without Content-MD5 before
			// the first answer without a CRC64 came.
			if d.parts != 7 || d.partMD5 < 5 {
				t.Errorf("%d parts sent, %d with Content-MD5; want 7, at least 5 with it", d.parts, d.partMD5)
			}
			checkObject(t, bk, "md5parts", data)
		})
	}
}

// A part damaged on the way and answered without a CRC64 (the first part,
// sent without Content-MD5) is caught by its ETag: the upload fails, and
// no object is left.
func TestDamagedPartWithoutCRCCaught(t *testing.T) {
	u, d, bk := damagedEnv(t, 1, true)
	path, _ := randomFile(t, 650<<10)
	_, err := u.File(context.Background(), path, dst("damaged"))
	if err == nil || !strings.Contains(err.Error(), "is not the MD5 of the bytes sent") {
		t.Fatalf("err = %v, want an ETag that is not the MD5 of the bytes sent", err)
	}
	if !d.damagedOne {
		t.Fatal("no part went through the damager")
	}
	if ok, herr := bk.IsObjectExist("damaged"); herr != nil || ok {
		t.Fatalf("object left behind (exists %v, %v)", ok, herr)
	}
}

// Content-MD5 goes on single PUTs (issue 3) but not on parts, whose
// integrity the CRC64s check.
func TestContentMD5OnSinglePutsOnly(t *testing.T) {
	u, d, _ := damagedEnv(t, 0, false)
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

func noCRC64(o *osslocal.Options) { o.NoCRC64 = true }

// Against a server that sends no x-oss-hash-crc64ecma at all, every single
// PUT and every part carries Content-MD5, and the upload is verified by it:
// files and streams, single PUTs and multipart.
func TestNoCRC64ServerVerifiesByMD5(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		stream bool
	}{
		{"file-single", 200 << 10, false},
		{"file-multipart", 650 << 10, false},
		{"stream-single", 1000, true},
		{"stream-multipart", 650 << 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, d, bk := damagedEnv(t, 0, false, noCRC64)
			path, data := randomFile(t, tc.size)
			res, err := fileOrStream(u, tc.stream, path, data, "md5")
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified != VerifiedMD5 || res.CRC64 != crcOf(data) || res.Size != int64(len(data)) {
				t.Errorf("result %+v; want verified %q, size %d, crc %d", res, VerifiedMD5, len(data), crcOf(data))
			}
			// 7 parts of 100 KiB for the multipart ones, each sent once; at
			// most Jobs (2) went without Content-MD5 before the first
			// answer without a CRC64 came (checked by reading them again).
			wantParts := 0
			if tc.size > 300<<10 {
				wantParts = 7
			}
			if d.putMD5 != d.puts || d.parts != wantParts || d.parts-d.partMD5 > 2 {
				t.Errorf("Content-MD5 on %d of %d PUTs and %d of %d parts; want all PUTs and %d parts, all but 2 at most with it", d.putMD5, d.puts, d.partMD5, d.parts, wantParts)
			}
			checkObject(t, bk, "md5", data)
		})
	}
}

// Where neither a CRC64 nor an ETag that is the MD5 is sent, nothing can
// verify the upload: it fails, and the object is deleted (single PUT) or
// never completed (multipart).
func TestNoCRC64AndNoMD5ETagFails(t *testing.T) {
	for _, size := range []int{1000, 650 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			u, d, bk := damagedEnv(t, 0, false, noCRC64)
			d.etag = `"not-an-md5"`
			path, _ := randomFile(t, size)
			_, err := u.File(context.Background(), path, dst("unverified"))
			if err == nil || !strings.Contains(err.Error(), "cannot verify the upload") {
				t.Fatalf("err = %v, want 'cannot verify the upload'", err)
			}
			if ok, herr := bk.IsObjectExist("unverified"); herr != nil || ok {
				t.Fatalf("object left behind (exists %v, %v)", ok, herr)
			}
		})
	}
}

// fileOrStream uploads the file at path, or its bytes data as a stream, to key.
func fileOrStream(u *Uploader, stream bool, path string, data []byte, key string) (Result, error) {
	if stream {
		return u.Stream(context.Background(), bytes.NewReader(data), dst(key))
	}
	return u.File(context.Background(), path, dst(key))
}

// checkObject fails the test unless key holds data.
func checkObject(t *testing.T, bk *oss.Bucket, key string, data []byte) {
	t.Helper()
	r, err := bk.GetObject(key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object differs from the source (%d bytes read of %d, %v)", len(got), len(data), err)
	}
}
