package osslocal_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

func b64md5(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func TestPutObjectChecks(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	data := []byte("checked body")
	for _, tc := range []struct {
		name   string
		opts   []oss.Option
		status int
		code   string
	}{
		{"right md5", []oss.Option{oss.ContentMD5(b64md5(data))}, 200, ""},
		{"wrong md5", []oss.Option{oss.ContentMD5(b64md5([]byte("other")))}, 400, "InvalidDigest"},
		{"malformed md5", []oss.Option{oss.ContentMD5("not-base64!")}, 400, "InvalidDigest"},
		{"bad acl", []oss.Option{oss.ObjectACL("everyone")}, 400, "InvalidArgument"},
		{"bad storage class", []oss.Option{oss.ObjectStorageClass("Gold")}, 400, "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := b.PutObject("md5/"+tc.name, bytes.NewReader(data), tc.opts...)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tc.status, tc.code)
			if ok, _ := b.IsObjectExist("md5/" + tc.name); ok {
				t.Fatal("a refused PUT left an object")
			}
		})
	}
	t.Run("forbid overwrite", func(t *testing.T) {
		put(t, b, "once", []byte("first"), oss.ForbidOverWrite(true))
		wantCode(t, b.PutObject("once", strings.NewReader("second"), oss.ForbidOverWrite(true)), 409, "FileAlreadyExists")
		if got := get(t, b, "once"); string(got) != "first" {
			t.Fatalf("overwritten: %q", got)
		}
		put(t, b, "once", []byte("third"), oss.ForbidOverWrite(false))
		_, err := b.InitiateMultipartUpload("once", oss.ForbidOverWrite(true))
		wantCode(t, err, 409, "FileAlreadyExists")
	})
	t.Run("upload part md5", func(t *testing.T) {
		imur, err := b.InitiateMultipartUpload("mp")
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.UploadPart(imur, strings.NewReader("part"), 4, 1, oss.ContentMD5(b64md5([]byte("nope"))))
		wantCode(t, err, 400, "InvalidDigest")
		_, err = b.UploadPart(imur, strings.NewReader("part"), 4, 10001)
		wantCode(t, err, 400, "InvalidArgument")
	})
	t.Run("invalid object name", func(t *testing.T) {
		wantCode(t, b.PutObject(strings.Repeat("k", 1024), strings.NewReader("x")), 400, "InvalidObjectName")
	})
}

