package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpgen/mcpgen/devserver"
	"github.com/mcpgen/mcpgen/generator"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// devOptions holds the flags of `mcpgen dev`.
type devOptions struct {
	dir      string
	asAddr   string
	port     int
	noServer bool
	ttl      time.Duration
}

// inspectorOrigins are the browser origins of the MCP Inspector's UI, allowed to call
// the server while it runs under `mcpgen dev` so the Inspector connects directly.
var inspectorOrigins = []string{"http://localhost:6274", "http://127.0.0.1:6274"}

func newDevCommand(a *app) *cobra.Command {
	o := &devOptions{}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the project with a local authorization server (development only)",
		Long: `Run the project in the current directory (or --dir) with a local OAuth 2.1 authorization
server, so the whole flow works with no account anywhere.

The authorization server listens on loopback only (127.0.0.1, one port above the
server's unless --as-addr) and publishes RFC 8414 and OIDC metadata and a JWKS. It issues
short-lived JWT access tokens (typ at+jwt) whose audience is the project's resource and
whose scopes come from mcpgen.yaml: client_credentials for the pre-registered client
mcpgen-dev; authorization code with PKCE (S256 only) behind a consent page that shows
the scopes and approves itself; dynamic client registration (RFC 7591) and client ID
metadata documents, so the MCP Inspector and desktop clients complete their OAuth flow.

It then builds and runs the server with AUTH_ISSUER, AUTH_JWKS_URL, MCP_RESOURCE_URL
and HOST=127.0.0.1 pointing at it, prints the server URL, a ready token and commands to
try, and stops both on Ctrl-C. Its key and the registered clients are kept in
.mcpgen/dev/ (ignored by git), so tokens survive a restart.

Development only: every request is approved without a login, and it refuses any
address that is not loopback. None of it is linked into the generated server.`,
		Example: `  # in a project made by 'mcpgen new NAME --yes'
  mcpgen dev

  # another token, with one scope
  mcpgen dev token --scope usr:read

  # only the authorization server (run the server yourself, e.g. in a debugger)
  mcpgen dev --no-server`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(a, cmd)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", ".", "directory of the project (where mcpgen.yaml is)")
	f.StringVar(&o.asAddr, "as-addr", "", "loopback address of the authorization server (default: the dev issuer of mcpgen.yaml, else 127.0.0.1:PORT+1)")
	f.IntVar(&o.port, "port", 0, "port of the MCP server (default: mcpgen.yaml's)")
	f.BoolVar(&o.noServer, "no-server", false, "run only the authorization server and print the settings for the MCP server")
	f.DurationVar(&o.ttl, "ttl", time.Hour, "lifetime of the printed token (tokens from the token endpoint live 10m)")
	_ = cmd.MarkFlagDirname("dir")
	cmd.AddCommand(newDevTokenCommand(a))
	return cmd
}

// devProject is what `mcpgen dev` runs: the project and where its dev setup lives.
type devProject struct {
	dir      string
	name     string
	port     int
	resource string
	issuer   string
	scopes   []string
	tools    []string
	stateDir string
	addr     string // host:port of the dev authorization server, from issuer
}

