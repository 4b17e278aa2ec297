package main

import (
	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update

	"log/slog"
	"net/http"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// TestConformance runs the runtime's security checks against the protected mcp-go server.
func TestConformance(t *testing.T) {
	authtest.Conformance(t, authtest.Server{
		New: func(t testing.TB, env map[string]string, keys auth.KeySet, logger *slog.Logger) http.Handler {
			e := envconfig.FromMap(env)
			s := settings.Read(e, provider.Generic, settings.Defaults{Port: 8080})
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
			srv, err := protectedServer(t.Context(), s, logger, keys)
			if err != nil {
				t.Fatal(err)
			}
			return srv.Handler
		},
		Tools:    scopes,
		Provider: provider.Generic,
	})
}
