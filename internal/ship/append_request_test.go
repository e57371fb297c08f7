//go:build unix

package ship

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// appenderAt returns an Appender for bucket on endpoint, with the SDK's
// CRC64 check off, as gtail runs it.
func appenderAt(t *testing.T, endpoint, id, secret, bucket string) *Appender {
	c, err := oss.New(endpoint, id, secret)
	if err != nil {
		t.Fatal(err)
	}
	c.Config.IsEnableCRC = false
	b, err := c.Bucket(bucket)
	if err != nil {
		t.Fatal(err)
	}
	return &Appender{Bucket: b, Log: slog.New(slog.DiscardHandler), Bounded: true,
		Retry: ossx.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}}
}

// TestAppendRequest: Append's own AppendObject request (appendObject,
// through Bucket.Do) lands the bytes at the position, as an
// application/octet-stream appendable object, and returns the object's
// length and CRC64.
func TestAppendRequest(t *testing.T) {
	ts := osslocaltest.Start(t)
	a := appenderAt(t, ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret, ts.Bucket)
	ctx := context.Background()
	var obj Object
	obj.Key = "dir/app.log" // an extension the MIME table knows: not what is sent
	var all []byte
	for _, part := range []string{"one\n", "two\nthree\n", strings.Repeat("x", 100<<10) + "\n"} {
		var err error
		if obj, err = a.Append(ctx, obj, []byte(part)); err != nil {
			t.Fatal(err)
		}
		all = append(all, part...)
		if obj.Pos != int64(len(all)) || obj.CRC != crc64ecma.Update(0, all) {
			t.Fatalf("after %d bytes: Append = %+v, want position %d crc %d", len(all), obj, len(all), crc64ecma.Update(0, all))
		}
	}
	h, err := a.Bucket.GetObjectDetailedMeta(obj.Key)
	if err != nil {
		t.Fatal(err)
	}
	if ct, typ := h.Get("Content-Type"), h.Get("X-Oss-Object-Type"); ct != "application/octet-stream" || typ != "Appendable" {
		t.Errorf("object Content-Type %q, type %q; want application/octet-stream, Appendable", ct, typ)
	}
	r, err := a.Bucket.GetObject(obj.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, all) {
		t.Fatalf("object holds %d bytes, not the %d appended", len(got), len(all))
	}
}

// TestAppendRefuses: the answers Append must not take for success, each
// through the request it sends itself: a position another writer took (409
// PositionNotEqualToLength, then HEAD: a conflict), an object that is not
// appendable, a bucket that does not exist (a plain error, not retried), a
// server without CRC64.
func TestAppendRefuses(t *testing.T) {
	ctx := context.Background()
	t.Run("another writer", func(t *testing.T) {
		ts := osslocaltest.Start(t)
		a := appenderAt(t, ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret, ts.Bucket)
		obj, err := a.Append(ctx, Object{Key: "k"}, []byte("mine\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Bucket.AppendObject("k", strings.NewReader("theirs\n"), obj.Pos); err != nil {
			t.Fatal(err)
		}
		got, err := a.Append(ctx, obj, []byte("mine again\n"))
		var ce *ConflictError
		if !errors.As(err, &ce) || got != obj {
			t.Fatalf("Append after another writer = %+v, %v; want a conflict and the object unchanged", got, err)
		}
		if n := ts.Faults.Fired(osslocal.OpAny); n != 0 {
			t.Fatalf("%d faults fired; none set", n)
		}
	})
	t.Run("not appendable", func(t *testing.T) {
		ts := osslocaltest.Start(t)
		a := appenderAt(t, ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret, ts.Bucket)
		if err := a.Bucket.PutObject("k", strings.NewReader("a normal object\n")); err != nil {
			t.Fatal(err)
		}
		_, err := a.Append(ctx, Object{Key: "k"}, []byte("x\n"))
		var ce *ConflictError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "not appendable") {
			t.Fatalf("Append to a normal object = %v; want a not-appendable conflict", err)
		}
	})
	t.Run("no such bucket", func(t *testing.T) {
		ts := osslocaltest.Start(t)
		a := appenderAt(t, ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret, "no-such-bucket")
		a.Bounded = false // a definite 4xx ends it all the same
		_, err := a.Append(ctx, Object{Key: "k"}, []byte("x\n"))
		var se oss.ServiceError
		if !errors.As(err, &se) || se.Code != "NoSuchBucket" {
			t.Fatalf("Append to a missing bucket = %v; want NoSuchBucket", err)
		}
	})
	t.Run("no CRC64", func(t *testing.T) {
		ts := osslocaltest.Start(t, func(o *osslocal.Options) { o.NoCRC64 = true })
		a := appenderAt(t, ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret, ts.Bucket)
		_, err := a.Append(ctx, Object{Key: "k"}, []byte("x\n"))
		var ne *NoCRC64Error
		if !errors.As(err, &ne) {
			t.Fatalf("Append to a server without CRC64 = %v; want NoCRC64Error", err)
		}
	})
}

