package osslocal_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// The benchmarks call the handler directly (no network, no client) on a
// public-read-write bucket, so they measure what the server itself costs
// per request: parsing, the store, hashing and the XML. The signed path
// through a real client is what scripts/bench measures.

// benchServer returns a server whose bucket accepts anonymous writes.
func benchServer(b *testing.B, dir string) (*osslocal.Server, string) {
	b.Helper()
	ts := osslocaltest.Start(b, func(o *osslocal.Options) { o.DataDir = dir; o.Faults = nil })
	c, err := oss.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.SetBucketACL(ts.Bucket, oss.ACLPublicReadWrite); err != nil {
		b.Fatal(err)
	}
	return ts.Server, ts.Bucket
}

func serve(b *testing.B, h http.Handler, method, target string, body []byte) *httptest.ResponseRecorder {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	req.Host = "127.0.0.1:9000" // path style; example.com would read as a virtual host
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
	}
	return rec
}

// BenchmarkPut is PutObject of one body size, cycling over 100 keys (so
// that half the puts replace an object), in memory and in a directory.
func BenchmarkPut(b *testing.B) {
	for _, store := range []string{"Memory", "Dir"} {
		for _, size := range []int{4 << 10, 1 << 20} {
			b.Run(fmt.Sprintf("%s/%s", store, sizeName(size)), func(b *testing.B) {
				dir := ""
				if store == "Dir" {
					dir = b.TempDir()
				}
				srv, bucket := benchServer(b, dir)
				body := bytes.Repeat([]byte("0123456789abcdef"), size/16)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					serve(b, srv, http.MethodPut, fmt.Sprintf("/%s/put/%03d", bucket, i%100), body)
					i++
				}
			})
		}
	}
}

// BenchmarkAppend is AppendObject of one body size to a growing object
// (a new object every 256 MiB, so memory stays bounded).
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10, 4 << 20} {
		b.Run(sizeName(size), func(b *testing.B) {
			srv, bucket := benchServer(b, "")
			body := bytes.Repeat([]byte("log line of 32 bytes, more or le\n"), size/33+1)[:size]
			b.SetBytes(int64(size))
			b.ReportAllocs()
			obj, pos := 0, 0
			for b.Loop() {
				if pos+size > 256<<20 {
					obj, pos = obj+1, 0
				}
				rec := serve(b, srv, http.MethodPost, fmt.Sprintf("/%s/append/%d?append&position=%d", bucket, obj, pos), body)
				next, err := strconv.Atoi(rec.Header().Get("x-oss-next-append-position"))
				if err != nil || next != pos+size {
					b.Fatalf("next position %q after %d+%d", rec.Header().Get("x-oss-next-append-position"), pos, size)
				}
				pos = next
			}
		})
	}
}

// BenchmarkList is ListObjectsV2 of a full page (1000 keys) from a bucket
// of 10,000, walking the pages round and round; b.N counts pages.
func BenchmarkList(b *testing.B) {
	srv, bucket := benchServer(b, "")
	const keys = 10000
	for i := range keys {
		serve(b, srv, http.MethodPut, fmt.Sprintf("/%s/logs/2026/01/02/host-%02d/part-%06d.log", bucket, i%50, i), []byte("x"))
	}
	b.ReportAllocs()
	after := ""
	for b.Loop() {
		rec := serve(b, srv, http.MethodGet, fmt.Sprintf("/%s/?list-type=2&max-keys=1000&start-after=%s", bucket, after), nil)
		// The last key of the page is where the next one starts.
		body := rec.Body.Bytes()
		i := bytes.LastIndex(body, []byte("<Key>"))
		j := bytes.LastIndex(body, []byte("</Key>"))
		if i < 0 || j < i || bytes.Contains(body, []byte("<IsTruncated>false</IsTruncated>")) {
			after = ""
		} else {
			after = string(body[i+5 : j])
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "keys/s")
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	default:
		return fmt.Sprintf("%dKiB", n>>10)
	}
}

// BenchmarkPutKeys fills a fresh in-memory bucket with 200,000 small
// objects whose keys arrive in no particular order (as from many writers),
// so it measures how the key index grows: one op is the whole load. Run it
// with -benchtime=1x.
func BenchmarkPutKeys(b *testing.B) {
	const keys = 200_000
	for b.Loop() {
		b.StopTimer()
		srv, bucket := benchServer(b, "")
		b.StartTimer()
		for i := range keys {
			// Multiplying by a number prime to keys visits 0..keys-1 once
			// each, scattered.
			n := (i * 7919) % keys
			serve(b, srv, http.MethodPut, fmt.Sprintf("/%s/data/%06d/obj", bucket, n), []byte("x"))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*keys), "ns/key")
}
