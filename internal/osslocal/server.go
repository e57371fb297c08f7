// Package osslocal is an OSS-compatible server: an http.Handler that speaks
// the Alibaba Cloud OSS REST API the way github.com/aliyun/aliyun-oss-go-sdk
// (v3.0.2+incompatible) sends it, storing objects in memory or in a
// directory. It is the test bed of every ossx tool and the server that
// `make demo` runs against.
//
// It serves buckets (List/Put/Delete, ACL, Info, Location, Stat, stored
// configuration sub-resources, CORS preflight), objects (Put, Get with
// Range and conditions, Head, GetObjectMeta, Delete, DeleteMultipleObjects,
// Copy, ACL, Append, tagging, symlinks, RestoreObject, PostObject forms),
// multipart uploads (Initiate, UploadPart, UploadPartCopy, Complete, Abort,
// ListParts, ListMultipartUploads) and ListObjects V1/V2 and
// ListObjectVersions, authenticated by V1, V2 or V4 header signatures, V1,
// V2 or V4 presigned URLs and STS tokens, with path-style or virtual-host
// addressing. Requests are routed by method and sub-resource (route.go); a
// sub-resource it does not implement answers 501 NotImplemented and
// changes nothing. A V4 x-oss-content-sha256 other than UNSIGNED-PAYLOAD is
// signed over but not checked against the body. docs/osslocal.md lists
// what is implemented and what cannot be emulated.
//
// Where this file or its siblings cite "SDK file.go", the reference is
// $(go env GOMODCACHE)/github.com/aliyun/aliyun-oss-go-sdk@v3.0.2+incompatible/oss/file.go.
package osslocal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultCredential is the access key New accepts when Options.Credentials is
// empty, so that a bare server is usable but never open to anonymous writes.
var DefaultCredential = Credential{ID: "osslocal-access-key-id", Secret: "osslocal-access-key-secret"}

// DefaultMaxAppendSize is the largest appendable object OSS allows (5 GiB,
// https://www.alibabacloud.com/help/en/oss/developer-reference/appendobject).
const DefaultMaxAppendSize = 5 << 30

// Credential is an access key the server accepts. A Credential with a
// SecurityToken is an STS-like temporary credential: requests must carry the
// token (x-oss-security-token header or security-token URL parameter) and are
// refused with 403 SecurityTokenExpired after Expires.
type Credential struct {
	ID            string
	Secret        string
	SecurityToken string
	Expires       time.Time
}

// Options configures a Server.
type Options struct {
	// Credentials are the access keys accepted; empty means DefaultCredential.
	Credentials []Credential
	// DataDir is the directory objects are stored in; "" keeps them in memory.
	DataDir string
	// Buckets are created at start if they do not exist.
	Buckets []string
	// AutoCreateBuckets creates a missing bucket on the first authorized
	// request that names it (not on DeleteBucket), for development: no
	// NoSuchBucket for a client that never creates its bucket. Real OSS
	// has no such thing.
	AutoCreateBuckets bool
	// MaxAppendSize caps appendable objects; 0 means DefaultMaxAppendSize.
	MaxAppendSize int64
	// Faults, when not nil, injects failures in front of the server.
	Faults *Faults
	// NoCRC64 drops the x-oss-hash-crc64ecma header from every response,
	// as OSS-compatible servers without CRC64 answer (see withoutCRC64).
	NoCRC64 bool
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
	// Region is reported by GetBucketLocation/GetBucketInfo; default "cn-hangzhou".
	Region string
	// RestoreDelay is how long RestoreObject takes; 0 means
	// DefaultRestoreDelay.
	RestoreDelay time.Duration
	// Now returns the current time; nil means time.Now. Tests use it to
	// expire presigned URLs and STS tokens without waiting.
	Now func() time.Time
}

// Server is an OSS-compatible http.Handler.
type Server struct {
	opts    Options
	handler http.Handler
	log     *slog.Logger
	store   *store

	credMu sync.RWMutex
	creds  map[string]Credential
}

