package osslocal

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func (s *Server) putOrCopyObject(w http.ResponseWriter, req *request) error {
	if req.r.Header.Get("x-oss-copy-source") != "" {
		return s.copyObject(w, req)
	}
	return s.putObject(w, req)
}

func (s *Server) getObjectACL(w http.ResponseWriter, req *request) error {
	m, err := s.store.head(req.bucket, req.key)
	if err != nil {
		return err
	}
	return writeXML(w, xmlACL{Owner: owner, ACL: m.ACL})
}

func (s *Server) headObject(w http.ResponseWriter, req *request) error {
	m, rd, err := s.openObject(req.bucket, req.key)
	if err != nil {
		return err
	}
	rd.Close()
	if err := checkConditions(req.r, m); err != nil {
		return conditionFailed(w, m, err)
	}
	writeObjectHeaders(w, m)
	if v := restoreInfo(m, s.opts.Now()); v != "" {
		w.Header().Set("x-oss-restore", v)
	}
	w.Header().Set("Content-Length", strconv.FormatInt(m.Size, 10))
	w.WriteHeader(http.StatusOK)
	return nil
}

// getObjectMeta is GetObjectMeta (HEAD ?objectMeta): only ETag, size,
// Last-Modified, not the object's headers
// (https://www.alibabacloud.com/help/en/oss/developer-reference/getobjectmeta).
func (s *Server) getObjectMeta(w http.ResponseWriter, req *request) error {
	m, err := s.store.head(req.bucket, req.key)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", `"`+m.ETag+`"`)
	h.Set("Last-Modified", m.Modified.UTC().Format(http.TimeFormat))
	h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteObject(w http.ResponseWriter, req *request) error {
	if err := s.store.deleteObject(req.bucket, req.key); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) abort(w http.ResponseWriter, req *request) error {
	if err := s.store.abort(req.bucket, req.key, req.param("uploadId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// storedHeaders are the request headers an object keeps and returns, besides
// x-oss-meta-*.
// The server-side encryption headers are kept and echoed as OSS echoes
// them (https://www.alibabacloud.com/help/en/oss/developer-reference/putobject);
// the data is not encrypted at rest here.
var storedHeaders = []string{"Content-Type", "Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires",
	"X-Oss-Server-Side-Encryption", "X-Oss-Server-Side-Data-Encryption", "X-Oss-Server-Side-Encryption-Key-Id"}

// template builds the metadata of a new object from the request headers:
// stored headers, x-oss-meta-*, x-oss-object-acl, x-oss-storage-class
// (default: the bucket's).
func (s *Server) template(req *request, key string) (*objectMeta, error) {
	b, err := s.store.bucket(req.bucket)
	if err != nil {
		return nil, err
	}
	m := &objectMeta{Key: key, Header: map[string]string{}, Modified: s.now()}
	if err := setMetadata(m, req.r.Header, b); err != nil {
		return nil, err
	}
	return m, nil
}

func setMetadata(m *objectMeta, h http.Header, b bucketInfo) error {
	m.Header = map[string]string{}
	for _, k := range storedHeaders {
		if v := h.Get(k); v != "" {
			m.Header[k] = v
		}
	}
	for k, v := range h {
		if ck := textproto.CanonicalMIMEHeaderKey(k); strings.HasPrefix(ck, "X-Oss-Meta-") {
			m.Header[ck] = v[0]
		}
	}
	tags, err := parseTaggingHeader(h.Get("x-oss-tagging"))
	if err != nil {
		return err
	}
	m.Tags = tags
	switch v := h.Get("x-oss-server-side-encryption"); v {
	case "", "AES256", "KMS", "SM4":
	default:
		return NewError(http.StatusBadRequest, "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4.")
	}
	m.ACL = h.Get("x-oss-object-acl")
	if m.ACL == "" {
		m.ACL = ACLDefault
	}
	if !validACL(m.ACL, true) {
		return invalidArgument("no such object access control exists")
	}
	m.StorageClass = h.Get("x-oss-storage-class")
	if m.StorageClass == "" {
		m.StorageClass = b.StorageClass
	}
	if !storageClasses[m.StorageClass] {
		return invalidArgument("Invalid storage class %q.", m.StorageClass)
	}
	return nil
}

// now is the server time at the second-and-millisecond precision OSS
// keeps.
func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

// contentMD5 returns the decoded Content-MD5 header, nil when absent.
func contentMD5(r *http.Request) ([]byte, error) {
	v := r.Header.Get("Content-MD5")
	if v == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != md5.Size {
		return nil, NewError(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.")
	}
	return b, nil
}

func md5Sum(b []byte) []byte {
	s := md5.Sum(b)
	return s[:]
}

func forbidOverwriteHeader(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("x-oss-forbid-overwrite"), "true")
}

// writeWriteHeaders answers a successful write: ETag, CRC64 and the MD5.
func writeWriteHeaders(w http.ResponseWriter, m *objectMeta) {
	h := w.Header()
	h.Set("ETag", `"`+m.ETag+`"`)
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(m.CRC64, 10))
	if m.Type == TypeNormal {
		if raw, err := hex.DecodeString(m.ETag); err == nil {
			h.Set("Content-MD5", base64.StdEncoding.EncodeToString(raw))
		}
	}
	writeEncryptionHeaders(w, m)
}

// writeEncryptionHeaders echoes the server-side encryption headers an
// object was written with.
func writeEncryptionHeaders(w http.ResponseWriter, m *objectMeta) {
	for _, k := range []string{"X-Oss-Server-Side-Encryption", "X-Oss-Server-Side-Data-Encryption", "X-Oss-Server-Side-Encryption-Key-Id"} {
		if v := m.Header[k]; v != "" {
			w.Header().Set(k, v)
		}
	}
}

// maxObjectSize is the largest PutObject body and part OSS accepts (5 GiB).
const maxObjectSize = 5 << 30

func (s *Server) putObject(w http.ResponseWriter, req *request) error {
	r := req.r
	want, err := contentMD5(r)
	if err != nil {
		return err
	}
	if r.ContentLength > maxObjectSize {
		return tooLarge()
	}
	tmpl, err := s.template(req, req.key)
	if err != nil {
		return err
	}
	if forbidOverwriteHeader(r) {
		// Refuse before reading the body; put checks again at commit.
		if _, err := s.store.head(req.bucket, req.key); err == nil {
			return forbidOverwrite(&objectMeta{})
		}
	}
	cond := writeConditions(r)
	if cond != nil {
		// Refuse before reading the body; put checks again at commit.
		old, _ := s.store.head(req.bucket, req.key)
		if err := cond(old); err != nil {
			return err
		}
	}
	limit, err := trafficLimit(req)
	if err != nil {
		return err
	}
	th := newThrottle(r.Context(), limit)
	m, err := s.store.put(req.bucket, tmpl, th.reader(r.Body), putOptions{contentMD5: want, forbidOverwrite: forbidOverwriteHeader(r), max: maxObjectSize, precondition: cond})
	if err != nil {
		return err
	}
	th.report(w)
	writeWriteHeaders(w, m)
	if err := callbackFailed(r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// callbackFailed answers an upload that asked for a callback
// (x-oss-callback) as OSS answers when it cannot reach the callback
// server: the object is stored, the status is 203 CallbackFailed
// (https://www.alibabacloud.com/help/en/oss/developer-reference/callback).
// osslocal makes no request beyond loopback, so every callback fails.
func callbackFailed(r *http.Request) error {
	if r.Header.Get("x-oss-callback") == "" {
		return nil
	}
	return NewError(http.StatusNonAuthoritativeInfo, "CallbackFailed", "Error status : -1.OSS can not connect to your callbackUrl, please check it.")
}

// appendObject is AppendObject (POST ?append&position=P).
func (s *Server) appendObject(w http.ResponseWriter, req *request) error {
	r := req.r
	pos, err := strconv.ParseInt(req.param("position"), 10, 64)
	if err != nil || pos < 0 {
		return invalidArgument("Position is not a valid non-negative integer.")
	}
	want, err := contentMD5(r)
	if err != nil {
		return err
	}
	tmpl, err := s.template(req, req.key)
	if err != nil {
		return err
	}
	limit, err := trafficLimit(req)
	if err != nil {
		return err
	}
	th := newThrottle(r.Context(), limit)
	m, err := s.store.append(req.bucket, tmpl, th.reader(r.Body), appendOptions{position: pos, length: r.ContentLength, max: s.opts.MaxAppendSize, contentMD5: want, aclGiven: r.Header.Get("x-oss-object-acl") != ""})
	if err != nil {
		return err
	}
	th.report(w)
	writeWriteHeaders(w, m)
	w.Header().Set("x-oss-next-append-position", strconv.FormatInt(m.Size, 10))
	w.WriteHeader(http.StatusOK)
	return nil
}

// writeObjectHeaders sets what GetObject, HeadObject and GetObjectMeta
// return about m.
func writeObjectHeaders(w http.ResponseWriter, m *objectMeta) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	for k, v := range m.Header {
		h.Set(k, v)
	}
	h.Set("ETag", `"`+m.ETag+`"`)
	h.Set("Last-Modified", m.Modified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("x-oss-object-type", m.Type)
	h.Set("x-oss-storage-class", m.StorageClass)
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(m.CRC64, 10))
	if m.Type == TypeAppendable {
		h.Set("x-oss-next-append-position", strconv.FormatInt(m.Size, 10))
	}
	if m.Type == TypeNormal {
		if raw, err := hex.DecodeString(m.ETag); err == nil {
			h.Set("Content-MD5", base64.StdEncoding.EncodeToString(raw))
		}
	}
	if m.MD5 != nil {
		h.Set("Content-MD5", base64.StdEncoding.EncodeToString(m.MD5))
	}
	writeTaggingCount(w, m)
}

func etagMatches(header string, m *objectMeta) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.Trim(strings.TrimSpace(t), `"`)
		if t == "*" || strings.EqualFold(t, m.ETag) {
			return true
		}
	}
	return false
}

// preconditionFailed names the failed condition in <Condition>, which
// ali-oss appends to the message as "(condition: If-Match)" (ali-oss
// lib/client.js requestError).
func preconditionFailed(condition string) *Error {
	e := NewError(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.")
	e.Extra = []ErrorField{field("Condition", condition)}
	return e
}

// notModified is answered as a bare 304 with the object's headers.
func notModified() *Error {
	return &Error{Status: http.StatusNotModified, Code: "NotModified", Message: "Not Modified"}
}

// checkConditions applies If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since (second precision, as in Last-Modified).
func checkConditions(r *http.Request, m *objectMeta) error {
	mod := m.Modified.Truncate(time.Second)
	if v := r.Header.Get("If-Match"); v != "" && !etagMatches(v, m) {
		return preconditionFailed("If-Match")
	}
	if v := r.Header.Get("If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && mod.After(t) {
			return preconditionFailed("If-Unmodified-Since")
		}
	}
	if v := r.Header.Get("If-None-Match"); v != "" && etagMatches(v, m) {
		return notModified()
	}
	if v := r.Header.Get("If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !mod.After(t) {
			return notModified()
		}
	}
	return nil
}

// writeConditions returns the check of a PutObject's If-Match,
// If-None-Match, If-Modified-Since and If-Unmodified-Since against the
// object it would replace, nil when there are none. OSS refuses such a PUT
// when the condition does not hold, and when there is no object to
// compare with (the SDK's TestPutObjectNegative: If-Modified-Since on a
// missing object is an error); every failure is 412.
func writeConditions(r *http.Request) func(old *objectMeta) error {
	var names []string
	for _, h := range []string{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
		if r.Header.Get(h) != "" {
			names = append(names, h)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return func(old *objectMeta) error {
		if old == nil {
			if len(names) == 1 && names[0] == "If-None-Match" {
				return nil
			}
			return preconditionFailed(names[0])
		}
		err := checkConditions(r, old)
		if isCode(err, "NotModified") {
			name := "If-None-Match"
			if r.Header.Get(name) == "" {
				name = "If-Modified-Since"
			}
			return preconditionFailed(name)
		}
		return err
	}
}

// conditionFailed answers a failed condition: 304 with the object's
// headers and no body, or the error.
func conditionFailed(w http.ResponseWriter, m *objectMeta, err error) error {
	if !isCode(err, "NotModified") {
		return err
	}
	writeObjectHeaders(w, m)
	w.WriteHeader(http.StatusNotModified)
	return nil
}

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" range.
// ok is false for a header OSS ignores (answering the whole object):
// malformed, several ranges, or a > b. A start beyond the object is
// unsatisfiable. See
// https://www.alibabacloud.com/help/en/oss/developer-reference/getobject
// (Range, and x-oss-range-behavior: standard).
func parseRange(v string, size int64) (start, end int64, ok, unsatisfiable bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, false
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false, false
	}
	var err error
	switch {
	case a == "" && b == "":
		return 0, 0, false, false
	case a == "":
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false, false
		}
		if n == 0 {
			return 0, 0, false, true
		}
		if n > size {
			n = size
		}
		return size - n, size - 1, size > 0, size == 0
	default:
		if start, err = strconv.ParseInt(a, 10, 64); err != nil || start < 0 {
			return 0, 0, false, false
		}
		end = size - 1
		if b != "" {
			if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start {
				return 0, 0, false, false
			}
			if end > size-1 {
				end = size - 1
			}
		}
		if start >= size {
			return 0, 0, false, true
		}
		return start, end, true, false
	}
}

// responseOverrides are the GetObject parameters that replace response
// headers (SDK option.go ResponseContentType and friends).
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func (s *Server) getObject(w http.ResponseWriter, req *request) error {
	r := req.r
	limit, err := trafficLimit(req)
	if err != nil {
		return err
	}
	th := newThrottle(r.Context(), limit)
	m, rd, err := s.openObject(req.bucket, req.key)
	if err != nil {
		return err
	}
	defer rd.Close()
	if err := checkConditions(r, m); err != nil {
		return conditionFailed(w, m, err)
	}
	if err := s.checkReadable(m); err != nil {
		return err
	}
	writeObjectHeaders(w, m)
	for p, h := range responseOverrides {
		if v := req.param(p); v != "" {
			w.Header().Set(h, v)
		}
	}
	start, length, status := int64(0), m.Size, http.StatusOK
	if v := r.Header.Get("Range"); v != "" {
		a, b, ok, unsatisfiable := parseRange(v, m.Size)
		switch {
		case unsatisfiable && strings.EqualFold(r.Header.Get("x-oss-range-behavior"), "standard"):
			e := NewError(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range cannot be satisfied")
			e.Headers = map[string]string{"Content-Range": "bytes */" + strconv.FormatInt(m.Size, 10)}
			return e
		case ok:
			start, length, status = a, b-a+1, http.StatusPartialContent
			// The MD5 is of the whole object, not of this range.
			w.Header().Del("Content-MD5")
			w.Header().Set("Content-Range", "bytes "+strconv.FormatInt(a, 10)+"-"+strconv.FormatInt(b, 10)+"/"+strconv.FormatInt(m.Size, 10))
		}
	}
	if th != nil {
		// The delay is known only once sent: announce what the limit
		// will cost.
		w.Header().Set("x-oss-qos-delay-time", strconv.FormatInt(length*1000/int64(limit), 10))
	}
	w.Header().Set("Content-Length", strconv.FormatInt(length, 10))
	w.WriteHeader(status)
	_, err = io.Copy(th.writer(w), io.NewSectionReader(rd, start, length))
	if err != nil {
		s.log.Debug("get body", "err", err)
	}
	return nil
}

func (s *Server) putObjectACL(w http.ResponseWriter, req *request) error {
	acl := req.r.Header.Get("x-oss-object-acl")
	if !validACL(acl, true) {
		return invalidArgument("no such object access control exists")
	}
	if _, err := s.store.update(req.bucket, req.key, func(m *objectMeta) { m.ACL = acl }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// copyObject is CopyObject: PUT with x-oss-copy-source: /bucket/key
// (URL-encoded by the SDK with url.QueryEscape, SDK bucket.go CopyObject),
// the new object's metadata as copyTemplate says.
func (s *Server) copyObject(w http.ResponseWriter, req *request) error {
	r := req.r
	dst, err := s.store.bucket(req.bucket)
	if err != nil {
		return err
	}
	if srcBucket, srcKey, err := copySource(r); err == nil {
		if link, err := s.store.head(srcBucket, srcKey); err == nil && link.Type == TypeSymlink {
			return s.copySymlink(w, req, link, dst)
		}
	}
	m, rd, err := s.openCopySource(r)
	if err != nil {
		return err
	}
	defer rd.Close()
	tmpl, err := s.copyTemplate(req, m, dst)
	if err != nil {
		return err
	}
	var out *objectMeta
	if srcBucket, srcKey, _ := copySource(r); srcBucket == req.bucket && srcKey == req.key && !forbidOverwriteHeader(r) &&
		tmpl.StorageClass == m.StorageClass && sameEncryption(tmpl, m) {
		// Onto itself, same storage class and encryption: OSS changes
		// the metadata only and copies nothing, so a multipart object
		// keeps its ETag and an appendable one stays appendable
		// (https://help.aliyun.com/document_detail/31979.html, 使用限制;
		// ossutil set-meta is such a copy).
		out, err = s.store.updateUnlessReplaced(req.bucket, m, func(o *objectMeta) {
			o.Header, o.ACL, o.Tags, o.Modified = tmpl.Header, tmpl.ACL, tmpl.Tags, tmpl.Modified
		})
	} else {
		out, err = s.store.put(req.bucket, tmpl, io.NewSectionReader(rd, 0, m.Size), putOptions{forbidOverwrite: forbidOverwriteHeader(r)})
	}
	if err != nil {
		return err
	}
	w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(out.CRC64, 10))
	return writeXML(w, xmlCopyResult{LastModified: xmlTime(out.Modified), ETag: `"` + out.ETag + `"`})
}

// copySymlink is CopyObject of a symlink: OSS copies the link, not the
// data it points to (https://help.aliyun.com/document_detail/31979.html,
// 使用限制: 源Object为软链接), so the copy is a link to the same target key,
// whether or not the target exists.
func (s *Server) copySymlink(w http.ResponseWriter, req *request, link *objectMeta, dst bucketInfo) error {
	if err := checkCopyConditions(req.r, link); err != nil {
		return err
	}
	tmpl, err := s.copyTemplate(req, link, dst)
	if err != nil {
		return err
	}
	tmpl.Type, tmpl.Target = TypeSymlink, link.Target
	out, err := s.store.put(req.bucket, tmpl, strings.NewReader(""), putOptions{forbidOverwrite: forbidOverwriteHeader(req.r)})
	if err != nil {
		return err
	}
	return writeXML(w, xmlCopyResult{LastModified: xmlTime(out.Modified), ETag: `"` + out.ETag + `"`})
}

// copyTemplate builds the metadata of a copy of src from the request's
// directives. x-oss-metadata-directive COPY (default) keeps the source's
// headers, REPLACE takes the request's; x-oss-tagging-directive Copy
// (default) keeps the source's tags, Replace takes x-oss-tagging (SDK
// option.go TaggingDirective).
func (s *Server) copyTemplate(req *request, src *objectMeta, dst bucketInfo) (*objectMeta, error) {
	r := req.r
	tmpl := &objectMeta{Key: req.key, Modified: s.now()}
	var err error
	switch d := r.Header.Get("x-oss-metadata-directive"); strings.ToUpper(d) {
	case "", "COPY":
		h := http.Header{}
		for k, v := range src.Header {
			h.Set(k, v)
		}
		for _, k := range []string{"x-oss-object-acl", "x-oss-storage-class"} {
			h.Set(k, r.Header.Get(k))
		}
		if h.Get("x-oss-storage-class") == "" {
			h.Set("x-oss-storage-class", src.StorageClass)
		}
		err = setMetadata(tmpl, h, dst)
	case "REPLACE":
		err = setMetadata(tmpl, r.Header, dst)
	default:
		err = invalidArgument("Invalid x-oss-metadata-directive %q.", d)
	}
	if err != nil {
		return nil, err
	}
	switch d := r.Header.Get("x-oss-tagging-directive"); strings.ToUpper(d) {
	case "", "COPY":
		tmpl.Tags = src.Tags
	case "REPLACE":
		if tmpl.Tags, err = parseTaggingHeader(r.Header.Get("x-oss-tagging")); err != nil {
			return nil, err
		}
	default:
		return nil, invalidArgument("Invalid x-oss-tagging-directive %q.", d)
	}
	return tmpl, nil
}

// sameEncryption reports whether two objects' server-side encryption
// headers are the same.
func sameEncryption(a, b *objectMeta) bool {
	for _, k := range []string{"X-Oss-Server-Side-Encryption", "X-Oss-Server-Side-Data-Encryption", "X-Oss-Server-Side-Encryption-Key-Id"} {
		if a.Header[k] != b.Header[k] {
			return false
		}
	}
	return true
}

// copySource returns the bucket and key x-oss-copy-source names.
func copySource(r *http.Request) (bucket, key string, err error) {
	src, err := url.QueryUnescape(r.Header.Get("x-oss-copy-source"))
	if err != nil {
		return "", "", invalidArgument("Invalid x-oss-copy-source.")
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(src, "/"), "/")
	if !ok || !validBucketName(bucket) || !validObjectName(key) {
		return "", "", invalidArgument("Invalid x-oss-copy-source.")
	}
	return bucket, key, nil
}

// openCopySource opens the object x-oss-copy-source names and applies the
// x-oss-copy-source-if-* conditions (all failures are 412, as for S3-style
// copies).
func (s *Server) openCopySource(r *http.Request) (*objectMeta, blobReader, error) {
	srcBucket, srcKey, err := copySource(r)
	if err != nil {
		return nil, nil, err
	}
	m, rd, err := s.openObject(srcBucket, srcKey)
	if err != nil {
		return nil, nil, err
	}
	if err := s.checkReadable(m); err != nil {
		rd.Close()
		return nil, nil, err
	}
	if err := checkCopyConditions(r, m); err != nil {
		rd.Close()
		return nil, nil, err
	}
	return m, rd, nil
}

// checkCopyConditions applies the x-oss-copy-source-if-* conditions to the
// copy source m.
func checkCopyConditions(r *http.Request, m *objectMeta) error {
	cond := &http.Request{Header: http.Header{}}
	for from, to := range map[string]string{
		"x-oss-copy-source-if-match": "If-Match", "x-oss-copy-source-if-none-match": "If-None-Match",
		"x-oss-copy-source-if-modified-since": "If-Modified-Since", "x-oss-copy-source-if-unmodified-since": "If-Unmodified-Since",
	} {
		if v := r.Header.Get(from); v != "" {
			cond.Header.Set(to, v)
		}
	}
	// A failed x-oss-copy-source-if-match or -if-unmodified-since is 412,
	// a failed -if-none-match or -if-modified-since 304
	// (https://www.alibabacloud.com/help/en/oss/developer-reference/copyobject).
	// The <Condition> names the plain header (If-Match…), as OSS does
	// (ali-oss test/node/object.test.js copy() If-Match).
	return checkConditions(cond, m)
}
