package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// The key set, discovery and introspection all fetch security-relevant JSON
// from the authorization server. These helpers hold the rules they share:
// https only (plain http for loopback hosts or when explicitly allowed),
// redirects checked by the same rule so a server cannot downgrade us, every
// request bounded in time and every body bounded in size.

// checkFetchURL refuses a URL that is not absolute http(s), or plain http to
// a non-loopback host unless allowHTTP. what names the URL in the error
// ("jwks url", "issuer", ...).
func checkFetchURL(what, raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s %q: %w", what, raw, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s %q must be an absolute https URL", what, raw)
	}
	if u.Scheme == "http" && !allowHTTP && !loopback.IsHost(u.Hostname()) {
		return fmt.Errorf("%s %q must use https (http only for loopback hosts, or set AllowHTTP)", what, raw)
	}
	return nil
}

// secureClient returns an HTTP client with a timeout that follows at most
// two redirects, each checked with checkFetchURL.
func secureClient(what string, timeout time.Duration, allowHTTP bool) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return fmt.Errorf("%s: too many redirects", what)
			}
			return checkFetchURL(what, req.URL.String(), allowHTTP)
		},
	}
}

// errHTTPStatus is wrapped by getJSON for a response other than 200.
var errHTTPStatus = errors.New("unexpected HTTP status")

// getJSON GETs a JSON document of at most maxBytes. A status other than 200,
// a non-JSON content type or an oversized body is an error.
func getJSON(ctx context.Context, client *http.Client, rawURL, accept string, maxBytes int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return readJSONBody(resp, maxBytes)
}

// readJSONBody reads a 200 JSON response body of at most maxBytes.
func readJSONBody(resp *http.Response, maxBytes int64) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("%w: status %d, want 200", errHTTPStatus, resp.StatusCode)
	}
	if !isJSONMediaType(resp.Header.Get("Content-Type")) {
		return nil, fmt.Errorf("content type %q is not JSON", resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > maxBytes {
		return nil, fmt.Errorf("response larger than %d bytes", maxBytes)
	}
	return body, nil
}
