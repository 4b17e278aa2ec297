package config

import (
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/envconfig"
)

// fromMap reads the configuration from vars instead of the process environment.
func fromMap(vars map[string]string) (Config, error) {
	return FromEnv(envconfig.New(func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}))
}

func TestDefaults(t *testing.T) {
	cfg, err := fromMap(map[string]string{})
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if cfg.Addr() != "127.0.0.1:3002" {
		t.Errorf("Addr = %q, want 127.0.0.1:3002 (loopback unless HOST says otherwise)", cfg.Addr())
	}
	if cfg.ResourceURL != defaultResourceURL {
		t.Errorf("ResourceURL = %q, want %q", cfg.ResourceURL, defaultResourceURL)
	}
	if len(cfg.Issuers) == 0 || cfg.Issuers[0] != defaultIssuer {
		t.Errorf("Issuers = %v, want %s first", cfg.Issuers, defaultIssuer)
	}
	if !slices.Equal(cfg.Audiences, []string{defaultResourceURL}) {
		t.Errorf("Audiences = %v, want the resource URL", cfg.Audiences)
	}
	if cfg.JWKSURL != defaultJWKSURL {
		t.Errorf("JWKSURL = %q, want %q", cfg.JWKSURL, defaultJWKSURL)
	}
	if !slices.Equal(cfg.AuthorizationServers, []string{defaultIssuer}) {
		t.Errorf("AuthorizationServers = %v, want the issuer", cfg.AuthorizationServers)
	}
	if cfg.LogLevel != slog.LevelInfo {
		t.Errorf("LogLevel = %v, want info", cfg.LogLevel)
	}
}

func TestEnvironmentOverridesDefaults(t *testing.T) {
	cfg, err := fromMap(map[string]string{
		"HOST":                       "0.0.0.0",
		"PORT":                       "8080",
		"MCP_RESOURCE_URL":           "https://mcp.example.com/mcp",
		"AUTH_ISSUER":                "https://auth.example.com",
		"AUTH_AUDIENCE":              "https://mcp.example.com/mcp, api://mcp",
		"AUTH_JWKS_URL":              "https://auth.example.com/jwks",
		"AUTH_AUTHORIZATION_SERVERS": "https://auth.example.com",
		"ALLOWED_ORIGINS":            "https://app.example.com",
		"LOG_LEVEL":                  "debug",
	})
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if cfg.Addr() != "0.0.0.0:8080" {
		t.Errorf("Addr = %q", cfg.Addr())
	}
	if !slices.Equal(cfg.Audiences, []string{"https://mcp.example.com/mcp", "api://mcp"}) {
		t.Errorf("Audiences = %v", cfg.Audiences)
	}
	if cfg.JWKSURL != "https://auth.example.com/jwks" {
		t.Errorf("JWKSURL = %q", cfg.JWKSURL)
	}
	if !slices.Equal(cfg.AllowedOrigins, []string{"https://app.example.com"}) {
		t.Errorf("AllowedOrigins = %v", cfg.AllowedOrigins)
	}
	if cfg.LogLevel != slog.LevelDebug {
		t.Errorf("LogLevel = %v, want debug", cfg.LogLevel)
	}
}

// TestAllProblemsAtOnce: an operator fixes a broken deployment in one round.
func TestAllProblemsAtOnce(t *testing.T) {
	_, err := fromMap(map[string]string{
		"PORT":             "eighty",
		"MCP_RESOURCE_URL": "not a url",
		"AUTH_ISSUER":      "http://auth.example.com",
		"LOG_LEVEL":        "loud",
	})
	if err == nil {
		t.Fatal("FromEnv succeeded, want an error")
	}
	for _, setting := range []string{"PORT", "MCP_RESOURCE_URL", "AUTH_ISSUER", "LOG_LEVEL"} {
		if !strings.Contains(err.Error(), setting) {
			t.Errorf("error does not mention %s:\n%v", setting, err)
		}
	}
}

