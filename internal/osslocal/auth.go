package osslocal

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// signV1Params are the query parameters that take part in a V1 signature's
// canonicalized resource (SDK conn.go signKeyList); all others are ignored.
var signV1Params = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range []string{"acl", "uploads", "location", "cors",
		"logging", "website", "referer", "lifecycle",
		"delete", "append", "tagging", "objectMeta",
		"uploadId", "partNumber", "security-token",
		"position", "img", "style", "styleName",
		"replication", "replicationProgress",
		"replicationLocation", "cname", "bucketInfo",
		"comp", "qos", "live", "status", "vod",
		"startTime", "endTime", "symlink",
		"x-oss-process", "response-content-type", "x-oss-traffic-limit",
		"response-content-language", "response-expires",
		"response-cache-control", "response-content-disposition",
		"response-content-encoding", "udf", "udfName", "udfImage",
		"udfId", "udfImageDesc", "udfApplication",
		"udfApplicationLog", "restore", "callback", "callback-var", "qosInfo",
		"policy", "stat", "encryption", "versions", "versioning", "versionId", "requestPayment",
		"x-oss-request-payer", "sequential",
		"inventory", "inventoryId", "continuation-token", "asyncFetch",
		"worm", "wormId", "wormExtend", "withHashContext",
		"x-oss-enable-md5", "x-oss-enable-sha1", "x-oss-enable-sha256",
		"x-oss-hash-ctx", "x-oss-md5-ctx", "transferAcceleration",
		"regionList", "cloudboxes", "x-oss-ac-source-ip", "x-oss-ac-subnet-mask", "x-oss-ac-vpc-id", "x-oss-ac-forward-allow",
		"metaQuery", "resourceGroup", "rtc", "x-oss-async-process", "responseHeader"} {
		m[k] = true
	}
	return m
}()

const (
	algorithmV4  = "OSS4-HMAC-SHA256" // SDK conn.go signingAlgorithmV4
	timeFormatV4 = "20060102T150405Z"
	// maxSkew is how far a signed Date may be from the server's clock
	// (OSS answers 403 RequestTimeTooSkewed beyond 15 minutes).
	maxSkew = 15 * time.Minute
)

func accessDenied(format string, args ...any) *Error {
	return NewError(http.StatusForbidden, "AccessDenied", format, args...)
}

// authorize authenticates req (header signature V1/V4, presigned URL V1/V4,
// or anonymous) and, for anonymous requests, checks the ACLs.
func (s *Server) authorize(req *request) error {
	r := req.r
	auth := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(auth, "OSS "):
		return s.authV1Header(req, strings.TrimPrefix(auth, "OSS "))
	case strings.HasPrefix(auth, "OSS2 "):
		return s.authV2Header(req, strings.TrimPrefix(auth, "OSS2 "))
	case strings.HasPrefix(auth, algorithmV4+" "):
		return s.authV4Header(req, strings.TrimPrefix(auth, algorithmV4+" "))
	case auth != "":
		return NewError(http.StatusBadRequest, "InvalidArgument", "Authorization header is invalid (osslocal supports OSS, OSS2 and OSS4-HMAC-SHA256).")
	case req.has("OSSAccessKeyId") || req.has("Signature"):
		return s.authV1Query(req)
	case req.param("x-oss-signature-version") == "OSS2":
		return s.authV2Query(req)
	case req.has("x-oss-signature-version") || req.has("x-oss-signature"):
		return s.authV4Query(req)
	case req.r.Method == http.MethodOptions:
		// A CORS preflight is never signed (cors.go).
		return nil
	case isPostObject(req):
		// Signed by the policy in the form: postObject checks it.
		return nil
	}
	return s.authorizeAnonymous(req)
}

