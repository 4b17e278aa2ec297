package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

// Example wires the pieces a generated server uses: a remote JWKS, a
// validator, the metadata endpoints and the middleware in front of the MCP
// handler. (It has no Output: it would fetch a JWKS and serve.)
func Example() {
	ctx := context.Background()
	resource := "https://mcp.example.com/mcp"
	issuer := "https://auth.example.com"

	keys, err := auth.NewRemoteJWKS(ctx, issuer+"/keys", auth.JWKSOptions{UnknownKIDInterval: 10 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	validator, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{issuer}, Audiences: []string{resource}}, keys)
	if err != nil {
		log.Fatal(err)
	}
	metadataURL, err := auth.MetadataURL(resource)
	if err != nil {
		log.Fatal(err)
	}
	prm, err := auth.MetadataHandler(auth.ProtectedResourceMetadata{
		Resource:             resource,
		AuthorizationServers: []string{issuer},
		ScopesSupported:      []string{"usr:read"},
	})
	if err != nil {
		log.Fatal(err)
	}
	protect, err := auth.Middleware(auth.MiddlewareConfig{
		Validator:           validator,
		ResourceMetadataURL: metadataURL,
		Scopes:              auth.ScopePolicy{Tools: map[string][]string{"greet_user": {"usr:read"}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	var mcpHandler http.Handler = http.NotFoundHandler() // server.NewStreamableHTTPServer(...)

	mux := http.NewServeMux()
	for _, p := range auth.MetadataPaths(resource) {
		mux.Handle(p, prm)
	}
	mux.Handle("/mcp", protect(mcpHandler))
	log.Fatal(http.ListenAndServe("127.0.0.1:3002", mux))
}

// ExampleFromContext shows how a tool handler reads the caller.
func ExampleFromContext() {
	handler := func(ctx context.Context) (string, error) {
		p, ok := auth.FromContext(ctx)
		if !ok {
			return "", fmt.Errorf("not authenticated")
		}
		if !p.HasScope("usr:read") {
			return "", fmt.Errorf("missing scope usr:read")
		}
		return "Hi " + p.Subject, nil
	}
	ctx := auth.ContextWithPrincipal(context.Background(), &auth.Principal{Subject: "ada", Scopes: []string{"usr:read"}})
	fmt.Println(handler(ctx))
	// Output: Hi ada <nil>
}

// ExampleRequireScopes is a tool handler deciding at request time that it needs more
// than the policy asked for: behind the middleware, returning the error makes the
// client's answer a 403 insufficient_scope challenge naming the scopes to step up to.
func ExampleRequireScopes() {
	transfer := func(ctx context.Context, amount int) (string, error) {
		if amount > 100 {
			if err := auth.RequireScopes(ctx, "pay:large"); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("sent %d", amount), nil
	}
	ctx := auth.ContextWithPrincipal(context.Background(), &auth.Principal{Scopes: []string{"pay:small"}})
	fmt.Println(transfer(ctx, 5))
	_, err := transfer(ctx, 500)
	if e, ok := errors.AsType[*auth.Error](err); ok {
		fmt.Println(e.Status, e.Code, e.Scopes)
	}
	// Output:
	// sent 5 <nil>
	// 403 insufficient_scope [pay:large]
}

// ExampleScopePolicy_public is lazy authentication: weather needs no token, so clients
// may connect and list tools without one; forecast gets a 401 challenge naming
// forecast:read when called without a token. FilterLists shows each caller only what
// it may call (wire auth.ToolFilter(policy) into the mcp-go server).
func ExampleScopePolicy_public() {
	policy := auth.ScopePolicy{
		Tools:       map[string][]string{"forecast": {"forecast:read"}},
		Public:      []string{"weather"},
		FilterLists: true,
	}
	fmt.Println(policy.Callable("weather", nil), policy.Callable("forecast", nil))
	fmt.Println(policy.Callable("forecast", &auth.Principal{Scopes: []string{"forecast:read"}}))
	// Output:
	// true false
	// true
}
