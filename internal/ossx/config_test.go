package ossx

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// env returns a getenv over kv ("K=V" pairs) with HOME pointing at an empty
// temporary directory, so no real ~/.ossutilconfig is ever read.
func env(t *testing.T, kv ...string) func(string) string {
	t.Helper()
	m := map[string]string{"HOME": t.TempDir()}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	file17 = `[Credentials]
language=EN
endpoint=oss-cn-shenzhen.aliyuncs.com
accessKeyID=FILE17ID
accessKeySecret=file17-secret-value
stsToken=file17-sts-token-value
[Bucket-Endpoint]
mybucket=oss-cn-beijing.aliyuncs.com
`
	file2x = `# ossutil 2.x
[default]
access-key-id = DEFAULTID
access_key_secret = default-secret-value
region = cn-hangzhou

[profile dev]
accessKeyId = DEVID
accessKeySecret = dev-secret-value
securityToken = dev-token-value
region = ap-southeast-1
endpoint = https://oss-ap-southeast-1.aliyuncs.com

[profile child]
source_profile = dev
region = eu-central-1

[profile loop1]
source-profile = loop2
[profile loop2]
source-profile = loop1

[profile nocreds]
region = cn-beijing

[profile ecs]
mode = EcsRamRole
ecsRoleName = my-ecs-role
region = cn-hangzhou

[profile ecsnoname]
mode = EcsRamRole

[profile oidc]
role-arn = acs:ram::1:role/r
oidc-provider-arn = acs:ram::1:oidc-provider/p
oidc-token-file = /var/run/token

[profile half]
accessKeyId = ONLYID
`
)

