package devserver

import (
	"fmt"
	"net"

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
