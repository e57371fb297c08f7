package osslocal_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// The points ossutil 1.7.19 found (docs/conformance.md "ossutil 1.7.19"),
// each with the SDK call ossutil makes.

// TestCopyObjectOntoItselfChangesOnlyMetadata: `ossutil set-meta` is
// CopyObject of the object onto itself with x-oss-metadata-directive
// REPLACE. OSS then changes the metadata only and does not copy the data,
// unless the storage class or the encryption changes
// (https://help.aliyun.com/document_detail/31979.html, 使用限制: 源Object与目标
// Object为同一个Object时 … OSS只修改源Object的元数据,不拷贝源Object的内容): a
// multipart object keeps its ETag and type, an appendable object stays
// appendable at the same position, so a log being shipped can have its
// metadata set and still be appended to.
func TestCopyObjectOntoItselfChangesOnlyMetadata(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	setMeta := func(key string, opts ...oss.Option) {
		t.Helper()
		if _, err := b.CopyObject(key, key, append([]oss.Option{oss.MetadataDirective(oss.MetaReplace)}, opts...)...); err != nil {
			t.Fatalf("set-meta %s: %v", key, err)
		}
	}

	t.Run("multipart", func(t *testing.T) {
		data := randomBytes(250 << 10)
		imur, err := b.InitiateMultipartUpload("mp")
		if err != nil {
			t.Fatal(err)
		}
		p1, err := b.UploadPart(imur, bytes.NewReader(data[:100<<10]), 100<<10, 1)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := b.UploadPart(imur, bytes.NewReader(data[100<<10:]), int64(len(data)-100<<10), 2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p1, p2}); err != nil {
			t.Fatal(err)
		}
		before, err := b.GetObjectDetailedMeta("mp")
		if err != nil {
			t.Fatal(err)
		}
		setMeta("mp", oss.Meta("colour", "blue"), oss.ContentType("text/x-log"))
		after, err := b.GetObjectDetailedMeta("mp")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"Etag", "X-Oss-Object-Type", "X-Oss-Hash-Crc64ecma", "Content-Length"} {
			if after.Get(k) != before.Get(k) {
				t.Errorf("%s = %q after set-meta, was %q", k, after.Get(k), before.Get(k))
			}
		}
		if after.Get("X-Oss-Meta-Colour") != "blue" || after.Get("Content-Type") != "text/x-log" {
			t.Errorf("metadata not replaced: %v", after)
		}
		if got := get(t, b, "mp"); !bytes.Equal(got, data) {
			t.Fatal("content changed")
		}
	})

	t.Run("appendable", func(t *testing.T) {
		next, err := b.AppendObject("app.log", bytes.NewReader([]byte("line 1\n")), 0, oss.Meta("a", "1"))
		if err != nil {
			t.Fatal(err)
		}
		setMeta("app.log", oss.Meta("b", "2"))
		h, err := b.GetObjectDetailedMeta("app.log")
		if err != nil {
			t.Fatal(err)
		}
		if h.Get("X-Oss-Object-Type") != "Appendable" || h.Get("X-Oss-Next-Append-Position") != strconv.FormatInt(next, 10) {
			t.Fatalf("after set-meta: type %q, next position %q; want Appendable, %d", h.Get("X-Oss-Object-Type"), h.Get("X-Oss-Next-Append-Position"), next)
		}
		if h.Get("X-Oss-Meta-A") != "" || h.Get("X-Oss-Meta-B") != "2" {
			t.Errorf("metadata not replaced: %v", h)
		}
		if _, err := b.AppendObject("app.log", bytes.NewReader([]byte("line 2\n")), next); err != nil {
			t.Fatalf("append after set-meta: %v", err)
		}
		if got := get(t, b, "app.log"); string(got) != "line 1\nline 2\n" {
			t.Fatalf("content %q", got)
		}
	})

	t.Run("storage class change", func(t *testing.T) {
		put(t, b, "cold", []byte("data"))
		setMeta("cold", oss.ObjectStorageClass(oss.StorageIA), oss.Meta("c", "3"))
		h, err := b.GetObjectDetailedMeta("cold")
		if err != nil {
			t.Fatal(err)
		}
		if h.Get("X-Oss-Storage-Class") != "IA" || h.Get("X-Oss-Meta-C") != "3" {
			t.Errorf("after a class change: %v", h)
		}
		if got := get(t, b, "cold"); string(got) != "data" {
			t.Fatalf("content %q", got)
		}
	})
}

