// Package origin guards the MCP endpoint against DNS rebinding and answers
// CORS for the browser clients allowed to call it.
//
// The MCP Streamable HTTP transport requires servers to validate the Origin
// header: a web page the user happens to visit could otherwise make the
// browser talk to a server on localhost or the intranet. [Policy.Middleware]
// sits in the generated chain after request logging and before
// authentication, so a foreign page is turned away with 403 before any token
// is looked at, and a CORS preflight (which browsers send without
// credentials) is answered without ever reaching the auth middleware.
//
// Requests without an Origin header come from non-browser clients (CLIs,
// agents, server-side SDKs), which DNS rebinding cannot drive, and pass
// untouched: they are authenticated by their bearer token like everyone else.
package origin

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// CORS values. The header lists are the ones an MCP client sends and reads:
// a browser client must send Authorization and the Mcp-* headers, and must be
// able to read WWW-Authenticate (to find the authorization server on 401),
// the session and protocol headers, and the rate limit fields of a 429
// (Retry-After is not CORS-safelisted either).
const (
	AllowMethods  = "GET, POST, DELETE, OPTIONS"
	AllowHeaders  = "Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID"
	ExposeHeaders = "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version, Retry-After, RateLimit, RateLimit-Policy"
	// MaxAge is how long (seconds) a browser may cache a preflight answer;
	// 7200 is Chromium's cap, so a longer value would buy nothing there.
	MaxAge = 7200
)

var maxAge = strconv.Itoa(MaxAge)

// forbiddenBody is fixed: the rejected origin is never echoed, so the error
// cannot be used to reflect attacker-chosen text.
const forbiddenBody = `{"error":"forbidden_origin","error_description":"requests from this Origin are not allowed; the server operator can add it to ALLOWED_ORIGINS"}` + "\n"

// Policy is the set of origins allowed to call the MCP endpoint. It is
// immutable once built and safe for concurrent use.
type Policy struct {
	allowed map[string]struct{} // normalised origins
	list    []string            // the same, in configuration order
}

// NewPolicy returns the policy allowing the origin of resourceURL (the
// server's own canonical URL, so its own pages work) plus each entry of
// allowed. Entries must be origins: scheme://host[:port], nothing else. "*"
// and "null" are refused, because a wildcard or the opaque origin of
// sandboxed frames and file:// pages would switch off the very check this
// package exists for. Blank entries are ignored. Errors name the bad entry
// and how to write it instead.
func NewPolicy(resourceURL string, allowed []string) (*Policy, error) {
	own, err := resourceOrigin(resourceURL)
	if err != nil {
		return nil, err
	}
	p := &Policy{allowed: map[string]struct{}{}}
	p.add(own)
	var errs []error
	for _, a := range allowed {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		o, err := parseConfigured(a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.add(o)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Policy) add(o string) {
	if _, dup := p.allowed[o]; !dup {
		p.allowed[o] = struct{}{}
		p.list = append(p.list, o)
	}
}

// Origins returns the allowed origins, normalised, the server's own first.
func (p *Policy) Origins() []string { return slices.Clone(p.list) }

// Allowed reports whether an Origin header value is allowed. Comparison is on
// the normalised form (lower-case scheme and host, default port dropped), so
// "HTTPS://App.Example.com:443" matches "https://app.example.com". "null",
// the empty string and anything that is not a bare origin are refused.
func (p *Policy) Allowed(origin string) bool {
	if _, ok := p.allowed[origin]; ok {
		return true // fast path: browsers send the serialised form
	}
	o, ok := normalise(origin)
	if !ok {
		return false
	}
	_, ok = p.allowed[o]
	return ok
}

// Middleware applies the policy in front of next:
//   - no Origin header: next, unchanged;
//   - Origin not allowed (including "null", malformed, or several Origin
//     headers): 403 with a JSON error, next never runs;
//   - preflight (OPTIONS with Access-Control-Request-Method) from an allowed
//     origin: 204 with the CORS headers, next never runs, so no token is
//     needed;
//   - any other request from an allowed origin: next, with
//     Access-Control-Allow-Origin and Access-Control-Expose-Headers set, so
//     they are on every response including the auth middleware's 401.
func (p *Policy) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values("Origin")
		if len(values) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		// Responses differ by Origin, so shared caches must key on it.
		h.Add("Vary", "Origin")
		if len(values) != 1 || !p.Allowed(values[0]) {
			forbid(w)
			return
		}
		h.Set("Access-Control-Allow-Origin", values[0])
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", AllowMethods)
			h.Set("Access-Control-Allow-Headers", AllowHeaders)
			h.Set("Access-Control-Max-Age", maxAge)
			// Chromium's Private Network Access asks before a public page may
			// call a server on localhost or the intranet; the operator listed
			// this origin, so the answer is yes.
			if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
				h.Set("Access-Control-Allow-Private-Network", "true")
			}
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h["Access-Control-Expose-Headers"] = exposeHeaders
		next.ServeHTTP(w, r)
	})
}

