package osslocal

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
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
		{"put:error:p=1", []Rule{{Op: OpPut, Kind: FaultError, Status: 500}}},
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
		{"put:reset=9999999999999999m", "reset=9999999999999999m: value out of range"},
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

func TestFaultAdminLoopbackOnly(t *testing.T) {
	f := NewFaults(1)
	if _, err := f.Add(Rule{Op: OpPut, Kind: FaultError}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("DELETE", "http://192.0.2.1:9000/-/faults", nil)
	req.RemoteAddr = "192.0.2.7:5555"
	f.Wrap(http.NotFoundHandler()).ServeHTTP(rec, req)
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "<Code>AccessDenied</Code>") || len(f.Rules()) != 1 {
		t.Errorf("remote DELETE /-/faults = %d %q, rules %v", rec.Code, rec.Body, f.Rules())
	}
}

// A handler that sets headers but writes nothing still has its CRC header
// corrupted: net/http would otherwise send the headers itself.
func TestFaultCorruptCRCWithoutWrite(t *testing.T) {
	f := NewFaults(1)
	if _, err := f.Add(Rule{Op: OpPut, Kind: FaultCorruptCRC}); err != nil {
		t.Fatal(err)
	}
	h := f.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-oss-hash-crc64ecma", "12345")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("PUT", "http://127.0.0.1/b/k", strings.NewReader("x")))
	if got := rec.Header().Get("x-oss-hash-crc64ecma"); got == "12345" || got == "" || rec.Code != 200 {
		t.Errorf("corrupted CRC header = %q (status %d)", got, rec.Code)
	}
}
