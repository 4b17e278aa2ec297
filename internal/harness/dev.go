package harness

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Dev is `mcpgen dev` running a project: its local authorization server and the
// project's server, both on loopback.
type Dev struct {
	*Process
	MCPURL string // the project's MCP endpoint, http://localhost:PORT/mcp
	Issuer string // the local authorization server, http://127.0.0.1:PORT
	Banner string // what mcpgen dev printed up to "Ctrl-C stops everything"
	Port   int    // the project's server's port on 127.0.0.1
	ASPort int    // the authorization server's port on 127.0.0.1
}

// StartDev runs `mcpgen dev` (the CLI at cli) for project on free loopback ports, with
// environ as its environment plus a read-only module graph, and waits for its banner.
// The first run builds the project, so it allows for a cold build cache.
func StartDev(t testing.TB, cli, project string, environ []string) *Dev {
	t.Helper()
	port, asPort := FreePort(t), FreePort(t)
	cmd := exec.Command(cli, "dev", "--dir", project, "--port", strconv.Itoa(port), "--as-addr", "127.0.0.1:"+strconv.Itoa(asPort))
	cmd.Env = append(environ, "GOWORK=off", "GOFLAGS=-mod=readonly")
	proc := Start(t, "mcpgen dev", cmd)
	banner := proc.WaitFor(t, 3*time.Minute, func(log string) bool { return strings.Contains(log, "Ctrl-C stops everything") })
	return &Dev{
		Process: proc,
		MCPURL:  "http://localhost:" + strconv.Itoa(port) + "/mcp",
		Issuer:  "http://127.0.0.1:" + strconv.Itoa(asPort),
		Banner:  banner,
		Port:    port,
		ASPort:  asPort,
	}
}
