// Package metadata serves this server's OAuth protected resource metadata (RFC 9728):
// the public document that tells an MCP client which authorization server issues tokens
// for this server and which scopes it knows. Clients find it through the
// resource_metadata URL in every 401 challenge.
package metadata

import (
	"fmt"
	"net/http"

	"github.com/mcpgen/mcpgen/runtime/auth"

	"example.com/greeting-server/internal/config"
	"example.com/greeting-server/internal/tools"
)

// Document returns the metadata to serve: the document given in the configuration, if
// any, else one built from it, advertising scopes.
func Document(cfg config.Config, scopes []string) auth.ProtectedResourceMetadata {
	if cfg.ProvidedMetadata != nil {
		return *cfg.ProvidedMetadata
	}
	return auth.ProtectedResourceMetadata{
		Resource:               cfg.ResourceURL,
		AuthorizationServers:   cfg.AuthorizationServers,
		ScopesSupported:        scopes,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           tools.ServerName,
	}
}

// Mount serves m at both well-known locations for resource: the root one and the
// path-inserted one (/.well-known/oauth-protected-resource/mcp), since clients differ in
// which they try first.
func Mount(mux *http.ServeMux, resource string, m auth.ProtectedResourceMetadata) error {
	h, err := auth.MetadataHandler(m)
	if err != nil {
		return fmt.Errorf("serve protected resource metadata: %w", err)
	}
	for _, path := range auth.MetadataPaths(resource) {
		mux.Handle(path, h)
	}
	return nil
}
