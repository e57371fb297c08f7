package osslocal_test

// Each fault kind end to end: aliyun-oss-go-sdk against the in-process
// osslocal, showing what a client sees and what the server stored.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/osslocal"
	"github.com/ossx/ossx/internal/osslocal/osslocaltest"
)

// faultEnv starts a server and returns it with an SDK bucket for its test
// bucket.
func faultEnv(t *testing.T, opts ...func(*osslocal.Options)) (*osslocaltest.TS, *oss.Bucket) {
	t.Helper()
	ts := osslocaltest.Start(t, opts...)
	c, err := oss.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(ts.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	return ts, b
}

func faultsSet(t *testing.T, ts *osslocaltest.TS, spec string) {
	t.Helper()
	rules, err := osslocal.ParseFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Faults.Set(rules); err != nil {
		t.Fatal(err)
	}
}

// stored returns the object under key, with the faults cleared first so
// that reading it cannot fail on purpose.
func stored(t *testing.T, ts *osslocaltest.TS, b *oss.Bucket, key string) ([]byte, bool) {
	t.Helper()
	ts.Faults.Clear()
	r, err := b.GetObject(key)
	var se oss.ServiceError
	if errors.As(err, &se) && se.Code == "NoSuchKey" {
		return nil, false
	}
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer r.Close()
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return body, true
}

// isNetworkError reports whether err is a transport failure rather than an
// answer from the server.
func isNetworkError(err error) bool {
	var se oss.ServiceError
	return err != nil && !errors.As(err, &se)
}

// partSize is the smallest size OSS allows for a non-last part.
const partSize = 100 << 10

// multipart uploads parts of data and completes the upload.
func multipart(b *oss.Bucket, key string, data []byte) error {
	imur, err := b.InitiateMultipartUpload(key)
	if err != nil {
		return err
	}
	var parts []oss.UploadPart
	for i := 0; i*partSize < len(data); i++ {
		chunk := data[i*partSize : min((i+1)*partSize, len(data))]
		p, err := b.UploadPart(imur, bytes.NewReader(chunk), int64(len(chunk)), i+1)
		if err != nil {
			return err
		}
		parts = append(parts, p)
	}
	_, err = b.CompleteMultipartUpload(imur, parts)
	return err
}

func TestFaultError(t *testing.T) {
	data := bytes.Repeat([]byte("e"), partSize+1)
	tests := []struct {
		spec   string
		status int
		code   string
		op     func(b *oss.Bucket) error
		key    string // not stored after the failure
	}{
		{"put:error=503", 503, "ServiceUnavailable", func(b *oss.Bucket) error { return b.PutObject("k", strings.NewReader("x")) }, "k"},
		{"put:error", 500, "InternalError", func(b *oss.Bucket) error { return b.PutObject("k", strings.NewReader("x")) }, "k"},
		{"append:error=429:code=QpsLimitExceeded", 429, "QpsLimitExceeded", func(b *oss.Bucket) error {
			_, err := b.AppendObject("k", strings.NewReader("x"), 0)
			return err
		}, "k"},
		{"upload-part:error=503:nth=2", 503, "ServiceUnavailable", func(b *oss.Bucket) error { return multipart(b, "k", data) }, "k"},
		{"complete:error=500", 500, "InternalError", func(b *oss.Bucket) error { return multipart(b, "k", data) }, "k"},
		{"initiate:error=503", 503, "ServiceUnavailable", func(b *oss.Bucket) error { return multipart(b, "k", data) }, "k"},
		// A HEAD answer has no body; the SDK reads the error from x-oss-err.
		{"head:error=503", 503, "ServiceUnavailable", func(b *oss.Bucket) error { _, err := b.GetObjectDetailedMeta("k"); return err }, ""},
		{"get:error=500", 500, "InternalError", func(b *oss.Bucket) error { _, err := b.GetObject("k"); return err }, ""},
		{"list:error=503", 503, "ServiceUnavailable", func(b *oss.Bucket) error { _, err := b.ListObjects(); return err }, ""},
		{"list:error=503:nth=1", 503, "ServiceUnavailable", func(b *oss.Bucket) error { _, err := b.ListObjectsV2(); return err }, ""},
		{"delete:error=503", 503, "ServiceUnavailable", func(b *oss.Bucket) error { return b.DeleteObject("k") }, ""},
		{"any:error=502", 502, "BadGateway", func(b *oss.Bucket) error { return b.PutObject("k", strings.NewReader("x")) }, "k"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			ts, b := faultEnv(t)
			faultsSet(t, ts, tt.spec)
			err := tt.op(b)
			var se oss.ServiceError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v (%T), want oss.ServiceError", err, err)
			}
			if se.StatusCode != tt.status || se.Code != tt.code || se.RequestID == "" || !strings.Contains(se.Message, "Injected fault") {
				t.Errorf("ServiceError = %d %q %q (request id %q), want %d %q", se.StatusCode, se.Code, se.Message, se.RequestID, tt.status, tt.code)
			}
			if tt.key != "" {
				if _, ok := stored(t, ts, b, tt.key); ok {
					t.Error("the failed request was carried out")
				}
			}
		})
	}
}

