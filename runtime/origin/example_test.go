package origin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/mcpgen/mcpgen/runtime/origin"
)

func ExampleNewPolicy() {
	policy, err := origin.NewPolicy("https://mcp.example.com/mcp", []string{"http://localhost:6274"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(policy.Origins())

	h := policy.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "reached the MCP handler")
	}))
	for _, o := range []string{"https://mcp.example.com", "https://evil.example"} {
		req := httptest.NewRequest("POST", "https://mcp.example.com/mcp", nil)
		req.Header.Set("Origin", o)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(o, rec.Code)
	}

	_, err = origin.NewPolicy("https://mcp.example.com/mcp", []string{"*"})
	fmt.Println(err)
	// Output:
	// [https://mcp.example.com http://localhost:6274]
	// https://mcp.example.com 200
	// https://evil.example 403
	// allowed origin "*" is refused: a wildcard would let any web page call the server; list each origin, e.g. https://app.example.com
}
