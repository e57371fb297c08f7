package ossx_test

// Integration tests: the real SDK, through ossx's client, against the real
// osslocal server on 127.0.0.1.

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

// getenv builds Load's environment from KEY=VALUE lines, with HOME in a
// fresh directory so no real ~/.ossutilconfig is read.
func getenv(t *testing.T, kv ...string) func(string) string {
	m := map[string]string{"HOME": t.TempDir()}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func fast(cfg *ossx.Config) {
	cfg.Retry.Base, cfg.Retry.Max = time.Millisecond, 5*time.Millisecond
}

func load(t *testing.T, opts ossx.Options, env ...string) *ossx.Config {
	t.Helper()
	cfg, err := ossx.Load(opts, getenv(t, env...))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	fast(cfg)
	return cfg
}

// tries opens bucket with cfg and runs op under cfg.Retry, returning how
// many times op ran and its final error.
func tries(t *testing.T, cfg *ossx.Config, bucket string, op func(ctx context.Context, b *oss.Bucket) error) (int, error) {
	t.Helper()
	b, err := cfg.OpenBucket(bucket)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	err = cfg.Retry.Do(context.Background(), func(ctx context.Context) error {
		calls++
		return op(ctx, b)
	})
	return calls, err
}

func report(err error) string {
	var b bytes.Buffer
	ossx.Report(&b, "tool", err)
	return b.String()
}

// TestSigning puts and gets an object with V1 (no region) and V4 (region)
// signatures, with long-term and STS credentials, and checks the user
// agent.
func TestSigning(t *testing.T) {
	ts := osslocaltest.Start(t)
	var mu sync.Mutex
	var agents, auths []string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.UserAgent())
		auths = append(auths, strings.Fields(r.Header.Get("Authorization") + " none")[0])
		mu.Unlock()
		ts.Server.ServeHTTP(w, r)
	}))
	defer front.Close()
	sts := ts.Server.IssueSTS(time.Hour)
	tests := []struct {
		name   string
		env    []string
		scheme string
	}{
		{"V1", []string{"OSS_ACCESS_KEY_ID=" + ts.AccessKeyID, "OSS_ACCESS_KEY_SECRET=" + ts.AccessKeySecret}, "OSS"},
		{"V4", []string{"OSS_REGION=cn-hangzhou", "OSS_ACCESS_KEY_ID=" + ts.AccessKeyID, "OSS_ACCESS_KEY_SECRET=" + ts.AccessKeySecret}, "OSS4-HMAC-SHA256"},
		{"V1 STS", []string{"OSS_ACCESS_KEY_ID=" + sts.ID, "OSS_ACCESS_KEY_SECRET=" + sts.Secret, "OSS_SESSION_TOKEN=" + sts.SecurityToken}, "OSS"},
		{"V4 STS", []string{"OSS_REGION=cn-hangzhou", "ALIBABA_CLOUD_ACCESS_KEY_ID=" + sts.ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + sts.Secret, "ALIBABA_CLOUD_SECURITY_TOKEN=" + sts.SecurityToken}, "OSS4-HMAC-SHA256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			agents, auths = nil, nil
			mu.Unlock()
			cfg := load(t, ossx.Options{Endpoint: front.URL}, tt.env...)
			b, err := cfg.OpenBucket(ts.Bucket)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			key := "sig/" + tt.name
			body := "hello " + tt.name
			if err := b.PutObject(key, strings.NewReader(body), oss.WithContext(ctx)); err != nil {
				t.Fatalf("PutObject: %s", report(err))
			}
			r, err := b.GetObject(key, oss.WithContext(ctx))
			if err != nil {
				t.Fatalf("GetObject: %s", report(err))
			}
			got, _ := io.ReadAll(r)
			r.Close()
			if string(got) != body {
				t.Errorf("got %q, want %q", got, body)
			}
			mu.Lock()
			defer mu.Unlock()
			for i := range agents {
				if !strings.HasPrefix(agents[i], "ossx/") {
					t.Errorf("user agent %q, want ossx/VERSION", agents[i])
				}
				if auths[i] != tt.scheme {
					t.Errorf("signed with %q, want %q", auths[i], tt.scheme)
				}
			}
		})
	}
}

