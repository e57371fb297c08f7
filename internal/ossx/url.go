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
	if s == "" {
		return URL{}, &UsageError{
			Err:  fmt.Errorf("empty object URL"),
			Hint: "write oss://BUCKET/KEY, or a KEY with OSS_BUCKET or --bucket set",
		}
	}
	if rest, ok := strings.CutPrefix(s, "oss://"); ok {
		u.Bucket, u.Key, _ = strings.Cut(rest, "/")
		if u.Bucket == "" {
			return URL{}, Usagef("invalid URL %s: no bucket after oss://", quote(s))
		}
	} else {
		// "oss:/b/k" or "OSS://b/k" is a typo, not a key: uploading to an
		// object literally named "oss:/b/k" would look like success.
		if len(s) >= 4 && strings.EqualFold(s[:4], "oss:") {
			return URL{}, &UsageError{
				Err:  fmt.Errorf("invalid URL %s", quote(s)),
				Hint: "OSS URLs are written oss://BUCKET/KEY (lowercase scheme, two slashes)",
			}
		}
		if strings.Contains(s, "://") {
			return URL{}, Usagef("invalid URL %s: only oss:// URLs are supported", quote(s))
		}
		if defaultBucket == "" {
			return URL{}, &UsageError{
				Err:  fmt.Errorf("%s names no bucket", quote(s)),
				Hint: "write oss://BUCKET/KEY, or set OSS_BUCKET or --bucket",
			}
		}
		u.Bucket, u.Key = defaultBucket, s
	}
	if err := ValidBucketName(u.Bucket); err != nil {
		return URL{}, &UsageError{Err: fmt.Errorf("invalid URL %s: %w", quote(s), err)}
	}
	if u.Key != "" {
		if err := ValidKey(u.Key); err != nil {
			return URL{}, &UsageError{Err: fmt.Errorf("invalid URL %s: %w", quote(s), err)}
		}
	}
	return u, nil
}

// quote renders a user-supplied string for a one-line message: Go-quoted (so
// control bytes and invalid UTF-8 stay visible and on one line) and cut to a
// readable length, since keys may be up to 1023 bytes.
func quote(s string) string {
	const max = 96
	if len(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", s[:cut])
}

// ValidBucketName applies OSS's bucket naming rules: 3–63 characters,
// lowercase letters, digits and hyphens, starting and ending with a letter or
// digit. Source: OSS docs, "Bucket naming conventions",
// https://www.alibabacloud.com/help/en/oss/user-guide/bucket-naming-conventions
func ValidBucketName(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %s must be 3 to 63 characters long", quote(b))
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
		if !ok {
			return fmt.Errorf("bucket name %s may hold only lowercase letters, digits and hyphens", quote(b))
		}
	}
	if b[0] == '-' || b[len(b)-1] == '-' {
		return fmt.Errorf("bucket name %s must start and end with a letter or digit", quote(b))
	}
	return nil
}

// ValidKey applies OSS's object naming rules: 1–1023 bytes of UTF-8, not
// starting with "/" or "\". Source: OSS docs, "Object naming conventions",
// https://www.alibabacloud.com/help/en/oss/user-guide/object-naming-conventions
// (OSS answers 0016-00000001/2/5 for an empty, too long or non-UTF-8, or
// slash-led name).
func ValidKey(k string) error {
	switch {
	case k == "":
		return fmt.Errorf("object key is empty")
	case len(k) > 1023:
		return fmt.Errorf("object key is %d bytes long; the limit is 1023", len(k))
	case !utf8.ValidString(k):
		return fmt.Errorf("object key is not valid UTF-8")
	case k[0] == '/' || k[0] == '\\':
		return fmt.Errorf("object key %s must not start with %q", quote(k), k[:1])
	}
	return nil
}
