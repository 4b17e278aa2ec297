package generator

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/templates"
)

// providerGoldenDir holds, per preset, the files that differ between presets.
const providerGoldenDir = "../testdata/golden/providers"

// presetGoldenFiles are the distinctive files of a preset project.
var presetGoldenFiles = []string{".env.example", "README.md", "internal/config/config.go"}

// presetSpec is a project for preset, with the values its users would give.
func presetSpec(preset string) Spec {
	s := Spec{
		Name:        preset + "-server",
		Module:      "example.com/" + preset + "-server",
		Provider:    preset,
		ResourceURL: "https://mcp.example.com/mcp",
		Runtime:     RuntimeRef{Version: DevelVersion, ReplaceDir: "../../../.."},
	}
	switch preset {
	case ProviderScalekit:
		s.Issuer = "https://acme.scalekit.dev"
	case ProviderAuth0, ProviderOkta:
		s.SetParam("domain", "acme."+map[string]string{ProviderAuth0: "us.auth0.com", ProviderOkta: "okta.com"}[preset])
	case ProviderKeycloak:
		s.Params = map[string]string{"domain": "sso.example.com", "realm": "acme"}
	case ProviderEntra:
		s.Params = map[string]string{"tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47", "client-id": "6e74172b-be56-4843-9ff4-e66a39bb12e3"}
	case ProviderCognito:
		s.Params = map[string]string{"user-pool": "us-east-1_AbCdEf123", "client-id": "1example23456789"}
	case ProviderWorkOS:
		s.SetParam("domain", "acme-42.authkit.app")
	case ProviderGeneric:
		s.Issuer = "https://auth.example.com"
	}
	s.ApplyDefaults()
	return s
}

// supportedPresets are the presets a project can be generated for.
func supportedPresets() []Preset {
	var out []Preset
	for _, p := range Presets {
		if p.Unsupported == "" {
			out = append(out, p)
		}
	}
	return out
}

func TestGoldenProviders(t *testing.T) {
	for _, p := range supportedPresets() {
		t.Run(p.Name, func(t *testing.T) {
			files, err := Render(presetSpec(p.Name))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			dir := filepath.Join(providerGoldenDir, p.Name)
			for _, f := range files {
				if !slices.Contains(presetGoldenFiles, f.Path) {
					continue
				}
				path := filepath.Join(dir, filepath.FromSlash(f.Path))
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("%s: %v (run go test ./generator -run TestGoldenProviders -update)", path, err)
					continue
				}
				if !bytes.Equal(f.Data, want) {
					t.Errorf("%s differs from the golden file (run go test ./generator -update to accept):\n%s", path, firstDiff(want, f.Data))
				}
			}
		})
	}
}

// TestBuildPresetProjects generates a project for every preset the greeting golden and
// TestBuildGenericProject do not cover, and vets and tests it (which
// compiles every package). They run one after the other in one test: they share the
// build cache, and the machine has few cores.
func TestBuildPresetProjects(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range supportedPresets() {
		if p.Name == ProviderScalekit || p.Name == ProviderGeneric {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			s := presetSpec(p.Name)
			s.Runtime.ReplaceDir = root
			files, err := Render(s)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			dir := filepath.Join(t.TempDir(), s.Name)
			if err := Write(dir, files, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			runGo(t, dir, []string{"vet", "./..."}, []string{"test", "-count=1", "./..."})
		})
	}
}

// TestPresetTemplates: every preset that can be generated has its README section and
// names its runtime value, which generated code refers to as provider.<GoVar>.
func TestPresetTemplates(t *testing.T) {
	tmpl, err := templates.Parse()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range supportedPresets() {
		if name := providerDir + p.Name + ".md" + tmplExt; tmpl.Lookup(name) == nil {
			t.Errorf("preset %s: no template %s", p.Name, name)
		}
		if p.Runtime.Name != p.Name || !strings.EqualFold(p.GoVar, p.Name) || p.Title != p.Runtime.Title {
			t.Errorf("preset %s: runtime preset %q as provider.%s titled %q, want the same preset", p.Name, p.Runtime.Name, p.GoVar, p.Title)
		}
		files, err := Render(presetSpec(p.Name))
		if err != nil {
			t.Fatalf("%s: Render: %v", p.Name, err)
		}
		for _, f := range files {
			if f.Path == "internal/config/config.go" && !strings.Contains(string(f.Data), "provider."+p.GoVar+"\n") {
				t.Errorf("preset %s: config.go does not use provider.%s", p.Name, p.GoVar)
			}
		}
	}
}

