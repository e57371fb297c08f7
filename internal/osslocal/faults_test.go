package osslocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func TestParseFaults(t *testing.T) {
	tests := []struct {
		spec string
		want []Rule
	}{
		{"", nil},
		{"  # only a comment\n\n ; ", nil},
		{"put:error=503:p=0.3", []Rule{{Op: OpPut, Kind: FaultError, Status: 503, P: 0.3}}},
		{"put:error", []Rule{{Op: OpPut, Kind: FaultError, Status: 500}}},
		{"append:apply-then-fail:nth=3", []Rule{{Op: OpAppend, Kind: FaultApplyThenFail, Nth: 3}}},
		{"upload-part:reset=1024:times=2", []Rule{{Op: OpUploadPart, Kind: FaultReset, Bytes: 1024, Times: 2}}},
		{"upload-part:reset=64k", []Rule{{Op: OpUploadPart, Kind: FaultReset, Bytes: 64 << 10}}},
		{"get:reset", []Rule{{Op: OpGet, Kind: FaultReset}}},
		{"get:delay=200ms", []Rule{{Op: OpGet, Kind: FaultDelay, Delay: 200 * time.Millisecond}}},
		{"complete:corrupt-crc", []Rule{{Op: OpComplete, Kind: FaultCorruptCRC}}},
		{"any:every=3:nth=2:error=429:code=SlowDown", []Rule{{Op: OpAny, Kind: FaultError, Status: 429, Code: "SlowDown", Nth: 2, Every: 3}}},
		{"head:error=503:bucket=logs:prefix=app%3A1/", []Rule{{Op: OpHead, Kind: FaultError, Status: 503, Bucket: "logs", Prefix: "app:1/"}}},
		{"put:error=503 # flaky\nget:delay=1s;list:error=500", []Rule{
			{Op: OpPut, Kind: FaultError, Status: 503},
			{Op: OpGet, Kind: FaultDelay, Delay: time.Second},
			{Op: OpList, Kind: FaultError, Status: 500},
		}},
	}
	for _, tt := range tests {
		got, err := ParseFaults(tt.spec)
		if err != nil {
			t.Errorf("ParseFaults(%q): %v", tt.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseFaults(%q) = %+v, want %+v", tt.spec, got, tt.want)
		}
		// The canonical form reads back to the same rules.
		for _, r := range got {
			back, err := ParseFaults(r.String())
			if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0], r) {
				t.Errorf("ParseFaults(%q) = %+v, %v; want %+v", r.String(), back, err, r)
			}
		}
	}
}

func TestParseFaultsErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"nth=2:list:every=3", `fault rule "nth=2:list:every=3": unknown operation "nth=2"`},
		{"putt:error", `unknown operation "putt" (want one of put, append,`},
		{"put", "no action"},
		{"put:p=0.5", "no action"},
		{"put:eror=503", `unknown field "eror"`},
		{"put:error=abc", "error=abc: invalid syntax"},
		{"put:error=200", "error status 200 is not in 400-599"},
		{"put:error=503:reset", "two actions, error and reset"},
		{"put:reset=-1", "reset=-1: must not be negative"},
		{"put:reset=1x", "reset=1x: invalid syntax"},
		{"get:delay", "delay needs a positive duration"},
		{"get:delay=fast", `delay=fast: time: invalid duration "fast"`},
		{"get:apply-then-fail=1", "apply-then-fail=1: takes no value"},
		{"put:error:p=0", "p=0: must be above 0"},
		{"put:error:p=1.5", "probability 1.5 is not in (0, 1]"},
		{"put:error:nth=0", "nth=0: must be 1 or more"},
		{"put:error:every=-2", "every=-2: must be 1 or more"},
		{"put:error:times=x", "times=x: invalid syntax"},
		{"put:error:bucket=", "bucket=: needs a value"},
		{"put:reset:code=X", "code= applies only to error"},
		{"put:error::p=1", "empty field"},
		{"put:error;get:bogus", `fault rule "get:bogus": unknown field "bogus"`},
	}
	for _, tt := range tests {
		_, err := ParseFaults(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseFaults(%q) error = %v, want it to contain %q", tt.spec, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseFaults(%q) error spans lines: %q", tt.spec, err)
		}
	}
}

