package ossx

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

func TestIsRetryable(t *testing.T) {
	svc := func(status int, code string) error {
		return oss.ServiceError{StatusCode: status, Code: code}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"500", svc(500, "InternalError"), true},
		{"503 wrapped", fmt.Errorf("upload k: %w", svc(503, "ServiceUnavailable")), true},
		{"429", svc(429, "TooManyRequests"), true},
		{"pointer 502", &oss.ServiceError{StatusCode: 502}, true},
		{"RequestTimeout 400", svc(400, "RequestTimeout"), true},
		{"403 SignatureDoesNotMatch", svc(403, "SignatureDoesNotMatch"), false},
		{"404 NoSuchBucket", svc(404, "NoSuchBucket"), false},
		{"409 FileAlreadyExists", svc(409, "FileAlreadyExists"), false},
		{"400 InvalidArgument", svc(400, "InvalidArgument"), false},
		{"unexpected status 503", oss.CheckRespCode(503, []int{200}), true},
		{"unexpected status 404", oss.CheckRespCode(404, []int{200}), false},
		{"proxy HTML 502", errors.New("oss: service returned invalid response body, status = 502 Bad Gateway, RequestId = "), true},
		{"proxy HTML 403", errors.New("oss: service returned invalid response body, status = 403 Forbidden, RequestId = "), false},
		{"context canceled", context.Canceled, false},
		{"deadline", fmt.Errorf("put: %w", context.DeadlineExceeded), false},
		{"url error wrapping cancel", &url.Error{Op: "Put", URL: "http://x", Err: context.Canceled}, false},
		{"url error wrapping the caller's deadline", &url.Error{Op: "Put", URL: "http://x", Err: context.DeadlineExceeded}, false},
		{"joined with the caller's deadline", errors.Join(errors.New("x"), context.DeadlineExceeded), false},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"broken pipe", &url.Error{Op: "Put", URL: "http://x", Err: syscall.EPIPE}, true},
		{"io timeout", &url.Error{Op: "Get", URL: "http://x", Err: os.ErrDeadlineExceeded}, true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"EOF in url error", &url.Error{Op: "Get", URL: "http://x", Err: io.EOF}, true},
		{"credentials fetch", &CredentialsError{From: "ECS RAM role r", Err: errors.New("refresh Ecs sts token err")}, true},
		{"usage error", Usagef("bad flag"), false},
		{"local file", &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}, false},
		{"CRC mismatch", fmt.Errorf("upload: %w", oss.CheckDownloadCRC(1, 2)), false},
		{"TLS handshake failure", &url.Error{Op: "Get", URL: "https://x", Err: errors.New("remote error: tls: handshake failure")}, true},
		{"certificate for another host", &url.Error{Op: "Get", URL: "https://x", Err: x509.HostnameError{Host: "x", Certificate: &x509.Certificate{}}}, false},
		{"unknown certificate authority", &url.Error{Op: "Get", URL: "https://x", Err: x509.UnknownAuthorityError{}}, false},
		{"unknown error", errors.New("something odd"), false},
		{"unknown host", &url.Error{Op: "Get", URL: "http://x", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}}, false},
		{"DNS server timeout", &url.Error{Op: "Get", URL: "http://x", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}}}, true},
		{"local errno", fmt.Errorf("write: %w", syscall.ENOSPC), false},
		{"dial with too many open files", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", syscall.EMFILE)}, false},
		{"server closed idle connection", &url.Error{Op: "Put", URL: "http://x", Err: errors.New("http: server closed idle connection")}, true},
		{"transport connection broken", &url.Error{Op: "Put", URL: "http://x", Err: fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", errors.New("x"))}, true},
		{"https endpoint speaking plain HTTP", &url.Error{Op: "Put", URL: "https://x", Err: errors.New("http: server gave HTTP response to HTTPS client")}, false},
		{"request body shorter than declared", &url.Error{Op: "Put", URL: "http://x", Err: errors.New("http: ContentLength=10 with Body length 4")}, false},
		{"request body: source changed", &url.Error{Op: "Put", URL: "http://x", Err: errors.New("a.txt changed while being read")}, false},
		{"request body: local read error", fmt.Errorf("upload: %w", &url.Error{Op: "Put", URL: "http://x", Err: &fs.PathError{Op: "read", Path: "a", Err: syscall.EIO}}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsRetryable(tt.err); got != tt.want {
				t.Errorf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func fastPolicy(attempts int) RetryPolicy {
	return RetryPolicy{Attempts: attempts, Base: time.Microsecond, Max: 10 * time.Microsecond}
}

func TestRetryPolicyDo(t *testing.T) {
	transient := oss.ServiceError{StatusCode: 503, Code: "ServiceUnavailable"}
	final := oss.ServiceError{StatusCode: 403, Code: "AccessDenied"}
	tests := []struct {
		name     string
		attempts int
		errs     []error // returned by successive calls; nil after the end
		calls    int
		wantErr  error
	}{
		{"success first time", 6, nil, 1, nil},
		{"two 503s then success", 6, []error{transient, transient}, 3, nil},
		{"503 storm exhausts attempts", 3, []error{transient, transient, transient, transient}, 3, transient},
		{"403 is final", 6, []error{final}, 1, final},
		{"503 then 403 stops", 6, []error{transient, final}, 2, final},
		{"zero attempts means one", 0, []error{transient}, 1, transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fastPolicy(tt.attempts)
			var retries []int
			p.OnRetry = func(n int, err error, wait time.Duration) {
				retries = append(retries, n)
				if err == nil || wait < 0 {
					t.Errorf("OnRetry(%d, %v, %v)", n, err, wait)
				}
			}
			calls := 0
			err := p.Do(context.Background(), func(ctx context.Context) error {
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if calls != tt.calls {
				t.Errorf("op called %d times, want %d", calls, tt.calls)
			}
			if !errors.Is(err, tt.wantErr) && err != tt.wantErr {
				t.Errorf("Do = %v, want %v", err, tt.wantErr)
			}
			if len(retries) != calls-1 {
				t.Errorf("OnRetry called %d times for %d calls", len(retries), calls)
			}
		})
	}
}

func TestRetryPolicyDoStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := RetryPolicy{Attempts: 100, Base: time.Hour, Max: time.Hour}
	calls := 0
	p.OnRetry = func(int, error, time.Duration) { cancel() }
	err := p.Do(ctx, func(context.Context) error {
		calls++
		return oss.ServiceError{StatusCode: 500, Code: "InternalError"}
	})
	if calls != 1 {
		t.Errorf("op called %d times after cancel, want 1", calls)
	}
	if !errors.Is(err, context.Canceled) || ExitCode(err) != ExitInterrupted {
		t.Errorf("Do = %v (exit %d), want context.Canceled / %d", err, ExitCode(err), ExitInterrupted)
	}
	if !strings.Contains(err.Error(), "InternalError") {
		t.Errorf("Do = %v, want it to keep the last failure", err)
	}
}

func TestBackoffBounds(t *testing.T) {
	p := RetryPolicy{Attempts: 10, Base: 100 * time.Millisecond, Max: time.Second}
	tests := []struct {
		n      int
		lo, hi time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{4, 400 * time.Millisecond, 800 * time.Millisecond},
		{5, 500 * time.Millisecond, time.Second},  // capped
		{64, 500 * time.Millisecond, time.Second}, // no overflow
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for i := 0; i < 50; i++ {
			d := p.Backoff(tt.n)
			if d < tt.lo || d > tt.hi {
				t.Fatalf("Backoff(%d) = %v, want in [%v, %v]", tt.n, d, tt.lo, tt.hi)
			}
			seen[d] = true
		}
		// Jitter: clients failing together must not retry in lockstep. 50
		// equal draws from a range of millions of nanoseconds do not happen.
		if len(seen) < 2 {
			t.Errorf("Backoff(%d) gave the same wait 50 times: no jitter", tt.n)
		}
	}
}

// TestHTTPClientReadTimeout: a server that accepts and then says nothing
// must not hang a request; it fails with a retryable timeout.
func TestHTTPClientReadTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }()
		}
	}()
	cfg := &Config{ConnectTimeout: time.Second, ReadWriteTimeout: 100 * time.Millisecond}
	_, err = cfg.HTTPClient().Get("http://" + ln.Addr().String() + "/")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Get = %v, want a timeout", err)
	}
	if !IsRetryable(err) {
		t.Errorf("timeout %v should be retryable", err)
	}
}

// TestHTTPClientSlowButMoving: the read/write timeout bounds silence, not
// the whole transfer.
func TestHTTPClientSlowButMoving(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// 8 gaps of 100ms: the whole body takes longer than the timeout,
		// no single read waits anywhere near it.
		for i := 0; i < 8; i++ {
			w.Write([]byte("chunk"))
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	}))
	defer srv.Close()
	cfg := &Config{ConnectTimeout: time.Second, ReadWriteTimeout: 500 * time.Millisecond}
	resp, err := cfg.HTTPClient().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || len(b) != 40 {
		t.Fatalf("read %d bytes, %v; want 40", len(b), err)
	}
}

