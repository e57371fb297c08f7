package ossx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/version"
)

// NewClient builds an SDK client from cfg: its own HTTP transport (connect
// timeout, a read/write timeout on every socket operation, proxies from
// HTTPS_PROXY / HTTP_PROXY / NO_PROXY), user agent ossx/VERSION, V4 signing
// when the region is known (else V1), and credentials fetched per request
// through cfg.Credentials so role credentials are refreshed in flight.
//
// The SDK takes a context per call, not per client: every call must pass
// oss.WithContext(ctx) so that SIGINT and deadlines stop it. Requests are
// not retried by the SDK; wrap each call in cfg.Retry.Do.
func (cfg *Config) NewClient() (*oss.Client, error) {
	if cfg.Credentials == nil {
		return nil, errNoCredentials()
	}
	opts := []oss.ClientOption{
		oss.HTTPClient(cfg.HTTPClient()),
		oss.Timeout(int64(cfg.ConnectTimeout/time.Second), int64(cfg.ReadWriteTimeout/time.Second)),
		oss.UserAgent(version.UserAgent()),
		oss.SetCredentialsProvider(sdkProvider{cfg.Credentials}),
	}
	if cfg.Region != "" {
		opts = append(opts, oss.Region(cfg.Region), oss.AuthVersion(oss.AuthV4))
	}
	if u, err := url.Parse(cfg.Endpoint); err == nil && isLocalhost(u.Hostname()) {
		// Virtual-hosted names like bucket.localhost do not resolve
		// everywhere; IP endpoints are path-style already (SDK urlTypeIP).
		opts = append(opts, oss.ForcePathStyle(true))
	}
	hintEndpoint.Store(cfg.Endpoint)
	c, err := oss.New(cfg.Endpoint, "", "", opts...)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("endpoint %s: %w", cfg.Endpoint, err)}
	}
	return c, nil
}

func isLocalhost(h string) bool {
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// HTTPClient is the client NewClient hands the SDK. The SDK's own transport
// (oss/transport_1_7.go newTransport) sets no Proxy, so it ignores
// HTTPS_PROXY and NO_PROXY; this one uses http.ProxyFromEnvironment, which
// also never proxies requests to localhost or loopback addresses.
func (cfg *Config) HTTPClient() *http.Client {
	rw := cfg.ReadWriteTimeout
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil || rw <= 0 {
				return c, err
			}
			return &deadlineConn{Conn: c, timeout: rw}, nil
		},
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: rw,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       50 * time.Second,
	}
	return &http.Client{Transport: tr}
}

// deadlineConn fails any single read or write that makes no progress for
// timeout, like the SDK's timeoutConn: a stalled server or a black-holed
// network ends in a timeout error instead of a hang, while a long transfer
// that keeps moving is never cut off.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(b)
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(b)
}

// writeBufSize is the most a request body is written to the socket at a
// time. net/http copies a body into the connection with io.Copy, which
// (deadlineConn not being a *net.TCPConn) reads and writes 32 KiB at a
// time through a fresh buffer per request; writes of 1 MiB from a pooled
// buffer take about a sixth of the upload CPU of that (BENCHMARKS.md).
const writeBufSize = 1 << 20

var writeBufs = sync.Pool{New: func() any { b := make([]byte, writeBufSize); return &b }}

// ReadFrom writes a request body (net/http hands it over as an
// *io.LimitedReader of the content length) in writes of up to writeBufSize,
// or, for a FileBody, by sendfile(2).
func (c *deadlineConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		lr.R = unwrapNopCloser(lr.R)
	}
	if lr, fb := fileBodyOf(r); fb != nil {
		n, err := fb.SendFile(c.sendFile)
		lr.N -= n
		return n, err
	}
	w := struct{ io.Writer }{c} // io.CopyBuffer must not call ReadFrom again
	if lr, ok := r.(*io.LimitedReader); ok {
		if m, ok := lr.R.(*bytes.Reader); ok && int64(m.Len()) <= lr.N {
			// A body already in memory (gtail's appends, stdin's parts)
			// goes out as it is, in one write and no copy.
			n, err := m.WriteTo(w)
			lr.N -= n
			return n, err
		}
	}
	if lr, ok := r.(*io.LimitedReader); ok && lr.N < writeBufSize/4 {
		// A small body: no pooled megabyte for a 4 KiB PUT.
		return io.CopyBuffer(w, r, make([]byte, max(lr.N, 1)))
	}
	bp := writeBufs.Get().(*[]byte)
	defer writeBufs.Put(bp)
	return io.CopyBuffer(w, r, *bp)
}

// nopClosers are the types io.NopCloser returns. The SDK wraps every
// request body that is not an io.ReadCloser in one (oss/conn.go
// handleBody), and net/http, having wrapped that in its own tracking body,
// does not take it off again (transferWriter.unwrapBody), so without this
// a *bytes.Reader body would be copied through the pooled buffer.
var nopClosers = [...]reflect.Type{
	reflect.TypeOf(io.NopCloser(struct{ io.Reader }{})),
	reflect.TypeOf(io.NopCloser(struct {
		io.Reader
		io.WriterTo
	}{})),
}

