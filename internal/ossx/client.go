package ossx

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossx/ossx/internal/version"
)

// NewClient builds an SDK client from cfg: timeouts, user agent, V4 signing
// when the region is known, credentials refreshed through cfg.Credentials.
func (cfg *Config) NewClient() (*oss.Client, error) {
	opts := []oss.ClientOption{
		oss.Timeout(int64(cfg.ConnectTimeout/time.Second), int64(cfg.ReadWriteTimeout/time.Second)),
		oss.UserAgent(version.UserAgent()),
		oss.SetCredentialsProvider(sdkProvider{cfg.Credentials}),
	}
	if cfg.Region != "" {
		opts = append(opts, oss.Region(cfg.Region), oss.AuthVersion(oss.AuthV4))
	}
	return oss.New(cfg.Endpoint, "", "", opts...)
}

// OpenBucket returns a handle on one bucket.
func (cfg *Config) OpenBucket(name string) (*oss.Bucket, error) {
	c, err := cfg.NewClient()
	if err != nil {
		return nil, err
	}
	return c.Bucket(name)
}

type sdkProvider struct{ src CredentialsSource }

type sdkCredentials struct{ c Credentials }

func (s sdkCredentials) GetAccessKeyID() string     { return s.c.AccessKeyID }
func (s sdkCredentials) GetAccessKeySecret() string { return s.c.AccessKeySecret }
func (s sdkCredentials) GetSecurityToken() string   { return s.c.SecurityToken }

func (p sdkProvider) GetCredentials() oss.Credentials {
	c, _ := p.src.Get()
	return sdkCredentials{c}
}

func (p sdkProvider) GetCredentialsE() (oss.Credentials, error) {
	c, err := p.src.Get()
	return sdkCredentials{c}, err
}

// RetryPolicy bounds retries of one operation.
type RetryPolicy struct {
	Attempts int           // total attempts, ≥1
	Base     time.Duration // first backoff
	Max      time.Duration // backoff cap
}

// DefaultRetryPolicy allows retries extra attempts (negative: the default 5).
func DefaultRetryPolicy(retries int) RetryPolicy {
	if retries < 0 {
		retries = 5
	}
	return RetryPolicy{Attempts: retries + 1, Base: 200 * time.Millisecond, Max: 10 * time.Second}
}

// Do runs op until it succeeds, fails with a non-retryable error, the
// attempts run out or ctx ends. op must be safe to repeat (re-open or seek
// its body each time).
func (p RetryPolicy) Do(ctx context.Context, op func(ctx context.Context) error) error {
	var err error
	for attempt := 0; attempt < max(p.Attempts, 1); attempt++ {
		if attempt > 0 {
			if werr := sleep(ctx, p.Backoff(attempt)); werr != nil {
				return errors.Join(werr, err)
			}
		}
		if err = op(ctx); err == nil || !IsRetryable(err) {
			return err
		}
	}
	return err
}

// Backoff is the wait before attempt n (n≥1): exponential with full jitter.
func (p RetryPolicy) Backoff(n int) time.Duration {
	d := p.Base << min(n-1, 20)
	if d > p.Max || d <= 0 {
		d = p.Max
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// IsRetryable reports whether err is worth another attempt: 5xx, 429,
// timeouts and network errors. Client errors (4xx) are final.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var se oss.ServiceError
	if errors.As(err, &se) {
		return se.StatusCode >= 500 || se.StatusCode == 429
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	// Resets, EOFs mid-response and the like surface as plain errors from
	// net/http; anything that is not an OSS answer is treated as transient.
	return true
}