func TestPresetDerivesSettings(t *testing.T) {
	for _, tc := range []struct {
		preset            string
		issuer, jwks      string
		audiences         []string
		params            []string // flags the preset asks for
		envHas, envHasnot string
	}{
		{ProviderAuth0, "https://acme.us.auth0.com/", "https://acme.us.auth0.com/.well-known/jwks.json", nil, []string{"domain"}, "", "AUTH_TOKEN_FORMAT"},
		{ProviderOkta, "https://acme.okta.com/oauth2/default", "https://acme.okta.com/oauth2/default/v1/keys", nil, []string{"domain"}, "AUTH_INTROSPECTION_URL", ""},
		{ProviderKeycloak, "https://sso.example.com/realms/acme", "https://sso.example.com/realms/acme/protocol/openid-connect/certs", nil, []string{"domain", "realm"}, "AUTH_TOKEN_FORMAT", ""},
		{ProviderEntra, "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
			"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/discovery/v2.0/keys",
			[]string{"6e74172b-be56-4843-9ff4-e66a39bb12e3", "api://6e74172b-be56-4843-9ff4-e66a39bb12e3"}, []string{"tenant", "client-id"}, "", "AUTH_TOKEN_FORMAT"},
		{ProviderCognito, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
			"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123/.well-known/jwks.json",
			[]string{"1example23456789"}, []string{"user-pool", "client-id"}, "", ""},
		{ProviderWorkOS, "https://acme-42.authkit.app", "https://acme-42.authkit.app/oauth2/jwks", nil, []string{"domain"}, "", ""},
		{ProviderScalekit, "https://acme.scalekit.dev", "https://acme.scalekit.dev/keys", nil, nil, "SK_ENV_URL", "AUTH_TOKEN_FORMAT"},
		{ProviderGeneric, "https://auth.example.com", "", nil, nil, "AUTH_INTROSPECTION_CLIENT_SECRET", "SK_ENV_URL"},
	} {
		s := presetSpec(tc.preset)
		if s.Issuer != tc.issuer || s.JWKSURL != tc.jwks {
			t.Errorf("%s: issuer %q jwks %q, want %q %q", tc.preset, s.Issuer, s.JWKSURL, tc.issuer, tc.jwks)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", tc.preset, err)
		}
		p, _ := LookupPreset(tc.preset)
		var flags []string
		for _, q := range p.Params {
			if !q.Derived() {
				flags = append(flags, q.Flag)
			}
		}
		if !slices.Equal(flags, tc.params) {
			t.Errorf("%s asks for %v, want %v", tc.preset, flags, tc.params)
		}
		m := newProject(s, moduleInfo{})
		if !slices.Equal(m.Audiences, tc.audiences) {
			t.Errorf("%s: audiences %v, want %v", tc.preset, m.Audiences, tc.audiences)
		}
		var env []string
		for _, e := range m.Env {
			env = append(env, e.Name)
		}
		if tc.envHas != "" && !slices.Contains(env, tc.envHas) || tc.envHasnot != "" && slices.Contains(env, tc.envHasnot) {
			t.Errorf("%s: settings %v, want %s and not %s", tc.preset, env, tc.envHas, tc.envHasnot)
		}
	}
}

func TestPresetProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  Spec
		wants []string // every problem, by its text
	}{
		{"entra without values", Spec{Provider: ProviderEntra}, []string{"tenant: required by the entra provider", "client-id: required by the entra provider"}},
		{"entra with --issuer still needs the client id", Spec{Provider: ProviderEntra, Issuer: "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"}, []string{"client-id: required by"}},
		{"entra tenant domain", Spec{Provider: ProviderEntra, Params: map[string]string{"tenant": "contoso.onmicrosoft.com", "client-id": "x"}}, []string{"tenant: \"contoso.onmicrosoft.com\" is not a tenant ID"}},
		{"auth0 domain with scheme", Spec{Provider: ProviderAuth0, Params: map[string]string{"domain": "acme.auth0.com/tenant"}}, []string{"domain: \"acme.auth0.com/tenant\" is not an Auth0 domain: give the host name only, such as acme.us.auth0.com (no path)"}},
		{"keycloak without realm", Spec{Provider: ProviderKeycloak, Params: map[string]string{"domain": "sso.example.com"}}, []string{"realm: required by"}},
		{"cognito bad pool", Spec{Provider: ProviderCognito, Params: map[string]string{"user-pool": "AbCdEf", "client-id": "c"}}, []string{"user-pool: \"AbCdEf\" is not a user pool ID"}},
		{"cognito region mismatch", Spec{Provider: ProviderCognito, Params: map[string]string{"user-pool": "us-east-1_AbC", "region": "eu-west-1", "client-id": "c"}}, []string{"region: \"eu-west-1\" does not match"}},
		{"google", Spec{Provider: ProviderGoogle, Issuer: "https://accounts.google.com"}, []string{"provider: Google cannot be the authorization server"}},
	} {
		s := tc.spec
		s.Name, s.Runtime = "x-server", RuntimeRef{Version: DevelVersion}
		s.ApplyDefaults()
		err := s.Validate()
		for _, want := range tc.wants {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want %q", tc.name, err, want)
			}
		}
	}
	// A preset's derived issuer is not reported missing when its values are given.
	s := presetSpec(ProviderCognito)
	if s.Param("region") != "us-east-1" {
		t.Errorf("region = %q, want the user pool's us-east-1", s.Param("region"))
	}
}

// TestPresetManifestRoundTrip: mcpgen.yaml records a preset's values, so `add tool`
// (which renders the project again from the manifest) reproduces the project exactly.
func TestPresetManifestRoundTrip(t *testing.T) {
	for _, p := range supportedPresets() {
		s := presetSpec(p.Name)
		data, err := NewManifest(s).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseManifest(data)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		again := m.Spec(s.Runtime)
		again.ApplyDefaults()
		want, err := Render(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Render(again)
		if err != nil {
			t.Fatalf("%s: render from the manifest: %v", p.Name, err)
		}
		for k := range want {
			if k >= len(got) || got[k].Path != want[k].Path || !bytes.Equal(got[k].Data, want[k].Data) {
				t.Errorf("%s: %s differs when rendered from mcpgen.yaml", p.Name, want[k].Path)
			}
		}
	}
}

// TestPresetParams: every parameter can be offered as a flag and checked, and presets
// that share a parameter share one description of it.
func TestPresetParams(t *testing.T) {
	first := map[string]Param{}
	for _, pr := range Presets {
		for _, q := range pr.Params {
			if q.Flag == "" || q.Usage == "" || q.Validate == nil || (q.Prompt == "" && !q.Derived()) {
				t.Errorf("%s: parameter %+v lacks a name, usage, check or question", pr.Name, q)
			}
			if f, ok := first[q.Flag]; ok && f.Usage != q.Usage {
				t.Errorf("%s: parameter %s has usage %q, another preset %q", pr.Name, q.Flag, q.Usage, f.Usage)
			}
			first[q.Flag] = q
		}
	}
	var names []string
	for _, q := range PresetParams() {
		names = append(names, q.Flag)
	}
	if want := []string{"domain", "realm", "tenant", "client-id", "region", "user-pool"}; !slices.Equal(names, want) {
		t.Errorf("PresetParams() = %v, want %v", names, want)
	}
}

// TestParamParse: a domain pasted as a URL is taken as its host; anything else that is
// not a host name is refused.
func TestParamParse(t *testing.T) {
	domain, _ := LookupParam("domain")
	for in, want := range map[string]string{
		"acme.us.auth0.com":            "acme.us.auth0.com",
		" https://acme.us.auth0.com ":  "acme.us.auth0.com",
		"https://acme.us.auth0.com/":   "acme.us.auth0.com",
		"HTTPS://sso.example.com:8443": "sso.example.com:8443",
	} {
		if got, err := domain.Parse(in); got != want || err != nil {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"http://acme.us.auth0.com", "https://acme.us.auth0.com/tenant", "", "https://"} {
		if got, err := domain.Parse(in); err == nil {
			t.Errorf("Parse(%q) = %q, want an error", in, got)
		}
	}
	tenant, _ := LookupParam("tenant")
	if got, _ := tenant.Parse(" 72f988bf-86f1-41af-91ab-2d7cd011db47\n"); got != "72f988bf-86f1-41af-91ab-2d7cd011db47" {
		t.Errorf("tenant Parse kept the space: %q", got)
	}
}
