package osslocal

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// dispatch runs the operation req names: the method, whether there is a
// bucket and key, and the sub-resource in the query (SDK client.go,
// bucket.go and multipart.go show which request each SDK call sends).
func (s *Server) dispatch(w http.ResponseWriter, req *request) error {
	h, err := route(req)
	if err != nil {
		return err
	}
	if req.bucket != "" {
		if err := s.checkRegion(req); err != nil {
			return err
		}
	}
	if v, ok := req.query["versionId"]; ok && v[0] != "null" {
		// Buckets here are never versioned: their objects' one version
		// is "null" (ListObjectVersions), any other id does not exist.
		return NewError(http.StatusNotFound, "NoSuchVersion", "The specified version does not exist.")
	}
	return h(s, w, req)
}

// checkRegion refuses a request for a bucket of another region, as OSS
// does when a bucket is addressed through the wrong region's endpoint: 403
// AccessDenied naming the bucket's endpoint in <Endpoint>, which the SDK
// reads into ServiceError.Endpoint (SDK error.go;
// https://www.alibabacloud.com/help/en/oss/support/http-status-code-403).
// GetBucketLocation answers from any endpoint: it is how a client finds
// the right one.
func (s *Server) checkRegion(req *request) error {
	if req.key == "" && req.r.Method == http.MethodGet && req.has("location") {
		return nil
	}
	b, err := s.store.bucket(req.bucket)
	if err != nil || s.regionOf(b) == s.opts.Region {
		return nil // a missing bucket is the operation's own error
	}
	e := NewError(http.StatusForbidden, "AccessDenied", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.")
	e.Extra = []ErrorField{field("Endpoint", "oss-"+b.Region+".aliyuncs.com")}
	return e
}

func (s *Server) regionOf(b bucketInfo) string {
	if b.Region != "" {
		return b.Region
	}
	return s.opts.Region
}

func invalidArgument(format string, args ...any) *Error {
	return NewError(http.StatusBadRequest, "InvalidArgument", format, args...)
}

func (s *Server) putBucketACL(w http.ResponseWriter, req *request) error {
	acl := req.r.Header.Get("x-oss-acl")
	if !validACL(acl, false) {
		return invalidArgument("no such bucket access control exists")
	}
	if err := s.store.setBucketACL(req.bucket, acl); err != nil {
		return err
	}
	// As PutBucket does (https://www.alibabacloud.com/help/en/oss/developer-reference/putbucketacl).
	w.Header().Set("Location", "/"+req.bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteBucket(w http.ResponseWriter, req *request) error {
	if err := s.store.deleteBucket(req.bucket); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) headBucket(w http.ResponseWriter, req *request) error {
	if _, err := s.store.bucket(req.bucket); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getBucketACL(w http.ResponseWriter, req *request) error {
	b, err := s.store.bucket(req.bucket)
	if err != nil {
		return err
	}
	return writeXML(w, xmlACL{Owner: owner, ACL: b.ACL})
}

func (s *Server) getBucketLocation(w http.ResponseWriter, req *request) error {
	b, err := s.store.bucket(req.bucket)
	if err != nil {
		return err
	}
	return writeXML(w, xmlLocation{Value: "oss-" + s.regionOf(b)})
}

// listObjectsAny is ListObjects, or ListObjectsV2 with list-type=2. Query
// parameters that are not sub-resources and not ListObjects' own are
// ignored, as OSS ignores them.
func (s *Server) listObjectsAny(w http.ResponseWriter, req *request) error {
	if req.param("list-type") == "2" {
		return s.listObjectsV2(w, req)
	}
	return s.listObjects(w, req)
}

func validACL(acl string, object bool) bool {
	switch acl {
	case ACLPrivate, ACLPublicRead, ACLPublicReadWrite:
		return true
	case ACLDefault:
		return object
	}
	return false
}

// storageClasses are OSS's storage classes (SDK const.go StorageClassType).
var storageClasses = map[string]bool{"Standard": true, "IA": true, "Archive": true, "ColdArchive": true, "DeepColdArchive": true}

func (s *Server) putBucket(w http.ResponseWriter, req *request) error {
	r := req.r
	acl := r.Header.Get("x-oss-acl")
	if acl == "" {
		acl = ACLPrivate
	}
	if !validACL(acl, false) {
		return invalidArgument("no such bucket access control exists")
	}
	class := "Standard"
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return err
	}
	var cfg xmlCreateBucket
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return malformedXML()
		}
		if cfg.StorageClass != "" {
			class = cfg.StorageClass
		}
	}
	if !storageClasses[class] {
		return invalidArgument("Invalid storage class %q.", class)
	}
	switch cfg.DataRedundancyType {
	case "", "LRS", "ZRS":
	default:
		return invalidArgument("Invalid DataRedundancyType %q.", cfg.DataRedundancyType)
	}
	// x-oss-server-side-encryption (and -data-encryption,
	// -encryption-key-id) at creation set the bucket's encryption rule
	// (https://www.alibabacloud.com/help/en/oss/developer-reference/putbucket).
	var sse string
	switch alg := r.Header.Get("x-oss-server-side-encryption"); alg {
	case "":
	case "AES256", "KMS", "SM4":
		rule, _ := xml.Marshal(struct {
			XMLName xml.Name   `xml:"ServerSideEncryptionRule"`
			Default xmlSSERule `xml:"ApplyServerSideEncryptionByDefault"`
		}{Default: xmlSSERule{SSEAlgorithm: alg, KMSMasterKeyID: r.Header.Get("x-oss-server-side-encryption-key-id"), KMSDataEncryption: r.Header.Get("x-oss-server-side-data-encryption")}})
		sse = string(rule)
	default:
		return NewError(http.StatusBadRequest, "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4.")
	}
	// Creating a bucket the requester already owns succeeds and changes
	// nothing (https://help.aliyun.com/document_detail/31959.html); every
	// credential of this server belongs to one owner.
	with := func(b *bucketInfo) {
		b.Redundancy = cfg.DataRedundancyType
		if sse != "" {
			b.Config = map[string]string{"encryption": sse}
		}
	}
	if _, err := s.store.createBucket(req.bucket, acl, class, s.opts.Now(), with); err != nil && !isCode(err, "BucketAlreadyExists") {
		return err
	}
	w.Header().Set("Location", "/"+req.bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

// versioningStatus is the bucket's versioning as GetBucketInfo reports it:
// "" when never set.
func versioningStatus(b bucketInfo) string {
	var v struct {
		Status string `xml:"Status"`
	}
	_ = xml.Unmarshal([]byte(b.Config["versioning"]), &v)
	return v.Status
}

// controlRefs carries control characters through encoding/xml, which
// refuses them: the SDK writes a key's control characters as character
// references such as &#x01; (SDK utils.go EscapeXml), and OSS accepts
// them. protect turns each into a private-use rune (U+10FF00 plus the
// code), restore turns them back.
var controlRefs = controlRefMapper{re: regexp.MustCompile(`&#(x[0-9A-Fa-f]+|[0-9]+);`)}

type controlRefMapper struct{ re *regexp.Regexp }

const controlBase = 0x10FF00

func (c controlRefMapper) protect(body []byte) []byte {
	return c.re.ReplaceAllFunc(body, func(ref []byte) []byte {
		num := string(ref[2 : len(ref)-1])
		base := 10
		if num[0] == 'x' {
			num, base = num[1:], 16
		}
		n, err := strconv.ParseUint(num, base, 32)
		if err != nil || n >= 0x20 || n == '\t' || n == '\n' || n == '\r' {
			return ref
		}
		return []byte(string(rune(controlBase + n)))
	})
}

// hide turns the control characters of a key into private-use runes
// before encoding/xml sees them (it would write U+FFFD); reveal writes them
// into the encoded document as character references, as OSS does (ali-oss
// test/node/object.test.js "should encode variant object keys" reads them
// back).
func (controlRefMapper) hide(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return controlBase + r
		}
		return r
	}, s)
}

