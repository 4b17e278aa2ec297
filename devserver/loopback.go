package devserver

import (
	"fmt"
	"net"
	"net/url"

	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// Listen listens on addr (host:port) when host is a loopback address, and refuses
// anything else: the dev server approves every request without a login, so it must
// never be reachable from another machine. The name localhost is listened on as
// 127.0.0.1 rather than resolved, so a hosts file cannot widen the bind; any other
// name is refused.
func Listen(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dev authorization server address %q: %w; use 127.0.0.1:PORT", addr, err)
	}
	if loopback.IsHost(host) && !loopback.IsIP(host) {
		host = "127.0.0.1"
	}
	if !loopback.IsIP(host) {
		return nil, fmt.Errorf("dev authorization server address %q is not loopback: it approves every request without a login, so it only listens on 127.0.0.1 or [::1]", addr)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("dev authorization server: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// CheckIssuer checks that issuer is an http URL on a loopback host with an explicit
// port and no path, query or fragment: the form the dev server's issuer identifier
// takes, and the address it listens on.
func CheckIssuer(issuer string) (addr string, err error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return "", fmt.Errorf("dev issuer %q: %w", issuer, err)
	}
	switch {
	case u.Scheme != "http" || u.Host == "":
		return "", fmt.Errorf("dev issuer %q must be an http://127.0.0.1:PORT URL", issuer)
	case !loopback.IsHost(u.Hostname()):
		return "", fmt.Errorf("dev issuer %q is not loopback: the dev authorization server only runs on 127.0.0.1 or [::1]", issuer)
	case u.Port() == "":
		return "", fmt.Errorf("dev issuer %q needs an explicit port, such as http://127.0.0.1:3003", issuer)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", fmt.Errorf("dev issuer %q must be just scheme, host and port", issuer)
	}
	return u.Host, nil
}
