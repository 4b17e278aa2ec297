package auth

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

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

// parseRPC returns the messages of a JSON-RPC body: one object or a batch
// (array) of objects. Anything it cannot read is refused (fail closed)
// rather than passed on for another parser to interpret.
//
// It reads what mcp-go v1.2.1 reads, as encoding/json decodes it into mcp-go's
// structs (keys matched case-insensitively with bytes.EqualFold, the last
// duplicate winning, null leaving a field as it was), so that this middleware
// and the server behind it cannot read different methods or tool names out of
// one body. It does so in one pass over the body after json.Valid, without
// decoding the arguments or allocating for anything but the names:
// FuzzParseRPC holds it to encoding/json's decoding of the same bytes (the
// two-decode reader it replaced) and to mcp-go's own request structs.
func parseRPC(body []byte) ([]rpcCall, *bodyError) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &bodyError{status: http.StatusBadRequest, rpcCode: rpcParseError, message: "request body is empty; expected a JSON-RPC message"}
	}
	if trimmed[0] != '[' {
		if trimmed[0] != '{' {
			return nil, errNotObject()
		}
		if !json.Valid(trimmed) {
			return nil, errNotRPC()
		}
		c, err := parseOneRPC(trimmed)
		if err != nil {
			return nil, err
		}
		return []rpcCall{c}, nil
	}
	if !json.Valid(trimmed) {
		return nil, &bodyError{status: http.StatusBadRequest, rpcCode: rpcParseError, message: "request body is not valid JSON"}
	}
	var calls []rpcCall
	for i := skipSpace(trimmed, 1); trimmed[i] != ']'; {
		end := valueEnd(trimmed, i)
		c, err := parseOneRPC(trimmed[i:end])
		if err != nil {
			return nil, err
		}
		calls = append(calls, c)
		// After a value: spaces, then ',' and the next value, or ']'.
		if i = skipSpace(trimmed, end); trimmed[i] == ',' {
			i = skipSpace(trimmed, i+1)
		}
	}
	if len(calls) == 0 {
		return nil, &bodyError{status: http.StatusBadRequest, rpcCode: rpcInvalidRequest, message: "empty JSON-RPC batch"}
	}
	return calls, nil
}

func errNotObject() *bodyError {
	return &bodyError{status: http.StatusBadRequest, rpcCode: rpcInvalidRequest, message: "a JSON-RPC message must be a JSON object"}
}

func errNotRPC() *bodyError {
	return &bodyError{status: http.StatusBadRequest, rpcCode: rpcParseError, message: "request body is not a valid JSON-RPC message"}
}

// parseOneRPC reads one message, raw: valid JSON (parseRPC checked), starting
// with its first byte. It reads method as encoding/json decodes it into
// mcp-go's string field, and params as into a json.RawMessage; then, for the
// methods whose params name what is called, params.name (tools/call,
// prompts/get) or params.uri (resources/read) as into a struct with that one
// string field.
func parseOneRPC(raw []byte) (rpcCall, *bodyError) {
	if raw[0] != '{' {
		return rpcCall{}, errNotObject()
	}
	var c rpcCall
	var params []byte // the last params value; nil when there is none
	for m := (members{b: raw, i: 1}); m.next(); {
		switch {
		case keyIs(m.key, "method"):
			switch m.value[0] {
			case '"':
				c.method = methodName(m.value)
			case 'n': // null leaves the field as it was
			default:
				return rpcCall{}, errNotRPC()
			}
		case keyIs(m.key, "params"):
			params = m.value
		}
	}
	if params == nil {
		return c, nil
	}
	var field, what string
	switch mcp.MCPMethod(c.method) {
	case mcp.MethodToolsCall:
		field, what = "name", "invalid tools/call params"
	case mcp.MethodPromptsGet:
		field, what = "name", "invalid prompts/get params"
	case mcp.MethodResourcesRead:
		field, what = "uri", "invalid resources/read params"
	default:
		return c, nil
	}
	invalid := func() *bodyError {
		return &bodyError{status: http.StatusBadRequest, rpcCode: rpcInvalidParams, message: what}
	}
	c.hasName = true
	switch params[0] {
	case 'n': // null params: the zero struct
		return c, nil
	case '{':
	default:
		return rpcCall{}, invalid()
	}
	for m := (members{b: params, i: 1}); m.next(); {
		if !keyIs(m.key, field) {
			continue
		}
		switch m.value[0] {
		case '"':
			c.name = stringValue(m.value)
		case 'n':
		default:
			return rpcCall{}, invalid()
		}
	}
	return c, nil
}

// members iterates over the members of a valid JSON object b whose '{' is
// before i: key is a member's name as written (between its quotes), value its
// value's bytes.
type members struct {
	b          []byte
	i          int
	key, value []byte
}

func (m *members) next() bool {
	i := skipSpace(m.b, m.i)
	if m.b[i] == ',' {
		i = skipSpace(m.b, i+1)
	}
	if m.b[i] == '}' {
		return false
	}
	end := stringEnd(m.b, i)
	m.key = m.b[i+1 : end-1]
	i = skipSpace(m.b, end)
	i = skipSpace(m.b, i+1) // past ':'
	end = valueEnd(m.b, i)
	m.value, m.i = m.b[i:end], end
	return true
}

// keyIs reports whether encoding/json would decode a member written key into
// the struct field tagged name: bytes.EqualFold of the unquoted key and name.
func keyIs(key []byte, name string) bool {
	if bytes.IndexByte(key, '\\') < 0 {
		// Unquoting leaves it as is, but for invalid UTF-8, which becomes
		// U+FFFD: a rune that, like any EqualFold sees there, matches no ASCII.
		return bytes.EqualFold(key, []byte(name))
	}
	var k string
	if err := json.Unmarshal(quoted(key), &k); err != nil {
		return false // unreachable: the body is valid JSON
	}
	return strings.EqualFold(k, name)
}

// quoted returns the JSON string whose contents are s, as written.
func quoted(s []byte) []byte {
	return append(append(append(make([]byte, 0, len(s)+2), '"'), s...), '"')
}

// stringValue is the Go string encoding/json decodes the JSON string v into.
func stringValue(v []byte) string {
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner) // valid JSON: no control characters either
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "" // unreachable: the body is valid JSON
	}
	return s
}

// methodName is stringValue for a method: the common ones without allocating.
func methodName(v []byte) string {
	switch string(v[1 : len(v)-1]) {
	case "tools/call":
		return "tools/call"
	case "tools/list":
		return "tools/list"
	case "notifications/initialized":
		return "notifications/initialized"
	case "initialize":
		return "initialize"
	case "ping":
		return "ping"
	case "resources/read":
		return "resources/read"
	case "prompts/get":
		return "prompts/get"
	}
	return stringValue(v)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// stringEnd returns the index after the JSON string that starts at b[i] ('"').
func stringEnd(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// valueEnd returns the index after the valid JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
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
