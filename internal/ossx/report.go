package ossx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// secrets holds every credential secret and token this process has seen, so
// that nothing printed by Report or Redact can carry one, whatever wrapped it.
var secrets struct {
	sync.Mutex
	list []string
}

// RegisterSecret records a value that must never be printed. Values shorter
// than 8 bytes are ignored: real secrets and tokens are far longer, and
// redacting a short word would garble ordinary messages.
func RegisterSecret(s string) {
	if len(s) < 8 {
		return
	}
	secrets.Lock()
	defer secrets.Unlock()
	for _, have := range secrets.list {
		if have == s {
			return
		}
	}
	secrets.list = append(secrets.list, s)
}

// userinfoRE finds the user:password@ of an http(s) URL (an endpoint like
// http://id:SECRET@host), whose password was never registered as a secret.
// Compiled when first needed, not at every start.
var userinfoRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(https?://)[^\s"'/@]*@`)
})

// Redact replaces every registered secret in s with "[REDACTED]", also in
// its URL-escaped forms (an STS token travels as security-token=… in
// presigned URLs, with + / = escaped), and the userinfo of any http(s) URL.
func Redact(s string) string {
	if strings.Contains(s, "@") {
		s = userinfoRE().ReplaceAllString(s, "${1}[REDACTED]@")
	}
	secrets.Lock()
	defer secrets.Unlock()
	for _, sec := range secrets.list {
		s = strings.ReplaceAll(s, sec, "[REDACTED]")
		if q := url.QueryEscape(sec); q != sec {
			s = strings.ReplaceAll(s, q, "[REDACTED]")
		}
		if p := url.PathEscape(sec); p != sec {
			s = strings.ReplaceAll(s, p, "[REDACTED]")
		}
	}
	return s
}

// Hinted is implemented by errors that know how the user can fix them.
type Hinted interface{ Hint() string }

// hintForCode is the fix for an OSS error code a user can act on, or ""
// (a switch: a map literal is built by package init in every run). Codes:
// OSS docs, "Error codes", https://www.alibabacloud.com/help/en/oss/support/
// (and the 00xx-xxxxxxxx EC pages there).
func hintForCode(code string) string {
	switch code {
	case "SignatureDoesNotMatch":
		return "check OSS_ACCESS_KEY_SECRET (or the profile's secret) matches OSS_ACCESS_KEY_ID"
	case "InvalidAccessKeyId":
		return "check OSS_ACCESS_KEY_ID; the key may be disabled or belong to another account"
	case "NoSuchBucket":
		return "check the bucket name and that OSS_ENDPOINT / OSS_REGION is the bucket's region"
	case "NoSuchKey":
		return "check the key; list what is there with ossls oss://BUCKET/PREFIX"
	case "AccessDenied":
		return "the credentials lack permission for this bucket or key; check the RAM policy"
	case "SecurityTokenExpired":
		return "the STS token has expired; refresh OSS_SESSION_TOKEN"
	case "InvalidSecurityToken":
		return "check OSS_SESSION_TOKEN belongs to OSS_ACCESS_KEY_ID"
	case "FileAlreadyExists":
		return "the key exists and --no-clobber was given; choose another key or drop --no-clobber"
	case "RequestTimeTooSkewed":
		return "the local clock is off; sync it (e.g. with NTP)"
	case "ObjectNotAppendable":
		return "the object exists but was not created by appending; choose another key"
	case "PositionNotEqualToLength":
		return "the object grew or shrank behind our back: another writer is appending to the same key"
	case "InvalidObjectName":
		return "object keys are 1 to 1023 bytes of UTF-8 and must not start with / or \\"
	case "InvalidBucketName":
		return "bucket names are 3 to 63 lowercase letters, digits and hyphens"
	case "EntityTooLarge":
		return "the object is larger than a single PUT allows; large files are uploaded in parts"
	case "TooManyRequests":
		return "OSS is throttling requests; lower --jobs or retry later"
	}
	return ""
}

// hintEndpoint is the endpoint the last client was built for, so a hint can
// name it; one process talks to one endpoint.
var hintEndpoint atomic.Value // string

