package settings_test

import (
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// TestResourceAndIssuerRequired: without defaults (a server protected by hand rather
// than generated), MCP_RESOURCE_URL and AUTH_ISSUER must be set, and saying so is one
// problem each; a bad value is reported once, as bad.
func TestResourceAndIssuerRequired(t *testing.T) {
	env := envconfig.FromMap(nil)
	settings.Read(env, provider.Generic, settings.Defaults{})
	err := env.Err()
	for _, want := range []string{"MCP_RESOURCE_URL is required", "AUTH_ISSUER is required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no settings: error %v, want %q", err, want)
		}
	}
	env = envconfig.FromMap(map[string]string{"MCP_RESOURCE_URL": "http://mcp.example.com/mcp", "SK_ENV_URL": "https://acme.scalekit.dev"})
	settings.Read(env, provider.Scalekit, settings.Defaults{})
	err = env.Err()
	if err == nil || strings.Contains(err.Error(), "is required") || !strings.Contains(err.Error(), "MCP_RESOURCE_URL=") {
		t.Errorf("plain http resource, issuer from SK_ENV_URL: error %v, want only the https problem", err)
	}
}