func TestFaultReset(t *testing.T) {
	ts, b := faultEnv(t)
	faultsSet(t, ts, "put:reset=1024")
	body := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16)
	err := b.PutObject("k", bytes.NewReader(body))
	if !isNetworkError(err) {
		t.Fatalf("PutObject through a reset = %v, want a network error", err)
	}
	t.Logf("client saw: %v", err)
	if ts.Faults.Fired(osslocal.OpPut) != 1 {
		t.Errorf("Fired(put) = %d, want 1", ts.Faults.Fired(osslocal.OpPut))
	}
	if _, ok := stored(t, ts, b, "k"); ok {
		t.Error("the object was stored although the connection was reset")
	}
	// Without the rule the same client carries on.
	if err := b.PutObject("k", bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if got, _ := stored(t, ts, b, "k"); !bytes.Equal(got, body) {
		t.Error("object differs after the retry")
	}
}

func TestFaultResetUploadPart(t *testing.T) {
	ts, b := faultEnv(t)
	data := bytes.Repeat([]byte("p"), 2*partSize)
	imur, err := b.InitiateMultipartUpload("k")
	if err != nil {
		t.Fatal(err)
	}
	faultsSet(t, ts, "upload-part:reset=50k:times=1")
	_, err = b.UploadPart(imur, bytes.NewReader(data[:partSize]), partSize, 1)
	if !isNetworkError(err) {
		t.Fatalf("UploadPart through a reset = %v, want a network error", err)
	}
	lp, err := b.ListUploadedParts(imur)
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.UploadedParts) != 0 {
		t.Errorf("parts after a reset upload = %+v, want none", lp.UploadedParts)
	}
	// times=1: the retry and the rest go through.
	var parts []oss.UploadPart
	for i := range 2 {
		p, err := b.UploadPart(imur, bytes.NewReader(data[i*partSize:(i+1)*partSize]), partSize, i+1)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	if _, err := b.CompleteMultipartUpload(imur, parts); err != nil {
		t.Fatal(err)
	}
	if got, _ := stored(t, ts, b, "k"); !bytes.Equal(got, data) {
		t.Errorf("object after a reset part was retried: %d bytes, want %d", len(got), len(data))
	}
}