// unwrapNopCloser returns the reader inside an io.NopCloser, else r (as
// net/http's unwrapNopCloser does).
func unwrapNopCloser(r io.Reader) io.Reader {
	if t := reflect.TypeOf(r); t == nopClosers[0] || t == nopClosers[1] {
		if inner, ok := reflect.ValueOf(r).Field(0).Interface().(io.Reader); ok {
			return inner
		}
	}
	return r
}

// OpenBucket returns a handle on one bucket.
func (cfg *Config) OpenBucket(name string) (*oss.Bucket, error) {
	c, err := cfg.NewClient()
	if err != nil {
		return nil, err
	}
	return c.Bucket(name)
}

type sdkProvider struct{ src CredentialsSource }

type sdkCredentials struct{ c Credentials }

func (s sdkCredentials) GetAccessKeyID() string     { return s.c.AccessKeyID }
func (s sdkCredentials) GetAccessKeySecret() string { return s.c.AccessKeySecret }
func (s sdkCredentials) GetSecurityToken() string   { return s.c.SecurityToken }

func (p sdkProvider) GetCredentials() oss.Credentials {
	c, _ := p.src.Get()
	return sdkCredentials{c}
}

func (p sdkProvider) GetCredentialsE() (oss.Credentials, error) {
	c, err := p.src.Get()
	return sdkCredentials{c}, err
}

// RetryPolicy bounds retries of one operation.
type RetryPolicy struct {
	Attempts int           // total attempts, ≥1
	Base     time.Duration // first backoff
	Max      time.Duration // backoff cap

	// OnRetry, if set, is called before each wait with the attempt that
	// failed (from 1), its error and the wait; tools log it with --verbose.
	OnRetry func(attempt int, err error, wait time.Duration)
}

// Logged returns p with OnRetry set to say each retry, one line for log:
// "retrying (2/5) after connection refused", counting retries out of the
// retries allowed, the reason short and redacted. A tool passes its own
// printer (stderr, "TOOL: " in front), so that a dead endpoint is never a
// silent wait.
func (p RetryPolicy) Logged(log func(line string)) RetryPolicy {
	p.OnRetry = func(attempt int, err error, _ time.Duration) {
		log(fmt.Sprintf("retrying (%d/%d) after %s", attempt, max(p.Attempts-1, 1), RetryReason(err)))
	}
	return p
}

// RetryReason says in a few words why a request failed: the network's
// errno, a timeout, or OSS's code and status.
func RetryReason(err error) string {
	if se, ok := serviceError(err); ok {
		if se.Code == "" {
			return fmt.Sprintf("HTTP %d", se.StatusCode)
		}
		return fmt.Sprintf("%s (HTTP %d)", se.Code, se.StatusCode)
	}
	if code, ok := invalidBodyStatus(err); ok {
		return fmt.Sprintf("HTTP %d", code)
	}
	var errno syscall.Errno
	var ne net.Error
	switch {
	case errors.As(err, &errno):
		return errno.Error()
	case errors.As(err, &ne) && ne.Timeout():
		return "a timeout"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "a connection closed mid-answer"
	}
	msg := Message(err)
	if len(msg) > 120 {
		cut := 117
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "..."
	}
	return msg
}

// DefaultRetryPolicy allows retries extra attempts (negative: the default 5).
func DefaultRetryPolicy(retries int) RetryPolicy {
	if retries < 0 {
		retries = 5
	}
	return RetryPolicy{Attempts: retries + 1, Base: 200 * time.Millisecond, Max: 10 * time.Second}
}

