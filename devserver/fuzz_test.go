package devserver

import (
	"testing"
	"time"
)

// FuzzParseMetadataDocument: whatever a client_id URL serves, parsing neither panics
// nor accepts anything but a public client whose client_id is the URL, with checked
// redirect URIs.
func FuzzParseMetadataDocument(f *testing.F) {
	const id = "https://client.example/c.json"
	for _, seed := range []string{
		`{"client_id":"` + id + `","redirect_uris":["http://127.0.0.1:7777/cb"],"token_endpoint_auth_method":"none"}`,
		`{"client_id":"` + id + `","redirect_uris":["http://127.0.0.1:7777/cb"],"token_endpoint_auth_method":"private_key_jwt"}`,
		`{"client_id":"` + id + `","redirect_uris":["javascript:alert(1)"]}`,
		`{"client_id":"` + id + `","client_secret":"x","redirect_uris":["http://127.0.0.1:7777/cb"]}`,
		`{"client_id":"` + id + `","redirect_uris":[]}`,
		`[]`, `null`, `{"client_id":1}`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseMetadataDocument(id, body)
		if err != nil {
			return
		}
		if c.ID != id || c.Secret != "" || c.AuthMethod != "none" || len(c.RedirectURIs) == 0 {
			t.Fatalf("accepted %q as %+v", body, c)
		}
		for _, u := range c.RedirectURIs {
			if checkRedirectURI(u) != nil {
				t.Fatalf("accepted redirect URI %q from %q", u, body)
			}
		}
	})
}

// FuzzDocumentLifetime: any Cache-Control a document host sends yields a lifetime
// between nothing and cimdMaxTTL.
func FuzzDocumentLifetime(f *testing.F) {
	for _, seed := range []string{"", "max-age=60", "public, max-age=99999999999999999999", "no-store", `max-age="10"`, "max-age=-1", "MAX-AGE=5, no-cache"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cc string) {
		if d := documentLifetime([]string{cc}); d < 0 || d > cimdMaxTTL || d%time.Second != 0 {
			t.Fatalf("documentLifetime(%q) = %s", cc, d)
		}
	})
}
