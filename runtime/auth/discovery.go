package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// AuthorizationServerMetadata is what this package reads from an
// authorization server's metadata document (RFC 8414 §2, which OpenID Connect
// Discovery §3 extends). Raw keeps the whole document for tools that show or
// check more of it.
type AuthorizationServerMetadata struct {
	Issuer                            string   `json:"issuer"`
	JWKSURI                           string   `json:"jwks_uri"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint                     string   `json:"token_endpoint,omitempty"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint,omitempty"`
	RegistrationEndpoint              string   `json:"registration_endpoint,omitempty"`
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`
	GrantTypesSupported               []string `json:"grant_types_supported,omitempty"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported,omitempty"`
	ClientIDMetadataDocumentSupported bool     `json:"client_id_metadata_document_supported,omitempty"`

	// Source is the URL the document was fetched from.
	Source string `json:"-"`
	// Raw is the document as served.
	Raw json.RawMessage `json:"-"`
}

// DiscoveryOptions tunes Discover. Zero values take the defaults.
type DiscoveryOptions struct {
	// Timeout bounds the whole discovery, every candidate URL included;
	// default DefaultDiscoveryTimeout.
	Timeout    time.Duration
	HTTPClient *http.Client // default: https-only redirects, Timeout per request
	// AllowHTTP permits a plain-http issuer or jwks_uri on a non-loopback
	// host: whoever can alter the metadata in transit chooses the keys this
	// server trusts, so it is off by default.
	AllowHTTP bool
}

// DefaultDiscoveryTimeout bounds Discover unless DiscoveryOptions.Timeout says
// otherwise: a server start should fail quickly and clearly, not hang.
const DefaultDiscoveryTimeout = 10 * time.Second

// MaxMetadataBytes bounds a metadata document; real ones are a few KiB.
const MaxMetadataBytes = 256 << 10

// ErrIssuerMismatch is wrapped when a metadata document names another issuer
// than the one configured. RFC 8414 §3.3 says such a document must not be
// used: accepting it would let one authorization server pass itself off as
// another (a mix-up attack).
var ErrIssuerMismatch = errors.New("metadata issuer does not match the configured issuer")

// MetadataURLs returns the URLs Discover tries for issuer, in order: RFC
// 8414 with the well-known segment inserted before the issuer's path, then
// OpenID Connect discovery inserted the same way and appended to the issuer
// (OIDC Discovery §4), the order the MCP authorization specification gives.
// Without a path the first two are the plain well-known URLs. A terminating
// "/" of the issuer is removed first, as both specifications say.
func MetadataURLs(issuer string) ([]string, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return nil, fmt.Errorf("issuer %q: %w", issuer, err)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("issuer %q must not have a query or fragment (RFC 8414 §2)", issuer)
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	base := u.Scheme + "://" + u.Host
	if path == "" {
		return []string{
			base + "/.well-known/oauth-authorization-server",
			base + "/.well-known/openid-configuration",
		}, nil
	}
	return []string{
		base + "/.well-known/oauth-authorization-server" + path,
		base + "/.well-known/openid-configuration" + path,
		base + path + "/.well-known/openid-configuration",
	}, nil
}

// Discover fetches the metadata of the authorization server identified by
// issuer (see MetadataURLs for where it looks) and returns the first document
// whose issuer equals the configured one exactly and whose jwks_uri, when
// present, is https (or loopback). A document for another issuer is never
// used; the error then wraps ErrIssuerMismatch. A network failure stops the
// search at once, since every candidate is on the same host. The whole
// search is bounded by Timeout, and each document by MaxMetadataBytes.
func Discover(ctx context.Context, issuer string, opts DiscoveryOptions) (*AuthorizationServerMetadata, error) {
	if err := checkFetchURL("issuer", issuer, opts.AllowHTTP); err != nil {
		return nil, fmt.Errorf("discover metadata: %w", err)
	}
	candidates, err := MetadataURLs(issuer)
	if err != nil {
		return nil, fmt.Errorf("discover metadata: %w", err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultDiscoveryTimeout
	}
	client := opts.HTTPClient
	if client == nil {
		client = secureClient("metadata", timeout, opts.AllowHTTP)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Every failure is kept (and wrapped, for errors.Is) so the operator sees
	// what each URL answered.
	var failures []any
	for _, candidate := range candidates {
		m, err := fetchMetadata(ctx, client, candidate, issuer, opts.AllowHTTP)
		if err == nil {
			return m, nil
		}
		failures = append(failures, fmt.Errorf("%s: %w", candidate, err))
		if isNetworkError(err) {
			break
		}
	}
	format := "discover the metadata of issuer %s: no usable document (" + strings.Repeat("; %w", len(failures))[2:] + ")"
	return nil, fmt.Errorf(format, append([]any{issuer}, failures...)...)
}

func fetchMetadata(ctx context.Context, client *http.Client, metadataURL, issuer string, allowHTTP bool) (*AuthorizationServerMetadata, error) {
	body, err := getJSON(ctx, client, metadataURL, "application/json", MaxMetadataBytes)
	if err != nil {
		return nil, err
	}
	var m AuthorizationServerMetadata
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("decode metadata: %w", err)
	}
	if m.Issuer != issuer {
		return nil, fmt.Errorf("%w: document says %q", ErrIssuerMismatch, m.Issuer)
	}
	if m.JWKSURI != "" {
		if err := checkFetchURL("jwks_uri", m.JWKSURI, allowHTTP); err != nil {
			return nil, err
		}
	}
	m.Source = metadataURL
	m.Raw = body
	return &m, nil
}

// isNetworkError reports whether err is a transport failure (refused,
// unresolvable, timed out) rather than an answer the server gave.
func isNetworkError(err error) bool {
	var netErr net.Error
	var urlErr *url.Error
	return errors.As(err, &netErr) || errors.As(err, &urlErr) || errors.Is(err, context.DeadlineExceeded)
}

// DiscoverJWKSURL returns the jwks_uri of issuer's metadata (see Discover), for
// callers that need only the key set. Generated servers call Discover itself,
// because with opaque tokens they also need the introspection endpoint.
func DiscoverJWKSURL(ctx context.Context, issuer string, opts DiscoveryOptions) (string, error) {
	m, err := Discover(ctx, issuer, opts)
	if err != nil {
		return "", err
	}
	if m.JWKSURI == "" {
		return "", fmt.Errorf("the metadata of issuer %s (%s) has no jwks_uri: the server publishes no signing keys", issuer, m.Source)
	}
	return m.JWKSURI, nil
}
