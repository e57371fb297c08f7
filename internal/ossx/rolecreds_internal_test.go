package ossx

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// imdsFake is an ECS metadata service whose token endpoint and answers a
// case sets; it records which requests carried the metadata token.
type imdsFake struct {
	tokenStatus int    // answer to PUT /latest/api/token; 0: 200 with a token
	body        string // answer to the credentials GET, "" for a good one
	needToken   bool   // refuse credentials GETs without the token (IMDSv1 off on the instance)

	mu        sync.Mutex
	withToken int
	without   int
}

func (f *imdsFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
		if r.Header.Get("X-Aliyun-Ecs-Metadata-Token-Ttl-Seconds") != "21600" {
			http.Error(w, "bad ttl", http.StatusBadRequest)
			return
		}
		if f.tokenStatus != 0 {
			http.Error(w, "no tokens here", f.tokenStatus)
			return
		}
		w.Write([]byte("tok"))
	case r.Method == http.MethodGet && r.URL.Path == "/latest/meta-data/ram/security-credentials/web-role":
		f.mu.Lock()
		hasToken := r.Header.Get("X-Aliyun-Ecs-Metadata-Token") == "tok"
		if hasToken {
			f.withToken++
		} else {
			f.without++
		}
		f.mu.Unlock()
		if f.needToken && !hasToken {
			http.Error(w, "token required", http.StatusUnauthorized)
			return
		}
		body := f.body
		if body == "" {
			body = `{"Code":"Success","AccessKeyId":"STS.K","AccessKeySecret":"imds-secret","SecurityToken":"imds-token","Expiration":"` +
				time.Now().UTC().Add(time.Hour).Format(stsExpiration) + `"}`
		}
		w.Write([]byte(body))
	default:
		http.NotFound(w, r)
	}
}

// TestECSRoleFetch covers the metadata exchange as credentials-go v1.4.14
// makes it: IMDSv2 token first, the plain request when no token can be had
// (unless ALIBABA_CLOUD_IMDSV1_DISABLED=true), and answers that must be
// refused.
func TestECSRoleFetch(t *testing.T) {
	tests := []struct {
		name                string
		fake                imdsFake
		v1Disabled          bool
		wantErr             string // "" for success
		withToken, withoutT int
	}{
		{name: "token then credentials", fake: imdsFake{needToken: true}, withToken: 1},
		{name: "no token service: plain request", fake: imdsFake{tokenStatus: http.StatusNotFound}, withoutT: 1},
		{name: "no token and IMDSv1 disabled", fake: imdsFake{tokenStatus: http.StatusForbidden}, v1Disabled: true,
			wantErr: "metadata token (IMDSv1 is disabled): HTTP 403: no tokens here"},
		{name: "answer not JSON", fake: imdsFake{body: "x"}, wantErr: "not JSON", withToken: 1},
		{name: "code not success", fake: imdsFake{body: `{"Code":"Failed","AccessKeyId":"a","AccessKeySecret":"b","SecurityToken":"c","Expiration":"2030-01-01T00:00:00Z"}`},
			wantErr: `the answer's Code is "Failed", not "Success"`, withToken: 1},
		{name: "no code", fake: imdsFake{body: `{"AccessKeyId":"a","AccessKeySecret":"b","SecurityToken":"c","Expiration":"2030-01-01T00:00:00Z"}`},
			wantErr: `the answer's Code is none`, withToken: 1},
		{name: "token missing", fake: imdsFake{body: `{"Code":"Success","AccessKeyId":"a","AccessKeySecret":"b","Expiration":"2030-01-01T00:00:00Z"}`},
			wantErr: "the answer holds no credentials", withToken: 1},
		{name: "bad expiration", fake: imdsFake{body: `{"Code":"Success","AccessKeyId":"a","AccessKeySecret":"b","SecurityToken":"c","Expiration":"soon"}`},
			wantErr: `the answer's Expiration "soon" is not a time`, withToken: 1},
	}
	for i := range tests {
		tt := &tests[i]
		t.Run(tt.name, func(t *testing.T) {
			f := &tt.fake
			withMetadataProxy(t, f)
			getenv := env(t)
			if tt.v1Disabled {
				getenv = env(t, "ALIBABA_CLOUD_IMDSV1_DISABLED=TRUE")
			}
			src, err := ecsRoleSource("web-role", getenv)
			if err != nil {
				t.Fatal(err)
			}
			c, err := src.Get()
			if tt.wantErr == "" {
				if err != nil || c.AccessKeyID != "STS.K" || c.AccessKeySecret != "imds-secret" || c.SecurityToken != "imds-token" {
					t.Fatalf("Get = %v, %v", c, err)
				}
				if Redact("imds-secret imds-token") != "[REDACTED] [REDACTED]" {
					t.Errorf("the fetched secret and token are not registered as secrets")
				}
			} else {
				var ce *CredentialsError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Get error %v, want a *CredentialsError containing %q", err, tt.wantErr)
				}
			}
			if f.withToken != tt.withToken || f.without != tt.withoutT {
				t.Errorf("credentials GETs: %d with the token, %d without; want %d and %d", f.withToken, f.without, tt.withToken, tt.withoutT)
			}
		})
	}
}