func TestFaultsAPIValidates(t *testing.T) {
	f := NewFaults(1)
	if _, err := f.Add(Rule{Op: "bogus", Kind: FaultError}); err == nil {
		t.Error("Add accepted an unknown operation")
	}
	if _, err := f.Add(Rule{Op: OpPut}); err == nil {
		t.Error("Add accepted a rule without an action")
	}
	id, err := f.Add(Rule{Op: OpPut, Kind: FaultError})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Set([]Rule{{Op: OpGet, Kind: FaultReset}, {Op: OpGet, Kind: FaultDelay}}); err == nil {
		t.Error("Set accepted a delay without a duration")
	}
	if rules := f.Rules(); len(rules) != 1 || rules[0].ID != id || rules[0].Status != 500 {
		t.Errorf("a failed Set changed the rules: %+v", rules)
	}
	if f.Remove(id + 1) {
		t.Error("Remove of an unknown id reported success")
	}
	if !f.Remove(id) || len(f.Rules()) != 0 {
		t.Error("Remove did not remove the rule")
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		method, host, target string
		header               string // one "Name: value" header, if any
		want                 target
	}{
		{"PUT", "127.0.0.1:9000", "/b/k/x.txt", "", target{OpPut, "b", "k/x.txt"}},
		{"PUT", "127.0.0.1:9000", "/b/k?partNumber=1&uploadId=U", "", target{OpUploadPart, "b", "k"}},
		{"PUT", "127.0.0.1:9000", "/b/k?acl", "", target{OpOther, "b", "k"}},
		{"PUT", "127.0.0.1:9000", "/b/k", "x-oss-copy-source: /b/src", target{OpCopy, "b", "k"}},
		{"PUT", "127.0.0.1:9000", "/b", "", target{OpOther, "b", ""}},
		{"POST", "127.0.0.1:9000", "/b/k?append&position=0", "", target{OpAppend, "b", "k"}},
		{"POST", "127.0.0.1:9000", "/b/k?uploads", "", target{OpInitiate, "b", "k"}},
		{"POST", "127.0.0.1:9000", "/b/k?uploadId=U", "", target{OpComplete, "b", "k"}},
		{"POST", "127.0.0.1:9000", "/b/?delete", "", target{OpDelete, "b", ""}},
		{"GET", "127.0.0.1:9000", "/b/k", "", target{OpGet, "b", "k"}},
		{"GET", "127.0.0.1:9000", "/b/k?response-content-type=text/plain", "", target{OpGet, "b", "k"}},
		{"GET", "127.0.0.1:9000", "/b/k?uploadId=U", "", target{OpOther, "b", "k"}},
		{"GET", "127.0.0.1:9000", "/b/k?acl", "", target{OpOther, "b", "k"}},
		{"HEAD", "127.0.0.1:9000", "/b/k", "", target{OpHead, "b", "k"}},
		{"HEAD", "127.0.0.1:9000", "/b/k?objectMeta", "", target{OpHead, "b", "k"}},
		{"GET", "127.0.0.1:9000", "/b/?prefix=a/&delimiter=/&max-keys=10", "", target{OpList, "b", ""}},
		{"GET", "127.0.0.1:9000", "/b?list-type=2&continuation-token=x", "", target{OpList, "b", ""}},
		{"GET", "127.0.0.1:9000", "/b?uploads", "", target{OpOther, "b", ""}},
		{"GET", "127.0.0.1:9000", "/b?location", "", target{OpOther, "b", ""}},
		{"GET", "127.0.0.1:9000", "/", "", target{OpList, "", ""}},
		{"DELETE", "127.0.0.1:9000", "/b/k", "", target{OpDelete, "b", "k"}},
		{"DELETE", "127.0.0.1:9000", "/b/k?uploadId=U", "", target{OpDelete, "b", "k"}},
		{"DELETE", "127.0.0.1:9000", "/b", "", target{OpOther, "b", ""}},
		{"GET", "b.localhost:9000", "/k/x", "", target{OpGet, "b", "k/x"}},
		{"GET", "b.localhost:9000", "/", "", target{OpList, "b", ""}},
		{"GET", "localhost:9000", "/b/k", "", target{OpGet, "b", "k"}},
		{"GET", "[::1]:9000", "/b/k", "", target{OpGet, "b", "k"}},
		{"GET", "127.0.0.1:9000", "/-/faults", "", target{OpGet, "-", "faults"}},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "http://"+tt.host+tt.target, nil)
		if name, val, ok := strings.Cut(tt.header, ": "); ok {
			r.Header.Set(name, val)
		}
		if got := classify(r); got != tt.want {
			t.Errorf("%s %s%s = %+v, want %+v", tt.method, tt.host, tt.target, got, tt.want)
		}
	}
}