// openDevProject reads the project's manifest and works out the dev setup.
func (o *devOptions) openDevProject() (devProject, error) {
	p := devProject{dir: o.dir}
	data, err := os.ReadFile(filepath.Join(o.dir, generator.ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return p, usagef("no %s in %s: run mcpgen dev inside a project made by 'mcpgen new', or pass --dir", generator.ManifestFile, displayDir(o.dir))
	}
	if err != nil {
		return p, fmt.Errorf("read %s: %w", filepath.Join(o.dir, generator.ManifestFile), err)
	}
	m, err := generator.ParseManifest(data)
	if err != nil {
		return p, fmt.Errorf("%s: %w", filepath.Join(o.dir, generator.ManifestFile), err)
	}
	p.name, p.port = m.Name, m.Port
	if o.port != 0 {
		if err := generator.ValidatePort(o.port); err != nil {
			return p, usagef("invalid --port: %w", err)
		}
		p.port = o.port
	}
	// The resource is the URL clients use locally: the manifest's when it is a loopback
	// URL on this port, else the generated default for the port.
	p.resource = fmt.Sprintf("http://localhost:%d/mcp", p.port)
	if u, err := url.Parse(m.Resource); err == nil && o.port == 0 && u.Port() == strconv.Itoa(p.port) && loopback.IsHost(u.Hostname()) {
		p.resource = m.Resource
	}
	switch {
	case o.asAddr != "":
		p.issuer = "http://" + o.asAddr
	case m.Provider == generator.ProviderDev && m.Issuer != "" && o.port == 0:
		p.issuer = m.Issuer
	default:
		p.issuer = generator.DevIssuer(p.port)
	}
	addr, err := devserver.CheckIssuer(p.issuer)
	if err != nil {
		return p, usagef("invalid --as-addr: %w", err)
	}
	p.addr = addr
	if _, asPort, _ := net.SplitHostPort(addr); asPort == strconv.Itoa(p.port) {
		return p, usagef("the authorization server and the MCP server cannot both use port %d: pass --as-addr 127.0.0.1:OTHER", p.port)
	}
	for _, t := range m.Tools {
		p.tools = append(p.tools, t.Name)
	}
	p.scopes = m.Spec(generator.RuntimeRef{}).ScopesSupported()
	p.stateDir = filepath.Join(o.dir, devserver.StateDir)
	return p, nil
}

func (o *devOptions) run(a *app, cmd *cobra.Command) error {
	if o.ttl <= 0 {
		return usagef("invalid --ttl %s: use a positive duration such as 1h", o.ttl)
	}
	p, err := o.openDevProject()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	as, client, err := startDevAS(p)
	if err != nil {
		return err
	}
	defer as.close()

	out := cmd.OutOrStdout()
	if o.noServer {
		fmt.Fprintf(out, "mcpgen dev: authorization server on %s (development only)\n\n", p.issuer)
		fmt.Fprintf(out, "run the server with:\n  %s\n\n", noServerCommand(p))
		if err := printDevBanner(out, p, as, client, o.ttl); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}

	fmt.Fprintf(a.stderr, "mcpgen dev: building %s…\n", p.name)
	bin, err := buildServer(ctx, p, a.stderr)
	if err != nil {
		return err
	}
	srv := exec.Command(bin)
	srv.Dir = p.dir
	srv.Env = append(os.Environ(), devEnv(p)...)
	srv.Stdout, srv.Stderr = a.stderr, a.stderr
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()

	if err := waitServerReady(ctx, p, exited); err != nil {
		stopServer(srv, exited)
		return err
	}
	if err := printDevBanner(out, p, as, client, o.ttl); err != nil {
		stopServer(srv, exited)
		return err
	}
	select {
	case <-ctx.Done():
		fmt.Fprintln(a.stderr, "mcpgen dev: stopping")
		return stopServer(srv, exited)
	case err := <-exited:
		if err != nil {
			return fmt.Errorf("the server stopped: %w", err)
		}
		return errors.New("the server stopped")
	}
}

// devAS is the dev authorization server serving on its loopback listener.
type devAS struct {
	*devserver.Server
	http *http.Server
}

func (d *devAS) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.http.Shutdown(ctx)
}

