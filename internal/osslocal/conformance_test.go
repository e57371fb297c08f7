package osslocal_test

// Conformance tests: aliyun-oss-go-sdk against an in-process osslocal.

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/crc64ecma"
	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

func crc(b []byte) string { return strconv.FormatUint(crc64ecma.Checksum(b), 10) }

func etag(b []byte) string {
	s := md5.Sum(b)
	return `"` + strings.ToUpper(hex.EncodeToString(s[:])) + `"`
}

func client(t testing.TB, ts *osslocaltest.TS, opts ...oss.ClientOption) *oss.Client {
	t.Helper()
	c, err := oss.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func bucket(t testing.TB, ts *osslocaltest.TS, opts ...oss.ClientOption) *oss.Bucket {
	t.Helper()
	b, err := client(t, ts, opts...).Bucket(ts.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantCode checks that err is an OSS error with status and code.
func wantCode(t testing.TB, err error, status int, code string) oss.ServiceError {
	t.Helper()
	var se oss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want OSS error %d %s", err, status, code)
	}
	if se.StatusCode != status || se.Code != code {
		t.Fatalf("err = %d %s (%s), want %d %s", se.StatusCode, se.Code, se.Message, status, code)
	}
	if se.RequestID == "" || se.HostID == "" {
		t.Errorf("error without request id or host id: %v", se.RawMessage)
	}
	return se
}

func put(t testing.TB, b *oss.Bucket, key string, data []byte, opts ...oss.Option) {
	t.Helper()
	if err := b.PutObject(key, bytes.NewReader(data), opts...); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func get(t testing.TB, b *oss.Bucket, key string, opts ...oss.Option) []byte {
	t.Helper()
	rc, err := b.GetObject(key, opts...)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return data
}

func TestPutGetHeadDelete(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	data := []byte("hello, osslocal")
	put(t, b, "dir/hello.txt", data,
		oss.ContentType("text/plain"), oss.CacheControl("no-cache"), oss.ContentDisposition("attachment"),
		oss.ContentEncoding("identity"), oss.Meta("color", "blue"), oss.ObjectStorageClass(oss.StorageIA))
	if got := get(t, b, "dir/hello.txt"); !bytes.Equal(got, data) {
		t.Fatalf("get = %q, want %q", got, data)
	}
	for name, head := range map[string]func(string, ...oss.Option) (http.Header, error){
		"HeadObject": b.GetObjectDetailedMeta, "GetObjectMeta": b.GetObjectMeta,
	} {
		h, err := head("dir/hello.txt")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := map[string]string{
			"Content-Length": strconv.Itoa(len(data)), "Etag": etag(data),
		}
		if name == "GetObjectMeta" {
			// Only what OSS's API reference lists for GetObjectMeta.
			for _, k := range []string{"Content-Type", "X-Oss-Meta-Color", "X-Oss-Object-Type", "X-Oss-Storage-Class"} {
				if v := h.Get(k); v != "" {
					t.Errorf("GetObjectMeta %s = %q, want none", k, v)
				}
			}
		}
		if name == "HeadObject" {
			want["X-Oss-Object-Type"] = "Normal"
			want["X-Oss-Hash-Crc64ecma"] = crc(data)
			want["Content-Type"] = "text/plain"
			want["Cache-Control"] = "no-cache"
			want["Content-Disposition"] = "attachment"
			want["Content-Encoding"] = "identity"
			want["X-Oss-Meta-Color"] = "blue"
			want["X-Oss-Storage-Class"] = "IA"
		}
		for k, v := range want {
			if got := h.Get(k); got != v {
				t.Errorf("%s %s = %q, want %q", name, k, got, v)
			}
		}
		if h.Get("Last-Modified") == "" || h.Get("X-Oss-Request-Id") == "" {
			t.Errorf("%s: no Last-Modified or request id: %v", name, h)
		}
	}
	if err := b.DeleteObject("dir/hello.txt"); err != nil {
		t.Fatal(err)
	}
	_, err := b.GetObject("dir/hello.txt")
	wantCode(t, err, 404, "NoSuchKey")
	_, err = b.GetObjectDetailedMeta("dir/hello.txt")
	wantCode(t, err, 404, "NoSuchKey") // from x-oss-err on a HEAD
	if err := b.DeleteObject("dir/hello.txt"); err != nil {
		t.Fatalf("delete of a missing key: %v, want 204", err)
	}
	if ok, err := b.IsObjectExist("dir/hello.txt"); ok || err != nil {
		t.Fatalf("IsObjectExist = %v, %v", ok, err)
	}
}

func TestAppendObject(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	var all []byte
	pos := int64(0)
	for i, chunk := range []string{"first line\n", "", "second line\n", strings.Repeat("x", 70000)} {
		var opts []oss.Option
		if i == 0 {
			opts = append(opts, oss.ContentType("text/plain"), oss.Meta("origin", "first"))
		} else {
			opts = append(opts, oss.ContentType("application/json"), oss.Meta("origin", "later"))
		}
		// InitCRC makes the SDK compare its running CRC with the server's
		// cumulative x-oss-hash-crc64ecma (SDK bucket.go DoAppendObject).
		opts = append(opts, oss.InitCRC(crc64ecma.Checksum(all)))
		next, err := b.AppendObject("log", strings.NewReader(chunk), pos, opts...)
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		all = append(all, chunk...)
		if next != int64(len(all)) {
			t.Fatalf("append %d: next = %d, want %d", i, next, len(all))
		}
		pos = next
	}
	if got := get(t, b, "log"); !bytes.Equal(got, all) {
		t.Fatalf("content differs: %d bytes, want %d", len(got), len(all))
	}
	h, err := b.GetObjectDetailedMeta("log")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"X-Oss-Object-Type": "Appendable", "X-Oss-Next-Append-Position": strconv.Itoa(len(all)),
		"X-Oss-Hash-Crc64ecma": crc(all), "Content-Type": "text/plain", "X-Oss-Meta-Origin": "first",
		"Etag": etag(all),
	} {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}

	t.Run("wrong position", func(t *testing.T) {
		for _, p := range []int64{0, pos - 1, pos + 1} {
			var hdr http.Header
			_, err := b.AppendObject("log", strings.NewReader("dup"), p, oss.GetResponseHeader(&hdr))
			wantCode(t, err, 409, "PositionNotEqualToLength")
			if got := hdr.Get("X-Oss-Next-Append-Position"); got != strconv.FormatInt(pos, 10) {
				t.Errorf("position %d: next = %q, want %d", p, got, pos)
			}
		}
		_, err := b.AppendObject("new", strings.NewReader("x"), 5)
		wantCode(t, err, 409, "PositionNotEqualToLength")
	})
	t.Run("not appendable", func(t *testing.T) {
		put(t, b, "normal", []byte("n"))
		_, err := b.AppendObject("normal", strings.NewReader("x"), 1)
		wantCode(t, err, 409, "ObjectNotAppendable")
	})
	t.Run("bad digest", func(t *testing.T) {
		_, err := b.AppendObject("log", strings.NewReader("zzz"), pos, oss.ContentMD5("AAAAAAAAAAAAAAAAAAAAAA=="))
		wantCode(t, err, 400, "InvalidDigest")
		if got := get(t, b, "log"); !bytes.Equal(got, all) {
			t.Fatal("failed append changed the object")
		}
		// The next append starts where the object ends, not after the
		// refused bytes.
		if _, err := b.AppendObject("log", strings.NewReader("ok"), pos); err != nil {
			t.Fatal(err)
		}
		all = append(all, "ok"...)
		pos += 2
		if got := get(t, b, "log"); !bytes.Equal(got, all) {
			t.Fatal("append after a refused one differs")
		}
	})
	t.Run("put replaces appendable", func(t *testing.T) {
		if _, err := b.AppendObject("a2", strings.NewReader("ab"), 0); err != nil {
			t.Fatal(err)
		}
		put(t, b, "a2", []byte("normal"))
		_, err := b.AppendObject("a2", strings.NewReader("x"), 6)
		wantCode(t, err, 409, "ObjectNotAppendable")
	})
}

func TestAppendMaxSize(t *testing.T) {
	ts := osslocaltest.Start(t, func(o *osslocal.Options) { o.MaxAppendSize = 10 })
	b := bucket(t, ts)
	if _, err := b.AppendObject("small", strings.NewReader("12345678"), 0); err != nil {
		t.Fatal(err)
	}
	_, err := b.AppendObject("small", strings.NewReader("abc"), 8)
	wantCode(t, err, 400, "EntityTooLarge")
	if _, err := b.AppendObject("small", strings.NewReader("ab"), 8); err != nil {
		t.Fatalf("append up to the limit: %v", err)
	}
}

func TestMultipart(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	parts := [][]byte{bytes.Repeat([]byte("a"), 100<<10), bytes.Repeat([]byte("b"), 100<<10+7), []byte("tail")}
	imur, err := b.InitiateMultipartUpload("big.bin", oss.ContentType("application/x-test"), oss.Meta("k", "v"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := b.InitiateMultipartUpload("big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if other.UploadID == imur.UploadID {
		t.Fatal("two uploads share an ID")
	}
	var ups []oss.UploadPart
	for i, p := range parts {
		// A first, wrong version of part 1 is replaced by the second upload.
		if i == 0 {
			if _, err := b.UploadPart(imur, bytes.NewReader([]byte("wrong")), 5, 1); err != nil {
				t.Fatal(err)
			}
		}
		up, err := b.UploadPart(imur, bytes.NewReader(p), int64(len(p)), i+1)
		if err != nil {
			t.Fatal(err)
		}
		if up.ETag != etag(p) {
			t.Errorf("part %d etag %s, want %s", i+1, up.ETag, etag(p))
		}
		ups = append(ups, up)
	}
	// Uploads to one key are isolated: a part of the other upload does not
	// show up in this one.
	if _, err := b.UploadPart(other, strings.NewReader("other"), 5, 9); err != nil {
		t.Fatal(err)
	}
	lp, err := b.ListUploadedParts(imur)
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.UploadedParts) != 3 || lp.UploadedParts[0].Size != len(parts[0]) {
		t.Fatalf("ListUploadedParts = %+v", lp.UploadedParts)
	}
	lu, err := b.ListMultipartUploads()
	if err != nil {
		t.Fatal(err)
	}
	if len(lu.Uploads) != 2 {
		t.Fatalf("ListMultipartUploads = %+v", lu.Uploads)
	}
	// Not visible before Complete.
	_, err = b.GetObjectDetailedMeta("big.bin")
	wantCode(t, err, 404, "NoSuchKey")

	res, err := b.CompleteMultipartUpload(imur, ups)
	if err != nil {
		t.Fatal(err)
	}
	whole := bytes.Join(parts, nil)
	var etags []byte // OSS: the MD5 of the parts' upper-case hex ETags (store.go)
	for _, p := range parts {
		s := md5.Sum(p)
		etags = append(etags, strings.ToUpper(hex.EncodeToString(s[:]))...)
	}
	sum := md5.Sum(etags)
	wantETag := fmt.Sprintf(`"%s-3"`, strings.ToUpper(hex.EncodeToString(sum[:])))
	if res.ETag != wantETag {
		t.Errorf("complete etag %s, want %s", res.ETag, wantETag)
	}
	if got := get(t, b, "big.bin"); !bytes.Equal(got, whole) {
		t.Fatal("multipart content differs")
	}
	h, err := b.GetObjectDetailedMeta("big.bin")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"X-Oss-Object-Type": "Multipart", "X-Oss-Hash-Crc64ecma": crc(whole), "Etag": wantETag,
		"Content-Type": "application/x-test", "X-Oss-Meta-K": "v", "Content-Length": strconv.Itoa(len(whole)),
	} {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// The upload is gone after Complete.
	_, err = b.ListUploadedParts(imur)
	wantCode(t, err, 404, "NoSuchUpload")
	_, err = b.UploadPart(imur, strings.NewReader("x"), 1, 1)
	wantCode(t, err, 404, "NoSuchUpload")

	if err := b.AbortMultipartUpload(other); err != nil {
		t.Fatal(err)
	}
	wantCode(t, b.AbortMultipartUpload(other), 404, "NoSuchUpload")
}

func TestMultipartCompleteErrors(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	imur, err := b.InitiateMultipartUpload("k")
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("z"), 100<<10)
	p1, err := b.UploadPart(imur, bytes.NewReader([]byte("small")), 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := b.UploadPart(imur, bytes.NewReader(big), int64(len(big)), 2)
	if err != nil {
		t.Fatal(err)
	}
	p3, err := b.UploadPart(imur, bytes.NewReader(big), int64(len(big)), 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		parts  []oss.UploadPart
		status int
		code   string
	}{
		{"part too small", []oss.UploadPart{p1, p2}, 400, "EntityTooSmall"},
		{"wrong etag", []oss.UploadPart{{PartNumber: 2, ETag: p1.ETag}, p3}, 400, "InvalidPart"},
		{"missing part", []oss.UploadPart{p2, {PartNumber: 7, ETag: p3.ETag}}, 400, "InvalidPart"},
		{"out of order", []oss.UploadPart{p3, p2}, 400, "InvalidPartOrder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The SDK sorts parts before sending; send them as given.
			_, err := completeRaw(b, imur, tc.parts)
			wantCode(t, err, tc.status, tc.code)
		})
	}
	for _, body := range []string{"not xml", "<CompleteMultipartUpload>"} {
		resp, err := b.Client.Conn.Do("POST", b.BucketName, imur.Key, map[string]any{"uploadId": imur.UploadID}, nil, strings.NewReader(body), 0, nil)
		if err == nil {
			resp.Body.Close()
		}
		wantCode(t, err, 400, "MalformedXML")
	}
	// The failed attempts left the upload intact.
	if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p2, p3}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, b, "k"); !bytes.Equal(got, append(append([]byte{}, big...), big...)) {
		t.Fatal("content differs")
	}
}

