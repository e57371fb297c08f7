package osslocal

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// bucketDoc describes a bucket configuration sub-resource that this
// server stores as sent and returns as stored: the document's root element
// (SDK type.go), what GET answers when none was set, and whether DELETE
// exists. Sources: SDK client.go (SetBucketCORS, GetBucketLifecycle…) and
// OSS's API reference for each operation
// (https://www.alibabacloud.com/help/en/oss/developer-reference/list-of-operations-by-function).
type bucketDoc struct {
	root string
	// missing is the error GET answers when none is set; nil means GET
	// answers empty, the default.
	missing func() *Error
	empty   string
	// json marks the bucket policy, a JSON document.
	json bool
}

var bucketDocs = map[string]bucketDoc{
	"cors": {root: "CORSConfiguration", missing: func() *Error {
		return NewError(http.StatusNotFound, "NoSuchCORSConfiguration", "The CORS configuration does not exist.")
	}},
	"lifecycle": {root: "LifecycleConfiguration", missing: func() *Error {
		return NewError(http.StatusNotFound, "NoSuchLifecycle", "No Row found in Lifecycle Table.")
	}},
	"website": {root: "WebsiteConfiguration", missing: func() *Error {
		return NewError(http.StatusNotFound, "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration.")
	}},
	"encryption": {root: "ServerSideEncryptionRule", missing: func() *Error {
		return NewError(http.StatusNotFound, "NoSuchServerSideEncryptionRule", "The server side encryption configuration was not found.")
	}},
	"policy": {json: true, missing: func() *Error {
		return NewError(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist.")
	}},
	"referer": {root: "RefererConfiguration",
		empty: "<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><AllowTruncateQueryString>true</AllowTruncateQueryString><RefererList></RefererList></RefererConfiguration>"},
	"logging":        {root: "BucketLoggingStatus", empty: "<BucketLoggingStatus></BucketLoggingStatus>"},
	"requestPayment": {root: "RequestPaymentConfiguration", empty: "<RequestPaymentConfiguration><Payer>BucketOwner</Payer></RequestPaymentConfiguration>"},
	"tagging":        {root: "Tagging", empty: "<Tagging><TagSet></TagSet></Tagging>"},
	"versioning":     {root: "VersioningConfiguration", empty: "<VersioningConfiguration></VersioningConfiguration>"},
}

// maxConfigSize bounds a configuration document.
const maxConfigSize = 1 << 20

// readDoc reads a configuration body and checks that it is well-formed
// XML with root as its root element (or a JSON object).
func readDoc(r *http.Request, d bucketDoc) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxConfigSize || len(bytes.TrimSpace(body)) == 0 {
		return nil, malformedXML()
	}
	if d.json {
		var v map[string]any
		if json.Unmarshal(body, &v) != nil {
			return nil, NewError(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid policy document.")
		}
		return body, nil
	}
	var root struct {
		XMLName xml.Name
		Inner   []byte `xml:",innerxml"`
	}
	if xml.Unmarshal(body, &root) != nil || root.XMLName.Local != d.root {
		return nil, malformedXML()
	}
	return body, nil
}

func (s *Server) putBucketDoc(w http.ResponseWriter, req *request, sub string) error {
	d := bucketDocs[sub]
	if _, err := s.store.bucket(req.bucket); err != nil {
		return err
	}
	body, err := readDoc(req.r, d)
	if err != nil {
		return err
	}
	switch sub {
	case "tagging":
		if _, err := parseTagging(body, 20); err != nil {
			return err
		}
	case "versioning":
		var v struct {
			Status string `xml:"Status"`
		}
		_ = xml.Unmarshal(body, &v)
		switch v.Status {
		case "Enabled":
			// Versioned objects (several versions per key, delete
			// markers) are not built: refuse rather than pretend.
			return notImplementedSub("versioning Enabled")
		case "Suspended":
		default:
			return malformedXML()
		}
	}
	if err := s.store.setBucketConfig(req.bucket, sub, string(body)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getBucketDoc(w http.ResponseWriter, req *request, sub string) error {
	d := bucketDocs[sub]
	b, err := s.store.bucket(req.bucket)
	if err != nil {
		return err
	}
	doc, ok := b.Config[sub]
	if !ok {
		if d.missing != nil {
			e := d.missing()
			e.Extra = []ErrorField{field("BucketName", req.bucket)}
			return e
		}
		doc = xml.Header + d.empty
	}
	ct := "application/xml"
	if d.json {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(http.StatusOK)
	_, err = io.WriteString(w, doc)
	return err
}

func (s *Server) deleteBucketDoc(w http.ResponseWriter, req *request, sub string) error {
	if _, err := s.store.bucket(req.bucket); err != nil {
		return err
	}
	value := ""
	if sub == "tagging" && req.param("tagging") != "" {
		// DeleteBucketTags with keys: only those tags go
		// (https://www.alibabacloud.com/help/en/oss/developer-reference/deletebuckettags).
		b, _ := s.store.bucket(req.bucket)
		tags, _ := parseTagging([]byte(b.Config["tagging"]), 0)
		drop := map[string]bool{}
		for _, k := range strings.Split(req.param("tagging"), ",") {
			drop[k] = true
		}
		var keep []objectTag
		for _, t := range tags {
			if !drop[t.Key] {
				keep = append(keep, t)
			}
		}
		if len(keep) > 0 {
			value = string(taggingXML(keep))
		}
	}
	if err := s.store.setBucketConfig(req.bucket, sub, value); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// bucketDocRoutes adds the stored configuration sub-resources to routes.
func init() {
	for sub := range bucketDocs {
		routes[routeKey{levelBucket, http.MethodPut, sub}] = func(s *Server, w http.ResponseWriter, req *request) error {
			return s.putBucketDoc(w, req, sub)
		}
		routes[routeKey{levelBucket, http.MethodGet, sub}] = func(s *Server, w http.ResponseWriter, req *request) error {
			return s.getBucketDoc(w, req, sub)
		}
		switch sub {
		case "referer", "requestPayment", "versioning":
			// OSS has no DELETE for these.
			continue
		}
		routes[routeKey{levelBucket, http.MethodDelete, sub}] = func(s *Server, w http.ResponseWriter, req *request) error {
			return s.deleteBucketDoc(w, req, sub)
		}
	}
}

// bucketTags returns the bucket's tags.
func bucketTags(b bucketInfo) []objectTag {
	tags, _ := parseTagging([]byte(b.Config["tagging"]), 0)
	return tags
}

type xmlBucketStat struct {
	XMLName                     xml.Name `xml:"BucketStat"`
	Storage                     int64    `xml:"Storage"`
	ObjectCount                 int64    `xml:"ObjectCount"`
	MultipartUploadCount        int64    `xml:"MultipartUploadCount"`
	LiveChannelCount            int64    `xml:"LiveChannelCount"`
	LastModifiedTime            int64    `xml:"LastModifiedTime"`
	StandardStorage             int64    `xml:"StandardStorage"`
	StandardObjectCount         int64    `xml:"StandardObjectCount"`
	InfrequentAccessStorage     int64    `xml:"InfrequentAccessStorage"`
	InfrequentAccessRealStorage int64    `xml:"InfrequentAccessRealStorage"`
	InfrequentAccessObjectCount int64    `xml:"InfrequentAccessObjectCount"`
	ArchiveStorage              int64    `xml:"ArchiveStorage"`
	ArchiveRealStorage          int64    `xml:"ArchiveRealStorage"`
	ArchiveObjectCount          int64    `xml:"ArchiveObjectCount"`
	ColdArchiveStorage          int64    `xml:"ColdArchiveStorage"`
	ColdArchiveRealStorage      int64    `xml:"ColdArchiveRealStorage"`
	ColdArchiveObjectCount      int64    `xml:"ColdArchiveObjectCount"`
	DeepColdArchiveStorage      int64    `xml:"DeepColdArchiveStorage"`
	DeepColdArchiveRealStorage  int64    `xml:"DeepColdArchiveRealStorage"`
	DeepColdArchiveObjectCount  int64    `xml:"DeepColdArchiveObjectCount"`
}

// getBucketStat is GetBucketStat (GET /?stat), counted now rather than
// hourly as OSS does (SDK type.go BucketStat;
// https://www.alibabacloud.com/help/en/oss/developer-reference/getbucketstat).
func (s *Server) getBucketStat(w http.ResponseWriter, req *request) error {
	st, err := s.store.stat(req.bucket)
	if err != nil {
		return err
	}
	return writeXML(w, st)
}

// listObjectVersions is ListObjectVersions (GET /?versions). Buckets here
// are never versioned, so every object has one version, "null", the
// latest (https://www.alibabacloud.com/help/en/oss/developer-reference/listobjectversions).
func (s *Server) listObjectVersions(w http.ResponseWriter, req *request) error {
	max, err := maxKeys(req, "max-keys", 100)
	if err != nil {
		return err
	}
	enc, encType, err := encoder(req)
	if err != nil {
		return err
	}
	prefix, keyMarker, delim := req.param("prefix"), req.param("key-marker"), req.param("delimiter")
	l, err := s.store.list(req.bucket, prefix, keyMarker, delim, max)
	if err != nil {
		return err
	}
	out := xmlListVersions{
		Name: req.bucket, Prefix: enc(prefix), KeyMarker: enc(keyMarker), VersionIDMarker: req.param("version-id-marker"),
		MaxKeys: max, Delimiter: enc(delim), EncodingType: encType, IsTruncated: l.truncated,
		CommonPrefixes: prefixes(l.prefixes, enc),
	}
	if l.truncated {
		out.NextKeyMarker, out.NextVersionIDMarker = enc(l.next), "null"
	}
	for _, m := range l.objects {
		out.Versions = append(out.Versions, xmlVersion{
			Key: enc(m.Key), VersionID: "null", IsLatest: true, LastModified: xmlTime(m.Modified),
			ETag: `"` + m.ETag + `"`, Type: m.Type, Size: m.Size, StorageClass: m.StorageClass, Owner: owner,
		})
	}
	return writeXML(w, out)
}

type xmlVersion struct {
	Key          string   `xml:"Key"`
	VersionID    string   `xml:"VersionId"`
	IsLatest     bool     `xml:"IsLatest"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
	Type         string   `xml:"Type"`
	Size         int64    `xml:"Size"`
	StorageClass string   `xml:"StorageClass"`
	Owner        xmlOwner `xml:"Owner"`
}

type xmlListVersions struct {
	XMLName             xml.Name     `xml:"ListVersionsResult"`
	Name                string       `xml:"Name"`
	Prefix              string       `xml:"Prefix"`
	KeyMarker           string       `xml:"KeyMarker"`
	VersionIDMarker     string       `xml:"VersionIdMarker"`
	MaxKeys             int          `xml:"MaxKeys"`
	Delimiter           string       `xml:"Delimiter"`
	EncodingType        string       `xml:"EncodingType,omitempty"`
	IsTruncated         bool         `xml:"IsTruncated"`
	NextKeyMarker       string       `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string       `xml:"NextVersionIdMarker,omitempty"`
	Versions            []xmlVersion `xml:"Version"`
	CommonPrefixes      []xmlPrefix  `xml:"CommonPrefixes"`
}

// Inventories: PutBucketInventory, GetBucketInventory,
// ListBucketInventory and DeleteBucketInventory, stored by id as sent
// (SDK client.go SetBucketInventory…, type.go InventoryConfiguration).

func (s *Server) putInventory(w http.ResponseWriter, req *request) error {
	id := req.param("inventoryId")
	if id == "" {
		return invalidArgument("inventoryId must be specified.")
	}
	if _, err := s.store.bucket(req.bucket); err != nil {
		return err
	}
	body, err := readDoc(req.r, bucketDoc{root: "InventoryConfiguration"})
	if err != nil {
		return err
	}
	var c struct {
		ID string `xml:"Id"`
	}
	if xml.Unmarshal(body, &c) != nil || c.ID != id {
		return invalidArgument("The inventory id in the body does not match inventoryId.")
	}
	if err := s.store.setBucketConfig(req.bucket, "inventory/"+id, string(body)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func noSuchInventory() *Error {
	return NewError(http.StatusNotFound, "NoSuchInventory", "Inventory is not found.")
}

func (s *Server) getInventory(w http.ResponseWriter, req *request) error {
	b, err := s.store.bucket(req.bucket)
	if err != nil {
		return err
	}
	id := req.param("inventoryId")
	if id == "" {
		return s.listInventory(w, b)
	}
	doc, ok := b.Config["inventory/"+id]
	if !ok {
		return noSuchInventory()
	}
	return writeRaw(w, doc)
}

func (s *Server) listInventory(w http.ResponseWriter, b bucketInfo) error {
	var ids []string
	for k := range b.Config {
		if id, ok := strings.CutPrefix(k, "inventory/"); ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var buf strings.Builder
	buf.WriteString(xml.Header + "<ListInventoryConfigurationsResult>")
	for _, id := range ids {
		doc := b.Config["inventory/"+id]
		if i := strings.Index(doc, "<InventoryConfiguration"); i >= 0 {
			doc = doc[i:]
		}
		buf.WriteString(doc)
	}
	buf.WriteString("<IsTruncated>false</IsTruncated></ListInventoryConfigurationsResult>")
	return writeRaw(w, buf.String())
}

func (s *Server) deleteInventory(w http.ResponseWriter, req *request) error {
	b, err := s.store.bucket(req.bucket)
	if err != nil {
		return err
	}
	id := req.param("inventoryId")
	if _, ok := b.Config["inventory/"+id]; !ok {
		return noSuchInventory()
	}
	if err := s.store.setBucketConfig(req.bucket, "inventory/"+id, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// writeRaw writes an XML document as the response body.
func writeRaw(w http.ResponseWriter, doc string) error {
	if !strings.HasPrefix(doc, "<?xml") {
		doc = xml.Header + doc
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(http.StatusOK)
	_, err := io.WriteString(w, doc)
	return err
}

// listLiveChannels is ListLiveChannel (GET /?live): live streaming is not
// emulated, so a bucket has none, which is what the SDKs' clean-up
// (ForceDeleteBucket) asks before deleting a bucket. Creating one answers
// 501 (SDK type.go ListLiveChannelResult).
func (s *Server) listLiveChannels(w http.ResponseWriter, req *request) error {
	if _, err := s.store.bucket(req.bucket); err != nil {
		return err
	}
	max, err := maxKeys(req, "max-keys", 100)
	if err != nil {
		return err
	}
	return writeXML(w, struct {
		XMLName     xml.Name `xml:"ListLiveChannelResult"`
		Prefix      string   `xml:"Prefix"`
		Marker      string   `xml:"Marker"`
		MaxKeys     int      `xml:"MaxKeys"`
		IsTruncated bool     `xml:"IsTruncated"`
		NextMarker  string   `xml:"NextMarker"`
	}{Prefix: req.param("prefix"), Marker: req.param("marker"), MaxKeys: max})
}