func TestScalekitNames(t *testing.T) {
	cfg, err := fromMap(map[string]string{
		"MCP_RESOURCE_URL":  "https://mcp.example.com/mcp",
		"SK_ENV_URL":        "https://acme.scalekit.dev",
		"EXPECTED_AUDIENCE": "https://mcp.example.com/mcp",
	})
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if !slices.Equal(cfg.Issuers, []string{"https://acme.scalekit.dev"}) {
		t.Errorf("Issuers = %v, want SK_ENV_URL", cfg.Issuers)
	}
	if cfg.JWKSURL != "https://acme.scalekit.dev/keys" {
		t.Errorf("JWKSURL = %q, want SK_ENV_URL/keys", cfg.JWKSURL)
	}
	if !slices.Equal(cfg.Audiences, []string{"https://mcp.example.com/mcp"}) {
		t.Errorf("Audiences = %v, want EXPECTED_AUDIENCE", cfg.Audiences)
	}
}

func TestGenericNamesWin(t *testing.T) {
	cfg, err := fromMap(map[string]string{
		"SK_ENV_URL":        "https://acme.scalekit.dev",
		"EXPECTED_AUDIENCE": "https://scalekit-audience.example.com",
		"AUTH_ISSUER":       "https://auth.example.com",
		"AUTH_JWKS_URL":     "https://auth.example.com/jwks",
		"AUTH_AUDIENCE":     "https://generic-audience.example.com",
	})
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if !slices.Equal(cfg.Issuers, []string{"https://auth.example.com"}) {
		t.Errorf("Issuers = %v, want AUTH_ISSUER", cfg.Issuers)
	}
	if cfg.JWKSURL != "https://auth.example.com/jwks" {
		t.Errorf("JWKSURL = %q, want AUTH_JWKS_URL", cfg.JWKSURL)
	}
	if !slices.Equal(cfg.Audiences, []string{"https://generic-audience.example.com"}) {
		t.Errorf("Audiences = %v, want AUTH_AUDIENCE", cfg.Audiences)
	}
}

func TestProvidedMetadata(t *testing.T) {
	const prm = `{
		"resource": "https://mcp.example.com/mcp",
		"authorization_servers": ["https://acme.scalekit.dev/resources/res_123"],
		"bearer_methods_supported": ["header"],
		"scopes_supported": ["usr:read"]
	}`
	cfg, err := fromMap(map[string]string{
		"MCP_RESOURCE_URL":            "https://mcp.example.com/mcp",
		"SK_ENV_URL":                  "https://acme.scalekit.dev",
		"PROTECTED_RESOURCE_METADATA": prm,
	})
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if cfg.ProvidedMetadata == nil {
		t.Fatal("ProvidedMetadata = nil, want the parsed document")
	}
	want := []string{"https://acme.scalekit.dev/resources/res_123"}
	if !slices.Equal(cfg.AuthorizationServers, want) {
		t.Errorf("AuthorizationServers = %v, want %v", cfg.AuthorizationServers, want)
	}
	// Scalekit tokens may carry the resource-specific issuer.
	if !slices.Equal(cfg.Issuers, append([]string{"https://acme.scalekit.dev"}, want...)) {
		t.Errorf("Issuers = %v", cfg.Issuers)
	}
}

func TestProvidedMetadataMustDescribeThisServer(t *testing.T) {
	_, err := fromMap(map[string]string{
		"MCP_RESOURCE_URL":            "https://mcp.example.com/mcp",
		"PROTECTED_RESOURCE_METADATA": `{"resource": "https://other.example.com/mcp", "authorization_servers": ["https://acme.scalekit.dev"], "bearer_methods_supported": ["header"]}`,
	})
	if err == nil || !strings.Contains(err.Error(), "PROTECTED_RESOURCE_METADATA") {
		t.Errorf("err = %v, want a PROTECTED_RESOURCE_METADATA problem", err)
	}
}
