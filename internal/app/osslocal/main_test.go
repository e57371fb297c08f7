package osslocal

import (
	"net"
	"strings"
	"testing"

	"github.com/ossx/ossx/internal/osslocal"
)

func TestEnvLines(t *testing.T) {
	got := envLines("http://127.0.0.1:9000", osslocal.Credential{ID: "LTAIabc", Secret: "it's $ecret"}, []string{"logs", "other"})
	want := "export OSS_ENDPOINT=http://127.0.0.1:9000\n" +
		"export OSS_ACCESS_KEY_ID=LTAIabc\n" +
		"export OSS_ACCESS_KEY_SECRET='it'\\''s $ecret'\n" +
		"export OSS_BUCKET=logs\n"
	if got != want {
		t.Errorf("envLines = %q, want %q", got, want)
	}
	if got := envLines("http://[::1]:1", osslocal.Credential{ID: "a", Secret: "b"}, nil); strings.Contains(got, "OSS_BUCKET") {
		t.Errorf("envLines without buckets = %q", got)
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		addr net.TCPAddr
		want string
	}{
		{net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9000}, "http://127.0.0.1:9000"},
		{net.TCPAddr{IP: net.IPv4zero, Port: 1}, "http://127.0.0.1:1"},
		{net.TCPAddr{IP: net.IPv6unspecified, Port: 2}, "http://[::1]:2"},
		{net.TCPAddr{IP: net.IPv6loopback, Port: 3}, "http://[::1]:3"},
		{net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 4}, "http://192.0.2.1:4"},
	}
	for _, tt := range tests {
		if got := endpoint(&tt.addr); got != tt.want {
			t.Errorf("endpoint(%v) = %q, want %q", &tt.addr, got, tt.want)
		}
	}
}

func TestCheckAddr(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "127.0.0.2:9000", "[::1]:9000", "localhost:9000"} {
		if err := checkAddr(addr, false); err != nil {
			t.Errorf("checkAddr(%q) = %v", addr, err)
		}
	}
	for _, addr := range []string{"0.0.0.0:9000", ":9000", "[::]:9000", "192.0.2.1:9000", "example.com:9000"} {
		if err := checkAddr(addr, false); err == nil {
			t.Errorf("checkAddr(%q) accepted a non-loopback address", addr)
		}
		if err := checkAddr(addr, true); err != nil {
			t.Errorf("checkAddr(%q, allowRemote) = %v", addr, err)
		}
	}
}