// TestWrongSecret: OSS answers SignatureDoesNotMatch, which is final, and
// the report says to check OSS_ACCESS_KEY_SECRET without showing it.
func TestWrongSecret(t *testing.T) {
	ts := osslocaltest.Start(t)
	const wrong = "this-is-the-wrong-secret-42"
	for _, region := range []string{"", "cn-hangzhou"} {
		t.Run("region="+region, func(t *testing.T) {
			cfg := load(t, ossx.Options{Endpoint: ts.Endpoint, Region: region},
				"OSS_ACCESS_KEY_ID="+ts.AccessKeyID, "OSS_ACCESS_KEY_SECRET="+wrong)
			calls, err := tries(t, cfg, ts.Bucket, func(ctx context.Context, b *oss.Bucket) error {
				return b.PutObject("k", strings.NewReader("x"), oss.WithContext(ctx))
			})
			var se oss.ServiceError
			if !errors.As(err, &se) || se.Code != "SignatureDoesNotMatch" {
				t.Fatalf("PutObject = %v, want SignatureDoesNotMatch", err)
			}
			if calls != 1 {
				t.Errorf("a wrong secret was tried %d times, want 1", calls)
			}
			out := report(fmt.Errorf("upload a.txt: %w", err))
			if !strings.Contains(out, "tool: error: upload a.txt: SignatureDoesNotMatch (HTTP 403)") ||
				!strings.Contains(out, "tool: hint: check OSS_ACCESS_KEY_SECRET") {
				t.Errorf("report:\n%s", out)
			}
			if strings.Contains(out, wrong) || strings.Count(out, "\n") != 2 {
				t.Errorf("report is not two clean lines:\n%s", out)
			}
			if ossx.ExitCode(err) != ossx.ExitFailed {
				t.Errorf("exit code %d", ossx.ExitCode(err))
			}
		})
	}
}

// TestRetryOn503: a storm of 503s shorter than the retry budget is ridden
// out, and the object is byte-exact; a longer one fails after exactly the
// budget.
func TestRetryOn503(t *testing.T) {
	tests := []struct {
		name    string
		storm   int
		retries int
		ok      bool
		calls   int
	}{
		{"storm within budget", 3, 5, true, 4},
		{"storm beyond budget", 10, 2, false, 3},
		{"429 throttling", 2, 5, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := osslocaltest.Start(t)
			status := 503
			if strings.Contains(tt.name, "429") {
				status = 429
			}
			if _, err := ts.Faults.Add(osslocal.Rule{Op: osslocal.OpPut, Kind: osslocal.FaultError, Status: status, Times: tt.storm}); err != nil {
				t.Fatal(err)
			}
			cfg := load(t, ossx.Options{Retries: tt.retries}, ts.Env()...)
			b, err := cfg.OpenBucket(ts.Bucket)
			if err != nil {
				t.Fatal(err)
			}
			data := bytes.Repeat([]byte("0123456789abcdef"), 4096)
			calls := 0
			err = cfg.Retry.Do(context.Background(), func(ctx context.Context) error {
				calls++
				return b.PutObject("retry/obj", bytes.NewReader(data), oss.WithContext(ctx))
			})
			if calls != tt.calls {
				t.Errorf("PutObject tried %d times, want %d", calls, tt.calls)
			}
			if !tt.ok {
				var se oss.ServiceError
				if !errors.As(err, &se) || se.StatusCode != status {
					t.Fatalf("Do = %v, want the last %d", err, status)
				}
				return
			}
			if err != nil {
				t.Fatalf("Do: %s", report(err))
			}
			r, err := b.GetObject("retry/obj", oss.WithContext(context.Background()))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(r)
			r.Close()
			if !bytes.Equal(got, data) {
				t.Errorf("object is %d bytes, not the %d uploaded", len(got), len(data))
			}
		})
	}
}

// TestCRCMismatchIsFinal: a server answering a wrong CRC64 gives the SDK's
// CRCCheckError, which is not retried and has a hint.
func TestCRCMismatchIsFinal(t *testing.T) {
	ts := osslocaltest.Start(t)
	if _, err := ts.Faults.Add(osslocal.Rule{Op: osslocal.OpPut, Kind: osslocal.FaultCorruptCRC}); err != nil {
		t.Fatal(err)
	}
	cfg := load(t, ossx.Options{}, ts.Env()...)
	calls, err := tries(t, cfg, ts.Bucket, func(ctx context.Context, b *oss.Bucket) error {
		return b.PutObject("crc/obj", strings.NewReader("payload"), oss.WithContext(ctx))
	})
	var crc oss.CRCCheckError
	if !errors.As(err, &crc) || calls != 1 {
		t.Fatalf("Do = %v after %d calls, want one CRCCheckError", err, calls)
	}
	if !strings.Contains(report(err), "tool: hint: the data OSS stored differs") {
		t.Errorf("report:\n%s", report(err))
	}
}

