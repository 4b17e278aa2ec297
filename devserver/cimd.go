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
	"strconv"
	"strings"
	"time"

	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// How long a fetched client ID metadata document is used before it is fetched again:
// as long as its Cache-Control max-age says, at most cimdMaxTTL, and cimdDefaultTTL
// without one (short, so a developer editing their client's document sees the change).
// At most cimdMaxEntries documents are kept: any page can make the dev server fetch a
// client_id URL of its choice.
const (
	cimdDefaultTTL = time.Minute
	cimdMaxTTL     = 5 * time.Minute
	cimdMaxEntries = 100
)

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
// fetched from ip, one of host's addresses. A loopback host (localhost or a loopback
// IP, the developer's own client) is fetched from loopback addresses only; any other
// host from public unicast addresses only, so a public name that resolves to this
// machine or to the developer's network is refused.
func checkDocumentAddress(host string, ip netip.Addr) error {
	ip = ip.Unmap()
	if loopback.IsHost(host) {
		if !ip.IsLoopback() {
			return fmt.Errorf("client ID metadata documents at %s are not fetched from %s, which is not a loopback address: check the hosts file", host, ip)
		}
		return nil
	}
	if !isPublicUnicast(ip) {
		addr := ip.String()
		if h, err := netip.ParseAddr(host); err != nil || h.Unmap() != ip {
			addr = host + " resolves to " + addr
		}
		return fmt.Errorf("client ID metadata documents are not fetched from private, loopback, link-local or other non-public addresses (%s): serve the document on a public host, or on http://localhost for a client on this machine", addr)
	}
	return nil
}

// nonPublic are the unicast ranges net/netip's predicates do not cover that reach no
// public host, or reach a private one through a translator: CGNAT, IETF protocol
// assignments, benchmarking, reserved, NAT64 (RFC 6052, RFC 8215), 6to4, Teredo,
// IPv4-compatible IPv6, and the deprecated site-local and documentation prefixes.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("fec0::/10"),
}

// isPublicUnicast reports whether ip (unmapped) is a unicast address of a public host.
func isPublicUnicast(ip netip.Addr) bool {
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// isMetadataDocumentID reports whether a client_id is a URL naming a client ID metadata
// document (draft-ietf-oauth-client-id-metadata-document, used by MCP 2025-11-25):
// https with a path. For development, an http URL on a loopback host is accepted too,
// so a client under development can serve its document locally.
func isMetadataDocumentID(id string) bool {
	u, err := url.Parse(id)
	return err == nil && loopback.IsSecureURL(u)
}

// metadataDocumentClient returns the client of the client ID metadata document at id,
// from the cache or fetched: 200, a JSON content type, redirects not followed, then
// checked by parseMetadataDocument.
func (s *Server) metadataDocumentClient(ctx context.Context, id string) (Client, error) {
	if c, ok := s.cachedDocument(id, s.cfg.Now()); ok {
		return c, nil
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
	c, err := parseMetadataDocument(id, body)
	if err != nil {
		return Client{}, err
	}
	s.cacheDocument(c, s.cfg.Now(), documentLifetime(resp.Header.Values("Cache-Control")))
	return c, nil
}

// parseMetadataDocument checks the client ID metadata document body fetched from id: a
// JSON object whose client_id equals the URL exactly, with redirect URIs, no client
// secret, and no token endpoint authentication but none. The dev server cannot check
// private_key_jwt or mutual TLS, and a public document cannot share a secret, so a
// document declaring either is refused rather than taken for a public client.
func parseMetadataDocument(id string, body []byte) (Client, error) {
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
	case doc.AuthMethod != "" && doc.AuthMethod != "none":
		return Client{}, fmt.Errorf("client ID metadata document %s uses token_endpoint_auth_method %q, which the dev authorization server does not support: declare none (a public client with PKCE), or register a confidential client at %s", id, doc.AuthMethod, RegisterPath)
	case len(doc.RedirectURIs) == 0:
		return Client{}, fmt.Errorf("client ID metadata document %s has no redirect_uris", id)
	}
	for _, u := range doc.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return Client{}, fmt.Errorf("client ID metadata document %s: %w", id, err)
		}
	}
	return Client{
		ID: id, Name: doc.Name, RedirectURIs: doc.RedirectURIs,
		GrantTypes: []string{"authorization_code", "refresh_token"}, AuthMethod: "none",
	}, nil
}

// documentLifetime is how long a document served with these Cache-Control values may
// be used: its max-age, at most cimdMaxTTL; nothing for no-store, no-cache or max-age=0;
// cimdDefaultTTL without a usable max-age.
func documentLifetime(cacheControl []string) time.Duration {
	ttl := cimdDefaultTTL
	for _, v := range cacheControl {
		for d := range strings.SplitSeq(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return 0
			case "max-age":
				n, err := strconv.ParseUint(strings.Trim(arg, `"`), 10, 64)
				if err != nil {
					continue
				}
				if n >= uint64(cimdMaxTTL/time.Second) {
					ttl = cimdMaxTTL
				} else {
					ttl = time.Duration(n) * time.Second
				}
			}
		}
	}
	return ttl
}

// cachedDocument returns the client of a cached document still alive at now, and
// drops it once it is not.
func (s *Server) cachedDocument(id string, now time.Time) (Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cached, ok := s.cimd[id]
	if ok && now.Before(cached.expires) {
		return cached.client, true
	}
	delete(s.cimd, id)
	return Client{}, false
}

// cacheDocument keeps c for ttl, within cimdMaxEntries: expired documents go first,
// then the ones closest to expiring.
func (s *Server) cacheDocument(c Client, now time.Time, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, e := range s.cimd {
		if !now.Before(e.expires) {
			delete(s.cimd, id)
		}
	}
	for len(s.cimd) >= cimdMaxEntries {
		oldest := ""
		for id, e := range s.cimd {
			if oldest == "" || e.expires.Before(s.cimd[oldest].expires) {
				oldest = id
			}
		}
		delete(s.cimd, oldest)
	}
	s.cimd[c.ID] = cachedClient{client: c, expires: now.Add(ttl)}
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