// Do runs op until it succeeds, fails with a non-retryable error, the
// attempts run out or ctx ends. op must be safe to repeat (re-open or seek
// its body each time).
func (p RetryPolicy) Do(ctx context.Context, op func(ctx context.Context) error) error {
	var err error
	for attempt := 0; attempt < max(p.Attempts, 1); attempt++ {
		if attempt > 0 {
			wait := p.Backoff(attempt)
			if p.OnRetry != nil {
				p.OnRetry(attempt, err, wait)
			}
			if werr := sleep(ctx, wait); werr != nil {
				return fmt.Errorf("%w (while waiting to retry after: %w)", werr, err)
			}
		}
		if err = op(ctx); err == nil || !IsRetryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// Backoff is the wait before retry n (n≥1): Base·2^(n-1), capped at Max,
// of which a random half is taken off ("equal jitter") so that many clients
// failing together do not retry in lockstep.
func (p RetryPolicy) Backoff(n int) time.Duration {
	d := p.Base << min(n-1, 20)
	if d > p.Max || d <= 0 {
		d = p.Max
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// IsRetryable reports whether err is worth another attempt.
//
// Retryable: OSS answers 5xx, 429 and RequestTimeout; non-XML 5xx/429
// bodies from proxies and load balancers; network errors (refused, reset,
// broken pipe, timeouts, EOF mid-response, TLS handshake failures, DNS
// server trouble); failures to fetch role credentials (*CredentialsError).
//
// Final: other OSS answers (4xx: wrong secret, no bucket, access denied…);
// context cancellation and deadlines (the caller gave up); usage errors;
// local file errors, also when they surface while sending a request body;
// unknown hosts; untrusted certificates; and oss.CRCCheckError. A CRC mismatch is not retried
// here on purpose: it means the bytes OSS stored are not the bytes read
// (a changing source, a broken proxy, a lying server), and a blind resend
// would hide that; the caller decides — ossuploader removes the bad object
// and reports it. Unknown errors are final, so a bug never loops.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || holds(err, context.DeadlineExceeded) {
		return false
	}
	var ue *UsageError
	var crc oss.CRCCheckError
	var pe *fs.PathError
	if errors.As(err, &ue) || errors.As(err, &crc) || (errors.As(err, &pe) && !isNetErr(pe.Err)) {
		return false
	}
	if se, ok := serviceError(err); ok {
		return se.StatusCode >= 500 || se.StatusCode == http.StatusTooManyRequests || se.Code == "RequestTimeout"
	}
	var usc oss.UnexpectedStatusCodeError
	if errors.As(err, &usc) {
		return retryableStatus(usc.Got())
	}
	var ce *CredentialsError
	if errors.As(err, &ce) {
		return true
	}
	if code, ok := invalidBodyStatus(err); ok {
		return retryableStatus(code)
	}
	if isNetErr(err) {
		return true
	}
	// net/http wraps everything in *url.Error: its own transport failures
	// ("http: server closed idle connection", "net/http: …") are network
	// trouble, but an error from reading the request body is the caller's
	// (a source file that changed or vanished) and is judged as itself.
	// TLS failures other than an untrusted certificate (handshake or
	// record errors from a middlebox) are transient too.
	var uerr *url.Error
	if errors.As(err, &uerr) && uerr.Err != nil && !isCertErr(uerr.Err) {
		msg := uerr.Err.Error()
		if permanentHTTPError(msg) {
			return false
		}
		return strings.HasPrefix(msg, "http: ") || strings.HasPrefix(msg, "net/http: ") ||
			strings.Contains(msg, "tls: ") || IsRetryable(uerr.Err)
	}
	return false
}

// permanentHTTPError recognises net/http's own errors that no retry fixes:
// an https:// endpoint that speaks plain HTTP (net/http transport.go), and a
// request body shorter or longer than its declared length (transfer.go: the
// source changed, which the caller must judge).
func permanentHTTPError(msg string) bool {
	return strings.Contains(msg, errPlainHTTP) ||
		strings.HasPrefix(msg, "http: ContentLength=") || strings.HasPrefix(msg, "http: Request.ContentLength=")
}

// errPlainHTTP is net/http's message when an https:// endpoint answers in
// plain HTTP.
const errPlainHTTP = "server gave HTTP response to HTTPS client"

// holds reports whether target itself is in err's chain. Unlike errors.Is
// it ignores Is methods: net/http's "timeout awaiting response headers" and
// socket deadline errors claim to be context.DeadlineExceeded, but they are
// our own I/O timeouts, worth retrying, not the caller's deadline.
func holds(err, target error) bool {
	for err != nil {
		if err == target {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if holds(e, target) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

func retryableStatus(code int) bool { return code >= 500 || code == http.StatusTooManyRequests }

// isCertErr: a certificate problem is a network error no retry fixes.
func isCertErr(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

func isNetErr(err error) bool {
	if isCertErr(err) {
		return false
	}
	// A host that does not exist will not exist in a second either.
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return !dns.IsNotFound
	}
	// *url.Error is a net.Error whatever it wraps: judge what it wraps.
	var ue *url.Error
	if errors.As(err, &ue) {
		return isNetErr(ue.Err)
	}
	// syscall.Errno has Timeout and Temporary methods, so every errno (EIO,
	// ENOSPC…) would pass for a net.Error; only these are the network's.
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.ECONNABORTED, syscall.EPIPE,
			syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ENETDOWN:
			return true
		}
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// serviceError finds an OSS error answer in err's chain; the SDK returns
// oss.ServiceError by value, but a pointer is accepted too.
func serviceError(err error) (oss.ServiceError, bool) {
	var se oss.ServiceError
	if errors.As(err, &se) {
		return se, true
	}
	var sp *oss.ServiceError
	if errors.As(err, &sp) && sp != nil {
		return *sp, true
	}
	return oss.ServiceError{}, false
}

// invalidBodyStatus extracts the status of the SDK's plain error for an
// error answer whose body is not OSS XML (an HTML 502 from a proxy): "oss:
// service returned invalid response body, status = 502 Bad Gateway, …"
// (oss/conn.go handleResponse).
func invalidBodyStatus(err error) (int, bool) {
	const marker = "service returned invalid response body, status = "
	msg := err.Error()
	i := strings.Index(msg, marker)
	if i < 0 {
		return 0, false
	}
	rest := msg[i+len(marker):]
	if len(rest) < 3 {
		return 0, false
	}
	code, err := strconv.Atoi(rest[:3])
	return code, err == nil
}
