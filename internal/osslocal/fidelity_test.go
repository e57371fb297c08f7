package osslocal_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// TestSmallerFidelityPoints covers the details of issue 10 the clients'
// suites check.
func TestSmallerFidelityPoints(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)

	t.Run("complete with zero parts", func(t *testing.T) {
		imur, err := b.InitiateMultipartUpload("empty")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.CompleteMultipartUpload(imur, nil); err != nil {
			t.Fatal(err)
		}
		if got := get(t, b, "empty"); len(got) != 0 {
			t.Fatalf("body %q", got)
		}
	})
	t.Run("ACL at Initiate and first Append kept", func(t *testing.T) {
		imur, err := b.InitiateMultipartUpload("mp-acl", oss.ObjectACL(oss.ACLPublicRead), oss.ObjectStorageClass(oss.StorageIA))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Conn.Do(http.MethodGet, ts.Bucket, "mp-acl", map[string]any{"uploadId": imur.UploadID}, nil, nil, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		lp, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(lp), "<StorageClass>IA</StorageClass>") {
			t.Fatalf("ListParts: %s", lp)
		}
		p, err := b.UploadPart(imur, strings.NewReader("p"), 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.AppendObject("log-acl", strings.NewReader("a"), 0, oss.ObjectACL(oss.ACLPublicRead)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.AppendObject("log-acl", strings.NewReader("b"), 1); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"mp-acl", "log-acl"} {
			acl, err := b.GetObjectACL(key)
			if err != nil || acl.ACL != "public-read" {
				t.Fatalf("%s ACL %q %v", key, acl.ACL, err)
			}
		}
		// A later append that names an ACL sets it (the SDK's
		// TestAppendObject), while its metadata is ignored.
		if _, err := b.AppendObject("log-acl", strings.NewReader("c"), 2, oss.ObjectACL(oss.ACLPrivate), oss.Meta("late", "x")); err != nil {
			t.Fatal(err)
		}
		if acl, _ := b.GetObjectACL("log-acl"); acl.ACL != "private" {
			t.Fatalf("ACL after a later append %q", acl.ACL)
		}
		if h, _ := b.GetObjectDetailedMeta("log-acl"); h.Get("X-Oss-Meta-Late") != "" {
			t.Fatal("a later append's metadata was kept")
		}
	})
	t.Run("conditional PutObject", func(t *testing.T) {
		// OSS refuses a conditional PUT with nothing to compare with (the
		// SDK's TestPutObjectNegative) and one whose condition fails.
		past := time.Now().Add(-time.Hour)
		wantCode(t, b.PutObject("cond", strings.NewReader("x"), oss.IfModifiedSince(past)), 412, "PreconditionFailed")
		if ok, _ := b.IsObjectExist("cond"); ok {
			t.Fatal("a refused conditional PUT wrote the object")
		}
		put(t, b, "cond", []byte("one"))
		wantCode(t, b.PutObject("cond", strings.NewReader("two"), oss.IfMatch(`"nope"`)), 412, "PreconditionFailed")
		put(t, b, "cond", []byte("two"), oss.IfMatch(etag([]byte("one"))))
		if got := get(t, b, "cond"); string(got) != "two" {
			t.Fatalf("cond = %q", got)
		}
		wantCode(t, b.SetObjectMeta("cond", oss.ServerSideEncryption("invalid")), 400, "InvalidEncryptionAlgorithmError")
	})
	t.Run("sequential upload", func(t *testing.T) {
		// ?sequential at Initiate: the object's HEAD carries the whole
		// MD5 (the SDK's TestUploadFileWithSequential).
		imur, err := b.InitiateMultipartUpload("seq", oss.Sequential())
		if err != nil {
			t.Fatal(err)
		}
		p1 := bytes.Repeat([]byte("1"), 100<<10)
		u1, err := b.UploadPart(imur, bytes.NewReader(p1), int64(len(p1)), 1)
		if err != nil {
			t.Fatal(err)
		}
		u2, err := b.UploadPart(imur, strings.NewReader("end"), 3, 2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{u1, u2}); err != nil {
			t.Fatal(err)
		}
		h, err := b.GetObjectDetailedMeta("seq")
		if err != nil || h.Get("Content-Md5") != b64md5(append(p1, "end"...)) {
			t.Fatalf("sequential Content-MD5 %q %v", h.Get("Content-Md5"), err)
		}
	})
	t.Run("traffic limit", func(t *testing.T) {
		// Pacing is not timed here; the header and the range are.
		var h http.Header
		if err := b.PutObject("slow", strings.NewReader("small"), oss.TrafficLimitHeader(819200), oss.GetResponseHeader(&h)); err != nil {
			t.Fatal(err)
		}
		if h.Get("X-Oss-Qos-Delay-Time") == "" {
			t.Fatalf("no x-oss-qos-delay-time: %v", h)
		}
		if got := get(t, b, "slow", oss.TrafficLimitHeader(819200)); string(got) != "small" {
			t.Fatalf("throttled GET = %q", got)
		}
		wantCode(t, b.PutObject("slow", strings.NewReader("x"), oss.TrafficLimitHeader(1000)), 400, "InvalidArgument")
	})
	t.Run("PutBucketACL Location", func(t *testing.T) {
		resp, err := c.Conn.Do(http.MethodPut, ts.Bucket, "", map[string]any{"acl": nil}, map[string]string{"x-oss-acl": "private"}, nil, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Headers.Get("Location") != "/"+ts.Bucket {
			t.Fatalf("Location %q", resp.Headers.Get("Location"))
		}
	})
	t.Run("Content-MD5 and ETag headers", func(t *testing.T) {
		data := []byte("checked")
		put(t, b, "md5", data)
		h, err := b.GetObjectDetailedMeta("md5")
		if err != nil || h.Get("Content-Md5") != b64md5(data) {
			t.Fatalf("HEAD Content-MD5 %q %v", h.Get("Content-Md5"), err)
		}
		res, err := b.DoGetObject(&oss.GetObjectRequest{ObjectKey: "md5"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Response.Body)
		res.Response.Body.Close()
		if res.Response.Headers.Get("Content-Md5") != b64md5(data) {
			t.Fatalf("GET Content-MD5 %q", res.Response.Headers.Get("Content-Md5"))
		}
		imur, err := b.InitiateMultipartUpload("md5-mp")
		if err != nil {
			t.Fatal(err)
		}
		part := bytes.Repeat([]byte("p"), 10)
		resp, err := c.Conn.Do(http.MethodPut, ts.Bucket, "md5-mp", map[string]any{"uploadId": imur.UploadID, "partNumber": "1"}, nil, bytes.NewReader(part), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Headers.Get("Content-Md5") != b64md5(part) {
			t.Fatalf("UploadPart Content-MD5 %q", resp.Headers.Get("Content-Md5"))
		}
		resp, err = c.Conn.Do(http.MethodPut, ts.Bucket, "md5-mp", map[string]any{"uploadId": imur.UploadID, "partNumber": "2"},
			map[string]string{"x-oss-copy-source": "/" + ts.Bucket + "/md5"}, nil, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Headers.Get("ETag") != etag(data) {
			t.Fatalf("UploadPartCopy ETag header %q", resp.Headers.Get("ETag"))
		}
	})
	t.Run("KeyCount", func(t *testing.T) {
		resp, err := c.Conn.Do(http.MethodGet, ts.Bucket, "", map[string]any{"list-type": "2", "prefix": "md5", "max-keys": "1"}, nil, nil, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			KeyCount int `xml:"KeyCount"`
		}
		if err := xml.NewDecoder(resp.Body).Decode(&out); err != nil || out.KeyCount != 1 {
			t.Fatalf("KeyCount %d %v", out.KeyCount, err)
		}
	})
}

// TestCallbackFails: an upload asking for a callback is stored and answered
// 203 CallbackFailed, as OSS answers when the callback server cannot be
// reached (osslocal reaches nothing beyond loopback).
func TestCallbackFails(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	cb := base64.StdEncoding.EncodeToString([]byte(`{"callbackUrl":"http://example.com/cb","callbackBody":"bucket=${bucket}"}`))
	err := b.PutObject("cb", strings.NewReader("stored"), oss.Callback(cb))
	if se := wantCode(t, err, 203, "CallbackFailed"); se.Message == "" {
		t.Fatal("no message")
	}
	if got := get(t, b, "cb"); string(got) != "stored" {
		t.Fatalf("object %q", got)
	}
}
