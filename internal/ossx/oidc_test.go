package ossx

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// stsServer answers AssumeRoleWithOIDC like STS does
// (https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerolewithoidc):
// it checks the role, provider and token and hands out credentials valid
// for valid, a new set on every call.
type stsServer struct {
	mu       sync.Mutex
	calls    int
	token    string
	valid    time.Duration
	problems []string
}

func (s *stsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.ParseForm()
	check := func(what, got, want string) {
		if got != want {
			s.problems = append(s.problems, fmt.Sprintf("%s = %q, want %q", what, got, want))
		}
	}
	check("host", r.Host, "sts.aliyuncs.com")
	check("Action", r.URL.Query().Get("Action"), "AssumeRoleWithOIDC")
	check("RoleArn", r.PostForm.Get("RoleArn"), "acs:ram::1:role/uploader")
	check("OIDCProviderArn", r.PostForm.Get("OIDCProviderArn"), "acs:ram::1:oidc-provider/ack")
	check("OIDCToken", r.PostForm.Get("OIDCToken"), s.token)
	s.calls++
	json.NewEncoder(w).Encode(map[string]any{
		"RequestId": "req",
		"Credentials": map[string]string{
			"AccessKeyId":     fmt.Sprintf("STS.OIDC%d", s.calls),
			"AccessKeySecret": fmt.Sprintf("oidc-secret-%d", s.calls),
			"SecurityToken":   fmt.Sprintf("oidc-token-%d", s.calls),
			"Expiration":      time.Now().UTC().Add(s.valid).Format("2006-01-02T15:04:05Z"),
		},
	})
}

// tlsProxy is an HTTP proxy on loopback that accepts CONNECT for any host
// and terminates TLS itself with a certificate from a throwaway CA, then
// serves the tunnelled requests with h. Nothing leaves the machine.
func tlsProxy(t *testing.T, h http.Handler) (proxyURL, caFile string) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ossx test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), DNSNames: []string{"sts.aliyuncs.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}}

	inner := &http.Server{Handler: h}
	tunnels := make(chan net.Conn)
	go inner.Serve(&chanListener{conns: tunnels, addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}})
	t.Cleanup(func() { inner.Close() })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		c, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		buf.WriteString("HTTP/1.1 200 Connection established\r\n\r\n")
		buf.Flush()
		tunnels <- tls.Server(&bufConn{Conn: c, r: buf.Reader}, tlsCfg)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, caFile
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(b []byte) (int, error) { return c.r.Read(b) }

type chanListener struct {
	conns chan net.Conn
	addr  net.Addr
	once  sync.Once
	done  chan struct{}
}

func (l *chanListener) Accept() (net.Conn, error) {
	l.once.Do(func() { l.done = make(chan struct{}) })
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}
func (l *chanListener) Close() error {
	l.once.Do(func() { l.done = make(chan struct{}) })
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	return nil
}
func (l *chanListener) Addr() net.Addr { return l.addr }

// TestOIDCRefreshesBeforeExpiry exercises RRSA end to end: the pod's token
// file is exchanged at "STS" for credentials, which are refreshed when
// close to expiry. It runs in a child process because Go reads
// SSL_CERT_FILE (which makes the test CA trusted) once per process.
func TestOIDCRefreshesBeforeExpiry(t *testing.T) {
	if os.Getenv("OSSX_OIDC_CHILD") != "" {
		oidcChild(t)
		return
	}
	tests := []struct {
		name  string
		valid time.Duration
		calls int // STS calls after three Gets
	}{
		{"cached while valid", time.Hour, 1},
		{"refreshed near expiry", 100 * time.Second, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokenFile := filepath.Join(t.TempDir(), "token")
			os.WriteFile(tokenFile, []byte("eyJ.pod-token.sig"), 0o600)
			sts := &stsServer{token: "eyJ.pod-token.sig", valid: tt.valid}
			proxy, ca := tlsProxy(t, sts)
			cmd := exec.Command(os.Args[0], "-test.run=^TestOIDCRefreshesBeforeExpiry$")
			cmd.Env = append(os.Environ(), "OSSX_OIDC_CHILD="+proxy, "SSL_CERT_FILE="+ca, "SSL_CERT_DIR=/nonexistent",
				"OSSX_OIDC_TOKEN_FILE="+tokenFile, fmt.Sprintf("OSSX_OIDC_CALLS=%d", tt.calls))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			sts.mu.Lock()
			defer sts.mu.Unlock()
			if sts.calls != tt.calls {
				t.Errorf("STS called %d times, want %d", sts.calls, tt.calls)
			}
			for _, p := range sts.problems {
				t.Error(p)
			}
		})
	}
}

func oidcChild(t *testing.T) {
	roleProxy = os.Getenv("OSSX_OIDC_CHILD")
	cfg, err := Load(Options{}, env(t, "OSS_REGION=cn-hangzhou",
		"ALIBABA_CLOUD_ROLE_ARN=acs:ram::1:role/uploader",
		"ALIBABA_CLOUD_OIDC_PROVIDER_ARN=acs:ram::1:oidc-provider/ack",
		"ALIBABA_CLOUD_OIDC_TOKEN_FILE="+os.Getenv("OSSX_OIDC_TOKEN_FILE")))
	if err != nil {
		t.Fatal(err)
	}
	var c Credentials
	for i := 0; i < 3; i++ {
		if c, err = cfg.Credentials.Get(); err != nil {
			t.Fatalf("Get: %v", err)
		}
	}
	want := "STS.OIDC" + os.Getenv("OSSX_OIDC_CALLS")
	if c.AccessKeyID != want || c.SecurityToken == "" {
		t.Errorf("credentials %v, want key id %s with a token", c, want)
	}
	if Redact(c.AccessKeySecret+" "+c.SecurityToken) != "[REDACTED] [REDACTED]" {
		t.Errorf("OIDC credentials were not registered as secrets")
	}
}
