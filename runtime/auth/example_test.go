package auth_test

import (
	"context"
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
