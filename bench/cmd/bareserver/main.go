// Command bareserver is the benchmark's ceiling (d): the greeting server on mcp-go with
// no middleware at all: no token check, request log, metrics, limits or Origin policy.
// It has the same tool, answers the same way and issues session ids with the same
// manager as the generated server, so what (a) costs beyond it is the whole production
// chain.
//
// Settings (set by the bench runner): PORT, and BENCH_PPROF_ADDR for CPU profiles
// (-profile), as the generated copies have.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // on its own listener, only with BENCH_PPROF_ADDR
	"os"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

type greetArgs struct {
	Name string `json:"name"`
}

func main() {
	s := server.NewMCPServer("greeting-server", "0.1.0")
	s.AddTool(mcp.NewTool("greet_user", mcp.WithDescription("Greets a user by name."), mcp.WithInputSchema[greetArgs]()),
		mcp.NewTypedToolHandler(func(_ context.Context, _ mcp.CallToolRequest, in greetArgs) (*mcp.CallToolResult, error) {
			name := strings.TrimSpace(in.Name)
			if name == "" {
				return mcp.NewToolResultError("name must not be empty"), nil
			}
			return mcp.NewToolResultText(fmt.Sprintf("Hi %s, welcome to greeting-server!", name)), nil
		}))
	if addr := os.Getenv("BENCH_PPROF_ADDR"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", server.NewStreamableHTTPServer(s, server.WithSessionIdManager(&server.StatelessGeneratingSessionIdManager{})))
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	log.Fatal(http.ListenAndServe(net.JoinHostPort("127.0.0.1", os.Getenv("PORT")), mux))
}