func TestHTTPClientClosedPort(t *testing.T) {
	cfg := &Config{ConnectTimeout: time.Second, ReadWriteTimeout: time.Second}
	_, err := cfg.HTTPClient().Get(osslocaltest.ClosedEndpoint(t) + "/")
	if err == nil || !errors.Is(err, syscall.ECONNREFUSED) || !IsRetryable(err) {
		t.Fatalf("Get = %v, want a retryable connection refused", err)
	}
}

// TestHTTPClientProxyFromEnvironment runs in a child process because
// net/http reads the proxy variables once per process.
func TestHTTPClientProxyFromEnvironment(t *testing.T) {
	if os.Getenv("OSSX_PROXY_CHILD") == "1" {
		proxyChild(t)
		return
	}
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.String())
		w.Write([]byte("via proxy"))
	}))
	defer proxy.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHTTPClientProxyFromEnvironment$", "-test.v")
	cmd.Env = append(os.Environ(), "OSSX_PROXY_CHILD=1",
		"HTTP_PROXY="+proxy.URL, "HTTPS_PROXY="+proxy.URL, "NO_PROXY=direct.example,.internal.example",
		"http_proxy=", "https_proxy=", "no_proxy=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := []string{"GET http://oss-cn-hangzhou.aliyuncs.com/probe", "HEAD http://bkt.oss-cn-hangzhou.aliyuncs.com/k?objectMeta"}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("proxy saw %q, want %q", seen, want)
	}
}