// exposeHeaders is the value of Access-Control-Expose-Headers, one slice shared by
// every response (no allocation per request): net/http only reads header values.
var exposeHeaders = []string{ExposeHeaders}

func forbid(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusForbidden)
	_, _ = io.WriteString(w, forbiddenBody)
}

// resourceOrigin returns the origin of the server's canonical URL.
func resourceOrigin(resourceURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(resourceURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("origin policy: resource URL %q must be an absolute http or https URL with a host, e.g. https://mcp.example.com/mcp", resourceURL)
	}
	o, ok := normalise(u.Scheme + "://" + u.Host)
	if !ok {
		return "", fmt.Errorf("origin policy: resource URL %q has an invalid host or port", resourceURL)
	}
	return o, nil
}

// parseConfigured validates one configured origin and returns its normal form.
func parseConfigured(a string) (string, error) {
	switch a {
	case "*":
		return "", errors.New(`allowed origin "*" is refused: a wildcard would let any web page call the server; list each origin, e.g. https://app.example.com`)
	case "null":
		return "", errors.New(`allowed origin "null" is refused: it is the origin of sandboxed frames and local files, which any page can produce`)
	}
	if o, ok := normalise(a); ok {
		return o, nil
	}
	u, err := url.Parse(a)
	if err == nil && u.Scheme != "" && u.Host != "" && u.Opaque == "" {
		if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(a, "?") || strings.HasSuffix(a, "#") {
			return "", fmt.Errorf("allowed origin %q has a path, query or fragment: an origin is only scheme://host[:port], e.g. %q", clip(a), u.Scheme+"://"+u.Host)
		}
	}
	return "", fmt.Errorf("allowed origin %q is not an origin: write scheme://host[:port], e.g. https://app.example.com", clip(a))
}

// normalise returns the serialised origin (RFC 6454) of s, which must be
// exactly scheme://host[:port]: scheme and host lower-cased, the default port
// of http and https dropped. ok is false for anything else, "null" included.
func normalise(s string) (string, bool) {
	scheme, rest, found := strings.Cut(s, "://")
	if !found || !validScheme(scheme) || rest == "" {
		return "", false
	}
	scheme = strings.ToLower(scheme)
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") { // IPv6 literal
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", false
		}
		host, port = rest[:end+1], rest[end+1:]
		if port != "" {
			if port[0] != ':' {
				return "", false
			}
			port = port[1:]
		}
		if !validIPv6(host[1 : len(host)-1]) {
			return "", false
		}
	} else {
		if i := strings.LastIndexByte(rest, ':'); i >= 0 {
			host, port = rest[:i], rest[i+1:]
		}
		if !validHost(host) {
			return "", false
		}
	}
	if port != "" || strings.HasSuffix(rest, ":") {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' || port[0] == '+' {
			return "", false
		}
		if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
			port = ""
		}
	}
	host = strings.ToLower(host)
	if port == "" {
		return scheme + "://" + host, true
	}
	return scheme + "://" + host + ":" + port, true
}

// validScheme follows RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
// Schemes other than http and https are allowed for browser extensions and
// embedded webviews (chrome-extension://id), which send such origins.
func validScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validHost accepts DNS names and IPv4 literals: letters, digits, '-', '.',
// '_' (seen in some intranet names). Anything that could smuggle a path,
// credentials or a second origin (/, @, space, %, ...) is refused.
func validHost(h string) bool {
	if h == "" || len(h) > 253 || h[0] == '.' || h[0] == '-' {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '.' && c != '_' {
			return false
		}
	}
	return true
}

func validIPv6(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !isDigit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') && c != ':' && c != '.' {
			return false
		}
	}
	return strings.Contains(h, ":")
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
