package ossx

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Options are what a tool's flags say. Empty fields fall back to the
// environment, then the ossutil config file, then the instance role.
type Options struct {
	Endpoint   string // --endpoint
	Region     string // --region
	Internal   bool   // --internal: use the VPC endpoint derived from the region
	Profile    string // --profile
	ConfigFile string // --config (default ~/.ossutilconfig)
	Bucket     string // --bucket: default bucket for bare keys

	ConnectTimeout   time.Duration // 0: default
	ReadWriteTimeout time.Duration // 0: default
	Retries          int           // attempts after the first; <0: default
}

// Config is the resolved configuration a tool runs with.
type Config struct {
	Endpoint string // scheme://host[:port]
	Region   string // empty: sign V1; set: sign V4
	Bucket   string // default bucket, may be empty

	Credentials CredentialsSource

	ConnectTimeout   time.Duration
	ReadWriteTimeout time.Duration
	Retry            RetryPolicy
}

// CredentialsSource yields current credentials, refreshing them when they
// come from an instance role or OIDC token.
type CredentialsSource interface {
	Get() (Credentials, error)
	// Describe names where the credentials come from, never their values.
	Describe() string
}

// Credentials is one set of OSS credentials. Never print it.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Load resolves the configuration: flags over environment over config file
// over instance role. getenv is os.Getenv in production, a map in tests.
// Errors are *UsageError: nothing has been attempted yet.
func Load(opts Options, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg := &Config{
		Endpoint:         first(opts.Endpoint, getenv("OSS_ENDPOINT")),
		Region:           first(opts.Region, getenv("OSS_REGION")),
		Bucket:           first(opts.Bucket, getenv("OSS_BUCKET")),
		ConnectTimeout:   orDuration(opts.ConnectTimeout, 10*time.Second),
		ReadWriteTimeout: orDuration(opts.ReadWriteTimeout, 60*time.Second),
		Retry:            DefaultRetryPolicy(opts.Retries),
	}
	if cfg.Endpoint == "" && cfg.Region != "" {
		cfg.Endpoint = RegionEndpoint(cfg.Region, opts.Internal)
	}
	if cfg.Endpoint == "" {
		return nil, &UsageError{
			Err:  fmt.Errorf("no OSS endpoint configured"),
			Hint: "set OSS_ENDPOINT (e.g. https://oss-cn-hangzhou.aliyuncs.com) or OSS_REGION, or pass --endpoint",
		}
	}
	if !strings.Contains(cfg.Endpoint, "://") {
		cfg.Endpoint = "https://" + cfg.Endpoint
	}
	creds, err := resolveCredentials(opts, getenv)
	if err != nil {
		return nil, err
	}
	cfg.Credentials = creds
	return cfg, nil
}

// RegionEndpoint derives the public (or, with internal, the VPC) endpoint of
// a region: oss-REGION.aliyuncs.com / oss-REGION-internal.aliyuncs.com.
func RegionEndpoint(region string, internal bool) string {
	r := strings.TrimPrefix(region, "oss-")
	if internal {
		return "https://oss-" + r + "-internal.aliyuncs.com"
	}
	return "https://oss-" + r + ".aliyuncs.com"
}

type staticCredentials struct {
	c    Credentials
	from string
}

func (s staticCredentials) Get() (Credentials, error) { return s.c, nil }
func (s staticCredentials) Describe() string          { return s.from }

func resolveCredentials(_ Options, getenv func(string) string) (CredentialsSource, error) {
	for _, names := range [][3]string{
		{"OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"},
		{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"},
	} {
		id, secret := getenv(names[0]), getenv(names[1])
		if id == "" && secret == "" {
			continue
		}
		if id == "" || secret == "" {
			return nil, &UsageError{Err: fmt.Errorf("%s and %s must be set together", names[0], names[1])}
		}
		c := Credentials{AccessKeyID: id, AccessKeySecret: secret, SecurityToken: getenv(names[2])}
		RegisterSecret(c.AccessKeySecret)
		RegisterSecret(c.SecurityToken)
		return staticCredentials{c: c, from: "environment (" + names[0] + ")"}, nil
	}
	return nil, &UsageError{
		Err:  fmt.Errorf("no OSS credentials found"),
		Hint: "set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, or configure ~/.ossutilconfig, or run on an instance with a RAM role",
	}
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
