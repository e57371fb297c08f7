// Package osslocaltest starts an in-process osslocal server for tests, and
// gives endpoints of an OSS that is down (ClosedEndpoint) or hung
// (SilentEndpoint).
package osslocaltest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ossx/ossx/internal/osslocal"
)

// Test credentials and bucket of every TS.
const (
	AccessKeyID     = "osslocaltest-id"
	AccessKeySecret = "osslocaltest-secret"
	Bucket          = "test-bucket"
)

// TS is a running osslocal server.
type TS struct {
	// Endpoint is "http://127.0.0.1:PORT".
	Endpoint        string
	AccessKeyID     string
	AccessKeySecret string
	// Bucket exists when Start returns.
	Bucket string
	Server *osslocal.Server
	// Faults injects failures into the server's requests.
	Faults *osslocal.Faults
	// HTTP is the underlying test server.
	HTTP *httptest.Server
}

// Start runs an osslocal server in memory on 127.0.0.1:0 with one bucket,
// Bucket, and the test credentials; opts adjust the Options first. The
// server stops when the test ends.
func Start(t testing.TB, opts ...func(*osslocal.Options)) *TS {
	t.Helper()
	o := osslocal.Options{
		Credentials: []osslocal.Credential{{ID: AccessKeyID, Secret: AccessKeySecret}},
		Buckets:     []string{Bucket},
		Faults:      osslocal.NewFaults(1),
	}
	for _, f := range opts {
		f(&o)
	}
	srv, err := osslocal.New(o)
	if err != nil {
		t.Fatalf("osslocaltest: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("osslocaltest: %v", err)
	}
	hs := &httptest.Server{Listener: l, Config: &http.Server{Handler: srv}}
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	ts := &TS{Endpoint: hs.URL, Server: srv, Faults: o.Faults, HTTP: hs}
	if len(o.Credentials) > 0 {
		ts.AccessKeyID, ts.AccessKeySecret = o.Credentials[0].ID, o.Credentials[0].Secret
	} else {
		ts.AccessKeyID, ts.AccessKeySecret = osslocal.DefaultCredential.ID, osslocal.DefaultCredential.Secret
	}
	if len(o.Buckets) > 0 {
		ts.Bucket = o.Buckets[0]
	}
	return ts
}

// Env returns the environment a tool needs to use the server:
// OSS_ENDPOINT, OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET and OSS_BUCKET.
func (ts *TS) Env() []string {
	return []string{
		"OSS_ENDPOINT=" + ts.Endpoint,
		"OSS_ACCESS_KEY_ID=" + ts.AccessKeyID,
		"OSS_ACCESS_KEY_SECRET=" + ts.AccessKeySecret,
		"OSS_BUCKET=" + ts.Bucket,
	}
}