func TestLoad(t *testing.T) {
	f17 := writeFile(t, "c17", file17)
	f2 := writeFile(t, "c2", file2x)
	tests := []struct {
		name     string
		opts     Options
		env      []string
		endpoint string
		region   string
		keyID    string // credentials; "" means a refreshing source
		from     string // substring of Describe()
	}{
		{
			name:     "environment OSS_*",
			env:      []string{"OSS_ENDPOINT=http://127.0.0.1:9000", "OSS_ACCESS_KEY_ID=ENVID", "OSS_ACCESS_KEY_SECRET=env-secret-1"},
			endpoint: "http://127.0.0.1:9000", keyID: "ENVID", from: "OSS_ACCESS_KEY_ID",
		},
		{
			name:     "environment ALIBABA_CLOUD_*",
			env:      []string{"OSS_REGION=cn-beijing", "ALIBABA_CLOUD_ACCESS_KEY_ID=ALIID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=ali-secret-1"},
			endpoint: "https://oss-cn-beijing.aliyuncs.com", region: "cn-beijing", keyID: "ALIID", from: "ALIBABA_CLOUD_ACCESS_KEY_ID",
		},
		{
			name: "OSS_* beats ALIBABA_CLOUD_*",
			env: []string{"OSS_ENDPOINT=e.example", "OSS_ACCESS_KEY_ID=ENVID", "OSS_ACCESS_KEY_SECRET=env-secret-1",
				"ALIBABA_CLOUD_ACCESS_KEY_ID=ALIID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=ali-secret-1"},
			endpoint: "https://e.example", keyID: "ENVID",
		},
		{
			name:     "environment beats config file",
			opts:     Options{ConfigFile: f17},
			env:      []string{"OSS_ACCESS_KEY_ID=ENVID", "OSS_ACCESS_KEY_SECRET=env-secret-1"},
			endpoint: "https://oss-cn-shenzhen.aliyuncs.com", keyID: "ENVID",
		},
		{
			name:     "ossutil 1.7 [Credentials]",
			opts:     Options{ConfigFile: f17},
			endpoint: "https://oss-cn-shenzhen.aliyuncs.com", keyID: "FILE17ID", from: "profile \"credentials\"",
		},
		{
			name:     "ossutil 2.x [default], keys in every spelling",
			opts:     Options{ConfigFile: f2},
			endpoint: "https://oss-cn-hangzhou.aliyuncs.com", region: "cn-hangzhou", keyID: "DEFAULTID", from: "profile \"default\"",
		},
		{
			name:     "OSS_CONFIG_FILE",
			env:      []string{"OSS_CONFIG_FILE=" + f2},
			endpoint: "https://oss-cn-hangzhou.aliyuncs.com", region: "cn-hangzhou", keyID: "DEFAULTID",
		},
		{
			name:     "--config beats OSS_CONFIG_FILE",
			opts:     Options{ConfigFile: f17},
			env:      []string{"OSS_CONFIG_FILE=" + f2},
			endpoint: "https://oss-cn-shenzhen.aliyuncs.com", keyID: "FILE17ID",
		},
		{
			name:     "--profile",
			opts:     Options{ConfigFile: f2, Profile: "dev"},
			endpoint: "https://oss-ap-southeast-1.aliyuncs.com", region: "ap-southeast-1", keyID: "DEVID", from: "profile \"dev\"",
		},
		{
			name:     "--profile is a flag: beats environment credentials and region",
			opts:     Options{ConfigFile: f2, Profile: "dev"},
			env:      []string{"OSS_ACCESS_KEY_ID=ENVID", "OSS_ACCESS_KEY_SECRET=env-secret-1", "OSS_REGION=cn-beijing"},
			endpoint: "https://oss-ap-southeast-1.aliyuncs.com", region: "ap-southeast-1", keyID: "DEVID",
		},
		{
			name:     "OSS_PROFILE is environment: environment credentials still win",
			opts:     Options{ConfigFile: f2},
			env:      []string{"OSS_PROFILE=dev", "OSS_ACCESS_KEY_ID=ENVID", "OSS_ACCESS_KEY_SECRET=env-secret-1"},
			endpoint: "https://oss-ap-southeast-1.aliyuncs.com", region: "ap-southeast-1", keyID: "ENVID",
		},
		{
			name:     "OSS_PROFILE picks the profile",
			opts:     Options{ConfigFile: f2},
			env:      []string{"OSS_PROFILE=dev"},
			endpoint: "https://oss-ap-southeast-1.aliyuncs.com", keyID: "DEVID",
		},
		{
			name:     "source_profile fills what the profile lacks",
			opts:     Options{ConfigFile: f2, Profile: "child"},
			endpoint: "https://oss-ap-southeast-1.aliyuncs.com", region: "eu-central-1", keyID: "DEVID",
		},
		{
			name:     "default ~/.ossutilconfig",
			env:      []string{"HOME=" + filepath.Dir(writeFile(t, ".ossutilconfig", file17))},
			endpoint: "https://oss-cn-shenzhen.aliyuncs.com", keyID: "FILE17ID",
		},
		{
			name:     "flag endpoint beats everything",
			opts:     Options{ConfigFile: f2, Endpoint: "http://127.0.0.1:1", Region: "cn-qingdao"},
			env:      []string{"OSS_ENDPOINT=https://env.example"},
			endpoint: "http://127.0.0.1:1", region: "cn-qingdao", keyID: "DEFAULTID",
		},
		{
			name:     "an explicit endpoint is never overridden by a region",
			opts:     Options{ConfigFile: f2, Region: "cn-qingdao"},
			env:      []string{"OSS_ENDPOINT=http://127.0.0.1:9000"},
			endpoint: "http://127.0.0.1:9000", region: "cn-qingdao",
		},
		{
			name:     "env endpoint beats file; file region still signs",
			opts:     Options{ConfigFile: f2},
			env:      []string{"OSS_ENDPOINT=https://env.example"},
			endpoint: "https://env.example", region: "cn-hangzhou",
		},
		{
			name:     "file endpoint beats a derived one; env region signs",
			opts:     Options{ConfigFile: f17},
			env:      []string{"OSS_REGION=cn-beijing"},
			endpoint: "https://oss-cn-shenzhen.aliyuncs.com", region: "cn-beijing",
		},
		{
			name:     "flag region beats file region for deriving",
			opts:     Options{ConfigFile: f2, Region: "cn-qingdao"},
			endpoint: "https://oss-cn-qingdao.aliyuncs.com", region: "cn-qingdao",
		},
		{
			name:     "oss- prefixed region",
			env:      []string{"OSS_REGION=oss-cn-beijing", "OSS_ACCESS_KEY_ID=A", "OSS_ACCESS_KEY_SECRET=env-secret-1"},
			endpoint: "https://oss-cn-beijing.aliyuncs.com", region: "cn-beijing",
		},
		{
			name:     "--internal with a region",
			opts:     Options{Region: "cn-hangzhou", Internal: true},
			env:      []string{"OSS_ACCESS_KEY_ID=A", "OSS_ACCESS_KEY_SECRET=env-secret-1"},
			endpoint: "https://oss-cn-hangzhou-internal.aliyuncs.com", region: "cn-hangzhou",
		},
		{
			name:     "--internal with a standard endpoint",
			opts:     Options{Internal: true},
			env:      []string{"OSS_ENDPOINT=oss-cn-hangzhou.aliyuncs.com", "OSS_ACCESS_KEY_ID=A", "OSS_ACCESS_KEY_SECRET=env-secret-1"},
			endpoint: "https://oss-cn-hangzhou-internal.aliyuncs.com",
		},
		{
			name:     "--internal with an internal endpoint",
			opts:     Options{Internal: true},
			env:      []string{"OSS_ENDPOINT=http://oss-cn-hangzhou-internal.aliyuncs.com/", "OSS_ACCESS_KEY_ID=A", "OSS_ACCESS_KEY_SECRET=env-secret-1"},
			endpoint: "http://oss-cn-hangzhou-internal.aliyuncs.com",
		},
		{
			name:     "ECS RAM role from the environment",
			env:      []string{"OSS_REGION=cn-hangzhou", "ALIBABA_CLOUD_ECS_METADATA=web-role"},
			endpoint: "https://oss-cn-hangzhou.aliyuncs.com", region: "cn-hangzhou", from: "ECS RAM role web-role",
		},
		{
			name:     "ECS RAM role from the profile",
			opts:     Options{ConfigFile: f2, Profile: "ecs"},
			endpoint: "https://oss-cn-hangzhou.aliyuncs.com", from: "ECS RAM role my-ecs-role",
		},
		{
			name: "RRSA (OIDC) from the environment",
			env: []string{"OSS_REGION=cn-hangzhou", "ALIBABA_CLOUD_ROLE_ARN=acs:ram::1:role/x",
				"ALIBABA_CLOUD_OIDC_PROVIDER_ARN=acs:ram::1:oidc-provider/y", "ALIBABA_CLOUD_OIDC_TOKEN_FILE=/var/run/t"},
			endpoint: "https://oss-cn-hangzhou.aliyuncs.com", from: "OIDC role acs:ram::1:role/x",
		},
		{
			name:     "OIDC from the profile",
			opts:     Options{ConfigFile: f2, Profile: "oidc", Region: "cn-hangzhou"},
			endpoint: "https://oss-cn-hangzhou.aliyuncs.com", from: "OIDC role acs:ram::1:role/r",
		},
		{
			name: "environment keys beat RRSA and ECS",
			env: []string{"OSS_REGION=cn-hangzhou", "OSS_ACCESS_KEY_ID=ENVID", "OSS_ACCESS_KEY_SECRET=env-secret-1",
				"ALIBABA_CLOUD_ECS_METADATA=web-role", "ALIBABA_CLOUD_ROLE_ARN=r"},
			endpoint: "https://oss-cn-hangzhou.aliyuncs.com", keyID: "ENVID",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(tt.opts, env(t, tt.env...))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.Endpoint != tt.endpoint {
				t.Errorf("Endpoint = %q, want %q", cfg.Endpoint, tt.endpoint)
			}
			if tt.region != "" && cfg.Region != tt.region {
				t.Errorf("Region = %q, want %q", cfg.Region, tt.region)
			}
			if tt.from != "" && !strings.Contains(cfg.Credentials.Describe(), tt.from) {
				t.Errorf("Describe() = %q, want it to mention %q", cfg.Credentials.Describe(), tt.from)
			}
			if tt.keyID != "" {
				c, err := cfg.Credentials.Get()
				if err != nil || c.AccessKeyID != tt.keyID {
					t.Errorf("Get() = %q, %v; want key id %q", c.AccessKeyID, err, tt.keyID)
				}
			}
		})
	}
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(Options{Retries: -1}, env(t, "OSS_ENDPOINT=http://127.0.0.1:1", "OSS_BUCKET=bkt",
		"OSS_ACCESS_KEY_ID=A", "OSS_ACCESS_KEY_SECRET=env-secret-1"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "" || cfg.Bucket != "bkt" || cfg.ConnectTimeout != 10*time.Second ||
		cfg.ReadWriteTimeout != 60*time.Second || cfg.Retry.Attempts != 6 {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, err = Load(Options{Bucket: "flagbkt", ConnectTimeout: time.Second, ReadWriteTimeout: 3 * time.Second, Retries: 0},
		env(t, "OSS_ENDPOINT=http://127.0.0.1:1", "OSS_BUCKET=bkt", "OSS_ACCESS_KEY_ID=A", "OSS_ACCESS_KEY_SECRET=env-secret-1"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bucket != "flagbkt" || cfg.ConnectTimeout != time.Second || cfg.ReadWriteTimeout != 3*time.Second || cfg.Retry.Attempts != 1 {
		t.Errorf("flags: %+v", cfg)
	}
}

func TestLoadErrors(t *testing.T) {
	f2 := writeFile(t, "c2", file2x)
	creds := []string{"OSS_ACCESS_KEY_ID=A", "OSS_ACCESS_KEY_SECRET=env-secret-1"}
	tests := []struct {
		name string
		opts Options
		env  []string
		msg  string // substring of the error
		hint string // substring of the hint
	}{
		{"no endpoint", Options{}, creds, "no OSS endpoint", "OSS_ENDPOINT"},
		{"no credentials", Options{}, []string{"OSS_REGION=cn-hangzhou"}, "no OSS credentials", "OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET"},
		{"ECS disabled", Options{}, []string{"OSS_REGION=cn-hangzhou", "ALIBABA_CLOUD_ECS_METADATA=r", "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true"}, "no OSS credentials", "ALIBABA_CLOUD_ECS_METADATA"},
		{"id without secret", Options{}, []string{"OSS_REGION=cn-hangzhou", "OSS_ACCESS_KEY_ID=A"}, "OSS_ACCESS_KEY_ID is set but OSS_ACCESS_KEY_SECRET is not", "set both"},
		{"secret without id", Options{}, []string{"OSS_REGION=cn-hangzhou", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=lonely-secret"}, "ALIBABA_CLOUD_ACCESS_KEY_SECRET is set but ALIBABA_CLOUD_ACCESS_KEY_ID is not", ""},
		{"partial OIDC", Options{}, []string{"OSS_REGION=cn-hangzhou", "ALIBABA_CLOUD_ROLE_ARN=r"}, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE not set", "RRSA"},
		{"missing --config file", Options{ConfigFile: filepath.Join(t.TempDir(), "nope")}, creds, "read config file", "--config"},
		{"missing OSS_CONFIG_FILE", Options{}, append([]string{"OSS_CONFIG_FILE=/nonexistent/ossx-config"}, creds...), "no such file", ""},
		{"unknown profile", Options{ConfigFile: f2, Profile: "prod"}, creds, `profile "prod" not found`, "[profile prod]"},
		{"unknown OSS_PROFILE", Options{ConfigFile: f2}, append([]string{"OSS_PROFILE=prod"}, creds...), `profile "prod" not found`, ""},
		{"profile without default file", Options{Profile: "dev"}, creds, `read config file`, ""},
		{"source_profile loop", Options{ConfigFile: f2, Profile: "loop1"}, creds, "source_profile loop", ""},
		{"profile with no credentials", Options{ConfigFile: f2, Profile: "nocreds"}, nil, "holds no credentials", "accessKeyId"},
		{"profile with half credentials", Options{ConfigFile: f2, Profile: "half", Region: "cn-hangzhou"}, nil, "only one of accessKeyId and accessKeySecret", ""},
		{"EcsRamRole without a name", Options{ConfigFile: f2, Profile: "ecsnoname", Region: "cn-hangzhou"}, nil, "needs ecsRoleName", "ecsRoleName"},
		{"bad endpoint scheme", Options{Endpoint: "ftp://host"}, creds, `invalid endpoint "ftp://host"`, "HOST[:PORT]"},
		{"endpoint with a path", Options{Endpoint: "https://host/bucket"}, creds, "invalid endpoint", ""},
		{"endpoint with credentials", Options{Endpoint: "https://user:pw@host"}, creds, "invalid endpoint", ""},
		{"empty host", Options{Endpoint: "https://"}, creds, "invalid endpoint", ""},
		{"bad region", Options{Region: "cn hangzhou"}, creds, `invalid region "cn hangzhou"`, "cn-hangzhou"},
		{"--internal with a custom endpoint", Options{Endpoint: "http://127.0.0.1:9000", Internal: true}, creds, "--internal needs a region", "drop --internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(tt.opts, env(t, tt.env...))
			if err == nil {
				t.Fatalf("Load = %+v, want an error", cfg)
			}
			var ue *UsageError
			if !errors.As(err, &ue) || ExitCode(err) != ExitUsage {
				t.Fatalf("error %v (%T) is not a usage error", err, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
			if !strings.Contains(HintFor(err), tt.hint) {
				t.Errorf("hint %q does not mention %q", HintFor(err), tt.hint)
			}
		})
	}
}

func TestConfigFileSyntaxErrors(t *testing.T) {
	tests := []struct{ name, content, msg string }{
		{"setting outside a section", "accessKeySecret = outside-secret-1\n", ":1: setting outside any [section]"},
		{"no equals sign", "[default]\naccessKeySecret broken-secret-1\n", ":2: expected key = value"},
		{"unterminated header", "[default\n", ":1: unterminated section header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "cfg", tt.content)
			_, err := Load(Options{ConfigFile: p, Region: "cn-hangzhou"}, env(t))
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), "secret-1") {
				t.Errorf("error %q echoes the file's secret", err)
			}
		})
	}
}

func TestLoadRegistersSecrets(t *testing.T) {
	f2 := writeFile(t, "c2", file2x)
	f17 := writeFile(t, "c17", file17)
	if _, err := Load(Options{ConfigFile: f2}, env(t, "OSS_ENDPOINT=x.example",
		"OSS_ACCESS_KEY_ID=A", "OSS_ACCESS_KEY_SECRET=env-secret-registered", "OSS_SESSION_TOKEN=env-token-registered",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=ali-secret-registered")); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(Options{ConfigFile: f17}, env(t)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"env-secret-registered", "env-token-registered", "ali-secret-registered",
		"default-secret-value", "dev-secret-value", "dev-token-value", "file17-secret-value", "file17-sts-token-value"} {
		if got := Redact("x " + s + " y"); got != "x [REDACTED] y" {
			t.Errorf("secret %q not registered: Redact gives %q", s, got)
		}
	}
	c := Credentials{AccessKeyID: "ID", AccessKeySecret: "struct-secret", SecurityToken: "struct-token"}
	for _, s := range []string{c.String(), c.GoString()} {
		if strings.Contains(s, "struct-secret") || strings.Contains(s, "struct-token") {
			t.Errorf("Credentials formats as %q", s)
		}
	}
}

// metadataServer plays the ECS instance metadata service as an HTTP proxy on
// loopback: the ECS role source sends its requests for 100.100.100.200 here, so
// nothing leaves the machine. Each credentials fetch hands out the next key.
type metadataServer struct {
	mu      sync.Mutex
	fetches int
	role    string
	valid   time.Duration
}

func (m *metadataServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Host != "100.100.100.200" {
		http.Error(w, "unexpected host "+r.URL.Host, http.StatusBadGateway)
		return
	}
	switch {
	case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
		w.Write([]byte("imds-token"))
	case r.Method == http.MethodGet && r.URL.Path == "/latest/meta-data/ram/security-credentials/"+m.role:
		if r.Header.Get("X-Aliyun-Ecs-Metadata-Token") != "imds-token" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		m.mu.Lock()
		m.fetches++
		n := m.fetches
		m.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]string{
			"Code":            "Success",
			"AccessKeyId":     "STS.ID" + string(rune('0'+n)),
			"AccessKeySecret": "ecs-secret-" + string(rune('0'+n)),
			"SecurityToken":   "ecs-token-" + string(rune('0'+n)),
			"Expiration":      time.Now().UTC().Add(m.valid).Format("2006-01-02T15:04:05Z"),
			"LastUpdated":     time.Now().UTC().Format("2006-01-02T15:04:05Z"),
		})
	default:
		http.NotFound(w, r)
	}
}

func withMetadataProxy(t *testing.T, h http.Handler) {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	old := roleProxy
	roleProxy = srv.URL
	t.Cleanup(func() { roleProxy = old })
}

func TestECSRoleRefreshesBeforeExpiry(t *testing.T) {
	tests := []struct {
		name    string
		valid   time.Duration
		fetches int // after three Gets
	}{
		// Credentials are refreshed when less than 180 s remain (refreshMargin).
		{"long-lived credentials are cached", time.Hour, 1},
		{"credentials near expiry are refreshed", 100 * time.Second, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := &metadataServer{role: "web-role", valid: tt.valid}
			withMetadataProxy(t, md)
			cfg, err := Load(Options{}, env(t, "OSS_REGION=cn-hangzhou", "ALIBABA_CLOUD_ECS_METADATA=web-role"))
			if err != nil {
				t.Fatal(err)
			}
			var last Credentials
			for i := 0; i < 3; i++ {
				if last, err = cfg.Credentials.Get(); err != nil {
					t.Fatalf("Get: %v", err)
				}
			}
			if md.fetches != tt.fetches {
				t.Errorf("metadata fetched %d times, want %d", md.fetches, tt.fetches)
			}
			wantID := "STS.ID" + string(rune('0'+tt.fetches))
			if last.AccessKeyID != wantID || last.SecurityToken == "" {
				t.Errorf("credentials %v, want key id %s with a token", last, wantID)
			}
			if Redact(last.AccessKeySecret) != "[REDACTED]" || Redact(last.SecurityToken) != "[REDACTED]" {
				t.Errorf("role credentials were not registered as secrets")
			}
		})
	}
}

func TestECSRoleFailureIsACredentialsError(t *testing.T) {
	withMetadataProxy(t, &metadataServer{role: "other-role", valid: time.Hour})
	cfg, err := Load(Options{}, env(t, "OSS_REGION=cn-hangzhou", "ALIBABA_CLOUD_ECS_METADATA=missing-role"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Credentials.Get()
	var ce *CredentialsError
	if !errors.As(err, &ce) {
		t.Fatalf("Get error %v (%T), want *CredentialsError", err, err)
	}
	if !IsRetryable(err) {
		t.Errorf("a metadata failure should be retryable")
	}
	if !strings.Contains(HintFor(err), "ALIBABA_CLOUD_ECS_METADATA") {
		t.Errorf("hint %q", HintFor(err))
	}
}

func TestOIDCTokenFileMissing(t *testing.T) {
	// The token file is read before STS is called, so this fails locally.
	cfg, err := Load(Options{}, env(t, "OSS_REGION=cn-hangzhou", "ALIBABA_CLOUD_ROLE_ARN=acs:ram::1:role/x",
		"ALIBABA_CLOUD_OIDC_PROVIDER_ARN=acs:ram::1:oidc-provider/y",
		"ALIBABA_CLOUD_OIDC_TOKEN_FILE="+filepath.Join(t.TempDir(), "no-token")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Credentials.Get()
	var ce *CredentialsError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no-token") {
		t.Fatalf("Get error %v, want a CredentialsError naming the token file", err)
	}
	if !strings.Contains(HintFor(err), "ALIBABA_CLOUD_OIDC_TOKEN_FILE") {
		t.Errorf("hint %q", HintFor(err))
	}
}

// With the endpoint, region and keys all in the environment, the default
// config file could change nothing and is not read: a broken one is no
// error. Without the region it is read (its region would count).
func TestLoadSkipsConfigFileWhenEnvComplete(t *testing.T) {
	home := filepath.Dir(writeFile(t, ".ossutilconfig", "[Credentials\nbroken"))
	env := map[string]string{
		"HOME": home, "OSS_ENDPOINT": "https://oss-cn-hangzhou.aliyuncs.com", "OSS_REGION": "cn-hangzhou",
		"OSS_ACCESS_KEY_ID": "id", "OSS_ACCESS_KEY_SECRET": "secret",
	}
	getenv := func(k string) string { return env[k] }
	if _, err := Load(Options{}, getenv); err != nil {
		t.Fatalf("env complete: %v", err)
	}
	delete(env, "OSS_REGION")
	if _, err := Load(Options{}, getenv); err == nil {
		t.Fatal("without OSS_REGION the config file was not read")
	}
}