// firing returns the request numbers (from 1) on which r fires among n
// matching requests.
func firing(t *testing.T, f *Faults, spec string, n int) []int {
	t.Helper()
	rules, err := ParseFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Set(rules); err != nil {
		t.Fatal(err)
	}
	var fired []int
	for i := 1; i <= n; i++ {
		if _, r := f.decide(target{op: OpPut, bucket: "b", key: "k"}); r != nil {
			fired = append(fired, i)
		}
	}
	return fired
}

func TestFiring(t *testing.T) {
	tests := []struct {
		spec string
		want []int
	}{
		{"put:error", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"put:error:nth=3", []int{3}},
		{"put:error:every=4", []int{4, 8}},
		{"put:error:nth=2:every=3", []int{2, 5, 8}},
		{"put:error:times=2", []int{1, 2}},
		{"put:error:every=2:times=3", []int{2, 4, 6}},
		{"get:error", nil},
		{"any:error:nth=10", []int{10}},
		{"put:error:bucket=other", nil},
		{"put:error:prefix=k", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"put:error:prefix=kk", nil},
		// Both rules count every put; the first to fire decides.
		{"put:error:nth=2;put:reset:nth=3", []int{2, 3}},
		{"put:error:every=2;put:reset:every=3", []int{2, 3, 4, 6, 8, 9, 10}},
		// Delays do not decide the outcome.
		{"put:delay=1ms", nil},
	}
	for _, tt := range tests {
		if got := firing(t, NewFaults(1), tt.spec, 10); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s fired on %v, want %v", tt.spec, got, tt.want)
		}
	}
}

func TestFiringProbabilityIsSeeded(t *testing.T) {
	a := firing(t, NewFaults(42), "put:error:p=0.3", 1000)
	b := firing(t, NewFaults(42), "put:error:p=0.3", 1000)
	c := firing(t, NewFaults(43), "put:error:p=0.3", 1000)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different firing sequences")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds gave the same firing sequence")
	}
	if len(a) < 250 || len(a) > 350 {
		t.Errorf("p=0.3 fired %d times in 1000", len(a))
	}
	// The zero value works too, with a fixed seed.
	if got := firing(t, &Faults{}, "put:error:p=0.5", 100); len(got) == 0 || len(got) == 100 {
		t.Errorf("zero Faults with p=0.5 fired %d times in 100", len(got))
	}
}

func TestFiredCounters(t *testing.T) {
	f := NewFaults(1)
	firing(t, f, "put:error:every=2;put:delay=1ns:nth=1", 10)
	if got := f.Fired(OpPut); got != 6 {
		t.Errorf("Fired(put) = %d, want 6", got)
	}
	if got := f.Fired(OpGet); got != 0 {
		t.Errorf("Fired(get) = %d, want 0", got)
	}
	rules := f.Rules()
	if rules[0].Matched != 10 || rules[0].Fired != 5 || rules[1].Matched != 10 || rules[1].Fired != 1 {
		t.Errorf("rule counts = %+v", rules)
	}
	f.Clear()
	if got := f.Fired(OpAny); got != 6 {
		t.Errorf("after Clear, Fired(any) = %d, want 6", got)
	}
}

// standIn is a tiny in-memory object store speaking just enough of the OSS
// API (PutObject, GetObject, HeadObject, AppendObject) for the SDK, so that
// the fault kinds can be shown end to end through aliyun-oss-go-sdk.
type standIn struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path
	crc := func(b []byte) string { return strconv.FormatUint(crc64.Checksum(b, crc64.MakeTable(crc64.ECMA)), 10) }
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		s.objects[key] = body
		w.Header().Set(headerCRC64, crc(body))
		w.Header().Set("ETag", `"E"`)
	case http.MethodPost:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		if strconv.Itoa(len(s.objects[key])) != r.URL.Query().Get("position") {
			WriteError(w, r, NewError(409, "PositionNotEqualToLength", "Position is not equal to file length."))
			return
		}
		s.objects[key] = append(s.objects[key], body...)
		w.Header().Set(headerCRC64, crc(s.objects[key]))
		w.Header().Set("x-oss-next-append-position", strconv.Itoa(len(s.objects[key])))
	case http.MethodGet, http.MethodHead:
		body, ok := s.objects[key]
		if !ok {
			WriteError(w, r, NewError(404, "NoSuchKey", "The specified key does not exist."))
			return
		}
		w.Header().Set(headerCRC64, crc(body))
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}
}

