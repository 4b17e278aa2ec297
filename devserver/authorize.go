package devserver

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// authRequest is an authorization request shown on the consent page, waiting for the
// (automatic) approval.
type authRequest struct {
	client        Client
	redirectURI   string
	state         string
	codeChallenge string
	scopes        []string
	expires       time.Time
}

// pkceChallengeRE is a base64url SHA-256 digest: 43 characters (RFC 7636 §4.2).
var pkceChallengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// serveAuthorize validates an authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636)
// and shows the consent page. Until the client and redirect URI are known to be good,
// errors are shown here rather than redirected (RFC 6749 §4.1.2.1): redirecting to an
// unchecked URI would make the server an open redirector.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		s.errorPage(w, http.StatusMethodNotAllowed, "use GET")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "the request parameters are malformed")
		return
	}
	q := r.Form
	clientID := q.Get("client_id")
	if clientID == "" {
		s.errorPage(w, http.StatusBadRequest, "client_id is missing")
		return
	}
	c, err := s.client(r, clientID)
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, err.Error())
		return
	}
	redirectURI := q.Get("redirect_uri")
	if redirectURI == "" && len(c.RedirectURIs) == 1 {
		redirectURI = c.RedirectURIs[0]
	}
	if !slices.ContainsFunc(c.RedirectURIs, func(reg string) bool { return redirectMatches(reg, redirectURI) }) {
		s.errorPage(w, http.StatusBadRequest, "redirect_uri "+strconv.Quote(redirectURI)+" is not registered for this client")
		return
	}
	fail := func(code, desc string) { s.redirectError(w, r, redirectURI, q.Get("state"), code, desc) }
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only response_type=code is supported")
		return
	case !slices.Contains(c.GrantTypes, "authorization_code"):
		fail("unauthorized_client", "this client is not registered for the authorization_code grant")
		return
	case q.Get("code_challenge") == "":
		fail("invalid_request", "PKCE is required: send code_challenge and code_challenge_method=S256")
		return
	case q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "code_challenge_method must be S256 (plain is not accepted)")
		return
	case !pkceChallengeRE.MatchString(q.Get("code_challenge")):
		fail("invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)")
		return
	}
	if msg := s.checkResources(q["resource"]); msg != "" {
		fail("invalid_target", msg)
		return
	}
	scopes, msg := s.grantScopes(q.Get("scope"))
	if msg != "" {
		fail("invalid_scope", msg)
		return
	}
	req := &authRequest{
		client: c, redirectURI: redirectURI, state: q.Get("state"),
		codeChallenge: q.Get("code_challenge"), scopes: scopes,
		expires: s.cfg.Now().Add(pendingTTL),
	}
	id := randomToken(24)
	s.mu.Lock()
	s.expire(s.cfg.Now())
	full := len(s.pending) >= maxPending || len(s.codes) >= maxPending
	if !full {
		s.pending[id] = req
	}
	s.mu.Unlock()
	if full {
		fail("temporarily_unavailable", "too many authorization requests in progress; try again in a few minutes")
		return
	}
	s.consentPage(w, id, req)
}

// serveApprove completes a pending request: it issues an authorization code and sends
// the browser back to the client. The request id is random and single-use, so a page
// cannot approve a request it did not start.
func (s *Server) serveApprove(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		s.errorPage(w, http.StatusMethodNotAllowed, "use GET")
		return
	}
	id := r.FormValue("request")
	now := s.cfg.Now()
	s.mu.Lock()
	req, ok := s.pending[id]
	delete(s.pending, id)
	if ok && now.After(req.expires) {
		ok = false
	}
	var code string
	if ok && r.FormValue("deny") == "" {
		code = randomToken(32)
		s.codes[code] = &grant{
			clientID: req.client.ID, redirectURI: req.redirectURI, codeChallenge: req.codeChallenge,
			scopes: req.scopes, subject: DevSubject, expires: now.Add(codeTTL), family: randomToken(16),
		}
	}
	s.mu.Unlock()
	if !ok {
		s.errorPage(w, http.StatusBadRequest, "this authorization request is unknown, used or expired: start the sign-in again from your client")
		return
	}
	if code == "" {
		s.redirectError(w, r, req.redirectURI, req.state, "access_denied", "the developer denied the request")
		return
	}
	s.redirect(w, r, req.redirectURI, url.Values{"code": {code}, "state": {req.state}})
}

