package ossx

import (
	"fmt"
	"strings"
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