// lookup finds the credential for id and checks its security token.
func (s *Server) lookup(id, token string) (Credential, error) {
	c, ok := s.credential(id)
	if !ok {
		e := NewError(http.StatusForbidden, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.")
		e.Extra = []ErrorField{field("OSSAccessKeyId", id)}
		return c, e
	}
	// STS error codes: https://www.alibabacloud.com/help/en/oss/support/0002-00000007
	// (SecurityTokenExpired), 0002-00000006 (InvalidSecurityToken) and
	// 0002-00000002 (an STS key without its token, or a token with a
	// permanent key, is InvalidAccessKeyId).
	switch {
	case (c.SecurityToken == "") != (token == ""):
		e := NewError(http.StatusForbidden, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.")
		e.Extra = []ErrorField{field("OSSAccessKeyId", id)}
		return c, e
	case subtle.ConstantTimeCompare([]byte(c.SecurityToken), []byte(token)) != 1:
		return c, NewError(http.StatusForbidden, "InvalidSecurityToken", "The security token you provided is invalid.")
	case !c.Expires.IsZero() && s.opts.Now().After(c.Expires):
		return c, NewError(http.StatusForbidden, "SecurityTokenExpired", "The security token you provided has expired.")
	}
	return c, nil
}

func field(name, value string) ErrorField {
	f := ErrorField{Value: value}
	f.XMLName.Local = name
	return f
}

// signatureMismatch reports a wrong signature with the string the server
// signed, as OSS does, so a client can compare; a security token in it is
// masked, since secrets must never reach logs or output.
func signatureMismatch(c Credential, stringToSign string) *Error {
	id := c.ID
	if c.SecurityToken != "" {
		stringToSign = strings.ReplaceAll(stringToSign, c.SecurityToken, "***")
		stringToSign = strings.ReplaceAll(stringToSign, url.QueryEscape(c.SecurityToken), "***")
	}
	e := NewError(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	e.Extra = []ErrorField{field("StringToSign", stringToSign), field("OSSAccessKeyId", id)}
	return e
}

// checkSkew refuses a header-signed request whose Date is too far from now.
func (s *Server) checkSkew(date string, layout string) error {
	if date == "" {
		return nil
	}
	t, err := time.Parse(layout, date)
	if err != nil {
		return accessDenied("Invalid date format: %s.", date)
	}
	if d := s.opts.Now().Sub(t); d > maxSkew || d < -maxSkew {
		return NewError(http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
	}
	return nil
}

// authV1Header checks "Authorization: OSS id:signature" (SDK auth.go
// getSignedStr: HMAC-SHA1 over method, Content-MD5, Content-Type, Date,
// canonicalized x-oss- headers and the canonicalized resource).
func (s *Server) authV1Header(req *request, cred string) error {
	id, sig, ok := strings.Cut(cred, ":")
	if !ok {
		return NewError(http.StatusBadRequest, "InvalidArgument", "Authorization header is invalid.")
	}
	r := req.r
	c, err := s.lookup(id, r.Header.Get("x-oss-security-token"))
	if err != nil {
		return err
	}
	date, err := s.headerDate(r)
	if err != nil {
		return err
	}
	if sts, ok := checkV1(req, date, c.Secret, sig); !ok {
		return signatureMismatch(c, sts)
	}
	req.principal = id
	return nil
}

// headerDate is the date a V1 or V2 header signature signs: the Date
// header, or x-oss-date when there is none, as ali-oss sends it (a browser
// may not set Date; ali-oss lib/common/signUtils.js buildCanonicalString
// signs headers['x-oss-date']). Either is checked against the clock.
func (s *Server) headerDate(r *http.Request) (string, error) {
	date := r.Header.Get("Date")
	if date == "" {
		date = r.Header.Get("x-oss-date")
		if _, err := time.Parse(timeFormatV4, date); err == nil {
			return date, s.checkSkew(date, timeFormatV4)
		}
	}
	return date, s.checkSkew(date, http.TimeFormat)
}

// authV2Header checks "Authorization: OSS2 AccessKeyId:id,
// AdditionalHeaders:a;b,Signature:sig" (SDK auth.go signHeader and
// getSignedStr with AuthV2): HMAC-SHA256 over the V1 fields, the additional
// headers' values among the canonical headers, their names, and a resource
// of escaped path and every query parameter.
func (s *Server) authV2Header(req *request, rest string) error {
	var id, additional, sig string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), ":")
		switch k {
		case "AccessKeyId":
			id = v
		case "AdditionalHeaders":
			additional = v
		case "Signature":
			sig = v
		}
	}
	if id == "" || sig == "" {
		return NewError(http.StatusBadRequest, "InvalidArgument", "Authorization header is invalid.")
	}
	r := req.r
	c, err := s.lookup(id, r.Header.Get("x-oss-security-token"))
	if err != nil {
		return err
	}
	if err := missingAdditional(r, additional, "0002-00000112"); err != nil {
		return err
	}
	date, err := s.headerDate(r)
	if err != nil {
		return err
	}
	sts := stringToSignV2(req, date, additional, canonicalQueryV4(req.query, ""))
	if !hmac.Equal([]byte(sig), []byte(signV2(c.Secret, sts))) {
		return signatureMismatch(c, sts)
	}
	req.principal = id
	return nil
}

// authV2Query checks a V2 presigned URL: x-oss-signature-version=OSS2,
// x-oss-access-key-id, x-oss-expires, x-oss-additional-headers and
// x-oss-signature, with the expiry standing in for Date (SDK conn.go
// signURL with AuthV2).
func (s *Server) authV2Query(req *request) error {
	id, expires := req.param("x-oss-access-key-id"), req.param("x-oss-expires")
	c, err := s.lookup(id, req.param("security-token"))
	if err != nil {
		return err
	}
	if err := s.checkExpires(expires); err != nil {
		return err
	}
	additional := req.param("x-oss-additional-headers")
	if err := missingAdditional(req.r, additional, "0002-00000078"); err != nil {
		return err
	}
	sts := stringToSignV2(req, expires, additional, canonicalQueryV4(req.query, "x-oss-signature"))
	if !hmac.Equal([]byte(req.param("x-oss-signature")), []byte(signV2(c.Secret, sts))) {
		return signatureMismatch(c, sts)
	}
	req.principal = id
	return nil
}

// missingAdditional refuses a request that does not carry a header its
// signature names as additional: OSS answers 400 before it compares
// signatures (https://www.alibabacloud.com/help/en/oss/support/0002-00000078,
// 0002-00000112, 0002-00000211), with ec the error's code.
func missingAdditional(r *http.Request, additional, ec string) error {
	if additional == "" {
		return nil
	}
	for _, h := range strings.Split(additional, ";") {
		if strings.EqualFold(h, "host") {
			continue
		}
		if _, ok := r.Header[http.CanonicalHeaderKey(h)]; !ok || strings.Contains(h, "_") {
			e := invalidArgument("Invalid additional header: %s is not in the request headers.", h)
			e.EC = ec
			return e
		}
	}
	return nil
}

func signV2(secret, sts string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// stringToSignV2 is SDK auth.go getSignedStr for AuthV2: the V1 string with
// the additional headers among the canonical ones, their list, and the
// resource of conn.go getResource (escaped "/bucket/" and key) with every
// query parameter but the signature.
func stringToSignV2(req *request, date, additional, query string) string {
	r := req.r
	want := map[string]bool{}
	if additional != "" {
		for _, h := range strings.Split(additional, ";") {
			want[strings.ToLower(h)] = true
		}
	}
	headers := map[string]string{}
	for k, v := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-oss-") || want[lk] {
			headers[lk] = v[0]
		}
	}
	if want["host"] {
		headers["host"] = r.Host
	}
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(r.Method + "\n" + r.Header.Get("Content-MD5") + "\n" + r.Header.Get("Content-Type") + "\n" + date + "\n")
	for _, k := range names {
		b.WriteString(k + ":" + headers[k] + "\n")
	}
	b.WriteString(additional + "\n")
	if req.bucket == "" {
		b.WriteString(url.QueryEscape("/"))
	} else {
		b.WriteString(url.QueryEscape("/"+req.bucket+"/") + escapeV4(req.key))
	}
	if query != "" {
		b.WriteString("?" + query)
	}
	return b.String()
}

