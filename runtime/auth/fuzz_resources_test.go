package auth

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// FuzzResourceDispatch is a differential test of resources/read and prompts/get
// authorization against mcp-go's own dispatch: for any body the middleware lets
// through as one read or get, the resource, template or prompt whose handler mcp-go
// runs must be one whose scopes the middleware demanded. The check and the dispatch
// can then never disagree on the target, whatever the escapes, duplicate keys, key
// case or URI shape.
func FuzzResourceDispatch(f *testing.F) {
	policy := ScopePolicy{
		Resources: map[string][]string{
			"docs://about":       {"docs:read"},
			"docs://files/index": {"index:read"},
		},
		ResourceTemplates: map[string][]string{
			"docs://files/{name}":         {"files:read"},
			"docs://{kind}/{name}":        {"any:read"},
			"docs://secret{/path*}":       {"secret:read"},
			"docs://q/{id}{?rev,lang}":    {"query:read"},
			"docs://r/{+rest}":            {"reserved:read"},
			"docs://frag/{name}{#anchor}": {"frag:read"},
		},
		Prompts: map[string][]string{"summarize": {"prompt:use"}, "Summarize": {"prompt:upper"}},
	}
	if err := policy.Check(); err != nil {
		f.Fatal(err)
	}
	// Each handler records the entry of the policy it serves.
	var served []string
	s := server.NewMCPServer("docs", "1.0.0", server.WithResourceCapabilities(false, false), server.WithPromptCapabilities(false))
	for uri := range policy.Resources {
		s.AddResource(mcp.NewResource(uri, uri), func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			served = append(served, "resource "+uri)
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, Text: "x"}}, nil
		})
	}
	for raw := range policy.ResourceTemplates {
		s.AddResourceTemplate(mcp.NewResourceTemplate(raw, raw), func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			served = append(served, "template "+raw)
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, Text: "x"}}, nil
		})
	}
	for name := range policy.Prompts {
		s.AddPrompt(mcp.NewPrompt(name), func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			served = append(served, "prompt "+name)
			return mcp.NewGetPromptResult("x", nil), nil
		})
	}
	ix := newResourceIndex(policy)
	seeded := map[string]bool{}
	for _, seed := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"docs://about"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"docs://files/index"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"docs://files/a"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"docs:\/\/about","URI":"docs://files/b"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"docs://secret/a/b%2Fc"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"docs://q/7?rev=2&lang=en"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"docs://r/a/b?c#d"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"docs://frag/x#y"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"summarize"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"NAME":"Summarize","name":"summarize"}}`,
	} {
		f.Add([]byte(seed))
		seeded[seed] = true // each reaches a handler
	}
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"Method":"resources/read","params":{"uri":"docs://about\u0000"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		calls, berr := parseRPC(body)
		if berr != nil || len(calls) != 1 || !json.Valid(body) {
			return // refused, or not a single message mcp-go would dispatch
		}
		c := calls[0]
		var needed []string
		switch c.method {
		case "resources/read":
			needed, _ = ix.scopes(c.name)
		case "prompts/get":
			needed = policy.Prompts[c.name]
		default:
			return
		}
		served = served[:0]
		_ = s.HandleMessage(context.Background(), body)
		if seeded[string(body)] && len(served) == 0 {
			t.Fatalf("seed %s reached no handler: the test would not see a disagreement", body)
		}
		for _, entry := range served {
			var scopes []string
			switch kind, key, _ := strings.Cut(entry, " "); kind {
			case "resource":
				scopes = policy.Resources[key]
			case "template":
				scopes = policy.ResourceTemplates[key]
			case "prompt":
				scopes = policy.Prompts[key]
			}
			for _, s := range scopes {
				if !slices.Contains(needed, s) {
					t.Fatalf("body %q: mcp-go served %s, which needs %s, but the middleware demanded only %q (read %q as the target)", body, entry, s, needed, c.name)
				}
			}
		}
	})
}