func (controlRefMapper) reveal(body []byte) []byte {
	if !bytes.ContainsFunc(body, func(r rune) bool { return r >= controlBase && r < controlBase+0x20 }) {
		return body
	}
	var out bytes.Buffer
	for _, r := range string(body) {
		if r >= controlBase && r < controlBase+0x20 {
			fmt.Fprintf(&out, "&#x%02X;", r-controlBase)
			continue
		}
		out.WriteRune(r)
	}
	return out.Bytes()
}

func (controlRefMapper) restore(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= controlBase && r < controlBase+0x20 {
			return r - controlBase
		}
		return r
	}, s)
}

func malformedXML() *Error {
	return NewError(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.")
}

func (s *Server) bucketInfo(w http.ResponseWriter, req *request) error {
	b, err := s.store.bucket(req.bucket)
	if err != nil {
		return err
	}
	var out xmlBucketInfo
	out.Bucket.Name = b.Name
	out.Bucket.AccessMonitor = "Disabled"
	out.Bucket.Location = "oss-" + s.regionOf(b)
	out.Bucket.CreationDate = xmlTime(b.Created)
	out.Bucket.ExtranetEndpoint = extranetEndpoint(s.regionOf(b))
	out.Bucket.IntranetEndpoint = intranetEndpoint(s.regionOf(b))
	out.Bucket.ACL = b.ACL
	out.Bucket.RedundancyType = "LRS"
	if b.Redundancy != "" {
		out.Bucket.RedundancyType = b.Redundancy
	}
	out.Bucket.Owner = owner
	out.Bucket.StorageClass = b.StorageClass
	out.Bucket.TransferAcceleration = "Disabled"
	out.Bucket.CrossRegionReplication = "Disabled"
	out.Bucket.Versioning = versioningStatus(b)
	var sse struct {
		Default xmlSSERule `xml:"ApplyServerSideEncryptionByDefault"`
	}
	if doc, ok := b.Config["encryption"]; ok && xml.Unmarshal([]byte(doc), &sse) == nil {
		out.Bucket.SSE = sse.Default
	} else {
		out.Bucket.SSE.SSEAlgorithm = "None"
	}
	return writeXML(w, out)
}

// maxKeys parses a max-keys-like parameter: def when absent, else 1..1000.
func maxKeys(req *request, name string, def int) (int, error) {
	v, ok := req.query[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v[0]))
	if err != nil || n < 1 || n > 1000 {
		return 0, invalidArgument("Argument %s must be an integer between 1 and 1000.", name)
	}
	return n, nil
}

