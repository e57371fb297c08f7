package listing

import (
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/ossx"
)

func TestFilter(t *testing.T) {
	obj := func(k string) *Entry { return &Entry{Kind: Object, Bucket: "b", Key: k} }
	dir := func(k string) *Entry { return &Entry{Kind: Prefix, Bucket: "b", Key: k} }
	for _, tc := range []struct {
		prefix           string
		include, exclude []string
		entry            *Entry
		want             bool
	}{
		{"", nil, nil, obj("anything"), true},
		// Slash-free patterns match the name at any depth.
		{"logs/", []string{"*.gz"}, nil, obj("logs/2024/01/a.gz"), true},
		{"logs/", []string{"*.gz"}, nil, obj("logs/a.log"), false},
		{"logs/", nil, []string{"*.gz"}, obj("logs/x/a.gz"), false},
		{"logs/", nil, []string{"*.gz"}, obj("logs/x/a.log"), true},
		// Patterns with a slash match the path relative to the listed directory.
		{"logs/", []string{"2024/*.gz"}, nil, obj("logs/2024/a.gz"), true},
		{"logs/", []string{"2024/*.gz"}, nil, obj("logs/2024/01/a.gz"), false},
		{"logs/", []string{"*/*/*.gz"}, nil, obj("logs/2024/01/a.gz"), true},
		// A prefix without a slash lists from the bucket root's directory.
		{"logs", []string{"logs/*"}, nil, obj("logs/a"), true},
		{"logs", []string{"logs*"}, nil, obj("logs.txt"), true},
		{"a/lo", []string{"lo*"}, nil, obj("a/logs.txt"), true},
		// Directories keep their "/": "*/" selects them, "*.gz" does not.
		{"", nil, []string{"*/"}, dir("tmp/"), false},
		{"", nil, []string{"*/"}, obj("tmp"), true},
		{"", []string{"*.gz"}, nil, dir("x.gz/"), false},
		{"", []string{"x.gz/"}, nil, dir("a/x.gz/"), true},
		{"", []string{"tmp"}, nil, dir("tmp/"), false},
		// An object whose key ends in "/" is named like a directory.
		{"", []string{"d/"}, nil, obj("a/d/"), true},
		// Include and exclude together: exclude wins.
		{"", []string{"*.log"}, []string{"debug*"}, obj("debug.log"), false},
		{"", []string{"*.log"}, []string{"debug*"}, obj("app.log"), true},
		// Several includes: any one suffices.
		{"", []string{"*.a", "*.b"}, nil, obj("x.b"), true},
		// Special characters are literal unless they are glob syntax.
		{"", []string{"a b+c%d"}, nil, obj("a b+c%d"), true},
		{"", []string{`\*`}, nil, obj("*"), true},
		{"", []string{`\*`}, nil, obj("x"), false},
		{"", []string{"é*"}, nil, obj("d/été"), true},
		{"", []string{"?"}, nil, obj("é"), true},
		// Buckets are matched by name.
		{"", []string{"prod-*"}, nil, &Entry{Kind: Bucket, Bucket: "prod-logs"}, true},
		{"", []string{"prod-*"}, nil, &Entry{Kind: Bucket, Bucket: "dev-logs"}, false},
		// Uploads like objects.
		{"", []string{"*.bin"}, nil, &Entry{Kind: Upload, Bucket: "b", Key: "x/y.bin"}, true},
	} {
		f, err := NewFilter(tc.prefix, tc.include, tc.exclude)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(tc.entry); got != tc.want {
			t.Errorf("prefix %q include %q exclude %q: Match(%q) = %v, want %v",
				tc.prefix, tc.include, tc.exclude, tc.entry.Key+tc.entry.Bucket, got, tc.want)
		}
	}
}

func TestFilterBadPattern(t *testing.T) {
	for _, p := range []string{"[", "a[", `x\`, "[]"} {
		for _, where := range []string{"include", "exclude"} {
			var inc, exc []string
			if where == "include" {
				inc = []string{"ok*", p}
			} else {
				exc = []string{p}
			}
			_, err := NewFilter("", inc, exc)
			if err == nil || !strings.Contains(err.Error(), "bad pattern") {
				t.Errorf("%s %q: err = %v, want bad pattern", where, p, err)
			}
		}
	}
}

func TestGlobHint(t *testing.T) {
	for key, want := range map[string]string{
		"logs/x.gz":   "",
		"logs/*.tmp":  "wildcards in URLs are not expanded (* may be part of a key); to select by pattern: ossrm -r --include '*.tmp' oss://b/logs/",
		"a/b?/c[0-9]": "wildcards in URLs are not expanded (? may be part of a key); to select by pattern: ossrm -r --include 'b?/c[0-9]' oss://b/a/",
		"it's*":       `wildcards in URLs are not expanded (* may be part of a key); to select by pattern: ossrm -r --include 'it'\''s*' oss://b/`,
	} {
		if got := GlobHint("ossrm -r", ossx.URL{Bucket: "b", Key: key}); got != want {
			t.Errorf("GlobHint(%q) =\n%s\nwant\n%s", key, got, want)
		}
	}
}