// HintFor returns the fix for err, if one is known.
func HintFor(err error) string {
	var h Hinted
	if errors.As(err, &h) && h.Hint() != "" {
		return h.Hint()
	}
	var ue *UsageError
	if errors.As(err, &ue) && ue.Hint != "" {
		return ue.Hint
	}
	endpoint, _ := hintEndpoint.Load().(string)
	if se, ok := serviceError(err); ok {
		switch {
		case se.Code == "NoSuchBucket":
			// OSS names the bucket in <BucketName>.
			b := "the bucket"
			if name := xmlField(se.RawMessage, "BucketName"); name != "" {
				b = "bucket " + name
			}
			where := "the endpoint"
			if endpoint != "" {
				where = endpoint
			}
			create := "create it (ossutil mb oss://NAME; for osslocal, start it with --bucket NAME)"
			if name := xmlField(se.RawMessage, "BucketName"); name != "" {
				create = strings.ReplaceAll(create, "NAME", name)
			}
			return fmt.Sprintf("%s does not exist at %s; check the name and that OSS_ENDPOINT / OSS_REGION is the bucket's region, or %s", b, where, create)
		case se.Endpoint != "" || se.Code == "PermanentRedirect":
			// OSS names the bucket's own endpoint when it was addressed
			// through another region's.
			if e := first(se.Endpoint, xmlField(se.RawMessage, "Endpoint")); e != "" {
				return fmt.Sprintf("the bucket lives at %s: set OSS_ENDPOINT=https://%s (or its region in OSS_REGION)", e, e)
			}
		}
		return hintForCode(se.Code)
	}
	var crc oss.CRCCheckError
	if errors.As(err, &crc) {
		return "the data OSS stored differs from what was sent; check for a proxy rewriting bodies, or a source that changed during the upload"
	}
	return networkHint(err, endpoint)
}

func networkHint(err error, endpoint string) string {
	ep := "OSS_ENDPOINT"
	if endpoint != "" {
		ep = endpoint
	}
	var dns *net.DNSError
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot resolve the endpoint host; check %s and your DNS", ep)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing is listening at %s; check the endpoint and port", ep)
	case errors.As(err, &cv) || errors.As(err, &ua):
		return "the endpoint's TLS certificate is not trusted; check the endpoint, or the proxy intercepting HTTPS"
	case strings.Contains(err.Error(), errPlainHTTP):
		return fmt.Sprintf("%s speaks plain HTTP; write the endpoint as http://HOST:PORT", ep)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("%s did not answer in time; check the network and any HTTPS_PROXY, or raise --timeout", ep)
	}
	return ""
}

// xmlField pulls <name>value</name> out of an OSS error body; the SDK keeps
// the raw body but parses only the common fields.
func xmlField(raw, name string) string {
	_, rest, ok := strings.Cut(raw, "<"+name+">")
	if !ok {
		return ""
	}
	v, _, ok := strings.Cut(rest, "</"+name+">")
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}

// Message renders err as one line: OSS service errors shortened to their
// code, status and request id, newlines folded, secrets redacted.
func Message(err error) string {
	msg := err.Error()
	if se, ok := serviceError(err); ok {
		msg = strings.Replace(msg, se.Error(), describeServiceError(se), 1)
	}
	return oneLine(Redact(msg))
}

// oneLine folds any run of whitespace (newlines included) into one space
// and escapes other control characters, so a hostile object key cannot
// break the line or send terminal escape sequences.
func oneLine(s string) string {
	return EscapeControl(strings.Join(strings.Fields(s), " "))
}

func describeServiceError(se oss.ServiceError) string {
	s := se.Code
	if s == "" {
		s = http.StatusText(se.StatusCode)
	}
	s = fmt.Sprintf("%s (HTTP %d)", s, se.StatusCode)
	if se.Message != "" {
		s += ": " + strings.TrimSuffix(se.Message, ".")
	}
	if se.RequestID != "" {
		s += " [request id " + se.RequestID + "]"
	}
	return s
}

// Report prints err once, as "TOOL: error: …" and, where the fix is known,
// "TOOL: hint: …", each on one line with secrets redacted. A PartialError
// prints only its summary: the failures themselves were reported as they
// happened.
func Report(w io.Writer, tool string, err error) {
	if err == nil {
		return
	}
	fmt.Fprintf(w, "%s: error: %s\n", tool, Message(err))
	if h := HintFor(err); h != "" {
		fmt.Fprintf(w, "%s: hint: %s\n", tool, oneLine(Redact(h)))
	}
}

// CatchPanic turns a panic into a redacted one-line error and ExitFailed
// instead of Go's raw traceback, which would print whatever the panic value
// holds — a request, a URL, a secret. Defer it first thing in a function
// that returns the exit code, as command.Main does for every tool:
//
//	func Main(app *cli.App, args []string, stderr io.Writer) (code int) {
//		defer ossx.CatchPanic(app.Name, stderr, &code)
//		…
//	}
//
// It only sees panics of its own goroutine. With OSSX_TRACEBACK=1 the stack
// follows, redacted too.
func CatchPanic(tool string, w io.Writer, code *int) {
	r := recover()
	if r == nil {
		return
	}
	fmt.Fprintf(w, "%s: error: internal error: %s\n", tool, oneLine(Redact(fmt.Sprint(r))))
	fmt.Fprintf(w, "%s: hint: this is a bug in %s; please report it with the command that triggered it (rerun with OSSX_TRACEBACK=1 for a stack)\n", tool, tool)
	if os.Getenv("OSSX_TRACEBACK") == "1" {
		fmt.Fprint(w, Redact(string(debug.Stack())))
	}
	*code = ExitFailed
}
