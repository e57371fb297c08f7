package osslocal_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	mimemultipart "mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// postForm sends a PostObject form: fields in order, then the file.
func postForm(t *testing.T, url string, fields [][2]string, filename string, body []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := mimemultipart.NewWriter(&buf)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(body)
	mw.Close()
	resp, err := http.Post(url, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func policyB64(expiration time.Time, conditions string) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf(`{"expiration":%q,"conditions":[%s]}`, expiration.UTC().Format("2006-01-02T15:04:05.000Z"), conditions)))
}

func signPostV1(secret, policy string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(policy))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signPostV4 follows https://www.alibabacloud.com/help/en/oss/developer-reference/signature-version-4-recommend:
// hex(HMAC-SHA256(signing key, base64 policy)).
func signPostV4(secret, day, region, policy string) string {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("aliyun_v4"+secret), day)
	k = mac(k, region)
	k = mac(k, "oss")
	k = mac(k, "aliyun_v4_request")
	return hex.EncodeToString(mac(k, policy))
}

func TestPostObject(t *testing.T) {
	ts := osslocaltest.Start(t)
	b := bucket(t, ts)
	url := ts.Endpoint + "/" + ts.Bucket
	future := time.Now().Add(time.Hour)
	conds := fmt.Sprintf(`{"bucket":%q},["starts-with","$key","uploads/"],["content-length-range",1,10]`, ts.Bucket)
	policy := policyB64(future, conds)
	v1 := func(key, policy, sig string, extra ...[2]string) [][2]string {
		return append([][2]string{{"key", key}, {"OSSAccessKeyId", ts.AccessKeyID}, {"policy", policy}, {"Signature", sig}}, extra...)
	}
	good := signPostV1(ts.AccessKeySecret, policy)

	code, body := postForm(t, url, v1("uploads/${filename}", policy, good, [2]string{"x-oss-meta-from", "form"}), "photo.jpg", []byte("jpegbytes"))
	if code != http.StatusNoContent {
		t.Fatalf("V1 post: %d %s", code, body)
	}
	if got := get(t, b, "uploads/photo.jpg"); string(got) != "jpegbytes" {
		t.Fatalf("posted object %q", got)
	}
	if h, _ := b.GetObjectDetailedMeta("uploads/photo.jpg"); h.Get("X-Oss-Meta-From") != "form" {
		t.Fatalf("metadata: %v", h)
	}

	code, body = postForm(t, url, v1("uploads/created", policy, good, [2]string{"success_action_status", "201"}), "f", []byte("x"))
	if code != http.StatusCreated || !strings.Contains(body, "<Key>uploads/created</Key>") || !strings.Contains(body, "<ETag>") {
		t.Fatalf("201: %d %s", code, body)
	}

	for _, tc := range []struct {
		name   string
		fields [][2]string
		data   []byte
		status int
		code   string
		key    string
	}{
		{"key outside starts-with", v1("other/k", policy, good), []byte("x"), 403, "AccessDenied", "other/k"},
		{"too large", v1("uploads/big", policy, good), []byte("0123456789A"), 400, "EntityTooLarge", "uploads/big"},
		{"too small", v1("uploads/empty", policy, good), nil, 400, "EntityTooSmall", "uploads/empty"},
		{"wrong signature", v1("uploads/sig", policy, signPostV1("wrong", policy)), []byte("x"), 403, "SignatureDoesNotMatch", "uploads/sig"},
		{"expired", func() [][2]string {
			p := policyB64(time.Now().Add(-time.Minute), conds)
			return v1("uploads/old", p, signPostV1(ts.AccessKeySecret, p))
		}(), []byte("x"), 403, "AccessDenied", "uploads/old"},
		{"other bucket", func() [][2]string {
			p := policyB64(future, `{"bucket":"another-bucket"}`)
			return v1("uploads/b", p, signPostV1(ts.AccessKeySecret, p))
		}(), []byte("x"), 403, "AccessDenied", "uploads/b"},
		{"anonymous on a private bucket", [][2]string{{"key", "uploads/anon"}}, []byte("x"), 403, "AccessDenied", "uploads/anon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := postForm(t, url, tc.fields, "f", tc.data)
			if code != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
				t.Fatalf("%d %s, want %d %s", code, body, tc.status, tc.code)
			}
			if ok, _ := b.IsObjectExist(tc.key); ok {
				t.Fatal("a refused post wrote the object")
			}
		})
	}

	t.Run("V4", func(t *testing.T) {
		now := time.Now().UTC()
		day := now.Format("20060102")
		p := policyB64(future, conds)
		fields := [][2]string{
			{"key", "uploads/v4"}, {"policy", p}, {"x-oss-signature-version", "OSS4-HMAC-SHA256"},
			{"x-oss-credential", ts.AccessKeyID + "/" + day + "/cn-hangzhou/oss/aliyun_v4_request"},
			{"x-oss-date", now.Format("20060102T150405Z")},
			{"x-oss-signature", signPostV4(ts.AccessKeySecret, day, "cn-hangzhou", p)},
		}
		if code, body := postForm(t, url, fields, "f", []byte("v4")); code != http.StatusNoContent {
			t.Fatalf("V4 post: %d %s", code, body)
		}
		if got := get(t, b, "uploads/v4"); string(got) != "v4" {
			t.Fatalf("V4 object %q", got)
		}
		fields[5][1] = signPostV4("wrong", day, "cn-hangzhou", p)
		if code, body := postForm(t, url, fields, "f", []byte("v4")); code != http.StatusForbidden {
			t.Fatalf("V4 wrong signature: %d %s", code, body)
		}
	})

	resp, err := http.Post(url, "text/plain", strings.NewReader("not a form"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("not multipart: %d", resp.StatusCode)
	}
}