// TestUnreachable: a closed port and a server that never answers both fail
// with a hint, after the retries, instead of hanging.
func TestUnreachable(t *testing.T) {
	closed, silent := osslocaltest.ClosedEndpoint(t), osslocaltest.SilentEndpoint(t)
	tests := []struct {
		name, endpoint, hint string
	}{
		{"closed port", closed, "nothing is listening at " + closed},
		{"silent server", silent, silent + " did not answer in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := load(t, ossx.Options{Endpoint: tt.endpoint, ConnectTimeout: time.Second, ReadWriteTimeout: 200 * time.Millisecond, Retries: 2},
				"OSS_ACCESS_KEY_ID=id", "OSS_ACCESS_KEY_SECRET=unreachable-secret-1")
			calls, err := tries(t, cfg, "bkt", func(ctx context.Context, b *oss.Bucket) error {
				_, err := b.GetObjectMeta("k", oss.WithContext(ctx))
				return err
			})
			if err == nil || calls != 3 {
				t.Fatalf("Do = %v after %d calls, want an error after 3", err, calls)
			}
			out := report(err)
			if !strings.Contains(out, "tool: hint: "+tt.hint) || strings.Contains(out, "unreachable-secret-1") {
				t.Errorf("report:\n%s", out)
			}
		})
	}
}

// TestCancelStopsRetries: the caller's context ends the retries at once and
// maps to the interrupted exit code.
func TestCancelStopsRetries(t *testing.T) {
	ts := osslocaltest.Start(t)
	if _, err := ts.Faults.Add(osslocal.Rule{Op: osslocal.OpPut, Kind: osslocal.FaultError, Status: 503}); err != nil {
		t.Fatal(err)
	}
	cfg := load(t, ossx.Options{Retries: 1000}, ts.Env()...)
	cfg.Retry.Base, cfg.Retry.Max = time.Hour, time.Hour
	b, err := cfg.OpenBucket(ts.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Retry.OnRetry = func(int, error, time.Duration) { cancel() }
	err = cfg.Retry.Do(ctx, func(ctx context.Context) error {
		return b.PutObject("k", strings.NewReader("x"), oss.WithContext(ctx))
	})
	if ossx.ExitCode(err) != ossx.ExitInterrupted {
		t.Fatalf("Do = %v (exit %d), want interrupted", err, ossx.ExitCode(err))
	}
}

// TestReportHidesSecretsOnRealErrors provokes real OSS and network errors
// with STS credentials and checks neither the secret nor the token shows,
// also when an error quotes a presigned URL.
func TestReportHidesSecretsOnRealErrors(t *testing.T) {
	ts := osslocaltest.Start(t)
	sts := ts.Server.IssueSTS(time.Hour)
	cfg := load(t, ossx.Options{}, "OSS_ENDPOINT="+ts.Endpoint, "OSS_ACCESS_KEY_ID="+sts.ID,
		"OSS_ACCESS_KEY_SECRET="+sts.Secret, "OSS_SESSION_TOKEN="+sts.SecurityToken)
	ctx := context.Background()
	good, err := cfg.OpenBucket(ts.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	missing, err := cfg.OpenBucket("no-such-bucket")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := good.SignURL("secret/obj", oss.HTTPGet, 60)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(signed, "security-token=") {
		t.Fatalf("presigned URL %q carries no token; the test would prove nothing", signed)
	}
	_, errKey := good.GetObject("no/such/key", oss.WithContext(ctx))
	errBucket := missing.PutObject("k", strings.NewReader("x"), oss.WithContext(ctx))
	_, errURL := good.GetObjectWithURL(signed, oss.WithContext(ctx))
	resp, errHTTP := http.Get(signed + "&x-oss-process=broken")
	if errHTTP == nil {
		resp.Body.Close()
		errHTTP = fmt.Errorf("fetch %s: %s", signed, resp.Status)
	}
	errs := map[string]error{
		"NoSuchKey":            fmt.Errorf("download oss://%s/no/such/key: %w", ts.Bucket, errKey),
		"NoSuchBucket":         errBucket,
		"presigned URL":        fmt.Errorf("get %s: %w", signed, errURL),
		"URL in an HTTP error": errHTTP,
		"secret in a panic-ish message": fmt.Errorf("credentials %v token %s secret %s",
			ossx.Credentials{AccessKeyID: sts.ID, AccessKeySecret: sts.Secret, SecurityToken: sts.SecurityToken}, sts.SecurityToken, sts.Secret),
	}
	for name, err := range errs {
		t.Run(name, func(t *testing.T) {
			if err == nil {
				t.Fatal("no error")
			}
			out := report(err)
			for _, s := range []string{sts.Secret, sts.SecurityToken} {
				if strings.Contains(out, s) {
					t.Errorf("report leaks %q:\n%s", s, out)
				}
			}
		})
	}
	if out := report(errBucket); !strings.Contains(out, "does not exist at "+ts.Endpoint) {
		t.Errorf("NoSuchBucket report:\n%s", out)
	}
}
