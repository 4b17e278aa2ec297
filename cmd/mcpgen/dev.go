package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpgen/mcpgen/devserver"
	"github.com/mcpgen/mcpgen/devserver/devrun"
	"github.com/mcpgen/mcpgen/generator"
)

// devOptions holds the flags of `mcpgen dev`.
type devOptions struct {
	dir      string
	asAddr   string
	port     int
	noServer bool
	ttl      time.Duration
}

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

func (o *devOptions) run(a *app, cmd *cobra.Command) error {
	if o.ttl <= 0 {
		return usagef("invalid --ttl %s: use a positive duration such as 1h", o.ttl)
	}
	p, err := devrun.Open(devrun.Options{Dir: displayDir(o.dir), Port: o.port, ASAddr: o.asAddr})
	if errors.As(err, new(*devrun.UsageError)) {
		return asUsage(err)
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	as, err := p.StartAuthServer()
	if err != nil {
		return err
	}
	defer as.Close()

	out := cmd.OutOrStdout()
	if o.noServer {
		fmt.Fprintf(out, "mcpgen dev: authorization server on %s (development only)\n\n", p.Issuer)
		fmt.Fprintf(out, "run the server with:\n  %s\n\n", p.RunCommand())
		if err := printDevBanner(out, p, as, o.ttl); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}

	fmt.Fprintf(a.stderr, "mcpgen dev: building %s…\n", p.Name)
	bin, err := p.Build(ctx, a.stderr)
	if err != nil {
		return err
	}
	srv, err := p.StartServer(ctx, bin, a.stderr)
	if err != nil {
		return err
	}
	if err := printDevBanner(out, p, as, o.ttl); err != nil {
		_ = srv.Stop()
		return err
	}
	select {
	case <-ctx.Done():
		fmt.Fprintln(a.stderr, "mcpgen dev: stopping")
		return srv.Stop()
	case <-srv.Done():
		return srv.Exited()
	}
}

// printDevBanner says where everything is, with a ready token and commands to try.
func printDevBanner(w io.Writer, p *devrun.Project, as *devrun.AuthServer, ttl time.Duration) error {
	client := as.Client
	tok, err := as.Mint(devserver.TokenRequest{Subject: devserver.DevSubject, ClientID: client.ID, Scopes: p.Scopes, TTL: ttl})
	if err != nil {
		return err
	}
	scope := strings.Join(p.Scopes, " ")
	fmt.Fprintf(w, "mcpgen dev: DEVELOPMENT ONLY (loopback, every request approved without a login)\n\n")
	fmt.Fprintf(w, "  MCP server      %s\n", p.Resource)
	fmt.Fprintf(w, "  authorization   %s (metadata %s%s)\n", p.Issuer, p.Issuer, devserver.MetadataPath)
	fmt.Fprintf(w, "  dev client      client_id %s, client_secret %s\n", client.ID, client.Secret)
	fmt.Fprintf(w, "  scopes          %s\n\n", scope)
	fmt.Fprintf(w, "a token with every scope, valid %s (another: mcpgen dev token --scope SCOPE):\n\n", ttl)
	fmt.Fprintf(w, "  export TOKEN=%s\n\n", tok)
	fmt.Fprintf(w, "try it:\n")
	fmt.Fprintf(w, "  mcpgen doctor %s --token \"$TOKEN\"\n", p.Resource)
	fmt.Fprintf(w, "  npx @modelcontextprotocol/inspector --cli %s --transport http --method tools/list --header \"Authorization: Bearer $TOKEN\"\n", p.Resource)
	fmt.Fprintf(w, "  npx @modelcontextprotocol/inspector   # UI: Streamable HTTP, %s; its OAuth flow completes here\n", p.Resource)
	fmt.Fprintf(w, "  curl -s %s%s -u %s:%s -d grant_type=client_credentials -d resource=%s -d scope=%q\n",
		p.Issuer, devserver.TokenPath, client.ID, client.Secret, url.QueryEscape(p.Resource), scope)
	// One request, no session: the 2026-07-28 (stateless) protocol era.
	method, name, params := "tools/list", "", `{`
	if slices.Contains(p.Tools, "greet_user") {
		method, name, params = "tools/call", "greet_user", `{"name":"greet_user","arguments":{"name":"Ada"},`
	}
	fmt.Fprintf(w, "  curl -s %s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\\n", p.Resource)
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
	scopes := generator.CleanScopes(o.scopes)
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