// redirect sends the browser to the client's redirect URI with params and, as RFC 9207
// asks, the issuer (so a client talking to several servers knows which one answered).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	u, _ := url.Parse(redirectURI) // checked when registered
	q := u.Query()
	for k, vs := range params {
		if len(vs) > 0 && vs[0] != "" {
			q.Set(k, vs[0])
		}
	}
	q.Set("iss", s.cfg.Issuer)
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state, code, desc string) {
	s.redirect(w, r, redirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {state}})
}

// checkResources returns why the requested resources (RFC 8707) cannot be served, or
// "". No resource means this server's one resource.
func (s *Server) checkResources(resources []string) string {
	for _, res := range resources {
		if res != s.cfg.Resource {
			return "this authorization server issues tokens only for resource " + strconv.Quote(s.cfg.Resource) + ", not " + strconv.Quote(res)
		}
	}
	return ""
}

// grantScopes returns the scopes to grant for a space-separated request: all of them
// when none is asked for, an error message for a scope the project does not have.
func (s *Server) grantScopes(requested string) ([]string, string) {
	asked := strings.Fields(requested)
	if len(asked) == 0 {
		return slices.Clone(s.cfg.Scopes), ""
	}
	var out []string
	for _, sc := range asked {
		if !slices.Contains(s.cfg.Scopes, sc) {
			return nil, "unknown scope " + strconv.Quote(sc) + ": this project's scopes are " + strings.Join(s.cfg.Scopes, " ")
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, ""
}

// consentData is what the consent page shows.
type consentData struct {
	ClientName  string
	ClientID    string
	RedirectURI string
	Resource    string
	Scopes      []string
	ApproveURL  string
	DenyURL     string
	Message     string
}

// consentTemplate approves by itself after a second (meta refresh, no script needed) so
// clients' OAuth flows run without a click, while showing what is being granted.
var consentTemplate = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
{{if .ApproveURL}}<meta http-equiv="refresh" content="1;url={{.ApproveURL}}">{{end}}
<title>mcpgen dev: authorize</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5}code{background:#eee;padding:0 .2em}.warn{color:#a40}</style>
</head><body>
<h1>mcpgen dev authorization server</h1>
<p class="warn">Development only: every request is approved automatically, without a login.</p>
{{if .Message}}<p id="error">{{.Message}}</p>{{else}}
<p><strong>{{if .ClientName}}{{.ClientName}}{{else}}{{.ClientID}}{{end}}</strong> asks for access to
<code>{{.Resource}}</code> with these scopes:</p>
<ul id="scopes">{{range .Scopes}}<li><code>{{.}}</code></li>{{else}}<li>(none)</li>{{end}}</ul>
<p>Client <code>{{.ClientID}}</code>, returning to <code>{{.RedirectURI}}</code>.</p>
<p>Approving in a second… <a id="approve" href="{{.ApproveURL}}">approve now</a> · <a id="deny" href="{{.DenyURL}}">deny</a></p>
{{end}}
</body></html>
`))

func (s *Server) consentPage(w http.ResponseWriter, id string, req *authRequest) {
	v := url.Values{"request": {id}}
	data := consentData{
		ClientName: req.client.Name, ClientID: req.client.ID, RedirectURI: req.redirectURI,
		Resource: s.cfg.Resource, Scopes: req.scopes,
		ApproveURL: ApprovePath + "?" + v.Encode(),
	}
	v.Set("deny", "1")
	data.DenyURL = ApprovePath + "?" + v.Encode()
	s.page(w, http.StatusOK, data)
}

func (s *Server) errorPage(w http.ResponseWriter, status int, msg string) {
	s.page(w, status, consentData{Message: msg})
}

func (s *Server) page(w http.ResponseWriter, status int, data consentData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY") // no clickjacking of the approve link
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_ = consentTemplate.Execute(w, data)
}
