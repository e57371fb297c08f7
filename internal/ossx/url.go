package ossx

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// URL is an OSS location, parsed once at the edge: oss://bucket/key.
// Key may be empty (the bucket itself) or end in "/" (a prefix).
type URL struct {
	Bucket string
	Key    string
}

// String renders u as oss://bucket/key.
func (u URL) String() string { return "oss://" + u.Bucket + "/" + u.Key }

// IsPrefix reports whether u names a "directory": empty key or trailing "/".
func (u URL) IsPrefix() bool { return u.Key == "" || strings.HasSuffix(u.Key, "/") }

// Join appends a relative path (with "/" separators) to a prefix URL.
func (u URL) Join(rel string) URL {
	return URL{Bucket: u.Bucket, Key: u.Key + strings.TrimPrefix(rel, "/")}
}

// ParseURL parses "oss://bucket/key", "oss://bucket", or a bare key that
// resolves against defaultBucket. Errors are *UsageError.
func ParseURL(s, defaultBucket string) (URL, error) {
	var u URL
	if rest, ok := strings.CutPrefix(s, "oss://"); ok {
		u.Bucket, u.Key, _ = strings.Cut(rest, "/")
		if u.Bucket == "" {
			return URL{}, Usagef("invalid URL %q: no bucket after oss://", s)
		}
	} else {
		if strings.Contains(s, "://") {
			return URL{}, Usagef("invalid URL %q: only oss:// URLs are supported", s)
		}
		if defaultBucket == "" {
			return URL{}, &UsageError{
				Err:  fmt.Errorf("%q names no bucket", s),
				Hint: "write oss://BUCKET/KEY, or set OSS_BUCKET or --bucket",
			}
		}
		u.Bucket, u.Key = defaultBucket, s
	}
	if err := ValidBucketName(u.Bucket); err != nil {
		return URL{}, &UsageError{Err: fmt.Errorf("invalid URL %q: %w", s, err)}
	}
	if u.Key != "" {
		if err := ValidKey(u.Key); err != nil {
			return URL{}, &UsageError{Err: fmt.Errorf("invalid URL %q: %w", s, err)}
		}
	}
	return u, nil
}

// ValidBucketName applies OSS's bucket naming rules: 3–63 characters,
// lowercase letters, digits and hyphens, starting and ending with a letter or
// digit. Source: OSS docs, "Bucket naming conventions".
func ValidBucketName(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters long", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
		if !ok {
			return fmt.Errorf("bucket name %q may hold only lowercase letters, digits and hyphens", b)
		}
	}
	if b[0] == '-' || b[len(b)-1] == '-' {
		return fmt.Errorf("bucket name %q must start and end with a letter or digit", b)
	}
	return nil
}

// ValidKey applies OSS's object naming rules: 1–1023 bytes of UTF-8, not
// starting with "/" or "\". Source: OSS docs, "Object naming conventions".
func ValidKey(k string) error {
	switch {
	case k == "":
		return fmt.Errorf("object key is empty")
	case len(k) > 1023:
		return fmt.Errorf("object key is %d bytes long; the limit is 1023", len(k))
	case !utf8.ValidString(k):
		return fmt.Errorf("object key is not valid UTF-8")
	case k[0] == '/' || k[0] == '\\':
		return fmt.Errorf("object key %q must not start with %q", k, k[:1])
	}
	return nil
}
