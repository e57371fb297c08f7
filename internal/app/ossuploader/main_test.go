package ossuploader

import (
	"testing"

	"github.com/ossx/ossx/internal/ossx"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"0", 0, false}, {"512", 512, false}, {"100K", 100 << 10, false}, {"8m", 8 << 20, false},
		{"1.5G", 3 << 29, false}, {"64MiB", 64 << 20, false}, {"10MB", 10 << 20, false}, {"2T", 2 << 40, false},
		{"", 0, true}, {"M", 0, true}, {"-1", 0, true}, {"10X", 0, true}, {"1e3", 0, true},
	} {
		got, err := parseSize("--x", tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestPublicURL(t *testing.T) {
	u := ossx.URL{Bucket: "b", Key: "dir/a b#?.jpg"}
	for ep, want := range map[string]string{
		"https://oss-cn-hangzhou.aliyuncs.com": "https://b.oss-cn-hangzhou.aliyuncs.com/dir/a%20b%23%3F.jpg",
		"http://oss-cn-hangzhou.aliyuncs.com":  "https://b.oss-cn-hangzhou.aliyuncs.com/dir/a%20b%23%3F.jpg",
		"http://127.0.0.1:9000":                "http://127.0.0.1:9000/b/dir/a%20b%23%3F.jpg",
		"http://localhost:9000":                "http://localhost:9000/b/dir/a%20b%23%3F.jpg",
	} {
		if got := publicURL(ep, u); got != want {
			t.Errorf("publicURL(%s) = %s, want %s", ep, got, want)
		}
	}
}