// New returns a Server for opts, creating opts.Buckets and, with a DataDir,
// loading what an earlier server stored there.
func New(opts Options) (*Server, error) {
	if opts.MaxAppendSize <= 0 {
		opts.MaxAppendSize = DefaultMaxAppendSize
	}
	if opts.Region == "" {
		opts.Region = "cn-hangzhou"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if len(opts.Credentials) == 0 {
		opts.Credentials = []Credential{DefaultCredential}
	}
	s := &Server{opts: opts, log: opts.Logger, creds: map[string]Credential{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, c := range opts.Credentials {
		if c.ID == "" || c.Secret == "" {
			return nil, errors.New("osslocal: credential with empty access key id or secret")
		}
		s.creds[c.ID] = c
	}
	st, err := openStore(opts.DataDir, opts.Now)
	if err != nil {
		return nil, err
	}
	s.store = st
	for _, b := range opts.Buckets {
		if !validBucketName(b) {
			st.close()
			return nil, fmt.Errorf("osslocal: invalid bucket name %q", b)
		}
		if _, err := st.createBucket(b, ACLPrivate, "Standard", opts.Now()); err != nil && !isCode(err, "BucketAlreadyExists") {
			st.close()
			return nil, err
		}
	}
	var h http.Handler = http.HandlerFunc(s.serve)
	if opts.Faults != nil {
		h = opts.Faults.Wrap(h)
	}
	if opts.NoCRC64 {
		h = withoutCRC64(h)
	}
	s.handler = h
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Faults returns the fault injector given in Options (possibly nil).
func (s *Server) Faults() *Faults { return s.opts.Faults }

// Region returns the region the server reports.
func (s *Server) Region() string { return s.opts.Region }

// Close releases the store. Requests in flight must have finished.
func (s *Server) Close() error { return s.store.close() }

// SetBucketRegion moves bucket to region, so that requests for it through
// this server fail as OSS fails a request sent to the wrong region's
// endpoint; tests use it to check what tools say then. The server's own
// region moves it back.
func (s *Server) SetBucketRegion(bucket, region string) error {
	if region == s.opts.Region {
		region = ""
	}
	return s.store.changeBucket(bucket, func(b *bucketInfo) { b.Region = region })
}

// AddCredential makes c an accepted access key (replacing one with its ID).
func (s *Server) AddCredential(c Credential) {
	s.credMu.Lock()
	defer s.credMu.Unlock()
	s.creds[c.ID] = c
}

// IssueSTS returns a new temporary credential valid for ttl, as STS
// AssumeRole would: an "STS."-prefixed id, a secret and a security token.
func (s *Server) IssueSTS(ttl time.Duration) Credential {
	c := Credential{
		ID:            "STS." + randomHex(12),
		Secret:        randomHex(16),
		SecurityToken: "CAIS" + randomHex(32),
		Expires:       s.opts.Now().Add(ttl),
	}
	s.AddCredential(c)
	return c
}

func (s *Server) credential(id string) (Credential, bool) {
	s.credMu.RLock()
	defer s.credMu.RUnlock()
	c, ok := s.creds[id]
	return c, ok
}

// statusWriter records the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) serve(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	id := requestID(w)
	if r.Body != nil {
		r.Body = clientBody{r.Body}
	}
	h := w.Header()
	h.Set("Server", "AliyunOSS")
	h.Set("Date", s.opts.Now().UTC().Format(http.TimeFormat))
	req, err := s.parse(r)
	if err == nil {
		err = s.authorize(req)
	}
	if err == nil && s.opts.AutoCreateBuckets {
		err = s.autoCreate(req)
	}
	if err == nil {
		err = s.dispatch(w, req)
	}
	code := ""
	if err != nil {
		var e *Error
		var cut *bodyError
		switch {
		case errors.As(err, &e):
		case errors.As(err, &cut):
			// The client's doing: a body cut short of its
			// Content-Length (the client died or gave up) or stalled
			// until the server gave up. OSS answers a body shorter than
			// its Content-Length so
			// (https://help.aliyun.com/zh/oss/support/0017-00000704).
			s.log.Info("request body cut short", "request_id", id, "err", err)
			e = NewError(http.StatusBadRequest, "RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period.")
			e.EC = "0017-00000704"
		default:
			s.log.Error("internal error", "request_id", id, "err", err)
			e = NewError(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		}
		if w.status == 0 {
			WriteError(w, r, e)
		}
		code = e.Code
	}
	// No query and no headers: presigned URLs and requests carry
	// signatures and security tokens there.
	s.log.Debug("request", "request_id", id, "method", r.Method, "bucket", req.bucket, "key", req.key, "status", w.status, "code", code)
}

// clientBody marks the errors of reading a request body as bodyErrors, so
// that a body the client cut short is not answered as the server's
// failure. io.EOF, the end of a whole body, is passed on as it is.
type clientBody struct{ io.ReadCloser }

func (b clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyError{err}
	}
	return n, err
}

// bodyError is a failure to read the request body.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "request body: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// autoCreate creates req's bucket if it is missing (Options.AutoCreateBuckets).
func (s *Server) autoCreate(req *request) error {
	// Not for DeleteBucket, nor PutBucket, which creates it itself.
	if req.bucket == "" || req.key == "" && (req.r.Method == http.MethodDelete || req.r.Method == http.MethodPut) {
		return nil
	}
	if _, err := s.store.createBucket(req.bucket, ACLPrivate, "Standard", s.opts.Now()); err != nil {
		if isCode(err, "BucketAlreadyExists") {
			return nil
		}
		return err
	}
	s.log.Warn("bucket created on first use (auto-create-buckets)", "bucket", req.bucket)
	return nil
}

// request is a parsed OSS request.
type request struct {
	r      *http.Request
	bucket string
	key    string
	query  map[string][]string
	// principal is the access key id that signed the request; "" for anonymous.
	principal string
}

func (q *request) has(name string) bool { _, ok := q.query[name]; return ok }

func (q *request) param(name string) string {
	if v := q.query[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// parse splits r into bucket and key. Path style is what the SDK sends for an
// IP endpoint (SDK conn.go urlMaker.buildURL, urlTypeIP); virtual-host style
// puts the bucket in the first label of a dotted, non-IP Host such as
// bucket.localhost:9000 (same rule as faults.go classify).
func (s *Server) parse(r *http.Request) (*request, error) {
	req := &request{r: r, query: r.URL.Query()}
	path := strings.TrimPrefix(r.URL.Path, "/")
	if bucket, ok := hostBucket(r.Host); ok {
		req.bucket, req.key = bucket, path
	} else {
		req.bucket, req.key, _ = strings.Cut(path, "/")
	}
	if req.bucket != "" && !validBucketName(req.bucket) {
		return req, NewError(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.")
	}
	if req.key != "" && !validObjectName(req.key) {
		return req, NewError(http.StatusBadRequest, "InvalidObjectName", "The specified object is not valid.")
	}
	return req, nil
}

// validBucketName follows OSS's naming rules: 3–63 characters of lowercase
// letters, digits and hyphens, starting and ending with a letter or digit.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0 && i < len(name)-1:
		default:
			return false
		}
	}
	return true
}

// validObjectName follows OSS's rules: 1–1023 bytes of UTF-8, not starting
// with '/' or '\'.
func validObjectName(key string) bool {
	if len(key) == 0 || len(key) > 1023 || key[0] == '/' || key[0] == '\\' {
		return false
	}
	return utf8.ValidString(key)
}

func isCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