// authV1Query checks a V1 presigned URL: OSSAccessKeyId, Expires and
// Signature parameters, with Expires standing in for Date (SDK conn.go
// signURL).
func (s *Server) authV1Query(req *request) error {
	id, expires, sig := req.param("OSSAccessKeyId"), req.param("Expires"), req.param("Signature")
	c, err := s.lookup(id, req.param("security-token"))
	if err != nil {
		return err
	}
	if err := s.checkExpires(expires); err != nil {
		return err
	}
	if sts, ok := checkV1(req, expires, c.Secret, sig); !ok {
		return signatureMismatch(c, sts)
	}
	req.principal = id
	return nil
}

// checkExpires refuses a V1 or V2 presigned URL whose expiry, in Unix
// seconds, has passed.
func (s *Server) checkExpires(expires string) error {
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return accessDenied("Invalid Expires parameter.")
	}
	if s.opts.Now().Unix() > exp {
		e := accessDenied("Request has expired.")
		e.Extra = []ErrorField{field("Expires", time.Unix(exp, 0).UTC().Format(isoTime)), field("ServerTime", s.opts.Now().UTC().Format(isoTime))}
		return e
	}
	return nil
}

func signV1(secret, sts string) string {
	h := hmac.New(sha1.New, []byte(secret))
	h.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// checkV1 compares sig with the V1 signature of req, returning the string
// signed. SDKs differ on the query parameters they sign: aliyun-oss-go-sdk
// signs those of its signKeyList, the v2 SDK also every other x-oss-*
// parameter (oss/signer/v1.go calcStringToSign); either is accepted.
func checkV1(req *request, date, secret, sig string) (string, bool) {
	sts := stringToSignV1(req, date, false)
	if hmac.Equal([]byte(sig), []byte(signV1(secret, sts))) {
		return sts, true
	}
	for k := range req.query {
		if strings.HasPrefix(k, "x-oss-") && !signV1Params[k] {
			alt := stringToSignV1(req, date, true)
			return sts, hmac.Equal([]byte(sig), []byte(signV1(secret, alt)))
		}
	}
	return sts, false
}

func stringToSignV1(req *request, date string, ossParams bool) string {
	r := req.r
	var b strings.Builder
	b.WriteString(r.Method + "\n" + r.Header.Get("Content-MD5") + "\n" + r.Header.Get("Content-Type") + "\n" + date + "\n")
	var names []string
	for k := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-oss-") {
			names = append(names, lk)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		b.WriteString(k + ":" + r.Header.Get(k) + "\n")
	}
	// Canonicalized resource: SDK conn.go getResource.
	if req.bucket == "" {
		b.WriteString("/")
	} else {
		b.WriteString("/" + req.bucket + "/" + req.key)
	}
	var keys []string
	for k := range req.query {
		if signV1Params[k] || ossParams && strings.HasPrefix(k, "x-oss-") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteString("?")
		} else {
			b.WriteString("&")
		}
		b.WriteString(k)
		if v := req.param(k); v != "" {
			b.WriteString("=" + v)
		}
	}
	return b.String()
}

