package osslocal_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func withClock(c *clock) func(*osslocal.Options) {
	c.t = time.Now()
	return func(o *osslocal.Options) { o.Now = c.now }
}

// authVersions are the signatures the SDK can send (AuthV4 needs a region).
var authVersions = []struct {
	name string
	opts []oss.ClientOption
}{
	{"v1", nil},
	{"v2", []oss.ClientOption{oss.AuthVersion(oss.AuthV2)}},
	{"v2-additional-headers", []oss.ClientOption{oss.AuthVersion(oss.AuthV2), oss.AdditionalHeaders([]string{"host", "user-agent"})}},
	{"v4", []oss.ClientOption{oss.AuthVersion(oss.AuthV4), oss.Region("cn-hangzhou")}},
	{"v4-other-region", []oss.ClientOption{oss.AuthVersion(oss.AuthV4), oss.Region("cn-shanghai")}},
	{"v4-additional-headers", []oss.ClientOption{oss.AuthVersion(oss.AuthV4), oss.Region("cn-hangzhou"), oss.AdditionalHeaders([]string{"host", "user-agent"})}},
}

// TestSignatures runs every kind of request under each signature version,
// with keys that need escaping and sub-resources in the query.
func TestSignatures(t *testing.T) {
	ts := osslocaltest.Start(t)
	for _, av := range authVersions {
		t.Run(av.name, func(t *testing.T) {
			b := bucket(t, ts, av.opts...)
			for _, key := range []string{"plain", "dir/sub/key with space+plus", "ünï/çødé?&=#%", "a//b/"} {
				data := []byte("data of " + key)
				put(t, b, key, data, oss.Meta("m", "v"), oss.ContentType("text/plain"))
				if got := get(t, b, key, oss.ResponseContentType("x/y")); !bytes.Equal(got, data) {
					t.Fatalf("%q: got %q", key, got)
				}
				if _, err := b.GetObjectMeta(key); err != nil {
					t.Fatal(err)
				}
				if _, err := b.ListObjects(oss.Prefix(key), oss.Delimiter("/")); err != nil {
					t.Fatal(err)
				}
				if _, err := b.AppendObject(key+".log", strings.NewReader("x"), 0); err != nil {
					t.Fatal(err)
				}
				imur, err := b.InitiateMultipartUpload(key + ".mp")
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
				if _, err := b.DeleteObjects([]string{key, key + ".log", key + ".mp"}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := client(t, ts, av.opts...).ListBuckets(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPresignedURLs(t *testing.T) {
	var clk clock
	ts := osslocaltest.Start(t, withClock(&clk))
	for _, av := range authVersions {
		if av.name == "v4-other-region" {
			continue
		}
		t.Run(av.name, func(t *testing.T) {
			b := bucket(t, ts, av.opts...)
			key := "signed/" + av.name + " file"
			putURL, err := b.SignURL(key, oss.HTTPPut, 60, oss.ContentType("text/plain"))
			if err != nil {
				t.Fatal(err)
			}
			if err := b.PutObjectWithURL(putURL, strings.NewReader("via url"), oss.ContentType("text/plain")); err != nil {
				t.Fatalf("put with URL: %v", err)
			}
			getURL, err := b.SignURL(key, oss.HTTPGet, 60)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := b.GetObjectWithURL(getURL)
			if err != nil {
				t.Fatalf("get with URL: %v", err)
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			if string(data) != "via url" {
				t.Fatalf("got %q", data)
			}
			// Plain HTTP, as a browser or curl would use it.
			resp, err := http.Get(getURL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("curl-like GET: %s", resp.Status)
			}

			tampered := strings.Replace(getURL, "%20file", "%20filx", 1)
			_, err = b.GetObjectWithURL(tampered)
			wantCode(t, err, 403, "SignatureDoesNotMatch")

			clk.add(2 * time.Minute)
			defer clk.add(-2 * time.Minute)
			_, err = b.GetObjectWithURL(getURL)
			wantCode(t, err, 403, "AccessDenied")
		})
	}
}

func TestSTS(t *testing.T) {
	var clk clock
	ts := osslocaltest.Start(t, withClock(&clk))
	cred := ts.Server.IssueSTS(time.Hour)
	for _, av := range authVersions[:2] {
		t.Run(av.name, func(t *testing.T) {
			opts := append([]oss.ClientOption{oss.SecurityToken(cred.SecurityToken)}, av.opts...)
			c, err := oss.New(ts.Endpoint, cred.ID, cred.Secret, opts...)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := c.Bucket(ts.Bucket)
			put(t, b, "sts", []byte("x"))
			u, err := b.SignURL("sts", oss.HTTPGet, 60)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.GetObjectWithURL(u); err != nil {
				t.Fatalf("presigned with token: %v", err)
			}

			bad, _ := oss.New(ts.Endpoint, cred.ID, cred.Secret, append([]oss.ClientOption{oss.SecurityToken("forged")}, av.opts...)...)
			bb, _ := bad.Bucket(ts.Bucket)
			wantCode(t, bb.PutObject("sts", strings.NewReader("x")), 403, "InvalidSecurityToken")

			none, _ := oss.New(ts.Endpoint, cred.ID, cred.Secret, av.opts...)
			nb, _ := none.Bucket(ts.Bucket)
			wantCode(t, nb.PutObject("sts", strings.NewReader("x")), 403, "InvalidAccessKeyId")

			wrong, _ := oss.New(ts.Endpoint, cred.ID, "wrong-secret", opts...)
			wb, _ := wrong.Bucket(ts.Bucket)
			se := wantCode(t, wb.PutObject("sts", strings.NewReader("x")), 403, "SignatureDoesNotMatch")
			if strings.Contains(se.RawMessage, cred.SecurityToken) || strings.Contains(se.RawMessage, cred.Secret) {
				t.Errorf("error document leaks a secret: %s", se.RawMessage)
			}

			clk.add(2 * time.Hour)
			defer clk.add(-2 * time.Hour)
			wantCode(t, b.PutObject("sts", strings.NewReader("x")), 403, "SecurityTokenExpired")
		})
	}
}

func TestRequestTimeTooSkewed(t *testing.T) {
	var clk clock
	ts := osslocaltest.Start(t, withClock(&clk))
	clk.add(time.Hour)
	for _, av := range authVersions[:2] {
		_, err := bucket(t, ts, av.opts...).GetObjectMeta("x")
		wantCode(t, err, 403, "RequestTimeTooSkewed")
	}
}

func TestAnonymousAccess(t *testing.T) {
	ts := osslocaltest.Start(t)
	c := client(t, ts)
	b := bucket(t, ts)
	put(t, b, "private", []byte("secret"))
	put(t, b, "public", []byte("open"), oss.ObjectACL(oss.ACLPublicRead))
	anon := func(method, key string, body io.Reader) *http.Response {
		req, _ := http.NewRequest(method, ts.Endpoint+"/"+ts.Bucket+"/"+key, body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		method, key string
		want        int
	}{
		{"GET", "private", 403}, {"GET", "public", 200}, {"HEAD", "public", 200},
		{"PUT", "public", 403}, {"DELETE", "public", 403}, {"GET", "", 403},
	} {
		if got := anon(tc.method, tc.key, nil).StatusCode; got != tc.want {
			t.Errorf("anonymous %s %q = %d, want %d", tc.method, tc.key, got, tc.want)
		}
	}
	resp, _ := http.Get(ts.Endpoint + "/")
	if resp.StatusCode != 403 {
		t.Errorf("anonymous ListBuckets = %d", resp.StatusCode)
	}
	resp.Body.Close()

	if err := c.SetBucketACL(ts.Bucket, oss.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	if got := anon("GET", "private", nil).StatusCode; got != 200 {
		t.Errorf("GET in public-read bucket = %d", got)
	}
	if got := anon("GET", "", nil).StatusCode; got != 200 {
		t.Errorf("list in public-read bucket = %d", got)
	}
	if got := anon("PUT", "new", strings.NewReader("x")).StatusCode; got != 403 {
		t.Errorf("PUT in public-read bucket = %d", got)
	}
	// An object ACL overrides the bucket's.
	if err := b.SetObjectACL("private", oss.ACLPrivate); err != nil {
		t.Fatal(err)
	}
	if got := anon("GET", "private", nil).StatusCode; got != 403 {
		t.Errorf("GET private object in public-read bucket = %d", got)
	}
	if err := c.SetBucketACL(ts.Bucket, oss.ACLPublicReadWrite); err != nil {
		t.Fatal(err)
	}
	if got := anon("PUT", "new", strings.NewReader("x")).StatusCode; got != 200 {
		t.Errorf("PUT in public-read-write bucket = %d", got)
	}
}

// TestVirtualHostStyle drives the SDK at a "localhost" endpoint, where it
// puts the bucket in the host name (SDK conn.go buildURL, urlTypeAliyun):
// bucket.localhost:PORT. Go's resolver does not promise that *.localhost
// is loopback (net/conf.go only defers such names to the myhostname NSS
// module, else they go to DNS), so the test's dialer maps exactly that
// name (for the two buckets used) to 127.0.0.1 and refuses any other: nothing is resolved, and a
// request that was not virtual-host style fails. With ForcePathStyle the
// same endpoint is reached path style at localhost:PORT.
func TestVirtualHostStyle(t *testing.T) {
	ts := osslocaltest.Start(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ts.Endpoint, "http://"))
	for _, style := range []struct {
		name string
		host string // the only address the client may dial, but for the bucket's name
		opts []oss.ClientOption
	}{
		{"virtual-host", "BUCKET.localhost:" + port, nil},
		{"path", "localhost:" + port, []oss.ClientOption{oss.ForcePathStyle(true)}},
	} {
		dial := &net.Dialer{}
		tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != style.host && addr != strings.Replace(style.host, "BUCKET", ts.Bucket, 1) && addr != strings.Replace(style.host, "BUCKET", "no-such-bucket", 1) {
				return nil, fmt.Errorf("test dialer: dial %s, want only %s", addr, style.host)
			}
			return dial.DialContext(ctx, network, "127.0.0.1:"+port)
		}}
		for _, av := range authVersions[:2] {
			t.Run(style.name+"/"+av.name, func(t *testing.T) {
				opts := append([]oss.ClientOption{oss.HTTPClient(&http.Client{Transport: tr})}, av.opts...)
				c, err := oss.New("http://localhost:"+port, ts.AccessKeyID, ts.AccessKeySecret, append(opts, style.opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := c.Bucket(ts.Bucket)
				key := fmt.Sprintf("vhost/%s/%s key", style.name, av.name)
				if err := b.PutObject(key, strings.NewReader("v")); err != nil {
					t.Fatal(err)
				}
				res, err := b.ListObjects(oss.Prefix("vhost/" + style.name + "/" + av.name))
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Objects) != 1 || res.Objects[0].Key != key {
					t.Fatalf("listed %+v, want %q", res.Objects, key)
				}
				if got := get(t, b, key); string(got) != "v" {
					t.Fatalf("got %q", got)
				}
				missing, _ := c.Bucket("no-such-bucket")
				_, err = missing.GetObjectMeta("k")
				wantCode(t, err, 404, "NoSuchBucket")
			})
		}
	}
}

func TestHostBucket(t *testing.T) {
	for host, want := range map[string]string{
		"b1.localhost:9000":          "b1",
		"b1.localhost":               "b1",
		"b1.LOCALHOST.:9000":         "b1",
		"b1.oss-cn-hangzhou.example": "b1",
		"b1.oss.example.com:443":     "b1",
		"b1.localhost.localdomain":   "b1",
		"localhost:9000":             "",
		"localhost.localdomain:9000": "",
		"devbox.lan:9000":            "",
		"127.0.0.1:9000":             "",
		"[::1]:9000":                 "",
		"10.1.2.3":                   "",
		".localhost:9000":            "",
		"":                           "",
	} {
		got, ok := osslocal.HostBucket(host)
		if got != want || ok != (want != "") {
			t.Errorf("HostBucket(%q) = %q, %v; want %q", host, got, ok, want)
		}
	}
}

// TestLogHasNoSecrets logs every request at debug level and checks that no
// secret, security token or signature reaches the log.
func TestLogHasNoSecrets(t *testing.T) {
	var buf syncBuffer
	ts := osslocaltest.Start(t, func(o *osslocal.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	cred := ts.Server.IssueSTS(time.Hour)
	c, _ := oss.New(ts.Endpoint, cred.ID, cred.Secret, oss.SecurityToken(cred.SecurityToken))
	b, _ := c.Bucket(ts.Bucket)
	put(t, b, "k", []byte("v"))
	u, _ := b.SignURL("k", oss.HTTPGet, 60)
	if _, err := b.GetObjectWithURL(u); err != nil {
		t.Fatal(err)
	}
	wrong, _ := oss.New(ts.Endpoint, cred.ID, "wrong", oss.SecurityToken(cred.SecurityToken))
	wb, _ := wrong.Bucket(ts.Bucket)
	wantCode(t, wb.PutObject("k", strings.NewReader("x")), 403, "SignatureDoesNotMatch")
	log := buf.String()
	if !strings.Contains(log, "SignatureDoesNotMatch") || !strings.Contains(log, "key=k") {
		t.Fatalf("log lacks the requests:\n%s", log)
	}
	sig := u[strings.Index(u, "Signature=")+len("Signature="):]
	for _, secret := range []string{cred.Secret, cred.SecurityToken, ts.AccessKeySecret, sig[:10]} {
		if strings.Contains(log, secret) {
			t.Errorf("log contains a secret %q:\n%s", secret, log)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestV1WithOSSDate: ali-oss signs V1 with x-oss-date and sends no Date
// (ali-oss lib/common/signUtils.js buildCanonicalString); OSS accepts it.
func TestV1WithOSSDate(t *testing.T) {
	ts := osslocaltest.Start(t)
	put(t, bucket(t, ts), "k", []byte("body"))
	send := func(date, signedDate string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, ts.Endpoint+"/"+ts.Bucket+"/k", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("x-oss-date", date)
		sts := "GET\n\n\n" + signedDate + "\nx-oss-date:" + date + "\n/" + ts.Bucket + "/k"
		mac := hmac.New(sha1.New, []byte(ts.AccessKeySecret))
		mac.Write([]byte(sts))
		req.Header.Set("Authorization", "OSS "+ts.AccessKeyID+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	now := time.Now().UTC().Format(http.TimeFormat)
	if resp := send(now, now); resp.StatusCode != http.StatusOK {
		t.Fatalf("V1 with x-oss-date: %s", resp.Status)
	}
	if resp := send(now, ""); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("V1 signed without the x-oss-date: %s, want 403", resp.Status)
	}
	old := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	if resp := send(old, old); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("V1 with an hour-old x-oss-date: %s, want 403 RequestTimeTooSkewed", resp.Status)
	}
}

// TestPresignedAdditionalHeaders: a URL signed over additional headers
// (V2, V4) works only when they are sent; without them OSS answers 400
// (https://www.alibabacloud.com/help/en/oss/support/0002-00000078).
func TestPresignedAdditionalHeaders(t *testing.T) {
	ts := osslocaltest.Start(t)
	for _, opts := range [][]oss.ClientOption{
		{oss.AuthVersion(oss.AuthV2), oss.AdditionalHeaders([]string{"range"})},
		{oss.AuthVersion(oss.AuthV4), oss.Region("cn-hangzhou"), oss.AdditionalHeaders([]string{"range"})},
	} {
		b := bucket(t, ts, opts...)
		put(t, b, "k", []byte("0123456789"))
		u, err := b.SignURL("k", oss.HTTPGet, 60, oss.Range(2, 4))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(u, "x-oss-additional-headers=range") {
			t.Fatalf("URL signs no additional header: %s", u)
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Range", "bytes=2-4")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || string(body) != "234" {
			t.Fatalf("with the signed Range: %s %q", resp.Status, body)
		}
		resp, err = http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>InvalidArgument</Code>") || resp.Header.Get("x-oss-ec") != "0002-00000078" {
			t.Fatalf("without the signed Range: %s %s %s", resp.Status, resp.Header.Get("x-oss-ec"), body)
		}
	}
}