// startDevAS loads (or creates) the key and dev client, records the state for `mcpgen
// dev token` and serves the authorization server.
func startDevAS(p devProject) (*devAS, devserver.Client, error) {
	key, err := devserver.LoadOrCreateKey(p.stateDir)
	if err != nil {
		return nil, devserver.Client{}, err
	}
	client, err := devserver.DevClient(p.stateDir)
	if err != nil {
		return nil, client, err
	}
	s, err := devserver.New(devserver.Config{
		Issuer: p.issuer, Resource: p.resource, Scopes: p.scopes,
		Key: key, Client: client, StateDir: p.stateDir,
	})
	if err != nil {
		return nil, client, err
	}
	ln, err := devserver.Listen(p.addr)
	if err != nil {
		return nil, client, fmt.Errorf("%w (is mcpgen dev already running? pass --as-addr 127.0.0.1:OTHER)", err)
	}
	if err := devserver.SaveState(p.stateDir, devserver.State{
		Issuer: p.issuer, Resource: p.resource, Scopes: p.scopes,
		ClientID: client.ID, ClientSecret: client.Secret,
	}); err != nil {
		ln.Close()
		return nil, client, err
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return &devAS{Server: s, http: hs}, client, nil
}

// devEnv is the environment that makes the generated server trust the dev server. The
// real environment wins over .env in generated servers, so these override the project's
// .env; provider-specific names are blanked so they cannot point elsewhere.
func devEnv(p devProject) []string {
	env := []string{
		"MCP_RESOURCE_URL=" + p.resource,
		"AUTH_ISSUER=" + p.issuer,
		"AUTH_JWKS_URL=" + p.issuer + devserver.JWKSPath,
	}
	// Keep the origins the project allows (environment, else its .env) and add the
	// Inspector's, so the browser UI can call the server directly.
	var origins []string
	if env, err := envconfig.Load(filepath.Join(p.dir, ".env")); err == nil {
		origins = env.List("ALLOWED_ORIGINS", nil)
	}
	origins = append(origins, inspectorOrigins...)
	return append(env,
		"HOST=127.0.0.1",
		"PORT="+strconv.Itoa(p.port),
		"AUTH_AUDIENCE="+p.resource,
		"AUTH_AUTHORIZATION_SERVERS="+p.issuer,
		"ALLOWED_ORIGINS="+strings.Join(origins, ","),
		// The dev server issues JWTs: a project set up for opaque tokens would
		// introspect them elsewhere.
		"AUTH_TOKEN_FORMAT=jwt",
		"SK_ENV_URL=", "EXPECTED_AUDIENCE=", "PROTECTED_RESOURCE_METADATA=",
	)
}

// noServerCommand is the command --no-server prints to run the server by hand, with the
// whole environment mcpgen dev would give it: with less, a .env set up for the real
// provider would still apply (another audience, opaque tokens, another address).
func noServerCommand(p devProject) string {
	return strings.Join(devEnv(p), " ") + " go run ."
}

// buildServer builds the project into the state directory: running the binary itself
// (rather than go run) lets signals reach the server, not the go command.
func buildServer(ctx context.Context, p devProject, log io.Writer) (string, error) {
	bin, err := filepath.Abs(filepath.Join(p.stateDir, "server"))
	if err != nil {
		return "", err
	}
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = p.dir
	build.Stdout, build.Stderr = log, log
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build the server in %s: %w (fix the errors above; go build . shows them too)", displayDir(p.dir), err)
	}
	return bin, nil
}

// waitServerReady polls the server's /ready until it has loaded the dev server's keys.
func waitServerReady(ctx context.Context, p devProject, exited <-chan error) error {
	ready := fmt.Sprintf("http://127.0.0.1:%d/ready", p.port)
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-exited:
			return fmt.Errorf("the server exited before it was ready (%v): see its output above", err)
		case <-deadline:
			return fmt.Errorf("the server was not ready on %s within 60s: see its output above", ready)
		case <-tick.C:
			resp, err := client.Get(ready)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
	}
}

// stopServer sends SIGTERM and waits for a graceful exit, killing after 15 s.
func stopServer(srv *exec.Cmd, exited <-chan error) error {
	_ = srv.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && !ee.Exited()) {
			return fmt.Errorf("the server exited with %w", err)
		}
		return nil
	case <-time.After(15 * time.Second):
		_ = srv.Process.Kill()
		<-exited
		return errors.New("the server did not stop within 15s of SIGTERM and was killed")
	}
}

