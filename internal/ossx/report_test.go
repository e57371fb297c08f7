package ossx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func TestMessage(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain", errors.New("open a.txt: no such file or directory"), "open a.txt: no such file or directory"},
		{"newlines folded", errors.New("first line\nsecond\tline\r\n"), "first line second line"},
		{"joined", errors.Join(errors.New("a"), errors.New("b")), "a b"},
		{"control characters escaped", errors.New("upload \x1b[31mred\x00: x"), `upload \x1b[31mred\x00: x`},
		{
			"service error condensed",
			fmt.Errorf("upload oss://bkt/k: %w", oss.ServiceError{StatusCode: 403, Code: "AccessDenied", Message: "You have no right to access this object.", RequestID: "ABC123"}),
			"upload oss://bkt/k: AccessDenied (HTTP 403): You have no right to access this object [request id ABC123]",
		},
		{
			"service error without code",
			oss.ServiceError{StatusCode: 503, RequestID: "R1"},
			"Service Unavailable (HTTP 503) [request id R1]",
		},
		{
			"pointer service error",
			fmt.Errorf("list: %w", &oss.ServiceError{StatusCode: 404, Code: "NoSuchBucket", Message: "The specified bucket does not exist."}),
			"list: NoSuchBucket (HTTP 404): The specified bucket does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Message(tt.err); got != tt.want {
				t.Errorf("Message = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHintFor(t *testing.T) {
	hintEndpoint.Store("http://127.0.0.1:9")
	t.Cleanup(func() { hintEndpoint.Store("") })
	svc := func(code string) error { return fmt.Errorf("op: %w", oss.ServiceError{StatusCode: 400, Code: code}) }
	tests := []struct {
		name string
		err  error
		want []string // substrings of the hint; nil: no hint
	}{
		{"SignatureDoesNotMatch", svc("SignatureDoesNotMatch"), []string{"OSS_ACCESS_KEY_SECRET"}},
		{"InvalidAccessKeyId", svc("InvalidAccessKeyId"), []string{"OSS_ACCESS_KEY_ID"}},
		{"AccessDenied", svc("AccessDenied"), []string{"RAM policy"}},
		{"SecurityTokenExpired", svc("SecurityTokenExpired"), []string{"OSS_SESSION_TOKEN"}},
		{"FileAlreadyExists", svc("FileAlreadyExists"), []string{"--no-clobber"}},
		{"RequestTimeTooSkewed", svc("RequestTimeTooSkewed"), []string{"clock"}},
		{"NoSuchKey", svc("NoSuchKey"), []string{"ossls"}},
		{
			"NoSuchBucket names bucket and endpoint",
			fmt.Errorf("op: %w", oss.ServiceError{StatusCode: 404, Code: "NoSuchBucket",
				RawMessage: "<Error><Code>NoSuchBucket</Code><BucketName>photos</BucketName></Error>"}),
			[]string{"bucket photos does not exist at http://127.0.0.1:9", "OSS_REGION"},
		},
		{"NoSuchBucket without body", svc("NoSuchBucket"), []string{"the bucket does not exist at http://127.0.0.1:9"}},
		{
			"wrong region names the right endpoint",
			oss.ServiceError{StatusCode: 301, Code: "PermanentRedirect", Endpoint: "oss-cn-beijing.aliyuncs.com"},
			[]string{"OSS_ENDPOINT=https://oss-cn-beijing.aliyuncs.com"},
		},
		{"unknown code", svc("SomethingNew"), nil},
		{"usage hint", &UsageError{Err: errors.New("x"), Hint: "do y"}, []string{"do y"}},
		{"credentials error", &CredentialsError{From: "ECS RAM role r", Err: errors.New("x")}, []string{"ALIBABA_CLOUD_ECS_METADATA"}},
		{"connection refused", &url.Error{Op: "Get", URL: "http://127.0.0.1:9/", Err: &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}, []string{"nothing is listening at http://127.0.0.1:9"}},
		{"DNS", &url.Error{Op: "Get", URL: "http://x/", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x"}}}, []string{"cannot resolve"}},
		{"timeout", &url.Error{Op: "Get", URL: "http://x/", Err: os.ErrDeadlineExceeded}, []string{"did not answer in time", "--timeout"}},
		{"CRC", oss.CheckDownloadCRC(1, 2), []string{"differs from what was sent"}},
		{"local error", errors.New("disk full"), nil},
		{"canceled", context.Canceled, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := HintFor(tt.err)
			if tt.want == nil && h != "" {
				t.Errorf("HintFor = %q, want none", h)
			}
			if tt.want != nil && h == "" {
				t.Fatalf("HintFor = none, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(h, w) {
					t.Errorf("HintFor = %q, want it to contain %q", h, w)
				}
			}
		})
	}
}

func TestReportFormat(t *testing.T) {
	var b bytes.Buffer
	Report(&b, "ossuploader", fmt.Errorf("upload a.txt: %w", oss.ServiceError{StatusCode: 403, Code: "SignatureDoesNotMatch", Message: "The request signature we calculated\ndoes not match."}))
	want := "ossuploader: error: upload a.txt: SignatureDoesNotMatch (HTTP 403): The request signature we calculated does not match\n" +
		"ossuploader: hint: check OSS_ACCESS_KEY_SECRET (or the profile's secret) matches OSS_ACCESS_KEY_ID\n"
	if b.String() != want {
		t.Errorf("Report wrote\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	Report(&b, "ossls", nil)
	if b.Len() != 0 {
		t.Errorf("Report(nil) wrote %q", b.String())
	}
}

// TestReportNeverPrintsSecrets feeds Report errors that carry a registered
// secret or STS token in every way we can think of.
func TestReportNeverPrintsSecrets(t *testing.T) {
	const secret = "rEpOrT-sEcReT-0123456789abcdef"
	const token = "CAIS+report/token==with+url/chars"
	RegisterSecret(secret)
	RegisterSecret(token)
	presigned := "https://bkt.oss-cn-hangzhou.aliyuncs.com/k?OSSAccessKeyId=STS.X&security-token=" + url.QueryEscape(token) + "&Signature=abc"
	tests := []struct {
		name string
		err  error
	}{
		{"wrapped", fmt.Errorf("upload: %w", fmt.Errorf("auth with %s failed", secret))},
		{"in a URL error", &url.Error{Op: "Get", URL: presigned, Err: errors.New("EOF")}},
		{"path-escaped", fmt.Errorf("GET /%s: bad", url.PathEscape(token))},
		{"in an OSS message", oss.ServiceError{StatusCode: 403, Code: "SignatureDoesNotMatch", Message: "key " + secret + " token " + token}},
		{"in a usage hint", &UsageError{Err: errors.New("bad " + token), Hint: "secret was " + secret}},
		{"multi-line", errors.New("line1\n" + secret + "\n" + token)},
		{"joined", errors.Join(errors.New(secret), errors.New(token))},
		{"credentials printed by mistake", fmt.Errorf("creds %v %+v %#v", Credentials{"ID", secret, token}, Credentials{"ID", secret, token}, Credentials{"ID", secret, token})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			Report(&b, "tool", tt.err)
			out := b.String()
			if strings.Contains(out, secret) || strings.Contains(out, token) || strings.Contains(out, url.QueryEscape(token)) {
				t.Errorf("Report leaked a secret:\n%s", out)
			}
			for _, line := range strings.SplitAfter(strings.TrimSuffix(out, "\n"), "\n") {
				if !strings.HasPrefix(line, "tool: error: ") && !strings.HasPrefix(line, "tool: hint: ") {
					t.Errorf("stray output line %q", line)
				}
			}
		})
	}
}

func TestCatchPanic(t *testing.T) {
	const secret = "pAnIc-sEcReT-0123456789"
	RegisterSecret(secret)
	tests := []struct {
		name  string
		value any
	}{
		{"string", "request failed for key " + secret},
		{"error", fmt.Errorf("wrapped: %w", errors.New("multi\nline "+secret))},
		{"credentials", Credentials{"ID", secret, secret}},
		{"runtime error", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			code := func() (code int) {
				defer CatchPanic("gtail", &b, &code)
				if tt.value == nil {
					var m map[string]int
					//lint:ignore SA5000 the runtime error is the point
					m["x"]++
				}
				panic(tt.value)
			}()
			if code != ExitFailed {
				t.Errorf("exit code %d, want %d", code, ExitFailed)
			}
			out := b.String()
			if strings.Contains(out, secret) {
				t.Errorf("panic output leaked the secret:\n%s", out)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "gtail: error: internal error: ") || !strings.HasPrefix(lines[1], "gtail: hint: ") {
				t.Errorf("panic output is not one error and one hint line:\n%s", out)
			}
		})
	}
	// No panic: the code is left alone and nothing is printed.
	var b bytes.Buffer
	code := func() (code int) {
		defer CatchPanic("gtail", &b, &code)
		return ExitPartial
	}()
	if code != ExitPartial || b.Len() != 0 {
		t.Errorf("without a panic: code %d, output %q", code, b.String())
	}
}

func TestRedactEscapedForms(t *testing.T) {
	const tok = "a+b/c=d-redact-test"
	RegisterSecret(tok)
	for _, s := range []string{tok, url.QueryEscape(tok), url.PathEscape(tok)} {
		if got := Redact("x=" + s); got != "x=[REDACTED]" {
			t.Errorf("Redact(%q) = %q", s, got)
		}
	}
	RegisterSecret("abc") // too short to register: it would redact ordinary words
	if got := Redact("abc"); got != "abc" {
		t.Errorf("short value redacted: %q", got)
	}
}

// TestRedactUserinfo: a password in an endpoint URL was never registered as
// a secret, yet must never be printed.
func TestRedactUserinfo(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`invalid endpoint "http://id:pw@127.0.0.1:9"`, `invalid endpoint "http://[REDACTED]@127.0.0.1:9"`},
		{"dial https://ID:Pw@host/x and HTTP://a@b", "dial https://[REDACTED]@host/x and HTTP://[REDACTED]@b"},
		{"oss://bucket/user@example.com/a.jpg", "oss://bucket/user@example.com/a.jpg"},
		{"https://host/key@x", "https://host/key@x"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, raw := range []string{"http://id:SE/CR@ET@127.0.0.1:9", "id:pw@host"} {
		if got := redactUserinfo(raw); strings.Contains(got, "pw") || strings.Contains(got, "SE") || strings.Contains(got, "CR") {
			t.Errorf("redactUserinfo(%q) = %q", raw, got)
		}
	}
}
