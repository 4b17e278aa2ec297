package metadata

import (
	"slices"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"

	"example.com/greeting-server/internal/config"
)

func TestDocumentIsBuiltFromConfig(t *testing.T) {
	cfg := config.Config{
		ResourceURL:          "https://mcp.example.com/mcp",
		AuthorizationServers: []string{"https://auth.example.com"},
	}
	m := Document(cfg, []string{"usr:read"})
	if m.Resource != cfg.ResourceURL {
		t.Errorf("resource = %q, want %q", m.Resource, cfg.ResourceURL)
	}
	if !slices.Equal(m.AuthorizationServers, cfg.AuthorizationServers) {
		t.Errorf("authorization_servers = %v, want %v", m.AuthorizationServers, cfg.AuthorizationServers)
	}
	if !slices.Equal(m.ScopesSupported, []string{"usr:read"}) {
		t.Errorf("scopes_supported = %v, want [usr:read]", m.ScopesSupported)
	}
	// Tokens are accepted in the Authorization header only.
	if !slices.Equal(m.BearerMethodsSupported, []string{"header"}) {
		t.Errorf("bearer_methods_supported = %v, want [header]", m.BearerMethodsSupported)
	}
	if err := m.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestProvidedDocumentIsServedAsGiven: metadata pasted from the Scalekit dashboard is
// served unchanged, scopes included.
func TestProvidedDocumentIsServedAsGiven(t *testing.T) {
	provided := &auth.ProtectedResourceMetadata{
		Resource:               "https://mcp.example.com/mcp",
		AuthorizationServers:   []string{"https://acme.scalekit.dev/resources/res_123"},
		ScopesSupported:        []string{"usr:read", "usr:write"},
		BearerMethodsSupported: []string{"header"},
	}
	m := Document(config.Config{ResourceURL: provided.Resource, ProvidedMetadata: provided}, []string{"usr:read"})
	if !slices.Equal(m.AuthorizationServers, provided.AuthorizationServers) || !slices.Equal(m.ScopesSupported, provided.ScopesSupported) {
		t.Errorf("Document = %+v, want the provided document %+v", m, *provided)
	}
}