// scopeV4 is the credential scope of a V4 signature:
// ID/DAY/REGION/PRODUCT/aliyun_v4_request.
type scopeV4 struct{ id, day, region, product string }

func parseScopeV4(s string) (scopeV4, bool) {
	p := strings.Split(s, "/")
	if len(p) != 5 || p[4] != "aliyun_v4_request" {
		return scopeV4{}, false
	}
	return scopeV4{p[0], p[1], p[2], p[3]}, true
}

// authV4Header checks "Authorization: OSS4-HMAC-SHA256
// Credential=…,AdditionalHeaders=…,Signature=…" (SDK auth.go signHeader and
// getSignedStrV4). The region is taken from the credential scope, so a
// client may sign for any region name.
func (s *Server) authV4Header(req *request, rest string) error {
	var credential, additional, sig string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			credential = v
		case "AdditionalHeaders":
			additional = v
		case "Signature":
			sig = v
		}
	}
	scope, ok := parseScopeV4(credential)
	if !ok || sig == "" {
		return NewError(http.StatusBadRequest, "InvalidArgument", "Authorization header is invalid.")
	}
	r := req.r
	c, err := s.lookup(scope.id, r.Header.Get("x-oss-security-token"))
	if err != nil {
		return err
	}
	if err := missingAdditional(r, additional, "0002-00000211"); err != nil {
		return err
	}
	date := r.Header.Get("x-oss-date")
	if date != "" {
		err = s.checkSkew(date, timeFormatV4)
	} else {
		date = r.Header.Get("Date")
		err = s.checkSkew(date, http.TimeFormat)
	}
	if err != nil {
		return err
	}
	sts := stringToSignV4(req, scope, date, additional, canonicalQueryV4(req.query, ""))
	if !hmac.Equal([]byte(sig), []byte(signV4(c.Secret, scope, sts))) {
		return signatureMismatch(c, sts)
	}
	req.principal = scope.id
	return nil
}

// authV4Query checks a V4 presigned URL: x-oss-credential, x-oss-date,
// x-oss-expires and x-oss-signature parameters (SDK conn.go signURL).
func (s *Server) authV4Query(req *request) error {
	if v := req.param("x-oss-signature-version"); v != algorithmV4 {
		return NewError(http.StatusBadRequest, "InvalidArgument", "Unsupported x-oss-signature-version %q.", v)
	}
	scope, ok := parseScopeV4(req.param("x-oss-credential"))
	if !ok {
		return NewError(http.StatusBadRequest, "InvalidArgument", "Invalid x-oss-credential parameter.")
	}
	c, err := s.lookup(scope.id, req.param("x-oss-security-token"))
	if err != nil {
		return err
	}
	date := req.param("x-oss-date")
	t, terr := time.Parse(timeFormatV4, date)
	secs, eerr := strconv.ParseInt(req.param("x-oss-expires"), 10, 64)
	if terr != nil || eerr != nil {
		return accessDenied("Invalid x-oss-date or x-oss-expires parameter.")
	}
	if exp := t.Add(time.Duration(secs) * time.Second); s.opts.Now().After(exp) {
		e := accessDenied("Request has expired.")
		e.Extra = []ErrorField{field("Expires", exp.UTC().Format(isoTime)), field("ServerTime", s.opts.Now().UTC().Format(isoTime))}
		return e
	}
	if err := missingAdditional(req.r, req.param("x-oss-additional-headers"), "0002-00000078"); err != nil {
		return err
	}
	sts := stringToSignV4(req, scope, date, req.param("x-oss-additional-headers"), canonicalQueryV4(req.query, "x-oss-signature"))
	if !hmac.Equal([]byte(req.param("x-oss-signature")), []byte(signV4(c.Secret, scope, sts))) {
		return signatureMismatch(c, sts)
	}
	req.principal = scope.id
	return nil
}

