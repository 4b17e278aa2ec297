package interop

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/devserver"
	"github.com/mcpgen/mcpgen/internal/logcapture"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/protect"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// stepUpPolicy is issue #15's: clients are asked for usr:read first, which greet_user
// needs; admin_op needs admin:write, asked for only by the 403 a client gets calling it.
var stepUpPolicy = auth.ScopePolicy{
	Baseline: []string{"usr:read"},
	Tools:    map[string][]string{"greet_user": {"usr:read"}, "admin_op": {"admin:write"}},
}

const stepUpClient = "stepup"

// stepUpLine is one line of sdk-stepup.mjs.
type stepUpLine struct {
	sdkLine
	Tool           string `json:"tool"`
	RequestedScope string `json:"requested_scope"`
	IsError        bool   `json:"is_error"`
}

func describeStepUp(l stepUpLine) string {
	switch l.Step {
	case "tool answered":
		return "tool answered: " + l.Tool + ": " + l.Text
	case "token":
		return describe(l.sdkLine) + " (requested scope=" + l.RequestedScope + ")"
	case "mcp POST tools/call":
		return describe(l.sdkLine) + " (tool " + l.Tool + ")"
	}
	return describe(l.sdkLine)
}

// TestStepUp runs the TypeScript SDK client against an mcp-go server protected by
// runtime/protect with a baseline and a step-up scope: it must get a token with the
// baseline only, call greet_user, get 403 insufficient_scope naming admin:write for
// admin_op, get a token with admin:write and call admin_op. Against the dev
// authorization server and against oidc-provider, which issues RFC 9068 JWTs for the
// server's resource (RFC 8707) with the requested scopes.
func TestStepUp(t *testing.T) {
	p := installPeers(t)
	secret := randomSecret(t)
	t.Run("dev authorization server", func(t *testing.T) {
		srv := startStepUpServer(t)
		issuer := startDevAS(t, srv.MCPURL, stepUpPolicy.All(), secret)
		srv.serveFor(t, issuer)
		testStepUp(t, p, srv, issuer, secret)
	})
	t.Run("oidc-provider", func(t *testing.T) {
		srv := startStepUpServer(t)
		as := startAuthServer(t, p, srv.MCPURL, map[string]asClient{
			stepUpClient: {Secret: secret, Scope: strings.Join(stepUpPolicy.All(), " ")},
		})
		srv.serveFor(t, as.Issuer)
		testStepUp(t, p, srv, as.Issuer, secret)
	})
}

// startDevAS serves the dev authorization server for resource, issuing scopes to the
// client stepUpClient with secret, and returns its issuer.
func startDevAS(t *testing.T, resource string, scopes []string, secret string) string {
	t.Helper()
	ln, err := devserver.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	key, err := devserver.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	as, err := devserver.New(devserver.Config{
		Issuer: issuer, Resource: resource, Scopes: scopes, Key: key,
		Client: devserver.Client{ID: stepUpClient, Secret: secret},
	})
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, ln, as.Handler())
	return issuer
}

// stepUpServer is an mcp-go server with greet_user and admin_op behind protect.New
// with stepUpPolicy, unless policy and register say otherwise.
type stepUpServer struct {
	MCPURL   string
	ln       net.Listener
	log      *logcapture.Buffer
	policy   auth.ScopePolicy
	register func(*server.MCPServer) // adds what the server serves
}

// startStepUpServer reserves the server's address: the authorization server needs its
// URL (the resource) before the server can be configured for the authorization server.
func startStepUpServer(t *testing.T) *stepUpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &stepUpServer{MCPURL: "http://" + ln.Addr().String() + "/mcp", ln: ln, log: &logcapture.Buffer{},
		policy: stepUpPolicy, register: stepUpTools}
}

// stepUpTools adds greet_user and admin_op.
func stepUpTools(m *server.MCPServer) {
	m.AddTool(mcp.NewTool("greet_user", mcp.WithString("name", mcp.Required())),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("Hi " + req.GetString("name", "") + ", welcome to " + serverName + "!"), nil
		})
	m.AddTool(mcp.NewTool("admin_op"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("admin operation done"), nil
	})
}

// serveFor serves the MCP server protected for issuer, found as in production: the
// signing keys through the issuer's metadata.
func (s *stepUpServer) serveFor(t *testing.T, issuer string) {
	t.Helper()
	env := envconfig.FromMap(map[string]string{"MCP_RESOURCE_URL": s.MCPURL, "AUTH_ISSUER": issuer})
	set := settings.Read(env, provider.Generic, settings.Defaults{Port: 3002})
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	m := server.NewMCPServer(serverName, "1.0.0")
	s.register(m)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := protect.New(ctx, set, server.NewStreamableHTTPServer(m), protect.Options{
		Name: serverName, Scopes: s.policy,
		Logger: slog.New(slog.NewTextHandler(s.log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, s.ln, srv.Handler)
}

func serveOn(t *testing.T, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

func testStepUp(t *testing.T, p *peers, srv *stepUpServer, issuer, secret string) {
	lines := runNodeFlow(t, p, "sdk-stepup.mjs", "ts-sdk step-up", srv.log.String, describeStepUp, []string{
		"MCP_URL=" + srv.MCPURL, "AS_ISSUER=" + issuer, "CLIENT_ID=" + stepUpClient, "CLIENT_SECRET=" + secret,
	})
	tokenWith := func(what, requested, scope string) check[stepUpLine] {
		return check[stepUpLine]{what, func(l stepUpLine) bool {
			c := l.AccessToken
			return l.Step == "token" && l.Status == 200 && l.RequestedScope == requested && c != nil &&
				c.Typ == "at+jwt" && c.Iss == issuer && audIs(c.Aud, srv.MCPURL) && c.Scope == scope
		}}
	}
	call := func(tool string, status int) func(stepUpLine) bool {
		return func(l stepUpLine) bool {
			return l.Step == "mcp POST tools/call" && l.Tool == tool && l.Status == status
		}
	}
	wantFlow(t, lines,
		check[stepUpLine]{"401 naming only the baseline: scope=\"usr:read\"", func(l stepUpLine) bool {
			return l.Step == "mcp POST initialize" && l.Status == 401 && strings.Contains(l.Challenge, `scope="usr:read"`)
		}},
		tokenWith("a token with the baseline only: usr:read, for this server", "usr:read", "usr:read"),
		check[stepUpLine]{"initialize with the token", func(l stepUpLine) bool { return l.Step == "mcp POST initialize" && l.Status == 200 }},
		check[stepUpLine]{"greet_user answered 200", call("greet_user", 200)},
		check[stepUpLine]{"the greeting", func(l stepUpLine) bool {
			return l.Step == "tool answered" && l.Tool == "greet_user" && l.Text == "Hi Ada, welcome to "+serverName+"!"
		}},
		check[stepUpLine]{`admin_op refused: 403 insufficient_scope naming exactly admin:write`, func(l stepUpLine) bool {
			return call("admin_op", 403)(l) && strings.Contains(l.Challenge, `error="insufficient_scope"`) &&
				strings.Contains(l.Challenge, `scope="admin:write"`)
		}},
		tokenWith("the step-up: a token with admin:write, for this server", "admin:write", "admin:write"),
		check[stepUpLine]{"admin_op answered 200 with the new token", call("admin_op", 200)},
		check[stepUpLine]{"admin_op's answer", func(l stepUpLine) bool {
			return l.Step == "tool answered" && l.Tool == "admin_op" && !l.IsError && l.Text == "admin operation done"
		}},
		check[stepUpLine]{"both tools answered", func(l stepUpLine) bool { return l.Result == "both tools answered" }},
	)
}
