package generator

import (
	"slices"
	"strings"
	"testing"
)

func TestDevPresetDefaultsAndValidation(t *testing.T) {
	rt := RuntimeRef{Version: DevelVersion}
	tests := []struct {
		name       string
		spec       Spec
		wantIssuer string
		wantJWKS   string
		problem    string // in the Validate error; "" for valid
	}{
		{"defaults", Spec{Name: "app", Provider: ProviderDev}, "http://127.0.0.1:3003", "http://127.0.0.1:3003/jwks", ""},
		{"follows the port", Spec{Name: "app", Provider: ProviderDev, Port: 8080}, "http://127.0.0.1:8081", "http://127.0.0.1:8081/jwks", ""},
		{"top port goes down", Spec{Name: "app", Provider: ProviderDev, Port: 65535}, "http://127.0.0.1:65534", "http://127.0.0.1:65534/jwks", ""},
		{"explicit loopback issuer", Spec{Name: "app", Provider: ProviderDev, Issuer: "http://localhost:9000"}, "http://localhost:9000", "http://localhost:9000/jwks", ""},
		{"remote issuer", Spec{Name: "app", Provider: ProviderDev, Issuer: "https://auth.example.com"}, "https://auth.example.com", "https://auth.example.com/jwks", "issuer: "},
		{"own port", Spec{Name: "app", Provider: ProviderDev, Issuer: "http://127.0.0.1:3002"}, "http://127.0.0.1:3002", "http://127.0.0.1:3002/jwks", "server's own port"},
		{"no port", Spec{Name: "app", Provider: ProviderDev, Issuer: "http://127.0.0.1"}, "http://127.0.0.1", "http://127.0.0.1/jwks", "explicit port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			s.Runtime = rt
			s.ApplyDefaults()
			if s.Issuer != tc.wantIssuer || s.JWKSURL != tc.wantJWKS {
				t.Errorf("issuer %q jwks %q, want %q %q", s.Issuer, s.JWKSURL, tc.wantIssuer, tc.wantJWKS)
			}
			err := s.Validate()
			switch {
			case tc.problem == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
				t.Errorf("Validate: %v, want a problem with %q", err, tc.problem)
			}
		})
	}
}

// The dev preset renders the generic wiring (no Scalekit names) and says in the README
// that the authorization server is for development only.
func TestDevPresetRender(t *testing.T) {
	s := Spec{Name: "app", Provider: ProviderDev, Runtime: RuntimeRef{Version: DevelVersion}}
	s.ApplyDefaults()
	files, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range files {
		got[f.Path] = string(f.Data)
	}
	if !strings.Contains(got["README.md"], "`mcpgen dev` is for development only.") {
		t.Error("README does not say mcpgen dev is for development only")
	}
	if strings.Contains(got[".env.example"], "SK_ENV_URL") {
		t.Error(".env.example has Scalekit names")
	}
	// The dev key and client secret, like .env, never reach a Docker build context.
	for _, line := range []string{".env", ".mcpgen/"} {
		if !slices.Contains(strings.Split(got[".dockerignore"], "\n"), line) {
			t.Errorf(".dockerignore lacks %s:\n%s", line, got[".dockerignore"])
		}
	}
	if !strings.Contains(got["internal/config/config.go"], `JWKSURL:     "http://127.0.0.1:3003/jwks",`) {
		t.Error("config does not default to the dev JWKS")
	}
}