// encoder returns the key encoding encoding-type asks for: url.QueryEscape
// for "url", which the SDK undoes with url.QueryUnescape (SDK type.go
// decodeListObjectsResult), identity when absent.
func encoder(req *request) (func(string) string, string, error) {
	switch t := req.param("encoding-type"); t {
	case "":
		return controlRefs.hide, "", nil
	case "url":
		return url.QueryEscape, "url", nil
	default:
		return nil, "", invalidArgument("Invalid Encoding Method specified in Request")
	}
}

func (s *Server) listBuckets(w http.ResponseWriter, req *request) error {
	max, err := maxKeys(req, "max-keys", 100)
	if err != nil {
		return err
	}
	prefix, marker := req.param("prefix"), req.param("marker")
	out := xmlListBuckets{Prefix: prefix, Marker: marker, Owner: owner}
	tagKey, tagValue := req.param("tag-key"), req.param("tag-value")
	if tagValue != "" && tagKey == "" {
		return invalidArgument("tag-value must be given with tag-key.")
	}
	for _, b := range s.store.listBuckets() {
		if !strings.HasPrefix(b.Name, prefix) || b.Name <= marker {
			continue
		}
		if tagKey != "" && !hasTag(bucketTags(b), tagKey, tagValue) {
			// ListBuckets filtered by tag-key and tag-value
			// (https://www.alibabacloud.com/help/en/oss/developer-reference/listbuckets).
			continue
		}
		if len(out.Buckets) == max {
			out.IsTruncated = true
			out.MaxKeys = max
			out.NextMarker = out.Buckets[len(out.Buckets)-1].Name
			break
		}
		out.Buckets = append(out.Buckets, s.xmlBucket(req, b))
	}
	return writeXML(w, out)
}

func (s *Server) xmlBucket(req *request, b bucketInfo) xmlBucket {
	region := s.regionOf(b)
	return xmlBucket{
		Name: b.Name, Location: "oss-" + region, CreationDate: xmlTime(b.Created),
		StorageClass: b.StorageClass, Region: region,
		ExtranetEndpoint: extranetEndpoint(region), IntranetEndpoint: intranetEndpoint(region),
	}
}

// extranetEndpoint and intranetEndpoint are the region's public and
// internal endpoints as OSS reports them in ListBuckets and GetBucketInfo
// (https://www.alibabacloud.com/help/en/oss/user-guide/regions-and-endpoints).
func extranetEndpoint(region string) string { return "oss-" + region + ".aliyuncs.com" }

func intranetEndpoint(region string) string { return "oss-" + region + "-internal.aliyuncs.com" }

func hasTag(tags []objectTag, key, value string) bool {
	for _, t := range tags {
		if t.Key == key && (value == "" || t.Value == value) {
			return true
		}
	}
	return false
}

func contents(m *objectMeta, enc func(string) string, withOwner bool, now time.Time) xmlContents {
	c := xmlContents{
		Key: enc(m.Key), LastModified: xmlTime(m.Modified), ETag: `"` + m.ETag + `"`,
		Type: m.Type, Size: m.Size, StorageClass: m.StorageClass, RestoreInfo: restoreInfo(m, now),
	}
	if withOwner {
		o := owner
		c.Owner = &o
	}
	return c
}

func prefixes(ps []string, enc func(string) string) []xmlPrefix {
	out := make([]xmlPrefix, len(ps))
	for i, p := range ps {
		out[i] = xmlPrefix{enc(p)}
	}
	return out
}

