// Package devrun runs a project under `mcpgen dev`: it works out the dev setup from the
// project's manifest and the command's flags, serves the dev authorization server
// (package devserver) on loopback, builds the project's server and runs it with an
// environment that makes it trust that authorization server, waits until it is ready
// and stops it.
//
// It sits beside devserver, which is the authorization server alone, and below
// cmd/mcpgen, which parses the flags, calls this package and prints. Like devserver it
// is for development only and never linked into a generated server. Its errors speak in
// the flags of `mcpgen dev` (--dir, --port, --as-addr), the only way to reach it.
package devrun

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mcpgen/mcpgen/devserver"
	"github.com/mcpgen/mcpgen/generator"
	"github.com/mcpgen/mcpgen/internal/devissuer"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// Options says which project to run and where, as the flags of `mcpgen dev` do.
type Options struct {
	Dir    string // the project's directory, where mcpgen.yaml is, as messages show it (./app)
	Port   int    // port of the project's server; 0: the manifest's
	ASAddr string // loopback host:port of the authorization server; "": the manifest's dev issuer, else 127.0.0.1:Port+1
}

// Project is a project set up for `mcpgen dev`: what it runs and where.
type Project struct {
	Dir      string
	Name     string
	Port     int      // the server's port on 127.0.0.1
	Resource string   // the MCP endpoint clients use, and the tokens' audience
	Issuer   string   // the dev authorization server, http://HOST:PORT
	Addr     string   // host:port the authorization server listens on, from Issuer
	Scopes   []string // every scope of the project, granted to the printed token
	Tools    []string
	StateDir string // .mcpgen/dev: key, clients, state for `mcpgen dev token`, the built server
}

// UsageError is a mistake in what `mcpgen dev` was asked to do (no project in the
// directory, a port or address it cannot use), as opposed to a problem of the project
// or the machine: the command exits 2 for it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// InspectorOrigins are the browser origins of the MCP Inspector's UI, allowed to call
// the server while it runs under `mcpgen dev` so the Inspector connects directly.
var InspectorOrigins = []string{"http://localhost:6274", "http://127.0.0.1:6274"}

// Open reads the manifest of the project in o.Dir and works out its dev setup.
func Open(o Options) (*Project, error) {
	path := filepath.Join(o.Dir, generator.ManifestFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("no %s in %s: run mcpgen dev inside a project made by 'mcpgen new', or pass --dir", generator.ManifestFile, o.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	m, err := generator.ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &Project{Dir: o.Dir, Name: m.Name, Port: m.Port}
	if o.Port != 0 {
		if err := generator.ValidatePort(o.Port); err != nil {
			return nil, usagef("invalid --port: %w", err)
		}
		p.Port = o.Port
	}
	// The resource is the URL clients use locally: the manifest's when it is a loopback
	// URL on this port, else the generated default for the port.
	p.Resource = fmt.Sprintf("http://localhost:%d/mcp", p.Port)
	if u, err := url.Parse(m.ResourceURL); err == nil && o.Port == 0 && u.Port() == strconv.Itoa(p.Port) && loopback.IsHost(u.Hostname()) {
		p.Resource = m.ResourceURL
	}
	switch {
	case o.ASAddr != "":
		p.Issuer = "http://" + o.ASAddr
	case m.Provider == generator.ProviderDev && m.Issuer != "" && o.Port == 0:
		p.Issuer = m.Issuer
	default:
		p.Issuer = devissuer.Default(p.Port)
	}
	if p.Addr, err = devissuer.Check(p.Issuer); err != nil {
		return nil, usagef("invalid --as-addr: %w", err)
	}
	if _, asPort, _ := net.SplitHostPort(p.Addr); asPort == strconv.Itoa(p.Port) {
		return nil, usagef("the authorization server and the MCP server cannot both use port %d: pass --as-addr 127.0.0.1:OTHER", p.Port)
	}
	for _, t := range m.Tools {
		p.Tools = append(p.Tools, t.Name)
	}
	p.Scopes = m.Spec(generator.RuntimeRef{}).AllScopes()
	p.StateDir = filepath.Join(o.Dir, devserver.StateDir)
	return p, nil
}

// Env is the environment that makes the generated server trust the dev authorization
// server. The real environment wins over .env in generated servers, so these override
// the project's .env; provider-specific names are blanked so they cannot point
// elsewhere.
func (p *Project) Env() []string {
	env := []string{
		"MCP_RESOURCE_URL=" + p.Resource,
		"AUTH_ISSUER=" + p.Issuer,
		"AUTH_JWKS_URL=" + p.Issuer + devserver.JWKSPath,
	}
	// Keep the origins the project allows (environment, else its .env) and add the
	// Inspector's, so the browser UI can call the server directly.
	var origins []string
	if env, err := envconfig.Load(filepath.Join(p.Dir, ".env")); err == nil {
		origins = env.List("ALLOWED_ORIGINS", nil)
	}
	origins = append(origins, InspectorOrigins...)
	return append(env,
		"HOST=127.0.0.1",
		"PORT="+strconv.Itoa(p.Port),
		"AUTH_AUDIENCE="+p.Resource,
		"AUTH_AUTHORIZATION_SERVERS="+p.Issuer,
		"ALLOWED_ORIGINS="+strings.Join(origins, ","),
		// The dev server issues JWTs: a project set up for opaque tokens would
		// introspect them elsewhere.
		"AUTH_TOKEN_FORMAT=jwt",
		"SK_ENV_URL=", "EXPECTED_AUDIENCE=", "PROTECTED_RESOURCE_METADATA=",
	)
}

// RunCommand is the shell command that runs the server by hand (`mcpgen dev
// --no-server`) with the whole environment Env gives it: with less, a .env set up for
// the real provider would still apply (another audience, opaque tokens, another address).
func (p *Project) RunCommand() string {
	return strings.Join(p.Env(), " ") + " go run ."
}
