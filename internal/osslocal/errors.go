package osslocal

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
)

// Error is an OSS error response. Its XML matches what OSS sends and what
// aliyun-oss-go-sdk parses into oss.ServiceError (oss/error.go):
// <Error><Code/><Message/><RequestId/><HostId/>…</Error>.
type Error struct {
	XMLName   xml.Name `xml:"Error"`
	Status    int      `xml:"-"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
	EC        string   `xml:"EC,omitempty"`
	// Extra elements some errors carry (e.g. SignatureDoesNotMatch's
	// StringToSign); kept simple as a flat list.
	Extra []ErrorField `xml:",any"`
	// Headers added to the response (e.g. x-oss-next-append-position on a
	// 409 PositionNotEqualToLength).
	Headers map[string]string `xml:"-"`
}

// ErrorField is one extra element of an Error.
type ErrorField struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// NewError returns an Error with the given status, code and message.
func NewError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// newRequestID returns a 24-hex-digit id like OSS's x-oss-request-id.
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%X", b[:])
}

// requestID returns the id assigned to r (set on the response header by the
// server on entry), or a new one.
func requestID(w http.ResponseWriter) string {
	if id := w.Header().Get("x-oss-request-id"); id != "" {
		return id
	}
	id := newRequestID()
	w.Header().Set("x-oss-request-id", id)
	return id
}

// errorCodes are the EC values OSS sends (x-oss-ec header, <EC> element)
// for errors that have one code whatever the cause; each is documented at
// https://www.alibabacloud.com/help/en/oss/support/EC (e.g. .../0015-00000101
// for NoSuchBucket; 0002-00000040 for a V1 SignatureDoesNotMatch, shown in
// https://help.aliyun.com/knowledge_detail/108790.html).
var errorCodes = map[string]string{
	"NoSuchBucket":          "0015-00000101",
	"NoSuchKey":             "0026-00000001",
	"NoSuchUpload":          "0042-00000002",
	"SignatureDoesNotMatch": "0002-00000040",
	"SecurityTokenExpired":  "0002-00000007",
	"InvalidSecurityToken":  "0002-00000006",
}

// WriteError writes e as OSS does: application/xml body, x-oss-request-id
// header, and x-oss-ec when set.
func WriteError(w http.ResponseWriter, r *http.Request, e *Error) {
	e.RequestID = requestID(w)
	if e.HostID == "" {
		e.HostID = r.Host
	}
	for k, v := range e.Headers {
		w.Header().Set(k, v)
	}
	if e.EC == "" {
		e.EC = errorCodes[e.Code]
	}
	if e.EC != "" {
		w.Header().Set("x-oss-ec", e.EC)
	}
	if e.Status == http.StatusNotModified {
		// A 304 has no body (CopyObject's failed copy-source conditions).
		w.WriteHeader(e.Status)
		return
	}
	body, _ := xml.Marshal(e)
	body = append([]byte(xml.Header), body...)
	if r.Method == http.MethodHead {
		// A HEAD answer has no body, so OSS sends the error document
		// base64-encoded in x-oss-err, which the SDK decodes (SDK conn.go
		// handleResponse).
		w.Header().Set("x-oss-err", base64.StdEncoding.EncodeToString(body))
		w.WriteHeader(e.Status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