// listObjects is ListObjects (V1): prefix, marker, delimiter, max-keys
// (default 100), NextMarker when truncated.
func (s *Server) listObjects(w http.ResponseWriter, req *request) error {
	max, err := maxKeys(req, "max-keys", 100)
	if err != nil {
		return err
	}
	enc, encType, err := encoder(req)
	if err != nil {
		return err
	}
	prefix, marker, delim := req.param("prefix"), req.param("marker"), req.param("delimiter")
	l, err := s.store.list(req.bucket, prefix, marker, delim, max)
	if err != nil {
		return err
	}
	out := xmlListObjects{
		Name: req.bucket, Prefix: enc(prefix), Marker: enc(marker), MaxKeys: max, Delimiter: enc(delim),
		EncodingType: encType, IsTruncated: l.truncated, NextMarker: enc(l.next),
		CommonPrefixes: prefixes(l.prefixes, enc),
	}
	for _, m := range l.objects {
		out.Contents = append(out.Contents, contents(m, enc, true, s.opts.Now()))
	}
	return writeXML(w, out)
}

// listObjectsV2 is ListObjectsV2 (list-type=2): continuation-token (an
// opaque encoding of the last key or prefix returned), start-after,
// fetch-owner, KeyCount.
func (s *Server) listObjectsV2(w http.ResponseWriter, req *request) error {
	max, err := maxKeys(req, "max-keys", 100)
	if err != nil {
		return err
	}
	enc, encType, err := encoder(req)
	if err != nil {
		return err
	}
	prefix, delim, startAfter, token := req.param("prefix"), req.param("delimiter"), req.param("start-after"), req.param("continuation-token")
	after := startAfter
	if req.has("continuation-token") {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) == 0 {
			return invalidArgument("The continuation token provided is incorrect.")
		}
		after = string(raw)
	}
	l, err := s.store.list(req.bucket, prefix, after, delim, max)
	if err != nil {
		return err
	}
	out := xmlListObjectsV2{
		Name: req.bucket, Prefix: enc(prefix), StartAfter: enc(startAfter), ContinuationToken: token,
		MaxKeys: max, Delimiter: enc(delim), EncodingType: encType, IsTruncated: l.truncated,
		KeyCount: len(l.objects) + len(l.prefixes), CommonPrefixes: prefixes(l.prefixes, enc),
	}
	if l.truncated {
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(l.next))
	}
	fetchOwner := req.param("fetch-owner") == "true"
	for _, m := range l.objects {
		out.Contents = append(out.Contents, contents(m, enc, fetchOwner, s.opts.Now()))
	}
	return writeXML(w, out)
}

// deleteMultiple is DeleteMultipleObjects (POST /?delete): up to 1000 keys;
// missing keys count as deleted; Quiet answers nothing per key.
func (s *Server) deleteMultiple(w http.ResponseWriter, req *request) error {
	r := req.r
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20+1))
	if err != nil {
		return err
	}
	if len(body) > 2<<20 {
		return malformedXML()
	}
	if want, err := contentMD5(r); err != nil {
		return err
	} else if want != nil && !equalBytes(md5Sum(body), want) {
		return invalidDigest()
	}
	var in xmlDelete
	body = controlRefs.protect(body)
	if utf8.Valid(body) { // ali-oss writes a key's control characters raw; OSS deletes such keys
		body = []byte(controlRefs.hide(string(body)))
	}
	if err := xml.Unmarshal(body, &in); err != nil || len(in.Objects) == 0 || len(in.Objects) > 1000 {
		return malformedXML()
	}
	for i := range in.Objects {
		in.Objects[i].Key = controlRefs.restore(in.Objects[i].Key)
	}
	enc, encType, err := encoder(req)
	if err != nil {
		return err
	}
	if _, err := s.store.bucket(req.bucket); err != nil {
		return err
	}
	out := xmlDeleteResult{EncodingType: encType}
	for _, o := range in.Objects {
		if !validObjectName(o.Key) {
			return NewError(http.StatusBadRequest, "InvalidObjectName", "The specified object is not valid.")
		}
		// Objects here have one version, "null"; deleting another
		// version deletes nothing and is reported done, as deleting a
		// missing key is.
		if o.VersionID == "" || o.VersionID == "null" {
			if err := s.store.deleteObject(req.bucket, o.Key); err != nil {
				return err
			}
		}
		if !in.Quiet {
			out.Deleted = append(out.Deleted, xmlDeleted{Key: enc(o.Key), VersionID: o.VersionID})
		}
	}
	return writeXML(w, out)
}