// faultServer serves a stand-in store behind f and returns an SDK bucket
// for it and a function reporting what is stored under a key.
func faultServer(t *testing.T, f *Faults) (*oss.Bucket, func(key string) ([]byte, bool), string) {
	t.Helper()
	store := &standIn{objects: map[string][]byte{}}
	ts := httptest.NewServer(f.Wrap(store))
	t.Cleanup(ts.Close)
	client, err := oss.New(ts.URL, "id", "secret")
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.Bucket("bkt")
	if err != nil {
		t.Fatal(err)
	}
	stored := func(key string) ([]byte, bool) {
		store.mu.Lock()
		defer store.mu.Unlock()
		body, ok := store.objects["/bkt/"+key]
		return body, ok
	}
	return b, stored, ts.URL
}

func setFaults(t *testing.T, f *Faults, spec string) {
	t.Helper()
	rules, err := ParseFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Set(rules); err != nil {
		t.Fatal(err)
	}
}

func TestFaultError(t *testing.T) {
	tests := []struct {
		spec       string
		status     int
		code       string
		operations func(b *oss.Bucket) error
	}{
		{"put:error=503", 503, "ServiceUnavailable", func(b *oss.Bucket) error { return b.PutObject("k", strings.NewReader("x")) }},
		{"put:error", 500, "InternalError", func(b *oss.Bucket) error { return b.PutObject("k", strings.NewReader("x")) }},
		{"append:error=429:code=QpsLimitExceeded", 429, "QpsLimitExceeded", func(b *oss.Bucket) error {
			_, err := b.AppendObject("k", strings.NewReader("x"), 0)
			return err
		}},
		{"head:error=503", 503, "", func(b *oss.Bucket) error { _, err := b.GetObjectDetailedMeta("k"); return err }},
		{"get:error=500", 500, "InternalError", func(b *oss.Bucket) error { _, err := b.GetObject("k"); return err }},
	}
	for _, tt := range tests {
		f := NewFaults(1)
		b, stored, _ := faultServer(t, f)
		setFaults(t, f, tt.spec)
		err := tt.operations(b)
		var se oss.ServiceError
		if !errors.As(err, &se) {
			t.Errorf("%s: error = %v (%T), want oss.ServiceError", tt.spec, err, err)
			continue
		}
		// A HEAD answer has no body, so the SDK sees only the status.
		if se.StatusCode != tt.status || se.Code != tt.code || (tt.code != "" && se.RequestID == "") {
			t.Errorf("%s: ServiceError = %d %q (request id %q), want %d %q", tt.spec, se.StatusCode, se.Code, se.RequestID, tt.status, tt.code)
		}
		if _, ok := stored("k"); ok {
			t.Errorf("%s: the failed request was carried out", tt.spec)
		}
	}
}

// isNetworkError reports whether err is a transport failure rather than an
// answer from the server.
func isNetworkError(err error) bool {
	var se oss.ServiceError
	return err != nil && !errors.As(err, &se)
}

func TestFaultReset(t *testing.T) {
	f := NewFaults(1)
	b, stored, _ := faultServer(t, f)
	setFaults(t, f, "put:reset=1024")
	body := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16)
	err := b.PutObject("k", bytes.NewReader(body))
	if !isNetworkError(err) {
		t.Fatalf("PutObject through a reset = %v, want a network error", err)
	}
	t.Logf("client saw: %v", err)
	if _, ok := stored("k"); ok {
		t.Error("the object was stored although the connection was reset")
	}
	if f.Fired(OpPut) != 1 {
		t.Errorf("Fired(put) = %d, want 1", f.Fired(OpPut))
	}
	// Without the rule the same client carries on.
	f.Clear()
	if err := b.PutObject("k", bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if got, _ := stored("k"); !bytes.Equal(got, body) {
		t.Error("object differs after the retry")
	}
}

