package ossx

import (
	"context"
	"errors"
	"net"
)

// Tests never send traffic beyond loopback, nor a DNS query for
// *.aliyuncs.com. Two guards make a slip fail at once instead of going out:
//
//   - the role sources (rolecreds.go) have fixed hosts, the ECS instance metadata service
//     (100.100.100.200) and STS (sts.aliyuncs.com); unless a test installs its
//     own loopback proxy (withMetadataProxy, the OIDC child), its requests go
//     to a proxy address on loopback where nothing listens;
//   - Go's resolver gets no DNS server: names from /etc/hosts (localhost)
//     still resolve, any other lookup fails without a packet being sent.
func init() {
	roleProxy = "http://127.0.0.1:1"
	net.DefaultResolver = &net.Resolver{
		PreferGo: true,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("tests send no DNS queries")
		},
	}
}