// printDevBanner says where everything is, with a ready token and commands to try.
func printDevBanner(w io.Writer, p devProject, as *devAS, client devserver.Client, ttl time.Duration) error {
	tok, err := as.Mint(devserver.TokenRequest{Subject: devserver.DevSubject, ClientID: client.ID, Scopes: p.scopes, TTL: ttl})
	if err != nil {
		return err
	}
	scope := strings.Join(p.scopes, " ")
	fmt.Fprintf(w, "mcpgen dev: DEVELOPMENT ONLY (loopback, every request approved without a login)\n\n")
	fmt.Fprintf(w, "  MCP server      %s\n", p.resource)
	fmt.Fprintf(w, "  authorization   %s (metadata %s%s)\n", p.issuer, p.issuer, devserver.MetadataPath)
	fmt.Fprintf(w, "  dev client      client_id %s, client_secret %s\n", client.ID, client.Secret)
	fmt.Fprintf(w, "  scopes          %s\n\n", scope)
	fmt.Fprintf(w, "a token with every scope, valid %s (another: mcpgen dev token --scope SCOPE):\n\n", ttl)
	fmt.Fprintf(w, "  export TOKEN=%s\n\n", tok)
	fmt.Fprintf(w, "try it:\n")
	fmt.Fprintf(w, "  mcpgen doctor %s --token \"$TOKEN\"\n", p.resource)
	fmt.Fprintf(w, "  npx @modelcontextprotocol/inspector --cli %s --transport http --method tools/list --header \"Authorization: Bearer $TOKEN\"\n", p.resource)
	fmt.Fprintf(w, "  npx @modelcontextprotocol/inspector   # UI: Streamable HTTP, %s; its OAuth flow completes here\n", p.resource)
	fmt.Fprintf(w, "  curl -s %s%s -u %s:%s -d grant_type=client_credentials -d resource=%s -d scope=%q\n",
		p.issuer, devserver.TokenPath, client.ID, client.Secret, url.QueryEscape(p.resource), scope)
	// One request, no session: the 2026-07-28 (stateless) protocol era.
	method, name, params := "tools/list", "", `{`
	if slices.Contains(p.tools, "greet_user") {
		method, name, params = "tools/call", "greet_user", `{"name":"greet_user","arguments":{"name":"Ada"},`
	}
	fmt.Fprintf(w, "  curl -s %s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\\n", p.resource)
	fmt.Fprintf(w, "    -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: %s'", method)
	if name != "" {
		fmt.Fprintf(w, " -H 'Mcp-Name: %s'", name)
	}
	fmt.Fprintf(w, " \\\n    -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}'\n\n", method, params)
	fmt.Fprintf(w, "Ctrl-C stops everything.\n")
	return nil
}

// devTokenOptions holds the flags of `mcpgen dev token`.
type devTokenOptions struct {
	dir     string
	scopes  []string
	subject string
	ttl     time.Duration
}

func newDevTokenCommand(a *app) *cobra.Command {
	o := &devTokenOptions{}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print an access token from the dev authorization server",
		Long: `Print an access token signed with the key of 'mcpgen dev' for the project's resource, so
the server it runs accepts it. Only the token is printed, for TOKEN=$(mcpgen dev token).
Run 'mcpgen dev' in the project once first: the key and settings are in .mcpgen/dev/.`,
		Example: `  TOKEN=$(mcpgen dev token --scope usr:read)
  curl -H "Authorization: Bearer $TOKEN" …`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", ".", "directory of the project (where mcpgen.yaml is)")
	f.StringSliceVar(&o.scopes, "scope", nil, "scope to grant, repeatable or comma-separated (default: every scope of the project)")
	f.StringVar(&o.subject, "sub", devserver.DevSubject, "subject (sub) of the token")
	f.DurationVar(&o.ttl, "ttl", time.Hour, "lifetime of the token")
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

func (o *devTokenOptions) run(cmd *cobra.Command) error {
	if o.ttl <= 0 {
		return usagef("invalid --ttl %s: use a positive duration such as 1h", o.ttl)
	}
	stateDir := filepath.Join(o.dir, devserver.StateDir)
	st, err := devserver.LoadState(stateDir)
	if errors.Is(err, fs.ErrNotExist) {
		return usagef("no dev setup in %s: run 'mcpgen dev' in the project first (or pass --dir)", displayDir(o.dir))
	}
	if err != nil {
		return err
	}
	key, err := devserver.LoadKey(stateDir)
	if err != nil {
		return err
	}
	scopes := cleanScopes(o.scopes)
	if len(scopes) == 0 {
		scopes = st.Scopes
	}
	for _, s := range scopes {
		if !slices.Contains(st.Scopes, s) {
			return usagef("invalid --scope %q: this project's scopes are %s", s, strings.Join(st.Scopes, ", "))
		}
	}
	tok, err := devserver.Mint(key, st.Issuer, st.Resource, devserver.TokenRequest{
		Subject: o.subject, ClientID: st.ClientID, Scopes: scopes, TTL: o.ttl,
	}, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), tok)
	return err
}
