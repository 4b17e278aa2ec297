// Package devissuer is what the CLI, the generator and the dev authorization server
// agree on about the issuer of `mcpgen dev`: where it runs by default, the path of its
// keys and the form its URL must take. It is a leaf package (it imports only the
// loopback check), so the generator can depend on these facts without depending on the
// server.
package devissuer

import (
	"fmt"
	"net/url"

	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// JWKSPath is where the dev authorization server serves its signing keys, relative to
// its issuer.
const JWKSPath = "/jwks"

// Default is the issuer of the dev authorization server for a server listening on port:
// the loopback address one port above (one below for the highest port), so the two
// never collide.
func Default(port int) string {
	asPort := port + 1
	if port >= 65535 {
		asPort = port - 1
	}
	return fmt.Sprintf("http://127.0.0.1:%d", asPort)
}

// Check checks that issuer is an http URL on a loopback host with an explicit port and
// no path, query or fragment: the form the dev server's issuer identifier takes, and the
// address it listens on, which Check returns as host:port.
func Check(issuer string) (addr string, err error) {
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
