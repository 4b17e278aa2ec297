// Package loopback decides whether an address names this machine. It is the one
// place mcpgen answers that question: the runtime allows plain http only to loopback
// (keys, metadata and tokens sent elsewhere over http can be read or forged on the
// way), and the dev tools refuse to listen anywhere else.
//
// A loopback host is the name "localhost" (in any case, with or without the root's
// trailing dot) or an IP literal in 127.0.0.0/8 or ::1, with or without the brackets
// of a URL. Other names under .localhost are not included: whether they resolve to
// this machine depends on the resolver.
package loopback

import (
	"net"
	"net/url"
	"strings"
)

// IsHost reports whether host (a host name or IP literal, without a port) is
// localhost or a loopback IP.
func IsHost(host string) bool {
	return strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") || IsIP(host)
}

// IsIP reports whether host is a loopback IP literal. Use it where a name is not
// enough, such as choosing an address to listen on: a hosts file can point
// "localhost" anywhere.
func IsIP(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsSecureURL reports whether what is sent to or fetched from u is safe from others
// on the network: u is https, or http to a loopback host.
func IsSecureURL(u *url.URL) bool {
	switch u.Scheme {
	case "https":
		return u.Host != ""
	case "http":
		return IsHost(u.Hostname())
	}
	return false
}
