package osslocal

import (
	"net"
	"strings"
)

// hostBucket returns the bucket a virtual-host-style Host names, and false
// for a path-style request. aliyun-oss-go-sdk sends path style to an IP
// endpoint and puts the bucket in front of any other endpoint's host name
// (SDK conn.go urlMaker.buildURL: urlTypeIP vs urlTypeAliyun), so
// "bucket.localhost:9000" or "bucket.oss.example.com" name a bucket. A
// host whose parent is a single label other than localhost
// ("devbox.lan", "localhost.localdomain") is a machine's name, reached
// path style with ForcePathStyle, not a bucket.
func hostBucket(host string) (string, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(host, ".")
	if net.ParseIP(host) != nil {
		return "", false
	}
	label, parent, ok := strings.Cut(host, ".")
	if !ok || label == "" || parent == "" {
		return "", false
	}
	if !strings.EqualFold(parent, "localhost") && !strings.Contains(parent, ".") {
		return "", false
	}
	return label, true
}
