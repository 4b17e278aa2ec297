package config

import (
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/envconfig"
)

// TestDefaults: with nothing set, the server runs with what was chosen when it was
// generated.
func TestDefaults(t *testing.T) {
	cfg, err := FromEnv(envconfig.FromMap(nil))
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if cfg.Addr() != "127.0.0.1:3002" || cfg.ResourceURL != Defaults.ResourceURL || cfg.Issuers[0] != Defaults.Issuer {
		t.Errorf("addr %s, resource %s, issuers %v; want the defaults %+v", cfg.Addr(), cfg.ResourceURL, cfg.Issuers, Defaults)
	}
	if cfg.Provider.Name != "scalekit" {
		t.Errorf("provider = %q, want scalekit", cfg.Provider.Name)
	}
}

// TestEnvironmentWins: a deployment sets its own values, and a bad one stops the server
// with a message naming the setting.
func TestEnvironmentWins(t *testing.T) {
	cfg, err := FromEnv(envconfig.FromMap(map[string]string{
		"PORT":             "8080",
		"MCP_RESOURCE_URL": "https://mcp.example.com/mcp",
	}))
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if cfg.Port != 8080 || cfg.ResourceURL != "https://mcp.example.com/mcp" {
		t.Errorf("port %d, resource %s; want the environment's", cfg.Port, cfg.ResourceURL)
	}
	_, err = FromEnv(envconfig.FromMap(map[string]string{"PORT": "http"}))
	if err == nil || !strings.Contains(err.Error(), "PORT") {
		t.Errorf("PORT=http: error %v, want one naming PORT", err)
	}
}