// TestAppendChecksNextPosition: an answer whose
// x-oss-next-append-position is not the position after the body (here
// rewritten by a proxy in front of osslocal) is not taken for success but
// settled by HEAD, and the append is not sent again.
func TestAppendChecksNextPosition(t *testing.T) {
	for _, tc := range []struct {
		name, next string
	}{
		{"wrong", "1"},
		{"missing", ""},
		{"garbage", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := osslocaltest.Start(t)
			u, err := url.Parse(ts.Endpoint)
			if err != nil {
				t.Fatal(err)
			}
			var rewritten, heads atomic.Int32
			proxy := httputil.NewSingleHostReverseProxy(u)
			proxy.ModifyResponse = func(r *http.Response) error {
				if r.Request.Method == "HEAD" {
					heads.Add(1)
				}
				if r.Request.Method == "POST" && r.Request.URL.Query().Has("append") && rewritten.Add(1) == 2 {
					if tc.next == "" {
						r.Header.Del(oss.HTTPHeaderOssNextAppendPosition)
					} else {
						r.Header.Set(oss.HTTPHeaderOssNextAppendPosition, tc.next)
					}
				}
				return nil
			}
			ps := httptest.NewServer(proxy)
			defer ps.Close()
			a := appenderAt(t, ps.URL, ts.AccessKeyID, ts.AccessKeySecret, ts.Bucket)
			ctx := context.Background()
			obj, err := a.Append(ctx, Object{Key: "k"}, []byte("a\n"))
			if err != nil {
				t.Fatal(err)
			}
			if obj, err = a.Append(ctx, obj, []byte("b\n")); err != nil || obj.Pos != 4 {
				t.Fatalf("Append with a %s next position = %+v, %v; want position 4 (settled by HEAD)", tc.name, obj, err)
			}
			if rewritten.Load() != 2 || heads.Load() != 1 {
				t.Fatalf("%d appends and %d HEADs sent; want 2 and 1 (the second append settled by HEAD, not sent again)",
					rewritten.Load(), heads.Load())
			}
		})
	}
}

// TestEncodeReusesBuffer: a body encoded into the last one's buffer is the
// same member as one encoded afresh, also with more encodes at once than
// compressors kept.
func TestEncodeReusesBuffer(t *testing.T) {
	a := &Appender{Gzip: true}
	data := bytes.Repeat([]byte("2026-01-02 INFO request done status=200\n"), 3000)
	want := a.Encode(nil, data)
	var wg sync.WaitGroup
	errs := make(chan string, 2*cap(gzipWriters))
	for i := 0; i < 2*cap(gzipWriters); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var enc []byte
			for j := 0; j < 3; j++ {
				enc = a.Encode(enc, data[:len(data)-j])
				zr, err := gzip.NewReader(bytes.NewReader(enc))
				if err != nil {
					errs <- err.Error()
					return
				}
				if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, data[:len(data)-j]) {
					errs <- "a member does not hold its data"
					return
				}
			}
			if again := a.Encode(enc, data); !bytes.Equal(again, want) {
				errs <- "the same data encoded differently into a used buffer"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