func proxyChild(t *testing.T) {
	tr := (&Config{ConnectTimeout: time.Second, ReadWriteTimeout: time.Second}).HTTPClient().Transport.(*http.Transport)
	proxied := map[string]bool{
		"http://oss-cn-hangzhou.aliyuncs.com/":          true,
		"https://oss-cn-hangzhou.aliyuncs.com/":         true,
		"https://direct.example/":                       false,
		"https://oss.internal.example/":                 false,
		"http://127.0.0.1:9000/":                        false, // loopback is never proxied
		"http://localhost:9000/":                        false,
		"https://oss-cn-beijing-internal.aliyuncs.com/": true,
	}
	for u, want := range proxied {
		req, _ := http.NewRequest("GET", u, nil)
		p, err := tr.Proxy(req)
		if err != nil || (p != nil) != want {
			t.Errorf("proxy for %s = %v, %v; want proxied=%v", u, p, err, want)
		}
	}
	// One real request through the loopback proxy; the host is never
	// resolved or contacted, the proxy answers. Should the proxy not be
	// used (a broken environment, a regression), the dialer refuses every
	// address but loopback rather than let the request out.
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("test refuses to dial non-loopback %s", addr)
		}
		return dial(ctx, network, addr)
	}
	resp, err := (&http.Client{Transport: tr}).Get("http://oss-cn-hangzhou.aliyuncs.com/probe")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); string(b) != "via proxy" {
		t.Errorf("body %q", b)
	}

	// The SDK client NewClient builds uses this transport, so the proxy
	// applies to OSS requests (the SDK's own transport has no Proxy). Were
	// it bypassed, the name would not resolve: tests send no DNS queries.
	cfg, err := Load(Options{Region: "cn-hangzhou", Endpoint: "http://oss-cn-hangzhou.aliyuncs.com", Retries: 0},
		env(t, "OSS_ACCESS_KEY_ID=id", "OSS_ACCESS_KEY_SECRET=proxy-secret-1"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := cfg.OpenBucket("bkt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetObjectMeta("k", oss.WithContext(context.Background())); err != nil {
		t.Fatalf("GetObjectMeta through the proxy: %v", err)
	}
}

// TestRetryLogged: each retry is one short, redacted line (issue 12.7).
func TestRetryLogged(t *testing.T) {
	RegisterSecret("RetrySecret0123456789")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "connection refused"},
		{&url.Error{Op: "Put", URL: "http://h/k", Err: syscall.ECONNRESET}, "connection reset by peer"},
		{oss.ServiceError{StatusCode: 503, Code: "ServiceUnavailable"}, "ServiceUnavailable (HTTP 503)"},
		{fmt.Errorf("oss: service returned invalid response body, status = 502 Bad Gateway, RequestId = "), "HTTP 502"},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "a connection closed mid-answer"},
		{&net.OpError{Op: "read", Net: "tcp", Err: errors.New("odd failure with RetrySecret0123456789\nsecond line")}, "read tcp: odd failure with [REDACTED] second line"},
	} {
		var lines []string
		p := fastPolicy(3).Logged(func(l string) { lines = append(lines, l) })
		calls := 0
		p.Do(context.Background(), func(context.Context) error {
			calls++
			if calls == 1 {
				return tc.err
			}
			return nil
		})
		want := "retrying (1/2) after " + tc.want
		if len(lines) != 1 || lines[0] != want {
			t.Errorf("%v: logged %q, want %q", tc.err, lines, want)
		}
	}
}
