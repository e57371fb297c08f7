package osslocal_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
)

// TestNoCRC64 shows Options.NoCRC64: no answer carries x-oss-hash-crc64ecma
// (single PUT, GET, HEAD, AppendObject, UploadPart, Complete, CopyObject),
// while ETags and the Content-MD5 check still work as before.
func TestNoCRC64(t *testing.T) {
	_, b := faultEnv(t, func(o *osslocal.Options) { o.NoCRC64 = true })
	b.Client.Config.IsEnableCRC = false // the SDK would fail every answer without one
	data := []byte(strings.Repeat("osslocal without CRC64\n", 5000))
	answers := map[string]http.Header{}
	var h http.Header

	if err := b.PutObject("put", bytes.NewReader(data), oss.GetResponseHeader(&h)); err != nil {
		t.Fatal(err)
	}
	answers["PutObject"] = h
	r, err := b.GetObject("put", oss.GetResponseHeader(&h))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("GetObject returned %d bytes, want the %d put", len(got), len(data))
	}
	answers["GetObject"] = h
	if answers["HeadObject"], err = b.GetObjectDetailedMeta("put"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AppendObject("log", bytes.NewReader(data), 0, oss.GetResponseHeader(&h)); err != nil {
		t.Fatal(err)
	}
	answers["AppendObject"] = h
	if _, err := b.CopyObject("put", "copy", oss.GetResponseHeader(&h)); err != nil {
		t.Fatal(err)
	}
	answers["CopyObject"] = h

	imur, err := b.InitiateMultipartUpload("mp")
	if err != nil {
		t.Fatal(err)
	}
	part, err := b.UploadPart(imur, bytes.NewReader(data), int64(len(data)), 1, oss.GetResponseHeader(&h))
	if err != nil {
		t.Fatal(err)
	}
	answers["UploadPart"] = h
	if part.ETag == "" {
		t.Error("UploadPart answered no ETag")
	}
	if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{part}, oss.GetResponseHeader(&h)); err != nil {
		t.Fatal(err)
	}
	answers["CompleteMultipartUpload"] = h

	for op, h := range answers {
		if v := h.Get(oss.HTTPHeaderOssCRC64); v != "" {
			t.Errorf("%s answered %s: %s; want none", op, oss.HTTPHeaderOssCRC64, v)
		}
	}
	if etag := answers["PutObject"].Get("ETag"); etag == "" {
		t.Error("PutObject answered no ETag")
	}

	// Content-MD5 is still checked: a wrong one is refused.
	err = b.PutObject("bad", bytes.NewReader(data), oss.ContentMD5("1B2M2Y8AsgTpgAmY7PhCfg=="))
	if se, ok := err.(oss.ServiceError); !ok || se.Code != "InvalidDigest" {
		t.Errorf("PutObject with a wrong Content-MD5: %v; want InvalidDigest", err)
	}
}
