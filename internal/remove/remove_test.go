package remove

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/listing"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// dropping forwards to target, leaving the <Deleted> entry of every key
// starting with "keep" out of DeleteMultipleObjects answers: OSS not
// confirming those keys.
func dropping(t *testing.T, target string) string {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	drop := regexp.MustCompile(`<Deleted>\s*<Key>keep[^<]*</Key>\s*</Deleted>`)
	rp.ModifyResponse = func(r *http.Response) error {
		if _, ok := r.Request.URL.Query()["delete"]; !ok {
			return nil
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		body = drop.ReplaceAll(body, nil)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", fmt.Sprint(len(body)))
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rp}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// Every key OSS leaves out of its answer is reported as failed, in order,
// over several batches; the others as deleted.
func TestUnconfirmedKeys(t *testing.T) {
	srv := osslocaltest.Start(t)
	c, err := oss.New(dropping(t, srv.Endpoint), srv.AccessKeyID, srv.AccessKeySecret, oss.ForcePathStyle(true))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(srv.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 2100 {
		k := fmt.Sprintf("p/gone-%04d", i)
		if i%700 == 3 {
			k = fmt.Sprintf("keep-%04d", i) // not below p/: listed only by Keys
		}
		want = append(want, k)
		if err := b.PutObject(k, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	retry := ossx.DefaultRetryPolicy(0)
	retry.Base = time.Millisecond
	r := New(b, Options{Retry: retry})
	var got []Outcome
	if err := r.Keys(context.Background(), want, func(o Outcome) { got = append(got, o) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d outcomes for %d keys", len(got), len(want))
	}
	failed := 0
	for i, o := range got {
		if o.URL.Key != want[i] {
			t.Fatalf("outcome %d is %s, want key %s", i, o.URL, want[i])
		}
		if strings.HasPrefix(o.URL.Key, "keep") != (o.Err != nil) {
			t.Errorf("%s: err %v", o.URL, o.Err)
		}
		if o.Err != nil {
			failed++
		}
	}
	if failed != 3 {
		t.Errorf("%d keys reported failed, want 3", failed)
	}

	// Prefix goes page by page; a dry run deletes nothing.
	for _, k := range []string{"q/a", "q/b", "q/c.tmp"} {
		if err := b.PutObject(k, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := listing.NewFilter("q/", []string{"*.tmp"}, nil)
	var dry []string
	dr := New(b, Options{Retry: retry, DryRun: true})
	if err := dr.Prefix(context.Background(), "q/", f, func(o Outcome) { dry = append(dry, o.URL.Key) }); err != nil || len(dry) != 1 || dry[0] != "q/c.tmp" {
		t.Fatalf("dry run: %v, %v", dry, err)
	}
	if ok, err := r.Exists(context.Background(), "q/c.tmp"); !ok || err != nil {
		t.Fatalf("q/c.tmp after a dry run: exists %v, %v", ok, err)
	}
	if ok, err := r.Exists(context.Background(), "no/such"); ok || err != nil {
		t.Fatalf("Exists(no/such) = %v, %v", ok, err)
	}
}

// 1000 keys of 1023 bytes of & are over 5 MiB of DeleteMultipleObjects XML
// (&amp;): more than a server takes in one body (osslocal: 2 MiB, refused
// as MalformedXML, which no retry fixes). Batches are cut by size too, so
// every key is deleted, by Keys and by Prefix.
func TestLongEscapedKeys(t *testing.T) {
	srv := osslocaltest.Start(t)
	c, err := oss.New(srv.Endpoint, srv.AccessKeyID, srv.AccessKeySecret, oss.ForcePathStyle(true))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(srv.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	put := func(prefix string) []string {
		var keys []string
		for i := range MaxBatch {
			k := fmt.Sprintf("%s%s%05d", prefix, strings.Repeat("&", 1023-len(prefix)-5), i)
			if err := b.PutObject(k, strings.NewReader("x")); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		return keys
	}
	r := New(b, Options{})
	var failed []Outcome
	n := 0
	report := func(o Outcome) {
		n++
		if o.Err != nil {
			failed = append(failed, o)
		}
	}
	if err := r.Keys(context.Background(), put("k/"), report); err != nil || len(failed) > 0 || n != MaxBatch {
		t.Fatalf("Keys: %v; %d reported, failed %d", err, n, len(failed))
	}
	n = 0
	put("p/")
	all, _ := listing.NewFilter("p/", nil, nil)
	if err := r.Prefix(context.Background(), "p/", all, report); err != nil || len(failed) > 0 || n != MaxBatch {
		t.Fatalf("Prefix: %v; %d reported, failed %d", err, n, len(failed))
	}
	if res, err := b.ListObjectsV2(); err != nil || len(res.Objects) != 0 {
		t.Fatalf("left: %d objects, %v", len(res.Objects), err)
	}
	// A batch holds at least one key, whatever its size.
	if got := batchLen([]string{strings.Repeat("&", 1<<20)}); got != 1 {
		t.Errorf("batchLen of one huge key = %d", got)
	}
	if got := batchLen(make([]string, 2500)); got != MaxBatch {
		t.Errorf("batchLen of 2500 short keys = %d", got)
	}
}
