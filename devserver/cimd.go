package devserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// cimdCacheTTL is how long a fetched client ID metadata document is used before it is
// fetched again; short, so a developer editing their client's document sees the change.
const cimdCacheTTL = time.Minute

type cachedClient struct {
	client  Client
	expires time.Time
}

// lookupFunc resolves a host name to its addresses (net.Resolver.LookupNetIP).
type lookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// newCIMDClient is the client that fetches client ID metadata documents: 5 s timeout,
// redirects not followed (CIMD: the authorization server must not follow them), and
// cimdTransport.
func newCIMDClient(lookup lookupFunc) *http.Client {
	return &http.Client{
		Timeout:       5 * time.Second,
		Transport:     cimdTransport(lookup),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// cimdTransport fetches client ID metadata documents from loopback or public addresses
// only. Any page can send the developer's browser to /authorize with a client_id URL of
// its choice, so without this check the dev server would request hosts on the
// developer's private network or a cloud metadata address (SSRF). It resolves the host
// itself, checks every address, and dials the address it checked, so a name that
// resolves differently a moment later (DNS rebinding) changes nothing; no proxy is used,
// so the check sees the real peer.
func cimdTransport(lookup lookupFunc) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	d := &net.Dialer{Timeout: 5 * time.Second}
	t.DialContext = func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		ips, err := lookup(ctx, host)
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("%s has no address", host)
		}
		for _, ip := range ips {
			if err := checkDocumentAddress(host, ip); err != nil {
				return nil, err
			}
		}
		var errs []error
		for _, ip := range ips {
			conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
			if err == nil {
				return conn, nil
			}
			errs = append(errs, err)
		}
		return nil, errors.Join(errs...)
	}
	return t
}

// checkDocumentAddress decides whether a client ID metadata document at host may be
// fetched from ip, one of host's addresses.
func checkDocumentAddress(_ string, ip netip.Addr) error {
	ip = ip.Unmap()
	if !ip.IsLoopback() && (ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || !ip.IsGlobalUnicast()) {
		return fmt.Errorf("client ID metadata documents are not fetched from private, link-local or unspecified addresses (%s): serve the document on loopback or a public host", ip)
	}
	return nil
}

// isMetadataDocumentID reports whether a client_id is a URL naming a client ID metadata
// document (draft-ietf-oauth-client-id-metadata-document, used by MCP 2025-11-25):
// https with a path. For development, an http URL on a loopback host is accepted too,
// so a client under development can serve its document locally.
func isMetadataDocumentID(id string) bool {
	u, err := url.Parse(id)
	return err == nil && loopback.IsSecureURL(u)
}

// metadataDocumentClient fetches and checks the client ID metadata document at id:
// 200, a JSON content type, a JSON object whose client_id equals the URL exactly, no
// client secret and no client_secret_* authentication, redirects not followed.
func (s *Server) metadataDocumentClient(ctx context.Context, id string) (Client, error) {
	now := s.cfg.Now()
	s.mu.Lock()
	cached, ok := s.cimd[id]
	s.mu.Unlock()
	if ok && now.Before(cached.expires) {
		return cached.client, nil
	}
	if err := checkMetadataDocumentURL(id); err != nil {
		return Client{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return Client{}, fmt.Errorf("client ID metadata document %s: %w", id, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return Client{}, fmt.Errorf("fetch client ID metadata document %s: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Client{}, fmt.Errorf("client ID metadata document %s answered %s, want 200 (redirects are not followed)", id, resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return Client{}, fmt.Errorf("client ID metadata document %s has content type %q, want application/json", id, mt)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRegistrationBytes+1))
	if err != nil {
		return Client{}, fmt.Errorf("read client ID metadata document %s: %w", id, err)
	}
	if len(body) > maxRegistrationBytes {
		return Client{}, fmt.Errorf("client ID metadata document %s is larger than %d bytes", id, maxRegistrationBytes)
	}
	var doc registration
	if err := json.Unmarshal(body, &doc); err != nil {
		return Client{}, fmt.Errorf("client ID metadata document %s is not a JSON object of client metadata: %w", id, err)
	}
	switch {
	case doc.ClientID != id:
		return Client{}, fmt.Errorf("client ID metadata document %s has client_id %q: it must equal the document's URL exactly", id, doc.ClientID)
	case doc.ClientSecret != "":
		return Client{}, fmt.Errorf("client ID metadata document %s contains a client_secret, which a public document must not", id)
	case strings.HasPrefix(doc.AuthMethod, "client_secret"):
		return Client{}, fmt.Errorf("client ID metadata document %s uses token_endpoint_auth_method %q: a document cannot share a secret, use none", id, doc.AuthMethod)
	case len(doc.RedirectURIs) == 0:
		return Client{}, fmt.Errorf("client ID metadata document %s has no redirect_uris", id)
	}
	for _, u := range doc.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return Client{}, fmt.Errorf("client ID metadata document %s: %w", id, err)
		}
	}
	c := Client{
		ID: id, Name: doc.Name, RedirectURIs: doc.RedirectURIs,
		GrantTypes: []string{"authorization_code", "refresh_token"}, AuthMethod: "none",
	}
	s.mu.Lock()
	s.cimd[id] = cachedClient{client: c, expires: now.Add(cimdCacheTTL)}
	s.mu.Unlock()
	return c, nil
}

// checkMetadataDocumentURL applies the draft's rules for a client_id URL: a path,
// no credentials, no fragment, no dot segments.
func checkMetadataDocumentURL(id string) error {
	u, err := url.Parse(id)
	if err != nil {
		return fmt.Errorf("client_id %q is not a URL: %w", id, err)
	}
	switch {
	case u.Path == "" || u.Path == "/":
		return fmt.Errorf("client_id %q must have a path naming the metadata document", id)
	case u.User != nil:
		return fmt.Errorf("client_id %q must not contain credentials", id)
	case u.Fragment != "" || strings.Contains(id, "#"):
		return fmt.Errorf("client_id %q must not contain a fragment", id)
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("client_id %q must not contain dot segments", id)
		}
	}
	return nil
}