// TestCopyObjectOfSymlinkCopiesTheLink: `ossutil cp oss://b/link
// oss://b/copy` is CopyObject of a symlink, and OSS copies the link, not
// the data it points to (https://help.aliyun.com/document_detail/31979.html,
// 使用限制: 源Object为软链接 … 只拷贝软链接,不支持拷贝软链接指向的文件内容), even
// when the target is missing.
func TestCopyObjectOfSymlinkCopiesTheLink(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	put(t, b, "target", []byte("first"))
	if err := b.PutSymlink("link", "target", oss.Meta("l", "1")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CopyObject("link", "copy"); err != nil {
		t.Fatal(err)
	}
	h, err := b.GetSymlink("copy")
	if err != nil {
		t.Fatalf("the copy is no symlink: %v", err)
	}
	if h.Get("X-Oss-Symlink-Target") != "target" || h.Get("X-Oss-Meta-L") != "1" {
		t.Errorf("copied link: %v", h)
	}
	put(t, b, "target", []byte("second"))
	if got := get(t, b, "copy"); string(got) != "second" {
		t.Errorf("the copy reads %q, not its target's data", got)
	}
	if err := b.DeleteObject("target"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CopyObject("link", "copy2", oss.MetadataDirective(oss.MetaReplace), oss.Meta("r", "2")); err != nil {
		t.Fatalf("copy of a link to a missing target: %v", err)
	}
	h, err = b.GetSymlink("copy2")
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("X-Oss-Symlink-Target") != "target" || h.Get("X-Oss-Meta-L") != "" || h.Get("X-Oss-Meta-R") != "2" {
		t.Errorf("copied link (REPLACE): %v", h)
	}
	_, err = b.CopyObject("link", "copy3", oss.CopySourceIfMatch(`"0000"`))
	wantCode(t, err, 412, "PreconditionFailed")
}

// TestLowercaseSubResourcesNotImplemented: `ossutil access-monitor --method
// get` is the SDK's GetBucketAccessMonitorXml, GET /?accessmonitor (all
// lower case, SDK client.go), and DescribeRegions is GET /?regions. Neither
// is implemented here; osslocal answered the first with a ListObjects
// document and the second with ListBuckets, which ossutil printed as if OSS
// had answered.
func TestLowercaseSubResourcesNotImplemented(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	_, err := c.GetBucketAccessMonitorXml(ts.Bucket)
	wantCode(t, err, 501, "NotImplemented")
	err = c.PutBucketAccessMonitorXml(ts.Bucket, `<AccessMonitorConfiguration><Status>Enabled</Status></AccessMonitorConfiguration>`)
	wantCode(t, err, 501, "NotImplemented")
	_, err = c.DescribeRegionsXml()
	wantCode(t, err, 501, "NotImplemented")
}

// TestCutBodyAnswersRequestTimeout: ossutil killed (kill -9) in the middle
// of an UploadPart left, in osslocal's log, a 500 InternalError and an
// ERROR "internal error: unexpected EOF": a body cut short of its
// Content-Length is the client's doing, not the server's. OSS answers a
// body shorter than its Content-Length 400 RequestTimeout, EC 0017-00000704
// (https://help.aliyun.com/zh/oss/support/0017-00000704); a 500 would also
// invite SDKs to retry. A client that half-closes its connection after a
// short body reads that answer; nothing is stored.
func TestCutBodyAnswersRequestTimeout(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	if err := c.SetBucketACL(ts.Bucket, oss.ACLPublicReadWrite); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.Endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = io.WriteString(conn, "PUT /"+ts.Bucket+"/cut HTTP/1.1\r\nHost: "+strings.TrimPrefix(ts.Endpoint, "http://")+
		"\r\nContent-Length: 100\r\n\r\nonly ten b")
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !bytes.Contains(body, []byte("<Code>RequestTimeout</Code>")) || resp.Header.Get("x-oss-ec") != "0017-00000704" {
		t.Fatalf("a cut body: %d, x-oss-ec %q, %s", resp.StatusCode, resp.Header.Get("x-oss-ec"), body)
	}
	if ok, err := bucket(t, ts).IsObjectExist("cut"); err != nil || ok {
		t.Fatalf("a cut body stored an object (exists %v, %v)", ok, err)
	}
}
