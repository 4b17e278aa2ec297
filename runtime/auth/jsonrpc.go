package auth

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/mark3labs/mcp-go/mcp"
)

// JSON-RPC error codes used for bodies the middleware refuses to pass on.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
	rpcInvalidParams  = -32602
	rpcHeaderMismatch = mcp.HEADER_MISMATCH
)

// rpcCall is what the scope decision needs from one JSON-RPC message.
type rpcCall struct {
	method  string
	name    string // params.name (tools/call, prompts/get) or params.uri (resources/read)
	hasName bool
}

// rpcEnvelope mirrors the fields mcp-go v1.2.1 decodes from an incoming
// message, with the same decoder (encoding/json: keys matched
// case-insensitively, the last duplicate wins), so that this middleware and
// the server behind it cannot read different methods or tool names out of
// one body.
type rpcEnvelope struct {
	Method mcp.MCPMethod   `json:"method,omitempty"`
	Params json.RawMessage `json:"params"`
}

// parseRPC returns the messages of a JSON-RPC body: one object or a batch
// (array) of objects. Anything it cannot read is refused (fail closed)
// rather than passed on for another parser to interpret.
func parseRPC(body []byte) ([]rpcCall, *bodyError) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &bodyError{status: http.StatusBadRequest, rpcCode: rpcParseError, message: "request body is empty; expected a JSON-RPC message"}
	}
	if trimmed[0] != '[' {
		c, err := parseOneRPC(body)
		if err != nil {
			return nil, err
		}
		return []rpcCall{c}, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		return nil, &bodyError{status: http.StatusBadRequest, rpcCode: rpcParseError, message: "request body is not valid JSON"}
	}
	if len(elems) == 0 {
		return nil, &bodyError{status: http.StatusBadRequest, rpcCode: rpcInvalidRequest, message: "empty JSON-RPC batch"}
	}
	calls := make([]rpcCall, 0, len(elems))
	for _, e := range elems {
		c, err := parseOneRPC(e)
		if err != nil {
			return nil, err
		}
		calls = append(calls, c)
	}
	return calls, nil
}

func parseOneRPC(raw []byte) (rpcCall, *bodyError) {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return rpcCall{}, &bodyError{status: http.StatusBadRequest, rpcCode: rpcInvalidRequest, message: "a JSON-RPC message must be a JSON object"}
	}
	var env rpcEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return rpcCall{}, &bodyError{status: http.StatusBadRequest, rpcCode: rpcParseError, message: "request body is not a valid JSON-RPC message"}
	}
	c := rpcCall{method: string(env.Method)}
	if len(env.Params) == 0 {
		return c, nil
	}
	switch env.Method {
	case mcp.MethodToolsCall:
		// The same decoder and field tag as mcp.CallToolParams.UnmarshalJSON
		// (FuzzParseRPC holds the two to the same name), without decoding the
		// arguments into maps the scope decision never reads.
		var p struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(env.Params, &p); err != nil {
			return rpcCall{}, &bodyError{status: http.StatusBadRequest, rpcCode: rpcInvalidParams, message: "invalid tools/call params"}
		}
		c.name, c.hasName = p.Name, true
	case mcp.MethodPromptsGet:
		var p struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(env.Params, &p); err != nil {
			return rpcCall{}, &bodyError{status: http.StatusBadRequest, rpcCode: rpcInvalidParams, message: "invalid prompts/get params"}
		}
		c.name, c.hasName = p.Name, true
	case mcp.MethodResourcesRead:
		var p struct {
			URI string `json:"uri"`
		}
		if err := json.Unmarshal(env.Params, &p); err != nil {
			return rpcCall{}, &bodyError{status: http.StatusBadRequest, rpcCode: rpcInvalidParams, message: "invalid resources/read params"}
		}
		c.name, c.hasName = p.URI, true
	}
	return c, nil
}

// checkStandardHeaders enforces that the 2026-07-28 Mcp-Method and Mcp-Name
// headers, when sent, agree with every message of the body. Gateways route
// and meter on these headers; if they could disagree with the body, a
// request could be authorized as one tool and run as another.
func checkStandardHeaders(h http.Header, calls []rpcCall) *bodyError {
	mismatch := func(msg string) *bodyError {
		return &bodyError{status: http.StatusBadRequest, rpcCode: rpcHeaderMismatch, message: msg}
	}
	methods := h.Values(mcp.HeaderMethod)
	names := h.Values(mcp.HeaderName)
	if len(methods) > 1 {
		return mismatch("several Mcp-Method headers")
	}
	if len(names) > 1 {
		return mismatch("several Mcp-Name headers")
	}
	if len(methods) == 1 && methods[0] != "" {
		for _, c := range calls {
			if c.method != methods[0] {
				return mismatch("Mcp-Method header does not match the JSON-RPC method in the body")
			}
		}
	}
	if len(names) == 1 && names[0] != "" {
		name, ok := mcp.DecodeHeaderValue(names[0])
		if !ok {
			return mismatch("Mcp-Name header has invalid base64 encoding")
		}
		for _, c := range calls {
			if mcp.MethodRequiresNameHeader(mcp.MCPMethod(c.method)) && (!c.hasName || c.name != name) {
				return mismatch("Mcp-Name header does not match the name in the body")
			}
		}
	}
	return nil
}
