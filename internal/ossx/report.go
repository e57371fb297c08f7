package ossx

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// secrets holds every credential secret and token this process has seen, so
// that nothing printed by Report or Redact can carry one, whatever wrapped it.
var secrets struct {
	sync.Mutex
	list []string
}

// RegisterSecret records a value that must never be printed.
func RegisterSecret(s string) {
	if len(s) < 4 {
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

// Redact replaces every registered secret in s with "[REDACTED]".
func Redact(s string) string {
	secrets.Lock()
	defer secrets.Unlock()
	for _, sec := range secrets.list {
		s = strings.ReplaceAll(s, sec, "[REDACTED]")
	}
	return s
}

// Hinted is implemented by errors that know how the user can fix them.
type Hinted interface{ Hint() string }

// hintsByCode are the fixes for OSS error codes a user can act on.
var hintsByCode = map[string]string{
	"SignatureDoesNotMatch": "check OSS_ACCESS_KEY_SECRET (or the profile's secret) matches OSS_ACCESS_KEY_ID",
	"InvalidAccessKeyId":    "check OSS_ACCESS_KEY_ID; the key may be disabled or belong to another account",
	"NoSuchBucket":          "check the bucket name and that OSS_ENDPOINT / OSS_REGION is the bucket's region",
	"AccessDenied":          "the credentials lack permission for this bucket or key; check the RAM policy",
	"SecurityTokenExpired":  "the STS token has expired; refresh OSS_SESSION_TOKEN",
	"InvalidSecurityToken":  "check OSS_SESSION_TOKEN belongs to OSS_ACCESS_KEY_ID",
	"FileAlreadyExists":     "the key exists and --no-clobber was given; choose another key or drop --no-clobber",
	"RequestTimeTooSkewed":  "the local clock is off; sync it (e.g. with NTP)",
}

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
	var se oss.ServiceError
	if errors.As(err, &se) {
		return hintsByCode[se.Code]
	}
	var sp *oss.ServiceError
	if errors.As(err, &sp) {
		return hintsByCode[sp.Code]
	}
	return ""
}

// Message renders err as one line: OSS service errors shortened to their
// code, status and request id, newlines folded, secrets redacted.
func Message(err error) string {
	msg := err.Error()
	var se oss.ServiceError
	if errors.As(err, &se) {
		msg = strings.Replace(msg, se.Error(), describeServiceError(se), 1)
	}
	msg = strings.Join(strings.Fields(msg), " ")
	return Redact(msg)
}

func describeServiceError(se oss.ServiceError) string {
	s := fmt.Sprintf("%s (HTTP %d)", se.Code, se.StatusCode)
	if se.Message != "" {
		s += ": " + strings.TrimSuffix(se.Message, ".")
	}
	if se.RequestID != "" {
		s += " [request id " + se.RequestID + "]"
	}
	return s
}

// Report prints err once, as "TOOL: error: …" and, where the fix is known,
// "TOOL: hint: …". A PartialError prints only its summary: the failures
// themselves were reported as they happened.
func Report(w io.Writer, tool string, err error) {
	if err == nil {
		return
	}
	fmt.Fprintf(w, "%s: error: %s\n", tool, Message(err))
	if h := HintFor(err); h != "" {
		fmt.Fprintf(w, "%s: hint: %s\n", tool, Redact(h))
	}
}
