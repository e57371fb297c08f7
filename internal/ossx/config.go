package ossx

import (
	"errors"
	"fmt"
	"net/url"
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

// Load resolves the configuration: flags over environment over config file
// over instance role. getenv is os.Getenv in production, a map in tests.
// Errors are *UsageError: nothing has been attempted yet.
//
// The endpoint is the first one given (--endpoint; the --profile named on
// the command line; OSS_ENDPOINT; the config file profile); only when none
// is given is it derived from the region (--region, the --profile's,
// OSS_REGION, the config file's). An explicit endpoint is never overridden
// by a region from a higher layer: that would silently send data somewhere
// else than OSS_ENDPOINT says. --internal turns a derived or standard public
// endpoint into the region's VPC endpoint.
func Load(opts Options, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	path, explicit := configFilePath(opts, getenv)
	profileName := first(opts.Profile, getenv("OSS_PROFILE"))
	if !explicit && profileName == "" && envComplete(opts, getenv) {
		// The default file could only add what the flags and environment
		// already give: not read on the start-up path of every call.
		path = ""
	}
	prof, err := loadProfile(path, explicit, profileName)
	if err != nil {
		return nil, err
	}
	if prof == nil {
		prof = &fileProfile{}
	}

	// Layers, highest first; a profile named by --profile is a flag-level
	// choice and outranks the environment.
	type layer struct{ endpoint, region string }
	layers := []layer{{opts.Endpoint, opts.Region}}
	if opts.Profile != "" {
		layers = append(layers, layer{prof.Endpoint, prof.Region})
	}
	layers = append(layers, layer{getenv("OSS_ENDPOINT"), getenv("OSS_REGION")})
	if opts.Profile == "" {
		layers = append(layers, layer{prof.Endpoint, prof.Region})
	}

	cfg := &Config{
		Bucket:           first(opts.Bucket, getenv("OSS_BUCKET")),
		ConnectTimeout:   orDuration(opts.ConnectTimeout, 10*time.Second),
		ReadWriteTimeout: orDuration(opts.ReadWriteTimeout, 60*time.Second),
		Retry:            DefaultRetryPolicy(opts.Retries),
	}
	for _, l := range layers {
		cfg.Endpoint = first(cfg.Endpoint, l.endpoint)
		cfg.Region = first(cfg.Region, l.region)
	}
	derived := false
	if cfg.Endpoint == "" && cfg.Region != "" {
		cfg.Endpoint, derived = RegionEndpoint(cfg.Region, opts.Internal), true
	}
	cfg.Region = strings.TrimPrefix(cfg.Region, "oss-")
	if cfg.Region != "" && !validRegion(cfg.Region) {
		return nil, &UsageError{
			Err:  fmt.Errorf("invalid region %s", quote(cfg.Region)),
			Hint: "a region is an id like cn-hangzhou or ap-southeast-1 (see OSS regions and endpoints)",
		}
	}
	if cfg.Endpoint == "" {
		return nil, &UsageError{
			Err:  fmt.Errorf("no OSS endpoint configured"),
			Hint: "set OSS_ENDPOINT (e.g. https://oss-cn-hangzhou.aliyuncs.com) or OSS_REGION, or pass --endpoint",
		}
	}
	if cfg.Endpoint, err = normalizeEndpoint(cfg.Endpoint); err != nil {
		return nil, err
	}
	if opts.Internal && !derived {
		if cfg.Endpoint, err = internalEndpoint(cfg.Endpoint); err != nil {
			return nil, err
		}
	}
	creds, err := resolveCredentials(opts, getenv, prof)
	if err != nil {
		return nil, err
	}
	cfg.Credentials = creds
	return cfg, nil
}

// RegionEndpoint derives the public (or, with internal, the VPC) endpoint of
// a region: oss-REGION.aliyuncs.com / oss-REGION-internal.aliyuncs.com.
// Source: OSS docs, "Regions and endpoints",
// https://www.alibabacloud.com/help/en/oss/user-guide/regions-and-endpoints
func RegionEndpoint(region string, internal bool) string {
	r := strings.TrimPrefix(region, "oss-")
	if internal {
		return "https://oss-" + r + "-internal.aliyuncs.com"
	}
	return "https://oss-" + r + ".aliyuncs.com"
}

func validRegion(r string) bool {
	if r == "" || r[0] == '-' || r[len(r)-1] == '-' {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// normalizeEndpoint accepts host[:port] or http(s)://host[:port] and returns
// the latter, https by default (ossutil's endpoints carry no scheme).
func normalizeEndpoint(e string) (string, error) {
	raw := e
	if !strings.Contains(e, "://") {
		e = "https://" + e
	}
	u, err := url.Parse(e)
	bad := err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil
	if bad {
		return "", &UsageError{
			Err:  fmt.Errorf("invalid endpoint %s", quote(redactUserinfo(raw))),
			Hint: "an endpoint is [https://]HOST[:PORT], e.g. https://oss-cn-hangzhou.aliyuncs.com",
		}
	}
	return u.Scheme + "://" + u.Host, nil
}

// redactUserinfo hides the user:password of scheme://user:password@host:
// everything between "://" and the last "@" before the path, which a
// password holding a raw "/" or "@" would otherwise partly show.
func redactUserinfo(e string) string {
	scheme, rest, ok := strings.Cut(e, "://")
	if !ok {
		scheme, rest = "", e
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return e
	}
	if ok {
		scheme += "://"
	}
	return scheme + "[REDACTED]" + rest[at:]
}

// internalEndpoint turns oss-REGION.aliyuncs.com into its VPC twin.
func internalEndpoint(e string) (string, error) {
	scheme, host, _ := strings.Cut(e, "://")
	region, ok := strings.CutSuffix(host, ".aliyuncs.com")
	if strings.HasSuffix(region, "-internal") {
		return e, nil
	}
	if !ok || !strings.HasPrefix(region, "oss-") || strings.Contains(region, ".") {
		return "", &UsageError{
			Err:  fmt.Errorf("--internal needs a region or a standard OSS endpoint, not %s", e),
			Hint: "drop --internal, or give --region / OSS_REGION instead of a custom endpoint",
		}
	}
	return scheme + "://" + region + "-internal.aliyuncs.com", nil
}

// credentialEnvHint names every place credentials can come from.
const credentialEnvHint = "set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (or ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET), " +
	"configure ~/.ossutilconfig, or set ALIBABA_CLOUD_ECS_METADATA to the instance's RAM role"

// resolveCredentials picks the credentials: a --profile named on the
// command line first; then OSS_* and ALIBABA_CLOUD_* environment variables;
// then the config file profile; then ACK RRSA (OIDC) and the ECS RAM role
// from the environment. The instance metadata service is only asked when a
// role name is configured, so a laptop never waits on 100.100.100.200.
func resolveCredentials(opts Options, getenv func(string) string, prof *fileProfile) (CredentialsSource, error) {
	envNames := [][3]string{
		{"OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"},
		{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"},
	}
	// Every secret in the environment is registered, used or not.
	for _, names := range envNames {
		RegisterSecret(getenv(names[1]))
		RegisterSecret(getenv(names[2]))
	}
	if opts.Profile != "" {
		src, err := profileCredentials(prof, getenv)
		if src == nil && err == nil {
			err = &UsageError{
				Err:  fmt.Errorf("profile %q in %s holds no credentials", prof.Name, prof.Path),
				Hint: "add accessKeyId and accessKeySecret (or mode = EcsRamRole with ecsRoleName) to the profile",
			}
		}
		return src, err
	}
	for _, names := range envNames {
		id, secret, token := getenv(names[0]), getenv(names[1]), getenv(names[2])
		if id == "" && secret == "" {
			continue
		}
		if id == "" || secret == "" {
			set, unset := names[0], names[1]
			if id == "" {
				set, unset = unset, set
			}
			return nil, &UsageError{
				Err:  fmt.Errorf("%s is set but %s is not", set, unset),
				Hint: fmt.Sprintf("set both %s and %s", names[0], names[1]),
			}
		}
		c := Credentials{AccessKeyID: id, AccessKeySecret: secret, SecurityToken: token}
		return StaticCredentials(c, "environment ("+names[0]+")"), nil
	}
	if src, err := profileCredentials(prof, getenv); src != nil || err != nil {
		return src, err
	}
	role, provider, token := getenv("ALIBABA_CLOUD_ROLE_ARN"), getenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"), getenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE")
	if role != "" || provider != "" || token != "" {
		return envOIDC(role, provider, token, getenv)
	}
	if role := getenv("ALIBABA_CLOUD_ECS_METADATA"); role != "" && !strings.EqualFold(getenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED"), "true") {
		return ecsRoleSource(role, getenv)
	}
	return nil, errNoCredentials()
}

func envOIDC(role, provider, token string, getenv func(string) string) (CredentialsSource, error) {
	var missing []string
	for _, v := range [][2]string{
		{"ALIBABA_CLOUD_ROLE_ARN", role},
		{"ALIBABA_CLOUD_OIDC_PROVIDER_ARN", provider},
		{"ALIBABA_CLOUD_OIDC_TOKEN_FILE", token},
	} {
		if v[1] == "" {
			missing = append(missing, v[0])
		}
	}
	if len(missing) > 0 {
		return nil, &UsageError{
			Err:  fmt.Errorf("OIDC (RRSA) credentials are partly configured: %s not set", strings.Join(missing, ", ")),
			Hint: "set ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE together (ACK RRSA injects all three)",
		}
	}
	return oidcSource(role, provider, token, getenv("ALIBABA_CLOUD_STS_REGION"), getenv)
}

// profileCredentials turns a config file profile into a source: static
// keys, mode=EcsRamRole with ecsRoleName, or an OIDC role. It returns nil,
// nil when the profile names no credentials at all.
func profileCredentials(p *fileProfile, getenv func(string) string) (CredentialsSource, error) {
	where := fmt.Sprintf("profile %q in %s", p.Name, p.Path)
	mode := strings.ToLower(p.Mode)
	switch {
	case mode == "ecsramrole" || (mode == "" && p.ECSRoleName != "" && p.AccessKeyID == ""):
		if p.ECSRoleName == "" {
			return nil, &UsageError{
				Err:  fmt.Errorf("%s: mode EcsRamRole needs ecsRoleName", where),
				Hint: "add ecsRoleName = ROLE to the profile (the name of the RAM role attached to the instance)",
			}
		}
		return ecsRoleSource(p.ECSRoleName, getenv)
	case p.OIDCProviderARN != "" || p.OIDCTokenFile != "":
		if p.RoleARN == "" || p.OIDCProviderARN == "" || p.OIDCTokenFile == "" {
			return nil, &UsageError{Err: fmt.Errorf("%s: OIDC needs roleArn, oidcProviderArn and oidcTokenFile", where)}
		}
		return oidcSource(p.RoleARN, p.OIDCProviderARN, expandHome(p.OIDCTokenFile, getenv), getenv("ALIBABA_CLOUD_STS_REGION"), getenv)
	case p.AccessKeyID != "" && p.AccessKeySecret != "":
		c := Credentials{AccessKeyID: p.AccessKeyID, AccessKeySecret: p.AccessKeySecret, SecurityToken: p.SecurityToken}
		return StaticCredentials(c, where), nil
	case p.AccessKeyID != "" || p.AccessKeySecret != "":
		return nil, &UsageError{
			Err:  fmt.Errorf("%s has only one of accessKeyId and accessKeySecret", where),
			Hint: "set both in the profile, or remove both",
		}
	}
	return nil, nil
}

// envComplete reports whether flags and environment give the endpoint, the
// region and a key pair, each of which outranks the default config file's
// profile: reading that file would change nothing.
func envComplete(opts Options, getenv func(string) string) bool {
	if first(opts.Endpoint, getenv("OSS_ENDPOINT")) == "" || first(opts.Region, getenv("OSS_REGION")) == "" {
		return false
	}
	return getenv("OSS_ACCESS_KEY_ID") != "" && getenv("OSS_ACCESS_KEY_SECRET") != "" ||
		getenv("ALIBABA_CLOUD_ACCESS_KEY_ID") != "" && getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET") != ""
}

func errNoCredentials() error {
	return &UsageError{Err: errors.New("no OSS credentials found"), Hint: credentialEnvHint}
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
