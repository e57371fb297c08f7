//go:build unix

package ship

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// failingTransport fails the first n requests with err, as the network
// would, then passes them on to osslocal.
type failingTransport struct {
	n   atomic.Int64
	err error
}

func (f *failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.n.Add(-1) >= 0 {
		return nil, f.err
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestAppendOutlastsUnknownErrors: an error ossx.IsRetryable does not call
// retryable (an unknown host while DNS is down, an unusual errno) must not
// stop a following gtail: it retries until OSS answers. --once (Bounded)
// gives up.
func TestAppendOutlastsUnknownErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"unknown host", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "oss.example", IsNotFound: true}}},
		{"unrecognised", fmt.Errorf("something new went wrong")},
	} {
		if ossx.IsRetryable(&url.Error{Op: "Head", URL: "http://127.0.0.1/", Err: tc.err}) {
			t.Fatalf("%s: IsRetryable says retryable; the test would prove nothing", tc.name)
		}
		for _, bounded := range []bool{false, true} {
			ts := osslocaltest.Start(t)
			ft := &failingTransport{err: tc.err}
			ft.n.Store(12) // the append, then more HEADs than Attempts
			c, err := oss.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret, oss.HTTPClient(&http.Client{Transport: ft}))
			if err != nil {
				t.Fatal(err)
			}
			b, err := c.Bucket(ts.Bucket)
			if err != nil {
				t.Fatal(err)
			}
			a := &Appender{Bucket: b, Bounded: bounded, Log: slog.New(slog.DiscardHandler),
				Retry: ossx.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 2 * time.Millisecond}}
			got, err := a.Append(context.Background(), Object{Key: "k"}, []byte("line\n"))
			switch {
			case bounded && err == nil:
				t.Errorf("%s, bounded: Append = %+v; want it to give up", tc.name, got)
			case !bounded && (err != nil || got.Pos != 5):
				t.Errorf("%s, following: Append = %+v, %v; want it to land once OSS answers", tc.name, got, err)
			}
		}
	}
}

func TestLogAttempt(t *testing.T) {
	var logged []int
	for i := 1; i <= 40; i++ {
		if logAttempt(i) {
			logged = append(logged, i)
		}
	}
	if fmt.Sprint(logged) != "[1 2 3 4 5 10 20 30 40]" {
		t.Errorf("logged attempts %v", logged)
	}
}

// brokenBodyTransport cuts the body of the first GET after a few bytes, as
// a reset connection does.
type brokenBodyTransport struct{ cut atomic.Bool }

func (b *brokenBodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && r.Method == http.MethodGet && b.cut.CompareAndSwap(false, true) {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(io.LimitReader(resp.Body, 10), iotest.ErrReader(io.ErrUnexpectedEOF)), resp.Body}
	}
	return resp, err
}

// TestReconcileGzipReadBackBroken: while gtail reads back gzip members the
// state had not recorded, the connection breaks: that is retried, not taken
// for another writer.
func TestReconcileGzipReadBackBroken(t *testing.T) {
	ts := osslocaltest.Start(t)
	bt := &brokenBodyTransport{}
	c, err := oss.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret, oss.HTTPClient(&http.Client{Transport: bt}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(ts.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	a := &Appender{Bucket: b, Gzip: true, Log: slog.New(slog.DiscardHandler),
		Retry: ossx.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 2 * time.Millisecond}}
	ctx := context.Background()
	file := []byte("one\ntwo\nthree\n")
	state, err := a.Append(ctx, Object{Key: "k"}, a.Encode(nil, file[:4]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Append(ctx, state, a.Encode(nil, file[4:])); err != nil {
		t.Fatal(err)
	}
	got, n, err := a.Reconcile(ctx, state, bytes.NewReader(file), 4, int64(len(file)-4))
	if err != nil || n != int64(len(file)-4) || got.Pos <= state.Pos {
		t.Fatalf("Reconcile = %+v, %d, %v; want the rest of the file verified", got, n, err)
	}
	if !bt.cut.Load() {
		t.Fatal("no GET was cut: the test proved nothing")
	}
}