func TestFaultApplyThenFail(t *testing.T) {
	f := NewFaults(1)
	b, stored, _ := faultServer(t, f)
	setFaults(t, f, "put:apply-then-fail;append:apply-then-fail:nth=2")

	body := bytes.Repeat([]byte("x"), 100<<10)
	err := b.PutObject("put", bytes.NewReader(body))
	if !isNetworkError(err) {
		t.Fatalf("PutObject = %v, want a network error", err)
	}
	if got, ok := stored("put"); !ok || !bytes.Equal(got, body) {
		t.Errorf("apply-then-fail put: stored %v, %d bytes; want the whole body", ok, len(got))
	}

	next, err := b.AppendObject("app", strings.NewReader("one "), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.AppendObject("app", strings.NewReader("two "), next)
	if !isNetworkError(err) {
		t.Fatalf("second append = %v, want a network error", err)
	}
	// The client cannot know the append happened; retrying it at the same
	// position is refused, which is how gtail must find out.
	_, err = b.AppendObject("app", strings.NewReader("two "), next)
	var se oss.ServiceError
	if !errors.As(err, &se) || se.Code != "PositionNotEqualToLength" {
		t.Errorf("retried append = %v, want PositionNotEqualToLength", err)
	}
	if got, _ := stored("app"); string(got) != "one two " {
		t.Errorf("appendable object = %q, want %q", got, "one two ")
	}
}

func TestFaultDelay(t *testing.T) {
	f := NewFaults(1)
	b, _, _ := faultServer(t, f)
	if err := b.PutObject("k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	// A short delay is only a delay.
	setFaults(t, f, "get:delay=1ms")
	r, err := b.GetObject("k")
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	// A long one outlasts a client deadline; the server gives up waiting
	// when the client goes away. (A request with an unread body cannot
	// notice that, so this is a GET.)
	setFaults(t, f, "get:delay=1h")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = b.GetObject("k", oss.WithContext(ctx))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GetObject with a deadline = %v, want context.DeadlineExceeded", err)
	}
	if f.Fired(OpGet) != 2 {
		t.Errorf("Fired(get) = %d, want 2", f.Fired(OpGet))
	}
}

func TestFaultNth(t *testing.T) {
	f := NewFaults(1)
	b, stored, _ := faultServer(t, f)
	setFaults(t, f, "put:error=503:nth=2")
	for i := 1; i <= 3; i++ {
		key := fmt.Sprint("k", i)
		err := b.PutObject(key, strings.NewReader(key))
		_, ok := stored(key)
		if i == 2 && (err == nil || ok) {
			t.Errorf("put %d: err = %v, stored %v; want a 503 and nothing stored", i, err, ok)
		}
		if i != 2 && (err != nil || !ok) {
			t.Errorf("put %d: err = %v, stored %v; want success", i, err, ok)
		}
	}
}

func TestFaultProbability(t *testing.T) {
	failures := func() []int {
		f := NewFaults(7)
		b, _, _ := faultServer(t, f)
		setFaults(t, f, "put:error=503:p=0.3")
		var failed []int
		for i := range 40 {
			if err := b.PutObject("k", strings.NewReader("x")); err != nil {
				failed = append(failed, i)
			}
		}
		return failed
	}
	a, b := failures(), failures()
	if !reflect.DeepEqual(a, b) || len(a) == 0 || len(a) == 40 {
		t.Errorf("seeded runs failed on %v and %v; want the same, some but not all", a, b)
	}
}

func TestFaultCorruptCRC(t *testing.T) {
	f := NewFaults(1)
	b, _, _ := faultServer(t, f)
	setFaults(t, f, "put:corrupt-crc;get:corrupt-crc")
	err := b.PutObject("k", strings.NewReader("data"))
	var ce oss.CRCCheckError
	if !errors.As(err, &ce) {
		t.Fatalf("PutObject = %v (%T), want oss.CRCCheckError", err, err)
	}
	// GetObject leaves the check to the caller; GetObjectToFile makes it.
	err = b.GetObjectToFile("k", filepath.Join(t.TempDir(), "k"))
	if !errors.As(err, &ce) {
		t.Errorf("GetObjectToFile = %v (%T), want oss.CRCCheckError", err, err)
	}
}

func TestFaultAdmin(t *testing.T) {
	f := NewFaults(1)
	b, _, endpoint := faultServer(t, f)
	do := func(method, target, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, endpoint+target, strings.NewReader(body))
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

	// Clients off the loopback interface may not change faults.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("DELETE", "http://192.0.2.1:9000/-/faults", nil)
	req.RemoteAddr = "192.0.2.7:5555"
	setFaults(t, f, "put:error")
	f.Wrap(http.NotFoundHandler()).ServeHTTP(rec, req)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "<Code>AccessDenied</Code>") || len(f.Rules()) != 1 {
		t.Errorf("remote DELETE /-/faults = %d %q, rules %v", rec.Code, rec.Body, f.Rules())
	}
}

func TestFaultsConcurrent(t *testing.T) {
	f := NewFaults(1)
	b, _, _ := faultServer(t, f)
	setFaults(t, f, "put:error=503:every=2")
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
					_ = f.Rules()
				}
			}
		}()
	}
	wg.Wait()
	if failed != 40 || f.Fired(OpPut) != 40 {
		t.Errorf("every=2 over 80 concurrent puts: %d failed, %d fired; want 40", failed, f.Fired(OpPut))
	}
}
