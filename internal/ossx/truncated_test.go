package ossx_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
	"github.com/ossx/ossx/internal/ossx"
)

// brokenServer answers every request on 127.0.0.1 the way a failing network
// or server does, at the TCP level: how decides what happens after the
// request was read.
func brokenServer(t *testing.T, how func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				how(c.(*net.TCPConn))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// reset closes c with an RST instead of a FIN: the client reads
// "connection reset by peer".
func reset(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

const partialHeader = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\nx-oss-request-id: 1\r\n\r\n"

// TestTruncatedResponsesAreRetried: the errors net/http gives when the
// connection breaks before or while the answer is read — EOF, unexpected
// EOF, connection reset by peer — reach the caller from the SDK (GetObject,
// then reading its body) as retryable errors, and Do retries them.
func TestTruncatedResponsesAreRetried(t *testing.T) {
	tests := []struct {
		name string
		how  func(c *net.TCPConn)
	}{
		{"closed before answering (EOF)", func(c *net.TCPConn) {}},
		{"reset before answering", reset},
		{"body cut short (unexpected EOF)", func(c *net.TCPConn) { fmt.Fprint(c, partialHeader+"only some bytes") }},
		{"reset in the body", func(c *net.TCPConn) { fmt.Fprint(c, partialHeader+"only some bytes"); reset(c) }},
		{"headers cut short", func(c *net.TCPConn) { fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Le") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := load(t, ossx.Options{Endpoint: brokenServer(t, tt.how), Retries: 2},
				"OSS_ACCESS_KEY_ID=id", "OSS_ACCESS_KEY_SECRET=truncated-secret-1")
			calls, err := tries(t, cfg, "bkt", func(ctx context.Context, b *oss.Bucket) error {
				body, err := b.GetObject("k", oss.WithContext(ctx))
				if err != nil {
					return err
				}
				defer body.Close()
				_, err = io.ReadAll(body)
				return err
			})
			if err == nil || calls != 3 {
				t.Fatalf("Do = %v after %d calls, want an error after 3 (retried)", err, calls)
			}
			if !ossx.IsRetryable(err) || ossx.ExitCode(err) != ossx.ExitFailed {
				t.Errorf("%v (%T): retryable %v, exit %d", err, err, ossx.IsRetryable(err), ossx.ExitCode(err))
			}
			t.Logf("%T: %v", err, err)
		})
	}
}

// TestHTTPSToPlainHTTP: an https:// endpoint that speaks plain HTTP (a
// wrong scheme, common with local servers) fails at once with a hint
// instead of being retried: another attempt would fail the same way.
func TestHTTPSToPlainHTTP(t *testing.T) {
	ts := osslocaltest.Start(t)
	endpoint := strings.Replace(ts.Endpoint, "http://", "https://", 1)
	cfg := load(t, ossx.Options{Endpoint: endpoint, Retries: 3}, "OSS_ACCESS_KEY_ID=id", "OSS_ACCESS_KEY_SECRET=scheme-secret-1")
	calls, err := tries(t, cfg, ts.Bucket, func(ctx context.Context, b *oss.Bucket) error {
		_, err := b.GetObjectMeta("k", oss.WithContext(ctx))
		return err
	})
	if err == nil || calls != 1 {
		t.Fatalf("Do = %v after %d calls, want one final error", err, calls)
	}
	if out := report(err); !strings.Contains(out, "tool: hint: "+endpoint+" speaks plain HTTP; write the endpoint as http://HOST:PORT") {
		t.Errorf("report:\n%s", out)
	}
}
