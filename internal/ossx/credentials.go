package ossx

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"
)

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

// String keeps a Credentials value printed by mistake (%v, a panic, a debug
// log) from showing the secret or the token.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{AccessKeyID: %s, AccessKeySecret: [REDACTED], SecurityToken: [REDACTED]}", c.AccessKeyID)
}

// GoString covers %#v, which ignores String.
func (c Credentials) GoString() string { return c.String() }

// StaticCredentials returns a source that always yields c; its secret and
// token are registered so they are never printed.
func StaticCredentials(c Credentials, from string) CredentialsSource {
	RegisterSecret(c.AccessKeySecret)
	RegisterSecret(c.SecurityToken)
	return staticCredentials{c: c, from: from}
}

type staticCredentials struct {
	c    Credentials
	from string
}

func (s staticCredentials) Get() (Credentials, error) { return s.c, nil }
func (s staticCredentials) Describe() string          { return s.from }

// CredentialsError reports that a refreshing source (instance role, OIDC)
// could not produce credentials. It is retryable: the metadata service and
// STS have transient failures like any other endpoint.
type CredentialsError struct {
	From string
	Err  error
}

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("get credentials from %s: %v", e.From, e.Err)
}
func (e *CredentialsError) Unwrap() error { return e.Err }

// Hint implements Hinted.
func (e *CredentialsError) Hint() string {
	if strings.HasPrefix(e.From, "ECS RAM role") {
		return "check the RAM role is attached to this instance and ALIBABA_CLOUD_ECS_METADATA names it"
	}
	return "check ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and that ALIBABA_CLOUD_OIDC_TOKEN_FILE is readable"
}

// refreshingSource adapts a credentials-go provider. The providers cache STS
// credentials and fetch new ones when fewer than 180 s of validity remain
// (providers.ECSRAMRoleCredentialsProvider / OIDCCredentialsProvider
// needUpdateCredential), so every request is signed with a fresh set; they
// are not safe for concurrent use, hence the mutex (parallel part uploads
// sign concurrently).
type refreshingSource struct {
	mu   sync.Mutex
	p    providers.CredentialsProvider
	from string
}

func (s *refreshingSource) Get() (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.p.GetCredentials()
	if err != nil {
		return Credentials{}, &CredentialsError{From: s.from, Err: err}
	}
	RegisterSecret(c.AccessKeySecret)
	RegisterSecret(c.SecurityToken)
	return Credentials{AccessKeyID: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}, nil
}

func (s *refreshingSource) Describe() string { return s.from }

// roleProxy, when set, is the HTTP proxy that credentials-go's requests to
// the ECS metadata service and to STS go through. The library hard-codes
// those hosts (100.100.100.200, sts.aliyuncs.com) but honours a proxy, which
// is how tests answer them from a loopback server without any traffic
// leaving the machine. Empty: the environment's proxy settings apply.
var roleProxy string

// ecsRoleSource returns credentials of the ECS instance RAM role named role,
// from the instance metadata service, refreshed before they expire.
func ecsRoleSource(role string) (CredentialsSource, error) {
	b := providers.NewECSRAMRoleCredentialsProviderBuilder().WithRoleName(role).
		WithHttpOptions(&providers.HttpOptions{ConnectTimeout: 1000, ReadTimeout: 2000, Proxy: roleProxy})
	p, err := b.Build()
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("ECS RAM role %q: %w", role, err)}
	}
	return &refreshingSource{p: p, from: "ECS RAM role " + role}, nil
}

// oidcSource returns credentials from AssumeRoleWithOIDC (ACK RRSA): the
// pod's token file is exchanged at STS for the role's credentials, again
// before they expire. stsRegion, when known, picks the regional STS
// endpoint.
func oidcSource(roleARN, providerARN, tokenFile, stsRegion string) (CredentialsSource, error) {
	b := providers.NewOIDCCredentialsProviderBuilder().
		WithRoleArn(roleARN).
		WithOIDCProviderARN(providerARN).
		WithOIDCTokenFilePath(tokenFile).
		WithRoleSessionName("ossx-" + strconv.FormatInt(time.Now().Unix(), 10)).
		WithHttpOptions(&providers.HttpOptions{ConnectTimeout: 5000, ReadTimeout: 10000, Proxy: roleProxy})
	if stsRegion != "" {
		b = b.WithStsRegionId(stsRegion)
	}
	p, err := b.Build()
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("OIDC role %s: %w", roleARN, err)}
	}
	return &refreshingSource{p: p, from: "OIDC role " + roleARN}, nil
}
