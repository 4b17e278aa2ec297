// Command gosdkserver is the benchmark's peer (c): the greeting server as a Go developer
// would write it on github.com/modelcontextprotocol/go-sdk, protected by the SDK's
// auth.RequireBearerToken with a golang-jwt verifier whose keys come from keyfunc (the
// JWKS library the SDK's examples and most Go guides reach for). It has the same tool
// and answers the same way as the generated greeting server; nothing in it is tuned.
//
// Settings (set by the bench runner): PORT, MCP_RESOURCE_URL, AUTH_ISSUER, AUTH_JWKS_URL,
// AUTH_AUDIENCE (default MCP_RESOURCE_URL).
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type greetArgs struct {
	Name string `json:"name" jsonschema:"Name of the person to greet"`
}

func main() {
	resource := os.Getenv("MCP_RESOURCE_URL")
	issuer := os.Getenv("AUTH_ISSUER")
	audience := os.Getenv("AUTH_AUDIENCE")
	if audience == "" {
		audience = resource
	}
	keys, err := keyfunc.NewDefaultCtx(context.Background(), []string{os.Getenv("AUTH_JWKS_URL")})
	if err != nil {
		log.Fatalf("jwks: %v", err)
	}
	verify := func(ctx context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(token, claims, keys.Keyfunc,
			jwt.WithValidMethods([]string{"RS256", "ES256", "EdDSA"}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(audience),
			jwt.WithExpirationRequired(),
		)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", auth.ErrInvalidToken, err)
		}
		exp, _ := claims.GetExpirationTime()
		sub, _ := claims.GetSubject()
		scope, _ := claims["scope"].(string)
		return &auth.TokenInfo{Scopes: strings.Fields(scope), Expiration: exp.Time, UserID: sub}, nil
	}

	server := mcp.NewServer(&mcp.Implementation{Name: "greeting-server", Version: "0.1.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "greet_user", Description: "Greets a user by name."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in greetArgs) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{
				&mcp.TextContent{Text: fmt.Sprintf("Hi %s, welcome to greeting-server!", strings.TrimSpace(in.Name))},
			}}, nil, nil
		})
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	requireToken := auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{
		ResourceMetadataURL: strings.TrimSuffix(resource, "/mcp") + "/.well-known/oauth-protected-resource/mcp",
		Scopes:              []string{"usr:read"},
	})

	mux := http.NewServeMux()
	mux.Handle("/mcp", requireToken(mcpHandler))
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	log.Fatal(http.ListenAndServe(net.JoinHostPort("127.0.0.1", os.Getenv("PORT")), mux))
}