// TestECSRoleFallsBackToPlainGet: a credentials GET that fails with the
// token is made again without it (credentials-go's getWithFallback).
func TestECSRoleFallsBackToPlainGet(t *testing.T) {
	f := &imdsFake{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.Header.Get("X-Aliyun-Ecs-Metadata-Token") != "" {
			f.mu.Lock()
			f.withToken++
			f.mu.Unlock()
			http.Error(w, "token not accepted", http.StatusInternalServerError)
			return
		}
		f.ServeHTTP(w, r)
	})
	withMetadataProxy(t, h)
	src, _ := ecsRoleSource("web-role", env(t))
	if c, err := src.Get(); err != nil || c.AccessKeyID != "STS.K" {
		t.Fatalf("Get = %v, %v", c, err)
	}
	if f.withToken != 1 || f.without != 1 {
		t.Errorf("GETs: %d with the token, %d without; want 1 and 1", f.withToken, f.without)
	}
}

func TestECSRoleDisabled(t *testing.T) {
	_, err := ecsRoleSource("web-role", env(t, "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true"))
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
		t.Fatalf("err = %v, want a usage error naming ALIBABA_CLOUD_ECS_METADATA_DISABLED", err)
	}
}

// TestOIDCEndpoint: the STS host as credentials-go picks it.
func TestOIDCEndpoint(t *testing.T) {
	tests := []struct {
		region, vpc, want string
	}{
		{"", "", "https://sts.aliyuncs.com/"},
		{"", "true", "https://sts.aliyuncs.com/"},
		{"cn-hangzhou", "", "https://sts.cn-hangzhou.aliyuncs.com/"},
		{"cn-hangzhou", "true", "https://sts-vpc.cn-hangzhou.aliyuncs.com/"},
	}
	for _, tt := range tests {
		o, err := newOIDCRole("acs:ram::1:role/r", "acs:ram::1:oidc-provider/p", "/token", tt.region,
			env(t, "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED="+tt.vpc))
		if err != nil {
			t.Fatal(err)
		}
		if o.endpoint != tt.want {
			t.Errorf("region %q, vpc %q: endpoint %s, want %s", tt.region, tt.vpc, o.endpoint, tt.want)
		}
	}
}

// TestOIDCTokenFromEnv: ALIBABA_CLOUD_OIDC_TOKEN wins over the file, and
// an STS refusal is a CredentialsError that shows STS's message.
func TestOIDCTokenFromEnv(t *testing.T) {
	var mu sync.Mutex
	var got []string
	withMetadataProxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		got = append(got, r.PostForm.Get("OIDCToken")+" "+r.URL.Query().Get("Action")+" "+r.PostForm.Get("DurationSeconds"))
		mu.Unlock()
		http.Error(w, `{"Code":"InvalidParameter.OIDCToken","Message":"token expired"}`, http.StatusBadRequest)
	}))
	file := filepath.Join(t.TempDir(), "token")
	os.WriteFile(file, []byte("file-token"), 0o600)
	for _, tt := range []struct{ envToken, want string }{{"", "file-token"}, {"env-token", "env-token"}} {
		o, err := newOIDCRole("acs:ram::1:role/r", "acs:ram::1:oidc-provider/p", file, "", env(t, "ALIBABA_CLOUD_OIDC_TOKEN="+tt.envToken))
		if err != nil {
			t.Fatal(err)
		}
		// Plain HTTP through the loopback proxy: the exchange, not TLS, is
		// tested here (TestOIDCRefreshesBeforeExpiry covers HTTPS).
		o.endpoint = "http://sts.test/"
		src := &refreshingSource{fetch: o.fetch, from: "OIDC role r"}
		_, err = src.Get()
		var ce *CredentialsError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "HTTP 400") || !strings.Contains(err.Error(), "token expired") {
			t.Errorf("Get error %v, want a *CredentialsError with STS's message", err)
		}
		mu.Lock()
		if want := tt.want + " AssumeRoleWithOIDC 3600"; len(got) == 0 || got[len(got)-1] != want {
			t.Errorf("STS got %q, want last %q", got, want)
		}
		mu.Unlock()
	}
}
