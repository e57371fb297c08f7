package upload

import "testing"

func TestContentType(t *testing.T) {
	for _, tc := range []struct{ source, key, want string }{
		{"site/index.HTML", "", "text/html"},
		{"-", "logs/app.log", "text/plain"},
		{"data.json", "x.bin", "application/json"},
		{"backup", "backup.tar.gz", "application/gzip"},
		// Not in commonType: the SDK's table (oss/mime.go).
		{"app.apk", "", "application/vnd.android.package-archive"},
		{"noext", "alsonoext", "application/octet-stream"},
		{"firmware.BIN", "", "application/octet-stream"},
		{"noext", "key.png", "image/png"},
	} {
		if got := contentType(tc.source, tc.key); got != tc.want {
			t.Errorf("contentType(%q, %q) = %q, want %q", tc.source, tc.key, got, tc.want)
		}
	}
}
