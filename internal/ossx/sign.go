package ossx

import (
	"fmt"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// CheckSignDuration is the Action of every --sign flag: it refuses a
// DURATION that cannot make a working URL. 0 stands for "off" internally,
// so given it would print no URL; a presigned URL's expiry is in whole
// seconds, so less than one second would have expired when printed.
func CheckSignDuration(d time.Duration) error {
	if d < time.Second {
		return Usagef("--sign %s must be at least 1s", d)
	}
	return nil
}

// SignGetURL returns a presigned GET URL for u, valid for d, from a client
// made by NewClient: signed V4 when the region is known, else V1 (the
// client's AuthVersion decides, as for every request). The URL carries an
// STS token when the credentials have one, which is what makes it work.
func SignGetURL(client *oss.Client, u URL, d time.Duration) (string, error) {
	b, err := client.Bucket(u.Bucket)
	if err != nil {
		return "", err
	}
	s, err := b.SignURL(u.Key, oss.HTTPGet, int64(d/time.Second))
	if err != nil {
		return "", fmt.Errorf("sign %s: %w", u, err)
	}
	return s, nil
}
