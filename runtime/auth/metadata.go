package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// WellKnownPath is the RFC 9728 well-known URI suffix for protected resource
// metadata.
const WellKnownPath = "/.well-known/oauth-protected-resource"

// ProtectedResourceMetadata is the RFC 9728 document that tells an MCP
// client which authorization servers issue tokens for this resource.
type ProtectedResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
	ResourceDocumentation  string   `json:"resource_documentation,omitempty"`
	// Extra keeps other members (e.g. from a provider's raw metadata JSON).
	Extra map[string]json.RawMessage `json:"-"`
}

// prmFields is ProtectedResourceMetadata without its methods, so MarshalJSON
// can encode the typed members with their tags (Extra is tagged "-").
type prmFields ProtectedResourceMetadata

var prmKnown = map[string]bool{
	"resource": true, "authorization_servers": true, "scopes_supported": true,
	"bearer_methods_supported": true, "resource_name": true, "resource_documentation": true,
}

// ParseProtectedResourceMetadata decodes a metadata document (for example a
// provider's PROTECTED_RESOURCE_METADATA), keeping unknown members in Extra.
// An empty bearer_methods_supported becomes ["header"]. It does not call
// Validate.
func ParseProtectedResourceMetadata(raw []byte) (ProtectedResourceMetadata, error) {
	var m ProtectedResourceMetadata
	if err := json.Unmarshal(raw, &m); err != nil {
		return ProtectedResourceMetadata{}, fmt.Errorf("parse protected resource metadata: %w", err)
	}
	return m, nil
}

// UnmarshalJSON decodes the typed members exactly (keys are case-sensitive,
// as RFC 9728 names them) and keeps the others in Extra.
func (m *ProtectedResourceMetadata) UnmarshalJSON(raw []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return err
	}
	if members == nil {
		return errors.New("metadata must be a JSON object")
	}
	var out ProtectedResourceMetadata
	decode := func(name string, v any) error {
		if r, ok := members[name]; ok {
			if err := json.Unmarshal(r, v); err != nil {
				return fmt.Errorf("member %s: %w", name, err)
			}
		}
		return nil
	}
	for _, d := range []struct {
		name string
		v    any
	}{
		{"resource", &out.Resource},
		{"authorization_servers", &out.AuthorizationServers},
		{"scopes_supported", &out.ScopesSupported},
		{"bearer_methods_supported", &out.BearerMethodsSupported},
		{"resource_name", &out.ResourceName},
		{"resource_documentation", &out.ResourceDocumentation},
	} {
		if err := decode(d.name, d.v); err != nil {
			return err
		}
	}
	for k, v := range members {
		if !prmKnown[k] {
			if out.Extra == nil {
				out.Extra = make(map[string]json.RawMessage)
			}
			out.Extra[k] = v
		}
	}
	if len(out.BearerMethodsSupported) == 0 {
		out.BearerMethodsSupported = []string{"header"}
	}
	*m = out
	return nil
}

// MarshalJSON writes the typed members and merges Extra into the same
// object; a typed member always wins over an Extra key of the same name.
// An empty bearer_methods_supported is written as ["header"].
func (m ProtectedResourceMetadata) MarshalJSON() ([]byte, error) {
	f := prmFields(m)
	if len(f.BearerMethodsSupported) == 0 {
		f.BearerMethodsSupported = []string{"header"}
	}
	if f.AuthorizationServers == nil {
		f.AuthorizationServers = []string{}
	}
	typed, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	if len(m.Extra) == 0 {
		return typed, nil
	}
	merged := make(map[string]json.RawMessage, len(m.Extra)+6)
	for k, v := range m.Extra {
		if !prmKnown[k] {
			if !json.Valid(v) {
				return nil, fmt.Errorf("extra member %s is not valid JSON", k)
			}
			merged[k] = v
		}
	}
	var typedMembers map[string]json.RawMessage
	if err := json.Unmarshal(typed, &typedMembers); err != nil {
		return nil, err
	}
	maps.Copy(merged, typedMembers)
	return json.Marshal(merged)
}

