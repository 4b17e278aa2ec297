package interop

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpgen/mcpgen/internal/harness"
)

// testMCPGo runs mcp-go's client with a token from the real authorization server, in the
// stateless 2026-07-28 era (server/discover, no session) and in 2025-11-25, through the
// recording proxy so the era on the wire is checked.
func testMCPGo(t *testing.T, w *world) {
	token, err := w.as.token(readerClient, w.secrets[readerClient], "usr:read", w.MCPURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{mcp.LATEST_PROTOCOL_VERSION, "2025-11-25"} {
		t.Run(version, func(t *testing.T) {
			trans, err := transport.NewStreamableHTTP(w.recorder.URL,
				transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
			if err != nil {
				t.Fatal(err)
			}
			c := client.NewClient(trans, client.WithProtocolVersion(version))
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := c.Start(ctx); err != nil {
				t.Fatalf("start: %v", err)
			}
			init, err := c.Initialize(ctx, mcp.InitializeRequest{})
			if err != nil {
				t.Fatalf("initialize/discover: %v", err)
			}
			t.Logf("mcp-go %s: negotiated %s with %s %s", version, init.ProtocolVersion, init.ServerInfo.Name, init.ServerInfo.Version)
			if init.ProtocolVersion != version {
				t.Fatalf("negotiated %s, want %s", init.ProtocolVersion, version)
			}
			got := harness.CheckGreeting(ctx, t, c, serverName)
			t.Logf("mcp-go %s: tools/call greet_user → %q", version, got)
			versions := w.recorder.protocolVersions()
			if len(versions) == 0 || slices.ContainsFunc(versions, func(v string) bool { return v != version }) {
				t.Errorf("MCP-Protocol-Version on the wire = %v, want only %s", versions, version)
			}
		})
	}
}
