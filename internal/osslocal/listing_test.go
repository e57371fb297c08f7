package osslocal_test

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// Issue 2 bullets the other conformance tests did not reach: list defaults
// and KeyCount, V2's max-keys bounds, multipart objects as listings show
// them, appending to a multipart object, and x-oss-request-id on every
// kind of response.

// TestListDefaults: without max-keys a page holds 100 entries (OSS API
// reference, ListObjects / ListObjectsV2: max-keys default 100) — here
// dir/a, dir/b, then k000…k097 — and V2 counts what it returned in
// KeyCount, common prefixes included.
func TestListDefaults(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	for i := range 150 {
		put(t, b, fmt.Sprintf("k%03d", i), nil)
	}
	put(t, b, "dir/a", nil)
	put(t, b, "dir/b", nil)

	v1, err := b.ListObjects()
	if err != nil {
		t.Fatal(err)
	}
	if len(v1.Objects) != 100 || !v1.IsTruncated || v1.NextMarker != "k097" || v1.MaxKeys != 100 {
		t.Errorf("V1 default page: %d objects, truncated %v, next %q, max-keys %d", len(v1.Objects), v1.IsTruncated, v1.NextMarker, v1.MaxKeys)
	}
	v2, err := b.ListObjectsV2()
	if err != nil {
		t.Fatal(err)
	}
	if len(v2.Objects) != 100 || !v2.IsTruncated || v2.NextContinuationToken == "" {
		t.Errorf("V2 default page: %d objects, truncated %v, token %q", len(v2.Objects), v2.IsTruncated, v2.NextContinuationToken)
	}

	// The SDK's ListObjectsResultV2 has no KeyCount; read the raw answer.
	keyCount := func(params map[string]any) int {
		t.Helper()
		params["list-type"] = "2"
		resp, err := b.Do("GET", "", params, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			KeyCount int
		}
		if err := xml.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.KeyCount
	}
	if n := keyCount(map[string]any{}); n != 100 {
		t.Errorf("KeyCount = %d, want 100", n)
	}
	if n := keyCount(map[string]any{"delimiter": "/", "max-keys": "1000"}); n != 151 {
		t.Errorf("KeyCount with a delimiter = %d, want 151 (150 keys + dir/)", n)
	}

	for _, n := range []int{0, 1001, -1} {
		_, err := b.ListObjectsV2(oss.MaxKeys(n))
		wantCode(t, err, 400, "InvalidArgument")
	}
}

// TestMultipartObjectListed: a completed multipart object lists with its
// whole size, the "-N" ETag, type Multipart and its storage class, and
// cannot be appended to.
func TestMultipartObjectListed(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	imur, err := b.InitiateMultipartUpload("mp", oss.ObjectStorageClass(oss.StorageIA))
	if err != nil {
		t.Fatal(err)
	}
	p1, err := b.UploadPart(imur, strings.NewReader(strings.Repeat("a", 100<<10)), 100<<10, 1)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := b.UploadPart(imur, strings.NewReader("tail"), 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	done, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p1, p2})
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.ListObjectsV2(oss.Prefix("mp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 {
		t.Fatalf("listed %d objects", len(res.Objects))
	}
	o := res.Objects[0]
	if o.Size != 100<<10+4 || o.Type != "Multipart" || o.StorageClass != "IA" || o.ETag != done.ETag || !strings.HasSuffix(o.ETag, `-2"`) {
		t.Errorf("listed %+v; complete said ETag %s", o, done.ETag)
	}
	_, err = b.AppendObject("mp", strings.NewReader("x"), o.Size)
	wantCode(t, err, 409, "ObjectNotAppendable")
}

// TestRequestIDEverywhere: success and error answers of every kind carry
// x-oss-request-id (issue 2: "on every response").
func TestRequestIDEverywhere(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	var h http.Header
	check := func(what string, err error) {
		t.Helper()
		if h.Get("X-Oss-Request-Id") == "" {
			t.Errorf("%s (err %v): no x-oss-request-id in %v", what, err, h)
		}
		h = nil
	}
	hdr := oss.GetResponseHeader(&h)
	check("put", b.PutObject("k", strings.NewReader("v"), hdr))
	rc, err := b.GetObject("k", hdr)
	if err == nil {
		io.Copy(io.Discard, rc)
		rc.Close()
	}
	check("get", err)
	_, err = b.GetObjectDetailedMeta("k", hdr)
	check("head", err)
	_, err = b.GetObject("missing", hdr)
	check("get missing", err)
	_, err = b.GetObjectDetailedMeta("missing", hdr)
	check("head missing", err)
	_, err = b.ListObjectsV2(hdr)
	check("list", err)
	_, err = b.AppendObject("k", strings.NewReader("x"), 0, hdr)
	check("append refused", err)
	check("delete", b.DeleteObject("k", hdr))
	_, err = c.ListBuckets(hdr)
	check("list buckets", err)
	_, err = c.GetBucketInfo("no-such-bucket", hdr)
	check("bucket info missing", err)
}

// TestUploadsDelimiterPaging: paging ListMultipartUploads with a delimiter
// by NextKeyMarker returns each common prefix once.
func TestUploadsDelimiterPaging(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	for _, k := range []string{"a", "dir/x", "dir/y", "dir/z/1", "e/1", "z"} {
		if _, err := b.InitiateMultipartUpload(k); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	keyMarker, idMarker := "", ""
	for range 20 {
		res, err := b.ListMultipartUploads(oss.Delimiter("/"), oss.MaxUploads(1), oss.KeyMarker(keyMarker), oss.UploadIDMarker(idMarker))
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range res.Uploads {
			got = append(got, u.Key)
		}
		got = append(got, res.CommonPrefixes...)
		if !res.IsTruncated {
			break
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	if want := "a|dir/|e/|z"; strings.Join(got, "|") != want {
		t.Fatalf("pages gave %q, want %s", got, want)
	}
}
