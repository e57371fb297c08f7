package ossx

import (
	"errors"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	long := strings.Repeat("k", 1023)
	tests := []struct {
		in, def string
		want    URL
	}{
		{"oss://bucket/key", "", URL{"bucket", "key"}},
		{"oss://bucket/dir/sub/file.txt", "other", URL{"bucket", "dir/sub/file.txt"}},
		{"oss://bucket", "", URL{"bucket", ""}},
		{"oss://bucket/", "", URL{"bucket", ""}},
		{"oss://bucket/prefix/", "", URL{"bucket", "prefix/"}},
		{"oss://b-1/k", "", URL{"b-1", "k"}},
		{"oss://123/k", "", URL{"123", "k"}},
		{"oss://" + strings.Repeat("a", 63) + "/k", "", URL{strings.Repeat("a", 63), "k"}},
		{"oss://bucket/" + long, "", URL{"bucket", long}},
		{"oss://bucket/日本語/ключ", "", URL{"bucket", "日本語/ключ"}},
		{"oss://bucket/a//b", "", URL{"bucket", "a//b"}},
		{"avatars/42.jpg", "dflt", URL{"dflt", "avatars/42.jpg"}},
		{"prefix/", "dflt", URL{"dflt", "prefix/"}},
		{"file with spaces", "dflt", URL{"dflt", "file with spaces"}},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.in, tt.def)
		if err != nil {
			t.Errorf("ParseURL(%q, %q): %v", tt.in, tt.def, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseURL(%q, %q) = %+v, want %+v", tt.in, tt.def, got, tt.want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct {
		name, in, def string
		msg           string // substring of the error
		hint          bool   // a hint is expected
	}{
		{"empty", "", "dflt", "empty object URL", true},
		{"no bucket after scheme", "oss://", "", "no bucket after oss://", false},
		{"no bucket, slash", "oss:///key", "", "no bucket after oss://", false},
		{"bare key, no default", "key", "", `"key" names no bucket`, true},
		{"other scheme", "s3://bucket/key", "dflt", "only oss:// URLs", false},
		{"https scheme", "https://bucket.oss-cn-hangzhou.aliyuncs.com/k", "dflt", "only oss:// URLs", false},
		{"one slash typo", "oss:/bucket/key", "dflt", `invalid URL "oss:/bucket/key"`, true},
		{"upper-case scheme", "OSS://bucket/key", "dflt", "invalid URL", true},
		{"bucket too short", "oss://ab/k", "", "3 to 63 characters", false},
		{"bucket too long", "oss://" + strings.Repeat("a", 64) + "/k", "", "3 to 63 characters", false},
		{"bucket upper case", "oss://Bucket/k", "", "only lowercase letters, digits and hyphens", false},
		{"bucket underscore", "oss://my_bucket/k", "", "only lowercase letters", false},
		{"bucket dot", "oss://my.bucket/k", "", "only lowercase letters", false},
		{"bucket leading hyphen", "oss://-bucket/k", "", "start and end with a letter or digit", false},
		{"bucket trailing hyphen", "oss://bucket-/k", "", "start and end with a letter or digit", false},
		{"bucket non-ASCII", "oss://bücket/k", "", "only lowercase letters", false},
		{"default bucket invalid", "key", "Bad_Bucket", "only lowercase letters", false},
		{"key too long", "oss://bucket/" + strings.Repeat("k", 1024), "", "1024 bytes long; the limit is 1023", false},
		{"key too long multibyte", "oss://bucket/" + strings.Repeat("é", 512), "", "1024 bytes long", false},
		{"key invalid UTF-8", "oss://bucket/a\xffb", "", "not valid UTF-8", false},
		{"bare key invalid UTF-8", "\xfe", "dflt", "not valid UTF-8", false},
		{"key leading slash", "oss://bucket//key", "", `must not start with "/"`, false},
		{"key leading backslash", `oss://bucket/\key`, "", `must not start with "\\"`, false},
		{"bare key leading slash", "/etc/passwd", "dflt", `must not start with "/"`, false},
		{"bare key too long", strings.Repeat("k", 2000), "dflt", "2000 bytes long", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseURL(tt.in, tt.def)
			if err == nil {
				t.Fatalf("ParseURL(%q) = %+v, want an error", tt.in, u)
			}
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v is %T, want *UsageError", err, err)
			}
			if ExitCode(err) != ExitUsage {
				t.Errorf("ExitCode = %d, want %d", ExitCode(err), ExitUsage)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.msg) {
				t.Errorf("error %q does not mention %q", msg, tt.msg)
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error %q is not one line", msg)
			}
			if len(msg) > 300 {
				t.Errorf("error is %d bytes long; user input should be cut short", len(msg))
			}
			if got := HintFor(err) != ""; got != tt.hint {
				t.Errorf("hint present = %v, want %v (%q)", got, tt.hint, HintFor(err))
			}
		})
	}
}

func TestURLMethods(t *testing.T) {
	tests := []struct {
		u      URL
		str    string
		prefix bool
	}{
		{URL{"bkt", ""}, "oss://bkt/", true},
		{URL{"bkt", "dir/"}, "oss://bkt/dir/", true},
		{URL{"bkt", "dir/file"}, "oss://bkt/dir/file", false},
	}
	for _, tt := range tests {
		if got := tt.u.String(); got != tt.str {
			t.Errorf("%+v.String() = %q, want %q", tt.u, got, tt.str)
		}
		if got := tt.u.IsPrefix(); got != tt.prefix {
			t.Errorf("%+v.IsPrefix() = %v, want %v", tt.u, got, tt.prefix)
		}
		// String must round-trip through ParseURL.
		back, err := ParseURL(tt.u.String(), "")
		if err != nil || back != tt.u {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tt.u.String(), back, err, tt.u)
		}
	}
	joins := []struct {
		u    URL
		rel  string
		want URL
	}{
		{URL{"bkt", "dir/"}, "a/b.txt", URL{"bkt", "dir/a/b.txt"}},
		{URL{"bkt", "dir/"}, "/a", URL{"bkt", "dir/a"}},
		{URL{"bkt", ""}, "x", URL{"bkt", "x"}},
	}
	for _, tt := range joins {
		if got := tt.u.Join(tt.rel); got != tt.want {
			t.Errorf("%+v.Join(%q) = %+v, want %+v", tt.u, tt.rel, got, tt.want)
		}
	}
}

func TestValidKeyBoundaries(t *testing.T) {
	for _, k := range []string{"a", strings.Repeat("x", 1023), "a/", "a\\b", "..", "./a", "key?with&query=chars", "line\nbreak"} {
		if err := ValidKey(k); err != nil {
			t.Errorf("ValidKey(%q) = %v, want nil", k, err)
		}
	}
}