func TestGetObjectRangeAndConditions(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	data := []byte("0123456789")
	put(t, b, "r", data)
	h, err := b.GetObjectDetailedMeta("r")
	if err != nil {
		t.Fatal(err)
	}
	et := h.Get("Etag")
	lm, _ := http.ParseTime(h.Get("Last-Modified"))

	for _, tc := range []struct {
		rng       string
		standard  bool
		want      string
		status    int
		errCode   string
		errStatus int
	}{
		{rng: "bytes=2-4", want: "234", status: 206},
		{rng: "bytes=7-", want: "789", status: 206},
		{rng: "bytes=-3", want: "789", status: 206},
		{rng: "bytes=8-100", want: "89", status: 206},
		{rng: "bytes=5-2", want: string(data), status: 200},     // invalid: whole object
		{rng: "bytes=0-1,3-4", want: string(data), status: 200}, // several ranges: whole
		{rng: "bytes=20-30", want: string(data), status: 200},   // beyond the end: whole
		{rng: "bytes=20-30", standard: true, errCode: "InvalidRange", errStatus: 416},
	} {
		t.Run(tc.rng, func(t *testing.T) {
			opts := []oss.Option{oss.NormalizedRange(strings.TrimPrefix(tc.rng, "bytes="))}
			if tc.standard {
				opts = append(opts, oss.RangeBehavior("standard"))
			}
			rc, err := b.GetObject("r", opts...)
			if tc.errCode != "" {
				wantCode(t, err, tc.errStatus, tc.errCode)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		name   string
		opt    oss.Option
		status int
	}{
		{"if-match ok", oss.IfMatch(et), 200},
		{"if-match fails", oss.IfMatch(`"0000"`), 412},
		{"if-none-match matches", oss.IfNoneMatch(et), 304},
		{"if-none-match ok", oss.IfNoneMatch(`"0000"`), 200},
		{"if-modified-since not modified", oss.IfModifiedSince(lm), 304},
		{"if-modified-since ok", oss.IfModifiedSince(lm.Add(-time.Hour)), 200},
		{"if-unmodified-since ok", oss.IfUnmodifiedSince(lm), 200},
		{"if-unmodified-since fails", oss.IfUnmodifiedSince(lm.Add(-time.Hour)), 412},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := b.GetObject("r", tc.opt)
			switch tc.status {
			case 200:
				if err != nil {
					t.Fatal(err)
				}
				rc.Close()
			case 412:
				wantCode(t, err, 412, "PreconditionFailed")
			case 304:
				if err == nil || !strings.Contains(err.Error(), "304") {
					t.Fatalf("err = %v, want 304", err)
				}
			}
		})
	}
}

func TestCopyObject(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	data := []byte("copy me")
	put(t, b, "src key+", data, oss.ContentType("text/plain"), oss.Meta("a", "1"))

	res, err := b.CopyObject("src key+", "dst/copy")
	if err != nil {
		t.Fatal(err)
	}
	if res.ETag != etag(data) {
		t.Errorf("copy etag %s, want %s", res.ETag, etag(data))
	}
	h, err := b.GetObjectDetailedMeta("dst/copy")
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("Content-Type") != "text/plain" || h.Get("X-Oss-Meta-A") != "1" || h.Get("X-Oss-Hash-Crc64ecma") != crc(data) {
		t.Errorf("COPY directive lost metadata: %v", h)
	}
	if _, err := b.CopyObject("src key+", "dst/replaced", oss.MetadataDirective(oss.MetaReplace), oss.ContentType("x/y"), oss.Meta("b", "2")); err != nil {
		t.Fatal(err)
	}
	h, _ = b.GetObjectDetailedMeta("dst/replaced")
	if h.Get("Content-Type") != "x/y" || h.Get("X-Oss-Meta-A") != "" || h.Get("X-Oss-Meta-B") != "2" {
		t.Errorf("REPLACE directive: %v", h)
	}
	if got := get(t, b, "dst/replaced"); !bytes.Equal(got, data) {
		t.Fatalf("copied content %q", got)
	}
	_, err = b.CopyObject("missing", "dst/x")
	wantCode(t, err, 404, "NoSuchKey")
	_, err = b.CopyObject("src key+", "dst/x", oss.CopySourceIfMatch(`"0000"`))
	wantCode(t, err, 412, "PreconditionFailed")
	_, err = b.CopyObject("src key+", "dst/copy", oss.ForbidOverWrite(true))
	wantCode(t, err, 409, "FileAlreadyExists")
	// Into another bucket.
	c := client(t, ts)
	if err := c.CreateBucket("other-bucket"); err != nil {
		t.Fatal(err)
	}
	ob, _ := c.Bucket("other-bucket")
	if _, err := ob.CopyObjectFrom(ts.Bucket, "src key+", "from-test"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, ob, "from-test"); !bytes.Equal(got, data) {
		t.Fatalf("cross-bucket copy %q", got)
	}
}

func TestDeleteMultipleObjects(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	keys := []string{"d/1", "d/2 two\x01ctl", "d/3+&<>"}
	for _, k := range keys {
		put(t, b, k, []byte(k))
	}
	res, err := b.DeleteObjects(append(keys[:2:2], "d/missing"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.DeletedObjects, "|") != "d/1|d/2 two\x01ctl|d/missing" {
		t.Fatalf("verbose result %q", res.DeletedObjects)
	}
	res, err = b.DeleteObjects([]string{keys[2]}, oss.DeleteObjectsQuiet(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.DeletedObjects) != 0 {
		t.Fatalf("quiet result %q", res.DeletedObjects)
	}
	l, err := b.ListObjects(oss.Prefix("d/"))
	if err != nil || len(l.Objects) != 0 {
		t.Fatalf("left: %+v %v", l.Objects, err)
	}
	_, err = b.DeleteMultipleObjectsXml("<Delete><Quiet>false</Quiet></Delete>")
	wantCode(t, err, 400, "MalformedXML")
}

// TestDeleteMultipleObjectsRawControlCharacters: ali-oss's deleteMulti
// writes a key's control characters raw into the XML ("should encode
// variant object keys"); OSS deletes the key.
func TestDeleteMultipleObjectsRawControlCharacters(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	key := "ctl\x01\x0a\x0c\x07key"
	put(t, b, key, []byte("x"))
	out, err := b.DeleteMultipleObjectsXml("<Delete><Quiet>false</Quiet><Object><Key>" + key + "</Key></Object></Delete>")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "<Key>ctl%01%0A%0C%07key</Key>") { // the SDK asks for encoding-type=url
		t.Fatalf("result: %s", out)
	}
	if l, err := b.ListObjects(oss.Prefix("ctl")); err != nil || len(l.Objects) != 0 {
		t.Fatalf("left: %+v %v", l.Objects, err)
	}
}

func TestACLs(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	put(t, b, "o", []byte("x"))
	acl, err := b.GetObjectACL("o")
	if err != nil || acl.ACL != "default" {
		t.Fatalf("default object ACL = %q, %v", acl.ACL, err)
	}
	if err := b.SetObjectACL("o", oss.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	acl, _ = b.GetObjectACL("o")
	if acl.ACL != "public-read" {
		t.Fatalf("object ACL = %q", acl.ACL)
	}
	wantCode(t, b.SetObjectACL("missing", oss.ACLPublicRead), 404, "NoSuchKey")
	wantCode(t, b.SetObjectACL("o", "bogus"), 400, "InvalidArgument")
	bacl, err := c.GetBucketACL(ts.Bucket)
	if err != nil || bacl.ACL != "private" {
		t.Fatalf("bucket ACL = %q, %v", bacl.ACL, err)
	}
	if err := c.SetBucketACL(ts.Bucket, oss.ACLPublicReadWrite); err != nil {
		t.Fatal(err)
	}
	bacl, _ = c.GetBucketACL(ts.Bucket)
	if bacl.ACL != "public-read-write" {
		t.Fatalf("bucket ACL = %q", bacl.ACL)
	}
}

func TestBuckets(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	for _, name := range []string{"bkt-a", "bkt-b", "bkt-c"} {
		if err := c.CreateBucket(name, oss.StorageClass(oss.StorageIA), oss.ACL(oss.ACLPublicRead)); err != nil {
			t.Fatal(err)
		}
	}
	// Re-creating one's own bucket succeeds and keeps its settings.
	if err := c.CreateBucket("bkt-a", oss.ACL(oss.ACLPrivate)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"ab", "Upper", "-dash", "dash-", "under_score", strings.Repeat("a", 64)} {
		// The SDK refuses these names itself; send them raw.
		resp, err := c.Conn.Do("PUT", bad, "", nil, nil, nil, 0, nil)
		if err == nil {
			resp.Body.Close()
		}
		wantCode(t, err, 400, "InvalidBucketName")
	}
	var names []string
	marker := ""
	for {
		res, err := c.ListBuckets(oss.Prefix("bkt-"), oss.Marker(marker), oss.MaxKeys(2))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range res.Buckets {
			names = append(names, b.Name)
		}
		if !res.IsTruncated {
			break
		}
		marker = res.NextMarker
	}
	if strings.Join(names, ",") != "bkt-a,bkt-b,bkt-c" {
		t.Fatalf("ListBuckets = %v", names)
	}
	info, err := c.GetBucketInfo("bkt-a")
	if err != nil {
		t.Fatal(err)
	}
	if info.BucketInfo.Name != "bkt-a" || info.BucketInfo.StorageClass != "IA" || info.BucketInfo.ACL != "public-read" || info.BucketInfo.Location != "oss-cn-hangzhou" {
		t.Fatalf("GetBucketInfo = %+v", info.BucketInfo)
	}
	loc, err := c.GetBucketLocation("bkt-a")
	if err != nil || loc != "oss-cn-hangzhou" {
		t.Fatalf("GetBucketLocation = %q, %v", loc, err)
	}
	// A bucket's storage class is its objects' default.
	b, _ := c.Bucket("bkt-a")
	put(t, b, "k", []byte("x"))
	if h, _ := b.GetObjectDetailedMeta("k"); h.Get("X-Oss-Storage-Class") != "IA" {
		t.Errorf("object class %q, want the bucket's IA", h.Get("X-Oss-Storage-Class"))
	}
	wantCode(t, c.DeleteBucket("bkt-a"), 409, "BucketNotEmpty")
	b.DeleteObject("k")
	imur, _ := b.InitiateMultipartUpload("u")
	wantCode(t, c.DeleteBucket("bkt-a"), 409, "BucketNotEmpty")
	b.AbortMultipartUpload(imur)
	if err := c.DeleteBucket("bkt-a"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.DeleteBucket("bkt-a"), 404, "NoSuchBucket")
	_, err = c.GetBucketInfo("bkt-a")
	wantCode(t, err, 404, "NoSuchBucket")
	gone, _ := c.Bucket("bkt-a")
	se := wantCode(t, gone.PutObject("k", strings.NewReader("x")), 404, "NoSuchBucket")
	if !strings.Contains(se.RawMessage, "<BucketName>bkt-a</BucketName>") {
		t.Errorf("NoSuchBucket body does not name the bucket: %s", se.RawMessage)
	}
	_, err = gone.ListObjectsV2()
	se = wantCode(t, err, 404, "NoSuchBucket")
	if !strings.Contains(se.RawMessage, "<BucketName>bkt-a</BucketName>") {
		t.Errorf("NoSuchBucket body does not name the bucket: %s", se.RawMessage)
	}
	if ok, err := c.IsBucketExist("bkt-b"); !ok || err != nil {
		t.Fatalf("IsBucketExist = %v, %v", ok, err)
	}
}

func TestEncodingType(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	put(t, b, "k\x01ey", []byte("x")) // a control character XML cannot carry raw
	res, err := b.ListObjects()
	if err != nil || len(res.Objects) != 1 || res.Objects[0].Key != "k\x01ey" {
		t.Fatalf("list = %+v, %v", res.Objects, err)
	}
	resp, err := b.Client.Conn.Do("GET", b.BucketName, "", map[string]any{"encoding-type": "base64"}, nil, nil, 0, nil)
	if err == nil {
		resp.Body.Close()
	}
	wantCode(t, err, 400, "InvalidArgument")
}

func TestUploadPartCopy(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	src := randomBytes(300 << 10)
	put(t, b, "src", src)
	imur, err := b.InitiateMultipartUpload("dst")
	if err != nil {
		t.Fatal(err)
	}
	p1, err := b.UploadPartCopy(imur, ts.Bucket, "src", 0, 200<<10, 1)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := b.UploadPartCopy(imur, ts.Bucket, "src", 200<<10, 100<<10, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p1.ETag != etag(src[:200<<10]) {
		t.Errorf("part etag %s", p1.ETag)
	}
	if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p1, p2}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, b, "dst"); !bytes.Equal(got, src) {
		t.Fatal("copied parts differ")
	}
	_, err = b.UploadPartCopy(imur, ts.Bucket, "missing", 0, 1, 1)
	wantCode(t, err, 404, "NoSuchUpload")
	imur2, _ := b.InitiateMultipartUpload("dst2")
	_, err = b.UploadPartCopy(imur2, ts.Bucket, "missing", 0, 1, 1)
	wantCode(t, err, 404, "NoSuchKey")
	// The SDK's CopyFile drives UploadPartCopy with parallel parts.
	if err := b.CopyFile(ts.Bucket, "src", "dst3", 100<<10, oss.Routines(3)); err != nil {
		t.Fatal(err)
	}
	if got := get(t, b, "dst3"); !bytes.Equal(got, src) {
		t.Fatal("CopyFile result differs")
	}
}

// TestWrongRegion: a bucket of another region answers 403 AccessDenied
// naming its endpoint, which the SDK exposes as ServiceError.Endpoint;
// GetBucketLocation still answers, and the bucket listing shows the region.
func TestWrongRegion(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	put(t, b, "k", []byte("x"))
	if err := ts.Server.SetBucketRegion(ts.Bucket, "cn-beijing"); err != nil {
		t.Fatal(err)
	}
	_, err := b.ListObjectsV2()
	se := wantCode(t, err, 403, "AccessDenied")
	if se.Endpoint != "oss-cn-beijing.aliyuncs.com" {
		t.Errorf("Endpoint = %q, want oss-cn-beijing.aliyuncs.com", se.Endpoint)
	}
	_, err = b.GetObject("k")
	wantCode(t, err, 403, "AccessDenied")
	_, err = b.GetObjectMeta("k")
	wantCode(t, err, 403, "AccessDenied")
	if loc, err := c.GetBucketLocation(ts.Bucket); err != nil || loc != "oss-cn-beijing" {
		t.Errorf("GetBucketLocation = %q, %v", loc, err)
	}
	res, err := c.ListBuckets()
	if err != nil || len(res.Buckets) != 1 || res.Buckets[0].Region != "cn-beijing" {
		t.Errorf("ListBuckets = %+v, %v", res.Buckets, err)
	}
	if err := ts.Server.SetBucketRegion(ts.Bucket, ts.Server.Region()); err != nil {
		t.Fatal(err)
	}
	if got := get(t, b, "k"); string(got) != "x" {
		t.Errorf("after moving back: %q", got)
	}
	if err := ts.Server.SetBucketRegion("no-such-bucket", "cn-beijing"); err == nil {
		t.Error("SetBucketRegion of a missing bucket succeeded")
	}
}

// TestControlCharacterKeysListed: OSS writes a key's control characters
// as XML character references (ali-oss's "should encode variant object
// keys"), not as U+FFFD.
func TestControlCharacterKeysListed(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	key := "ctl\x01\x0a\x0c\x07key"
	put(t, b, key, []byte("x"))
	resp, err := c.Conn.Do(http.MethodGet, ts.Bucket, "", map[string]any{"prefix": "ctl"}, nil, nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "<Key>ctl&#x01;&#xA;&#x0C;&#x07;key</Key>") {
		t.Fatalf("listing: %s", body)
	}
	l, err := b.ListObjects(oss.Prefix("ctl"), oss.EncodingType("url"))
	if err != nil || len(l.Objects) != 1 || l.Objects[0].Key != key {
		t.Fatalf("url-encoded listing: %+v %v", l.Objects, err)
	}
}