// escapeV4 is the SDK's encoding of names and values in V4 signatures:
// url.QueryEscape with "+" written as %20 (SDK conn.go getSubResource).
func escapeV4(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// canonicalQueryV4 is every query parameter but skip, names and values
// escaped, sorted by escaped name, "name" alone when the value is empty.
func canonicalQueryV4(q map[string][]string, skip string) string {
	type kv struct{ k, v string }
	var all []kv
	for k, vs := range q {
		if k == skip {
			continue
		}
		v := ""
		if len(vs) > 0 {
			v = vs[0]
		}
		all = append(all, kv{escapeV4(k), escapeV4(v)})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].k < all[j].k })
	var b strings.Builder
	for i, p := range all {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		if p.v != "" {
			b.WriteString("=" + p.v)
		}
	}
	return b.String()
}

func stringToSignV4(req *request, scope scopeV4, date, additional, query string) string {
	r := req.r
	var extra []string
	want := map[string]bool{}
	if additional != "" {
		extra = strings.Split(additional, ";")
		for _, h := range extra {
			want[strings.ToLower(h)] = true
		}
	}
	headers := map[string]string{}
	for k, v := range r.Header {
		lk := strings.ToLower(k)
		if lk == "content-md5" || lk == "content-type" || strings.HasPrefix(lk, "x-oss-") || want[lk] {
			headers[lk] = strings.Trim(v[0], " ")
		}
	}
	if want["host"] {
		headers["host"] = r.Host
	}
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var canon strings.Builder
	for _, k := range names {
		canon.WriteString(k + ":" + headers[k] + "\n")
	}
	// Canonical URI: SDK conn.go getResourceV4.
	uri := "/"
	if req.bucket != "" {
		uri = "/" + req.bucket + "/" + strings.ReplaceAll(escapeV4(req.key), "%2F", "/")
	}
	payload := r.Header.Get("x-oss-content-sha256")
	if payload == "" {
		payload = "UNSIGNED-PAYLOAD"
	}
	canonicalRequest := r.Method + "\n" + uri + "\n" + query + "\n" + canon.String() + "\n" + additional + "\n" + payload
	sum := sha256.Sum256([]byte(canonicalRequest))
	return algorithmV4 + "\n" + date + "\n" + scope.day + "/" + scope.region + "/" + scope.product + "/aliyun_v4_request\n" + hex.EncodeToString(sum[:])
}

func signV4(secret string, scope scopeV4, sts string) string {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("aliyun_v4"+secret), scope.day)
	k = mac(k, scope.region)
	k = mac(k, scope.product)
	k = mac(k, "aliyun_v4_request")
	return hex.EncodeToString(mac(k, sts))
}

// authorizeAnonymous lets an unsigned request through only where the ACLs
// allow it: reads of objects (and listing) in public-read buckets or of
// public-read objects, writes where the ACL is public-read-write.
func (s *Server) authorizeAnonymous(req *request) error {
	denied := accessDenied("You have no right to access this object because of bucket acl.")
	if req.bucket == "" {
		return accessDenied("Anonymous access is forbidden for this operation.")
	}
	b, err := s.store.bucket(req.bucket)
	if err != nil {
		return err
	}
	acl := b.ACL
	read := req.r.Method == http.MethodGet || req.r.Method == http.MethodHead
	if req.key == "" {
		if read && listRequest(req) {
			if acl == ACLPublicRead || acl == ACLPublicReadWrite {
				return nil
			}
		}
		return denied
	}
	if req.has("acl") {
		return denied
	}
	if o, err := s.store.head(req.bucket, req.key); err == nil && o.ACL != ACLDefault && o.ACL != "" {
		acl = o.ACL
	}
	if acl == ACLPublicReadWrite || read && acl == ACLPublicRead {
		return nil
	}
	return denied
}

// listRequest says whether req (a bucket request) is ListObjects: a GET
// or HEAD without a sub-resource.
func listRequest(req *request) bool {
	for k := range req.query {
		if subResources[k] {
			return false
		}
	}
	return true
}