// completeRaw sends CompleteMultipartUpload with parts in the given order
// (the SDK's CompleteMultipartUpload sorts them).
func completeRaw(b *oss.Bucket, imur oss.InitiateMultipartUploadResult, parts []oss.UploadPart) (*oss.Response, error) {
	var sb strings.Builder
	sb.WriteString("<CompleteMultipartUpload>")
	for _, p := range parts {
		fmt.Fprintf(&sb, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", p.PartNumber, p.ETag)
	}
	sb.WriteString("</CompleteMultipartUpload>")
	return b.Client.Conn.Do("POST", b.BucketName, imur.Key, map[string]any{"uploadId": imur.UploadID}, nil, strings.NewReader(sb.String()), 0, nil)
}

func TestListObjects(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	keys := []string{"a", "b/1", "b/2", "b/3/x", "c", "c+d e", "d/1", "é", "z"}
	for _, k := range keys {
		put(t, b, k, []byte(k))
	}
	if _, err := b.AppendObject("app", strings.NewReader("12"), 0); err != nil {
		t.Fatal(err)
	}
	keys = append(keys, "app")
	sort.Strings(keys)

	t.Run("v1 paging", func(t *testing.T) {
		var got []string
		marker := ""
		for pages := 0; ; pages++ {
			res, err := b.ListObjects(oss.Marker(marker), oss.MaxKeys(3))
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range res.Objects {
				got = append(got, o.Key)
			}
			if !res.IsTruncated {
				break
			}
			marker = res.NextMarker
		}
		if strings.Join(got, "|") != strings.Join(keys, "|") {
			t.Fatalf("keys = %q, want %q", got, keys)
		}
	})
	t.Run("v1 delimiter paging", func(t *testing.T) {
		var got []string
		marker := ""
		for {
			res, err := b.ListObjects(oss.Marker(marker), oss.MaxKeys(2), oss.Delimiter("/"))
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range res.Objects {
				got = append(got, o.Key)
			}
			got = append(got, res.CommonPrefixes...)
			if !res.IsTruncated {
				break
			}
			marker = res.NextMarker
		}
		sort.Strings(got)
		want := []string{"a", "app", "b/", "c", "c+d e", "d/", "z", "é"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	t.Run("v2 paging with prefix and delimiter", func(t *testing.T) {
		var objs, cps []string
		token := ""
		for {
			opts := []oss.Option{oss.Prefix("b/"), oss.Delimiter("/"), oss.MaxKeys(1)}
			if token != "" {
				opts = append(opts, oss.ContinuationToken(token))
			}
			res, err := b.ListObjectsV2(opts...)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range res.Objects {
				objs = append(objs, o.Key)
			}
			cps = append(cps, res.CommonPrefixes...)
			if !res.IsTruncated {
				break
			}
			token = res.NextContinuationToken
		}
		if strings.Join(objs, "|") != "b/1|b/2" || strings.Join(cps, "|") != "b/3/" {
			t.Fatalf("objects %q prefixes %q", objs, cps)
		}
	})
	t.Run("v2 start-after and types", func(t *testing.T) {
		res, err := b.ListObjectsV2(oss.StartAfter("a"), oss.MaxKeys(1))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Objects) != 1 || res.Objects[0].Key != "app" || res.Objects[0].Type != "Appendable" || res.Objects[0].Size != 2 {
			t.Fatalf("got %+v", res.Objects)
		}
		if !res.IsTruncated || res.NextContinuationToken == "" {
			t.Fatalf("not truncated: %+v", res)
		}
	})
	t.Run("max-keys", func(t *testing.T) {
		for _, n := range []int{0, 1001, -1} {
			_, err := b.ListObjects(oss.MaxKeys(n))
			wantCode(t, err, 400, "InvalidArgument")
		}
	})
}

func TestAuthErrors(t *testing.T) {
	ts := osslocaltest.Start(t)
	for _, tc := range []struct {
		name, id, secret string
		code             string
	}{
		{"wrong secret", ts.AccessKeyID, "wrong", "SignatureDoesNotMatch"},
		{"unknown id", "nobody", ts.AccessKeySecret, "InvalidAccessKeyId"},
	} {
		for _, v := range []oss.AuthVersionType{oss.AuthV1, oss.AuthV4} {
			t.Run(fmt.Sprintf("%s %s", tc.name, v), func(t *testing.T) {
				c, err := oss.New(ts.Endpoint, tc.id, tc.secret, oss.AuthVersion(v), oss.Region("cn-hangzhou"))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := c.Bucket(ts.Bucket)
				wantCode(t, b.PutObject("k", strings.NewReader("x")), 403, tc.code)
				_, err = c.ListBuckets()
				wantCode(t, err, 403, tc.code)
			})
		}
	}
}

func TestMultipartListing(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	var ids []string
	for _, k := range []string{"a/1", "a/2", "b", "b", "c"} {
		imur, err := b.InitiateMultipartUpload(k)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, imur.UploadID)
	}
	var got []string
	keyMarker, idMarker := "", ""
	for {
		res, err := b.ListMultipartUploads(oss.KeyMarker(keyMarker), oss.UploadIDMarker(idMarker), oss.MaxUploads(2))
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range res.Uploads {
			got = append(got, u.Key)
		}
		if !res.IsTruncated {
			break
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	if strings.Join(got, ",") != "a/1,a/2,b,b,c" {
		t.Fatalf("uploads by pages: %v", got)
	}
	res, err := b.ListMultipartUploads(oss.Delimiter("/"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.CommonPrefixes) != 1 || res.CommonPrefixes[0] != "a/" || len(res.Uploads) != 3 {
		t.Fatalf("with delimiter: %+v", res)
	}
	_, err = b.ListMultipartUploads(oss.MaxUploads(1001))
	wantCode(t, err, 400, "InvalidArgument")

	imur := oss.InitiateMultipartUploadResult{Bucket: ts.Bucket, Key: "c", UploadID: ids[4]}
	for n := 1; n <= 5; n++ {
		if _, err := b.UploadPart(imur, strings.NewReader("p"), 1, n); err != nil {
			t.Fatal(err)
		}
	}
	var nums []int
	marker := 0
	for {
		lp, err := b.ListUploadedParts(imur, oss.MaxParts(2), oss.PartNumberMarker(marker))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range lp.UploadedParts {
			nums = append(nums, p.PartNumber)
		}
		if !lp.IsTruncated {
			break
		}
		marker, _ = strconv.Atoi(lp.NextPartNumberMarker)
	}
	if fmt.Sprint(nums) != "[1 2 3 4 5]" {
		t.Fatalf("parts by pages: %v", nums)
	}
	// A wrong upload ID for the key is NoSuchUpload.
	_, err = b.ListUploadedParts(oss.InitiateMultipartUploadResult{Bucket: ts.Bucket, Key: "b", UploadID: ids[4]})
	wantCode(t, err, 404, "NoSuchUpload")
	// The completed object lists as Multipart with its size and ETag.
	lp, _ := b.ListUploadedParts(imur)
	var parts []oss.UploadPart
	for _, p := range lp.UploadedParts[4:] {
		parts = append(parts, oss.UploadPart{PartNumber: p.PartNumber, ETag: p.ETag})
	}
	done, err := b.CompleteMultipartUpload(imur, parts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := b.ListObjects(oss.Prefix("c"))
	if err != nil || len(l.Objects) != 1 {
		t.Fatalf("list: %+v, %v", l, err)
	}
	if o := l.Objects[0]; o.Type != "Multipart" || o.Size != 1 || o.ETag != done.ETag || o.StorageClass != "Standard" {
		t.Fatalf("listed %+v", o)
	}
}
