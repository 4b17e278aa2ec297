package envconfig_test

import (
	"fmt"

	"github.com/mcpgen/mcpgen/runtime/envconfig"
)

func ExampleEnv_Err() {
	vars := map[string]string{"PORT": "http", "MCP_RESOURCE_URL": "localhost:3002/mcp"}
	env := envconfig.New(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })

	port := env.Int("PORT", 3002, 1, 65535)
	resource := env.URL("MCP_RESOURCE_URL", fmt.Sprintf("http://localhost:%d/mcp", port))
	issuer := env.Required("AUTH_ISSUER", "set it to your authorization server's issuer URL")
	_, _ = resource, issuer

	fmt.Println(env.Err())
	// Output:
	// invalid configuration (3 problems):
	//   PORT="http" is not a whole number: use a number from 1 to 65535
	//   MCP_RESOURCE_URL is "localhost:3002/mcp", which is not an http or https URL: use an absolute http:// or https:// URL, e.g. https://example.com/path
	//   AUTH_ISSUER is required: set it to your authorization server's issuer URL
}
