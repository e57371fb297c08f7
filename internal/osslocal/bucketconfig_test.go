package osslocal_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

func TestObjectTagging(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	two := oss.Tagging{Tags: []oss.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "x y+z:/="}}}
	put(t, b, "k", []byte("data"), oss.SetTagging(two))
	got, err := b.GetObjectTagging("k")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tags) != 2 || got.Tags[1].Value != "x y+z:/=" {
		t.Fatalf("tags from x-oss-tagging: %+v", got.Tags)
	}
	h, err := b.GetObjectDetailedMeta("k")
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("X-Oss-Tagging-Count") != "2" {
		t.Fatalf("x-oss-tagging-count = %q", h.Get("X-Oss-Tagging-Count"))
	}
	if err := b.PutObjectTagging("k", oss.Tagging{Tags: []oss.Tag{{Key: "c", Value: "3"}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.GetObjectTagging("k"); len(got.Tags) != 1 || got.Tags[0].Key != "c" {
		t.Fatalf("after PutObjectTagging: %+v", got.Tags)
	}
	if string(get(t, b, "k")) != "data" {
		t.Fatal("PutObjectTagging changed the body")
	}

	// CopyObject keeps the source's tags unless told to replace them.
	if _, err := b.CopyObject("k", "copy"); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.GetObjectTagging("copy"); len(got.Tags) != 1 || got.Tags[0].Key != "c" {
		t.Fatalf("copied tags: %+v", got.Tags)
	}
	if _, err := b.CopyObject("k", "copy", oss.TaggingDirective(oss.TaggingReplace), oss.SetTagging(two)); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.GetObjectTagging("copy"); len(got.Tags) != 2 {
		t.Fatalf("replaced tags: %+v", got.Tags)
	}

	// Append and multipart take x-oss-tagging at creation.
	if _, err := b.AppendObject("log", strings.NewReader("x"), 0, oss.SetTagging(two)); err != nil {
		t.Fatal(err)
	}
	imur, err := b.InitiateMultipartUpload("mp", oss.SetTagging(two))
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.UploadPart(imur, strings.NewReader("p"), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"log", "mp"} {
		if got, _ := b.GetObjectTagging(key); len(got.Tags) != 2 {
			t.Fatalf("%s tags: %+v", key, got.Tags)
		}
	}

	if err := b.DeleteObjectTagging("k"); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.GetObjectTagging("k"); len(got.Tags) != 0 {
		t.Fatalf("after DeleteObjectTagging: %+v", got.Tags)
	}
	if string(get(t, b, "k")) != "data" {
		t.Fatal("DeleteObjectTagging deleted the object")
	}

	var eleven oss.Tagging
	for i := range 11 {
		eleven.Tags = append(eleven.Tags, oss.Tag{Key: string(rune('a' + i)), Value: "v"})
	}
	wantCode(t, b.PutObjectTagging("k", eleven), 400, "InvalidTag")
	wantCode(t, b.PutObjectTagging("k", oss.Tagging{Tags: []oss.Tag{{Key: "a&b", Value: "v"}}}), 400, "InvalidTag")
	_, err = b.GetObjectTagging("missing")
	wantCode(t, err, 404, "NoSuchKey")
}

// TestBucketConfigStoredAndReturned also restarts a directory-backed
// server: configuration, tags, symlinks and restore state are kept.
func TestBucketConfigStoredAndReturned(t *testing.T) {
	dir := t.TempDir()
	d := startDir(t, dir)
	c, name := d.c, osslocaltest.Bucket

	_, err := c.GetBucketCORS(name)
	wantCode(t, err, 404, "NoSuchCORSConfiguration")
	rules := []oss.CORSRule{{AllowedOrigin: []string{"*"}, AllowedMethod: []string{"GET"}, MaxAgeSeconds: 100}}
	if err := c.SetBucketCORS(name, rules); err != nil {
		t.Fatal(err)
	}
	if err := c.SetBucketTagging(name, oss.Tagging{Tags: []oss.Tag{{Key: "team", Value: "ops"}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetBucketPolicy(name, `{"Version":"1","Statement":[]}`); err != nil {
		t.Fatal(err)
	}
	if err := c.SetBucketLifecycle(name, []oss.LifecycleRule{oss.BuildLifecycleRuleByDays("r1", "logs/", true, 30)}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateBucket("other-bucket"); err != nil {
		t.Fatal(err)
	}
	b := d.b
	put(t, b, "tagged", []byte("t"), oss.SetTagging(oss.Tagging{Tags: []oss.Tag{{Key: "k", Value: "v"}}}), oss.ObjectStorageClass(oss.StorageArchive))
	if err := b.PutSymlink("link", "tagged"); err != nil {
		t.Fatal(err)
	}
	if err := b.RestoreObject("tagged"); err != nil {
		t.Fatal(err)
	}

	// Stored in the data directory: a restarted server answers the same.
	d.stop()
	d = startDir(t, dir)
	c = d.c
	b = d.b
	if tg, err := b.GetObjectTagging("tagged"); err != nil || len(tg.Tags) != 1 {
		t.Fatalf("tags after restart: %+v %v", tg, err)
	}
	if h, err := b.GetSymlink("link"); err != nil || h.Get("X-Oss-Symlink-Target") != "tagged" {
		t.Fatalf("symlink after restart: %v %v", h, err)
	}
	if h, _ := b.GetObjectDetailedMeta("tagged"); h.Get("X-Oss-Restore") == "" {
		t.Fatalf("restore state lost in the restart: %v", h)
	}
	cors, err := c.GetBucketCORS(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(cors.CORSRules) != 1 || cors.CORSRules[0].MaxAgeSeconds != 100 {
		t.Fatalf("cors: %+v", cors)
	}
	tags, err := c.GetBucketTagging(name)
	if err != nil || len(tags.Tags) != 1 || tags.Tags[0].Value != "ops" {
		t.Fatalf("tags: %+v %v", tags, err)
	}
	if p, err := c.GetBucketPolicy(name); err != nil || !strings.Contains(p, `"Statement"`) {
		t.Fatalf("policy: %q %v", p, err)
	}
	lc, err := c.GetBucketLifecycle(name)
	if err != nil || len(lc.Rules) != 1 || lc.Rules[0].ID != "r1" {
		t.Fatalf("lifecycle: %+v %v", lc, err)
	}

	// ListBuckets filtered by tag.
	lb, err := c.ListBuckets(oss.TagKey("team"), oss.TagValue("ops"))
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Buckets) != 1 || lb.Buckets[0].Name != name {
		t.Fatalf("buckets tagged team=ops: %+v", lb.Buckets)
	}

	if err := c.DeleteBucketCORS(name); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketCORS(name)
	wantCode(t, err, 404, "NoSuchCORSConfiguration")
	if err := c.DeleteBucketTagging(name); err != nil {
		t.Fatal(err)
	}
	if tags, err := c.GetBucketTagging(name); err != nil || len(tags.Tags) != 0 {
		t.Fatalf("tags after delete: %+v %v", tags, err)
	}
	if _, err := c.GetBucketInfo(name); err != nil {
		t.Fatal("DeleteBucketTagging deleted the bucket")
	}

	// Defaults OSS answers for what was never set.
	if r, err := c.GetBucketReferer(name); err != nil || !r.AllowEmptyReferer || r.AllowTruncateQueryString == nil || !*r.AllowTruncateQueryString {
		t.Fatalf("referer: %+v %v", r, err)
	}
	if v, err := c.GetBucketVersioning(name); err != nil || v.Status != "" {
		t.Fatalf("versioning: %+v %v", v, err)
	}

	resp, err := c.Conn.Do(http.MethodPut, name, "", map[string]any{"cors": nil}, nil, strings.NewReader("<CORSConfiguration>"), 0, nil)
	if err == nil {
		resp.Body.Close()
	}
	wantCode(t, err, 400, "MalformedXML")
	d.stop()
}

// TestVersioning: buckets are never versioned; Enabled is refused rather
// than pretended, and every object is version "null".
func TestVersioning(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	wantCode(t, c.SetBucketVersioning(ts.Bucket, oss.VersioningConfig{Status: "Enabled"}), 501, "NotImplemented")
	if err := c.SetBucketVersioning(ts.Bucket, oss.VersioningConfig{Status: "Suspended"}); err != nil {
		t.Fatal(err)
	}
	if v, err := c.GetBucketVersioning(ts.Bucket); err != nil || v.Status != "Suspended" {
		t.Fatalf("versioning: %+v %v", v, err)
	}
	for _, k := range []string{"a", "b", "c"} {
		put(t, b, k, []byte(k))
	}
	lv, err := b.ListObjectVersions(oss.MaxKeys(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(lv.ObjectVersions) != 2 || !lv.IsTruncated || lv.ObjectVersions[0].VersionId != "null" || !lv.ObjectVersions[0].IsLatest {
		t.Fatalf("first page: %+v", lv)
	}
	lv, err = b.ListObjectVersions(oss.KeyMarker(lv.NextKeyMarker), oss.VersionIdMarker(lv.NextVersionIdMarker))
	if err != nil || len(lv.ObjectVersions) != 1 || lv.ObjectVersions[0].Key != "c" || lv.IsTruncated {
		t.Fatalf("second page: %+v %v", lv, err)
	}

	// Version "null" is the object; any other version does not exist and
	// deleting it deletes nothing.
	if got := get(t, b, "a", oss.VersionId("null")); string(got) != "a" {
		t.Fatalf("a@null = %q", got)
	}
	wantCode(t, b.DeleteObject("a", oss.VersionId("CAEQ1")), 404, "NoSuchVersion")
	if got := get(t, b, "a"); string(got) != "a" {
		t.Fatal("a version delete deleted the object")
	}
	if err := b.DeleteObject("a", oss.VersionId("null")); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.IsObjectExist("a"); ok {
		t.Fatal("a@null not deleted")
	}
	res, err := b.DeleteObjectVersions([]oss.DeleteObject{{Key: "b", VersionId: "null"}, {Key: "c", VersionId: "CAEQ1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.DeletedObjectsDetail) != 2 || res.DeletedObjectsDetail[0].Key != "b" || res.DeletedObjectsDetail[0].VersionId != "null" {
		t.Fatalf("deleted: %+v", res)
	}
	if ok, _ := b.IsObjectExist("b"); ok {
		t.Fatal("b@null not deleted")
	}
	if ok, _ := b.IsObjectExist("c"); !ok {
		t.Fatal("c deleted by a version that does not exist")
	}
}

func TestBucketStatAndInfo(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	put(t, b, "a", []byte("12345"))
	put(t, b, "ia", []byte("123"), oss.ObjectStorageClass(oss.StorageIA))
	if _, err := b.InitiateMultipartUpload("mp"); err != nil {
		t.Fatal(err)
	}
	st, err := c.GetBucketStat(ts.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if st.Storage != 8 || st.ObjectCount != 2 || st.StandardStorage != 5 || st.InfrequentAccessObjectCount != 1 || st.MultipartUploadCount != 1 {
		t.Fatalf("stat: %+v", st)
	}
	info, err := c.GetBucketInfo(ts.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	bi := info.BucketInfo
	if bi.ExtranetEndpoint != "oss-cn-hangzhou.aliyuncs.com" || bi.IntranetEndpoint != "oss-cn-hangzhou-internal.aliyuncs.com" || bi.Location != "oss-cn-hangzhou" {
		t.Fatalf("bucket info: %+v", bi)
	}
}

func TestServerSideEncryptionEchoed(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	resp, err := b.DoPutObject(&oss.PutObjectRequest{ObjectKey: "k", Reader: strings.NewReader("x")}, []oss.Option{oss.ServerSideEncryption("KMS"), oss.ServerSideEncryptionKeyID("key-1")})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Headers.Get("X-Oss-Server-Side-Encryption") != "KMS" || resp.Headers.Get("X-Oss-Server-Side-Encryption-Key-Id") != "key-1" {
		t.Fatalf("put: %v", resp.Headers)
	}
	h, err := b.GetObjectDetailedMeta("k")
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("X-Oss-Server-Side-Encryption") != "KMS" || h.Get("X-Oss-Server-Side-Encryption-Key-Id") != "key-1" {
		t.Fatalf("head: %v", h)
	}
	imur, err := b.InitiateMultipartUpload("mp", oss.ServerSideEncryption("AES256"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.UploadPart(imur, strings.NewReader("p"), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p}); err != nil {
		t.Fatal(err)
	}
	if h, _ := b.GetObjectDetailedMeta("mp"); h.Get("X-Oss-Server-Side-Encryption") != "AES256" {
		t.Fatalf("multipart head: %v", h)
	}
}

func TestErrorCodesAndMessages(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	_, err := b.GetObject("missing")
	if se := wantCode(t, err, 404, "NoSuchKey"); se.Ec != "0026-00000001" {
		t.Fatalf("NoSuchKey EC = %q", se.Ec)
	}
	_, err = c.GetBucketInfo("no-such-bucket")
	if se := wantCode(t, err, 404, "NoSuchBucket"); se.Ec != "0015-00000101" {
		t.Fatalf("NoSuchBucket EC = %q", se.Ec)
	}
	err = b.AbortMultipartUpload(oss.InitiateMultipartUploadResult{Bucket: ts.Bucket, Key: "k", UploadID: "nope"})
	if se := wantCode(t, err, 404, "NoSuchUpload"); se.Ec != "0042-00000002" {
		t.Fatalf("NoSuchUpload EC = %q", se.Ec)
	}
	if _, err := b.AppendObject("log", strings.NewReader("x"), 0); err != nil {
		t.Fatal(err)
	}
	_, err = b.AppendObject("log", strings.NewReader("x"), 0)
	if se := wantCode(t, err, 409, "PositionNotEqualToLength"); se.Message != "Position is not equal to file length" {
		t.Fatalf("message %q", se.Message)
	}
	put(t, b, "k", []byte("v"))
	_, err = b.GetObject("k", oss.IfMatch(`"nope"`))
	if se := wantCode(t, err, 412, "PreconditionFailed"); !strings.Contains(se.RawMessage, "<Condition>If-Match</Condition>") {
		t.Fatalf("412 without <Condition>: %s", se.RawMessage)
	}
	// A copy whose source matches x-oss-copy-source-if-none-match is 304.
	_, err = b.CopyObject("k", "k2", oss.CopySourceIfNoneMatch(strings.Trim(etag([]byte("v")), `"`)))
	// The SDK reports a bodiless 304 as "service returned 304".
	if err == nil || !strings.Contains(err.Error(), "304") {
		t.Fatalf("copy if-none-match: %v", err)
	}
	if ok, _ := b.IsObjectExist("k2"); ok {
		t.Fatal("a 304 copy wrote the object")
	}
}

// TestCORSPreflight follows the SDK's TestOptionsMethod, and sends an
// unsigned preflight as a browser does.
func TestCORSPreflight(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	rule := oss.CORSRule{AllowedOrigin: []string{"https://*.example.com"}, AllowedMethod: []string{"PUT", "GET"},
		AllowedHeader: []string{"x-oss-meta-*"}, ExposeHeader: []string{"ETag"}, MaxAgeSeconds: 100}
	if err := c.SetBucketCORS(ts.Bucket, []oss.CORSRule{rule}); err != nil {
		t.Fatal(err)
	}
	h, err := b.OptionsMethod("k", oss.Origin("https://app.example.com"), oss.ACReqMethod("PUT"), oss.ACReqHeaders("x-oss-meta-author"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || h.Get("Access-Control-Max-Age") != "100" || h.Get("Access-Control-Expose-Headers") != "ETag" {
		t.Fatalf("preflight: %v", h)
	}
	_, err = b.OptionsMethod("", oss.Origin("https://app.example.com"), oss.ACReqMethod("PUT"), oss.ACReqHeaders("x-other"))
	wantCode(t, err, 403, "AccessForbidden")
	_, err = b.OptionsMethod("", oss.Origin("https://evil.test"), oss.ACReqMethod("GET"))
	wantCode(t, err, 403, "AccessForbidden")

	req, _ := http.NewRequest(http.MethodOptions, ts.Endpoint+"/"+ts.Bucket+"/k", nil)
	req.Header.Set("Origin", "https://www.example.com")
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Methods") != "PUT, GET" {
		t.Fatalf("unsigned preflight: %s %v", resp.Status, resp.Header)
	}
}

// TestCreateBucketOptions follows the SDK's TestCreateBucketRedundancyType
// and TestCreateBucketWithServerEncryption.
func TestCreateBucketOptions(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	if err := c.CreateBucket("zrs-bucket", oss.RedundancyType(oss.RedundancyZRS)); err != nil {
		t.Fatal(err)
	}
	if info, err := c.GetBucketInfo("zrs-bucket"); err != nil || info.BucketInfo.RedundancyType != "ZRS" {
		t.Fatalf("redundancy: %+v %v", info.BucketInfo, err)
	}
	if err := c.CreateBucket("sse-bucket", oss.ServerSideEncryption("KMS"), oss.ServerSideDataEncryption("SM4")); err != nil {
		t.Fatal(err)
	}
	rs, err := c.GetBucketEncryption("sse-bucket")
	if err != nil || rs.SSEDefault.SSEAlgorithm != "KMS" || rs.SSEDefault.KMSDataEncryption != "SM4" {
		t.Fatalf("encryption: %+v %v", rs, err)
	}
	wantCode(t, c.CreateBucket("bad-sse", oss.ServerSideEncryption("ROT13")), 400, "InvalidEncryptionAlgorithmError")
}