// Validate checks what MCP clients rely on: resource is an absolute https
// URL without fragment (http only for localhost, 127.0.0.1 and ::1), at least
// one authorization server, each an absolute http(s) URL, and
// bearer_methods_supported, when set, is exactly ["header"] because this
// resource reads tokens from no other place. It reports every problem at once.
func (m ProtectedResourceMetadata) Validate() error {
	var problems []string
	if err := checkResourceURL(m.Resource); err != nil {
		problems = append(problems, err.Error())
	}
	if len(m.AuthorizationServers) == 0 {
		problems = append(problems, "authorization_servers must list at least one authorization server")
	}
	for _, as := range m.AuthorizationServers {
		u, err := url.Parse(as)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
			problems = append(problems, fmt.Sprintf("authorization server %q must be an absolute http(s) URL without fragment", as))
		}
	}
	for _, bm := range m.BearerMethodsSupported {
		if bm != "header" {
			problems = append(problems, fmt.Sprintf("bearer_methods_supported: %q is not supported; only \"header\"", bm))
		}
	}
	for _, s := range m.ScopesSupported {
		if err := CheckScope(s); err != nil {
			problems = append(problems, "scopes_supported: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("protected resource metadata: %s", strings.Join(problems, "; "))
	}
	return nil
}

func checkResourceURL(resource string) error {
	u, err := url.Parse(resource)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("resource %q must be an absolute URL", resource)
	}
	if u.Fragment != "" || strings.Contains(resource, "#") {
		return fmt.Errorf("resource %q must not have a fragment", resource)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback.IsHost(u.Hostname()) {
			return fmt.Errorf("resource %q must use https (http is allowed only for loopback hosts: localhost, 127.0.0.0/8, ::1)", resource)
		}
	default:
		return fmt.Errorf("resource %q must be an https URL", resource)
	}
	return nil
}

// MetadataURL returns the absolute URL of the metadata for resource, built
// as RFC 9728 §3.1 says: the well-known segment goes between the host and
// the resource's path, and a path of just "/" is dropped:
//
//	https://h/mcp -> https://h/.well-known/oauth-protected-resource/mcp
//	https://h/    -> https://h/.well-known/oauth-protected-resource
//
// It is derived from configuration, never from a request's Host header,
// which a client controls.
func MetadataURL(resource string) (string, error) {
	u, err := url.Parse(resource)
	if err != nil {
		return "", fmt.Errorf("metadata url: resource %q: %w", resource, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("metadata url: resource %q must be an absolute URL", resource)
	}
	if u.Fragment != "" {
		return "", fmt.Errorf("metadata url: resource %q must not have a fragment", resource)
	}
	out := &url.URL{Scheme: u.Scheme, Host: u.Host, RawQuery: u.RawQuery}
	p := u.EscapedPath()
	if p == "/" {
		p = ""
	}
	out.Path = WellKnownPath
	if p != "" {
		if err := setEscapedPath(out, WellKnownPath+p); err != nil {
			return "", fmt.Errorf("metadata url: resource %q: %w", resource, err)
		}
	}
	return out.String(), nil
}

func setEscapedPath(u *url.URL, escaped string) error {
	unescaped, err := url.PathUnescape(escaped)
	if err != nil {
		return err
	}
	u.Path, u.RawPath = unescaped, escaped
	return nil
}

// MetadataPaths returns the request paths a server should serve the
// metadata of resource at: the root well-known path (for clients that only
// know the origin) and, when the resource has a path, the path-inserted
// form. It returns nil for a resource that is not an absolute URL.
func MetadataPaths(resource string) []string {
	u, err := url.Parse(resource)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil
	}
	paths := []string{WellKnownPath}
	if p := u.EscapedPath(); p != "" && p != "/" {
		paths = append(paths, WellKnownPath+p)
	}
	return paths
}

// MetadataHandler serves m, validated once and encoded once, as a public,
// cacheable, CORS-readable document: GET and HEAD answer 200 JSON, OPTIONS
// answers a CORS preflight with 204, other methods 405. No token is needed:
// the document is what a client reads to learn how to get one.
func MetadataHandler(m ProtectedResourceMetadata) (http.Handler, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode protected resource metadata: %w", err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, body, "", "  "); err == nil {
		body = append(indented.Bytes(), '\n')
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "public, max-age=3600")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusOK)
			if r.Method == http.MethodGet {
				_, _ = w.Write(body)
			}
		case http.MethodOptions:
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			if req := r.Header.Get("Access-Control-Request-Headers"); req != "" && isHeaderList(req) {
				h.Set("Access-Control-Allow-Headers", req)
			}
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
		default:
			h.Set("Allow", "GET, HEAD, OPTIONS")
			h.Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusMethodNotAllowed)
			_, _ = w.Write([]byte(`{"error":"method_not_allowed","error_description":"use GET"}` + "\n"))
		}
	}), nil
}

// isHeaderList reports whether s is a comma-separated list of header names,
// so a preflight's requested headers are echoed only when well-formed.
func isHeaderList(s string) bool {
	for part := range strings.SplitSeq(s, ",") {
		if !isToken(strings.TrimSpace(part)) {
			return false
		}
	}
	return true
}