func TestFaultApplyThenFail(t *testing.T) {
	ts, b := faultEnv(t)

	faultsSet(t, ts, "put:apply-then-fail")
	body := bytes.Repeat([]byte("x"), 100<<10)
	err := b.PutObject("put", bytes.NewReader(body))
	if !isNetworkError(err) {
		t.Fatalf("PutObject = %v, want a network error", err)
	}
	if got, ok := stored(t, ts, b, "put"); !ok || !bytes.Equal(got, body) {
		t.Errorf("apply-then-fail put: stored %v, %d bytes; want the whole body", ok, len(got))
	}

	faultsSet(t, ts, "append:apply-then-fail:nth=2")
	next, err := b.AppendObject("app", strings.NewReader("one "), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.AppendObject("app", strings.NewReader("two "), next)
	if !isNetworkError(err) {
		t.Fatalf("second append = %v, want a network error", err)
	}
	// The client cannot know the append happened; retrying it at the same
	// position is refused with the real next position, which is how gtail
	// must find out.
	_, err = b.AppendObject("app", strings.NewReader("two "), next)
	var se oss.ServiceError
	if !errors.As(err, &se) || se.Code != "PositionNotEqualToLength" {
		t.Errorf("retried append = %v, want PositionNotEqualToLength", err)
	}
	if got, _ := stored(t, ts, b, "app"); string(got) != "one two " {
		t.Errorf("appendable object = %q, want %q", got, "one two ")
	}

	faultsSet(t, ts, "complete:apply-then-fail")
	data := bytes.Repeat([]byte("m"), partSize+10)
	if err := multipart(b, "mp", data); !isNetworkError(err) {
		t.Fatalf("multipart upload = %v, want a network error at complete", err)
	}
	if got, ok := stored(t, ts, b, "mp"); !ok || !bytes.Equal(got, data) {
		t.Errorf("apply-then-fail complete: stored %v, %d bytes; want %d", ok, len(got), len(data))
	}
}

func TestFaultDelay(t *testing.T) {
	ts, b := faultEnv(t)
	if err := b.PutObject("k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	// A short delay is only a delay.
	faultsSet(t, ts, "get:delay=1ms")
	r, err := b.GetObject("k")
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	// A long one outlasts a client deadline, and the server stops waiting
	// when the client goes away. (A request with an unread body cannot
	// notice that, so this is a GET.)
	faultsSet(t, ts, "get:delay=1h")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = b.GetObject("k", oss.WithContext(ctx))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GetObject with a deadline = %v, want context.DeadlineExceeded", err)
	}
	if got := ts.Faults.Fired(osslocal.OpGet); got != 2 {
		t.Errorf("Fired(get) = %d, want 2", got)
	}
}

func TestFaultNth(t *testing.T) {
	ts, b := faultEnv(t)
	faultsSet(t, ts, "put:error=503:nth=2")
	for i := 1; i <= 3; i++ {
		key := fmt.Sprint("k", i)
		err := b.PutObject(key, strings.NewReader(key))
		if i == 2 && err == nil {
			t.Errorf("put %d succeeded; want a 503", i)
		}
		if i != 2 && err != nil {
			t.Errorf("put %d: %v", i, err)
		}
	}
	for i := 1; i <= 3; i++ {
		if _, ok := stored(t, ts, b, fmt.Sprint("k", i)); ok != (i != 2) {
			t.Errorf("k%d stored = %v", i, ok)
		}
	}
}

func TestFaultSelectsBucketAndPrefix(t *testing.T) {
	ts, b := faultEnv(t, func(o *osslocal.Options) { o.Buckets = append(o.Buckets, "other-bucket") })
	c, err := oss.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.Bucket("other-bucket")
	if err != nil {
		t.Fatal(err)
	}
	faultsSet(t, ts, "put:error=503:bucket="+ts.Bucket+":prefix=logs/")
	for _, tt := range []struct {
		b    *oss.Bucket
		key  string
		fail bool
	}{
		{b, "logs/a", true},
		{b, "logs", false},
		{b, "data/logs/a", false},
		{other, "logs/a", false},
	} {
		err := tt.b.PutObject(tt.key, strings.NewReader("x"))
		if (err != nil) != tt.fail {
			t.Errorf("put %s/%s: %v, want failure %v", tt.b.BucketName, tt.key, err, tt.fail)
		}
	}
}

func TestFaultProbability(t *testing.T) {
	failures := func() []int {
		ts, b := faultEnv(t)
		faultsSet(t, ts, "put:error=503:p=0.3")
		var failed []int
		for i := range 40 {
			if err := b.PutObject("k", strings.NewReader("x")); err != nil {
				failed = append(failed, i)
			}
		}
		return failed
	}
	// osslocaltest seeds its Faults with a constant.
	a, b := failures(), failures()
	if !reflect.DeepEqual(a, b) || len(a) == 0 || len(a) == 40 {
		t.Errorf("seeded runs failed on %v and %v; want the same, some but not all", a, b)
	}
}

func TestFaultCorruptCRC(t *testing.T) {
	ts, b := faultEnv(t)
	faultsSet(t, ts, "put:corrupt-crc")
	err := b.PutObject("k", strings.NewReader("data"))
	var ce oss.CRCCheckError
	if !errors.As(err, &ce) {
		t.Fatalf("PutObject = %v (%T), want oss.CRCCheckError", err, err)
	}
	faultsSet(t, ts, "get:corrupt-crc")
	// GetObject leaves the check to the caller; GetObjectToFile makes it.
	err = b.GetObjectToFile("k", filepath.Join(t.TempDir(), "k"))
	if !errors.As(err, &ce) {
		t.Errorf("GetObjectToFile = %v (%T), want oss.CRCCheckError", err, err)
	}
	faultsSet(t, ts, "append:corrupt-crc")
	_, err = b.AppendObject("app", strings.NewReader("data"), 0, oss.InitCRC(0))
	if !errors.As(err, &ce) {
		t.Errorf("AppendObject = %v (%T), want oss.CRCCheckError", err, err)
	}
}

func TestFaultAdmin(t *testing.T) {
	ts, b := faultEnv(t)
	do := func(method, target, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, ts.Endpoint+target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}

	// Unsigned, although the server checks signatures everywhere else.
	if code, out := do("PUT", "/-/faults", "put:error=503:nth=1\nget:delay=1ms # slow"); code != 200 ||
		out != "put:error=503:nth=1 # id=1 matched=0 fired=0\nget:delay=1ms # id=2 matched=0 fired=0\n" {
		t.Errorf("PUT /-/faults = %d %q", code, out)
	}
	if err := b.PutObject("k", strings.NewReader("x")); err == nil {
		t.Error("the rule set through the admin endpoint did not fire")
	}
	if code, out := do("POST", "/-/faults", "list:error"); code != 200 || !strings.Contains(out, "put:error=503:nth=1 # id=1 matched=1 fired=1\n") ||
		!strings.HasSuffix(out, "list:error=500 # id=3 matched=0 fired=0\n") {
		t.Errorf("POST /-/faults = %d %q", code, out)
	}
	if code, out := do("DELETE", "/-/faults?id=2", ""); code != 200 || strings.Contains(out, "get:") {
		t.Errorf("DELETE /-/faults?id=2 = %d %q", code, out)
	}
	if code, out := do("DELETE", "/-/faults?id=2", ""); code != 404 || !strings.Contains(out, "<Code>NoSuchKey</Code>") {
		t.Errorf("second DELETE /-/faults?id=2 = %d %q", code, out)
	}
	// A bad spec is refused whole, leaving the rules alone.
	if code, out := do("PUT", "/-/faults", "get:delay=1s;put:eror"); code != 400 || !strings.Contains(out, "<Code>InvalidArgument</Code>") || !strings.Contains(out, `unknown field &#34;eror&#34;`) {
		t.Errorf("PUT bad spec = %d %q", code, out)
	}
	if code, out := do("GET", "/-/faults", ""); code != 200 || strings.Count(out, "\n") != 2 {
		t.Errorf("GET /-/faults after a bad PUT = %d %q", code, out)
	}
	if code, out := do("DELETE", "/-/faults", ""); code != 200 || out != "" {
		t.Errorf("DELETE /-/faults = %d %q", code, out)
	}
	if code, _ := do("PATCH", "/-/faults", ""); code != 405 {
		t.Errorf("PATCH /-/faults = %d, want 405", code)
	}
	if code, _ := do("GET", "/-/other", ""); code != 404 {
		t.Errorf("GET /-/other = %d, want 404", code)
	}
	if err := b.PutObject("k", strings.NewReader("x")); err != nil {
		t.Errorf("put after DELETE /-/faults: %v", err)
	}
}

func TestFaultsConcurrent(t *testing.T) {
	ts, b := faultEnv(t)
	faultsSet(t, ts, "put:error=503:every=2")
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				if err := b.PutObject(fmt.Sprint(i, "-", j), strings.NewReader("x")); err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
				}
				if j == 5 {
					_ = ts.Faults.Rules()
				}
			}
		}()
	}
	wg.Wait()
	if failed != 40 || ts.Faults.Fired(osslocal.OpPut) != 40 {
		t.Errorf("every=2 over 80 concurrent puts: %d failed, %d fired; want 40", failed, ts.Faults.Fired(osslocal.OpPut))
	}
}
