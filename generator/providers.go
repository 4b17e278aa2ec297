package generator

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/mcpgen/mcpgen/internal/devissuer"
	"github.com/mcpgen/mcpgen/runtime/provider"
)

// Preset is what `mcpgen new` knows about one identity provider: which values the user
// must supply, how they form the issuer and the accepted audiences, and the provider's
// README section (templates/provider/<name>.md.tmpl). What its tokens look like is the
// runtime's to decide (Runtime).
type Preset struct {
	Name    string // the --provider value
	Title   string // product name, for docs and prompts: Runtime.Title, or set for presets without one
	Summary string // one line shown when choosing a provider
	// Unsupported, when set, says why the provider cannot be the authorization server
	// of an MCP server and what to use instead; generation refuses it.
	Unsupported string
	// Params are the values the user supplies, asked in this order.
	Params []Param
	// IssuerExample is an issuer of this provider, shown in help and messages.
	IssuerExample string

	issuer    func(Spec) string   // derives the issuer from Params; nil: --issuer is asked
	audiences func(Spec) []string // accepted aud values; nil: the resource URL

	// Runtime is the preset's value in the runtime (runtime/provider): the token
	// conventions generated servers apply. GoVar names it in generated code.
	Runtime provider.Preset
	GoVar   string
}

// Param is one value a preset needs from the user. Declaring it in a preset's Params is
// all it takes to add one: Spec.Params holds its value, mcpgen.yaml records it, `mcpgen
// new` offers a flag and a question for it and Validate checks it.
type Param struct {
	// Flag is the parameter's name ("user-pool"): its key in Spec.Params and in
	// Problem.Field, the name of its `mcpgen new` flag and, with '_' for '-', its key in
	// mcpgen.yaml. Presets that share a name share the parameter.
	Flag   string
	Usage  string // one line for the flag's help
	Prompt string // the question that asks for it
	Help   string // what it is and where to find it, for the question and messages
	// ForIssuer: the value only serves to derive the issuer, so it is not needed when
	// the issuer is given.
	ForIssuer bool
	Validate  func(string) error

	normalize func(string) string      // turns a pasted value into the expected form
	derive    func(Spec) string        // its default, from other values; nil: the user gives it
	check     func(Spec, string) error // agreement with the other values
}

// Parse turns what a user typed (a flag value or an answer) into the parameter's
// value, refusing it when invalid: surrounding space is dropped and a pasted form the
// parameter understands (https://HOST/ for a host) becomes the expected one.
func (p Param) Parse(v string) (string, error) {
	v = p.Normalize(v)
	return v, p.Validate(v)
}

// Normalize is Parse without the check: the value in the form the parameter expects.
func (p Param) Normalize(v string) string {
	v = strings.TrimSpace(v)
	if p.normalize != nil {
		v = p.normalize(v)
	}
	return v
}

// Derived reports whether the parameter has a default derived from other values (the
// Cognito region, from the user pool): it is never asked for nor reported missing.
func (p Param) Derived() bool { return p.derive != nil }

// YAMLKey is the parameter's key in mcpgen.yaml: its name with '_' for '-'.
func (p Param) YAMLKey() string { return strings.ReplaceAll(p.Flag, "-", "_") }

// PresetParams lists the parameters of every preset, each name once (as declared first),
// in the order the presets declare them: the flags `mcpgen new` offers.
func PresetParams() []Param {
	var params []Param
	seen := map[string]bool{}
	for _, pr := range Presets {
		for _, q := range pr.Params {
			if !seen[q.Flag] {
				seen[q.Flag] = true
				params = append(params, q)
			}
		}
	}
	return params
}

// LookupParam returns the preset parameter called name.
func LookupParam(name string) (Param, bool) {
	for _, q := range PresetParams() {
		if q.Flag == name {
			return q, true
		}
	}
	return Param{}, false
}

// Provider presets understood by the generator.
const (
	ProviderScalekit = "scalekit"
	ProviderAuth0    = "auth0"
	ProviderOkta     = "okta"
	ProviderKeycloak = "keycloak"
	ProviderEntra    = "entra"
	ProviderCognito  = "cognito"
	ProviderWorkOS   = "workos"
	ProviderGoogle   = "google"
	ProviderGeneric  = "generic"
	// ProviderDev trusts the local authorization server of `mcpgen dev` (issuer
	// http://127.0.0.1:PORT+1 by default): a server that runs and can be called with no
	// account anywhere. For development only; switch to a real provider to deploy.
	ProviderDev = "dev"
)

var (
	guidRE     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hostRE     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$`)
	realmRE    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,255}$`)
	regionRE   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	userPoolRE = regexp.MustCompile(`^([a-z]{2}(-[a-z]+)+-[0-9])_[A-Za-z0-9]+$`)
	clientIDRE = regexp.MustCompile(`^[!-~]{1,255}$`)
)

func validateHost(what string) func(string) error {
	return func(v string) error {
		if !hostRE.MatchString(v) {
			return fmt.Errorf("%q is not %s %s: give the host name only, such as %s (no path)", v, article(what), what, hostExample[what])
		}
		return nil
	}
}

// article is "an" before a vowel, else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// hostOnly turns a pasted URL of a host (https://acme.us.auth0.com/) into the host.
func hostOnly(v string) string {
	if len(v) >= len("https://") && strings.EqualFold(v[:len("https://")], "https://") {
		v = v[len("https://"):]
	}
	return strings.TrimSuffix(v, "/")
}

var hostExample = map[string]string{
	"Auth0 domain":   "acme.us.auth0.com",
	"Okta domain":    "acme.okta.com",
	"Keycloak host":  "sso.example.com",
	"AuthKit domain": "acme-42.authkit.app",
}

func validateRE(re *regexp.Regexp, msg string) func(string) error {
	return func(v string) error {
		if !re.MatchString(v) {
			return fmt.Errorf("%q is not %s", v, msg)
		}
		return nil
	}
}

// Names of the parameters the presets share or derive from one another.
const (
	paramDomain   = "domain"
	paramRealm    = "realm"
	paramTenant   = "tenant"
	paramClientID = "client-id"
	paramUserPool = "user-pool"
	paramRegion   = "region"
)

func domainParam(what, help string) Param {
	return Param{Flag: paramDomain, Prompt: what, Help: help, ForIssuer: true,
		Usage:    "auth0, okta, workos: your domain (acme.us.auth0.com); keycloak: its host",
		Validate: validateHost(what), normalize: hostOnly}
}

func clientIDParam(help string) Param {
	return Param{Flag: paramClientID, Prompt: "Application (client) ID", Help: help,
		Usage:    "entra, cognito: application (client) ID tokens are issued to",
		Validate: validateRE(clientIDRE, "a client id: printable ASCII without spaces")}
}

// Presets lists every provider preset in the order the CLI offers them.
var Presets = withRuntimeTitles([]Preset{
	{
		Name: ProviderScalekit, Runtime: provider.Scalekit, GoVar: "Scalekit",
		Summary:       "a Scalekit environment (SK_ENV_URL, JWKS at <env>/keys)",
		IssuerExample: "https://YOUR-ENV.scalekit.dev",
	},
	{
		Name: ProviderAuth0, Runtime: provider.Auth0, GoVar: "Auth0",
		Summary:       "an Auth0 tenant: an API whose identifier is this server's URL",
		IssuerExample: "https://acme.us.auth0.com/",
		Params: []Param{domainParam("Auth0 domain",
			"Your tenant's domain (or custom domain), such as acme.us.auth0.com; the issuer is https://DOMAIN/.")},
		issuer: func(s Spec) string { return "https://" + s.Param(paramDomain) + "/" },
	},
	{
		Name: ProviderOkta, Runtime: provider.Okta, GoVar: "Okta",
		Summary:       "an Okta custom authorization server (default: /oauth2/default)",
		IssuerExample: "https://acme.okta.com/oauth2/default",
		Params: []Param{domainParam("Okta domain",
			"Your Okta domain, such as acme.okta.com; the issuer is https://DOMAIN/oauth2/default (pass --issuer for another authorization server).")},
		issuer: func(s Spec) string { return "https://" + s.Param(paramDomain) + "/oauth2/default" },
	},
	{
		Name: ProviderKeycloak, Runtime: provider.Keycloak, GoVar: "Keycloak",
		Summary:       "a Keycloak realm (issuer https://HOST/realms/REALM)",
		IssuerExample: "https://sso.example.com/realms/acme",
		Params: []Param{
			domainParam("Keycloak host", "The host (and port) Keycloak is served on, such as sso.example.com."),
			{Flag: paramRealm, Prompt: "Keycloak realm", Help: "The realm that issues the tokens, such as acme.", ForIssuer: true,
				Usage:    "keycloak: realm name",
				Validate: validateRE(realmRE, "a realm name: letters, digits, '.', '_' and '-'")},
		},
		issuer: func(s Spec) string { return "https://" + s.Param(paramDomain) + "/realms/" + s.Param(paramRealm) },
	},
	{
		Name: ProviderEntra, Runtime: provider.Entra, GoVar: "Entra",
		Summary:       "a Microsoft Entra ID tenant: an app registration that exposes an API",
		IssuerExample: "https://login.microsoftonline.com/TENANT-ID/v2.0",
		Params: []Param{
			{Flag: paramTenant, Prompt: "Directory (tenant) ID", ForIssuer: true,
				Usage:    "entra: directory (tenant) ID, a GUID",
				Help:     "The tenant's GUID (Entra admin center > Overview); tokens carry it in iss and tid, so a domain name does not work here.",
				Validate: validateRE(guidRE, "a tenant ID: a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47")},
			clientIDParam("The Application (client) ID of the app registration that exposes this server's API: v2.0 tokens carry it as aud, v1.0 tokens carry api://CLIENT-ID."),
		},
		issuer:    func(s Spec) string { return "https://login.microsoftonline.com/" + s.Param(paramTenant) + "/v2.0" },
		audiences: func(s Spec) []string { return []string{s.Param(paramClientID), "api://" + s.Param(paramClientID)} },
	},
	{
		Name: ProviderCognito, Runtime: provider.Cognito, GoVar: "Cognito",
		Summary:       "an Amazon Cognito user pool (access tokens carry client_id, not aud)",
		IssuerExample: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
		Params: []Param{
			// The region comes first because mcpgen.yaml has always listed it first.
			{Flag: paramRegion, Usage: "cognito: AWS region (default: the user pool ID's prefix)",
				Help:     "The AWS region of the user pool.",
				Validate: validateRE(regionRE, "an AWS region such as us-east-1"),
				derive:   func(s Spec) string { return userPoolRegion(s.Param(paramUserPool)) },
				check: func(s Spec, region string) error {
					if pool := s.Param(paramUserPool); userPoolRegion(pool) != "" && userPoolRegion(pool) != region {
						return fmt.Errorf("%q does not match the region of user pool %s (%s)", region, pool, userPoolRegion(pool))
					}
					return nil
				}},
			{Flag: paramUserPool, Prompt: "User pool ID", ForIssuer: true,
				Usage:    "cognito: user pool ID (us-east-1_AbCdEf123)",
				Help:     "The user pool ID, such as us-east-1_AbCdEf123; its prefix is the region.",
				Validate: validateRE(userPoolRE, "a user pool ID such as us-east-1_AbCdEf123")},
			clientIDParam("The app client ID MCP clients get tokens through: Cognito access tokens name it in client_id and have no aud."),
		},
		issuer: func(s Spec) string {
			return "https://cognito-idp." + s.Param(paramRegion) + ".amazonaws.com/" + s.Param(paramUserPool)
		},
		audiences: func(s Spec) []string { return []string{s.Param(paramClientID)} },
	},
	{
		Name: ProviderWorkOS, Runtime: provider.WorkOS, GoVar: "WorkOS",
		Summary:       "WorkOS AuthKit (MCP auth with DCR or CIMD)",
		IssuerExample: "https://acme-42.authkit.app",
		Params: []Param{domainParam("AuthKit domain",
			"Your AuthKit domain (WorkOS dashboard > Domains), such as acme-42.authkit.app.")},
		issuer: func(s Spec) string { return "https://" + s.Param(paramDomain) },
	},
	{
		Name: ProviderGoogle, Title: "Google",
		Summary: "not supported: Google cannot issue access tokens for your own API",
		Unsupported: "Google cannot be the authorization server of an MCP server: the access tokens it " +
			"issues are opaque and meant for Google APIs (no JWT access tokens for your own API, no " +
			"RFC 7662 introspection, no resource indicators), it offers no dynamic client " +
			"registration, and its ID tokens are not access tokens. Keep Google as the sign-in: use " +
			"an authorization server that federates it (auth0, workos, keycloak, entra or cognito) " +
			"and choose that preset",
	},
	{
		Name: ProviderGeneric, Runtime: provider.Generic, GoVar: "Generic",
		Summary:       "any OAuth 2.1 authorization server issuing JWT access tokens (AUTH_* settings; JWKS discovered from the issuer)",
		IssuerExample: "https://auth.example.com",
	},
	{
		Name: ProviderDev, Runtime: provider.Dev, GoVar: "Dev",
		Summary:       "the local authorization server of `mcpgen dev`, for development only",
		IssuerExample: "http://127.0.0.1:3003",
		issuer:        func(s Spec) string { return devissuer.Default(s.Port) },
	},
})

// withRuntimeTitles names each preset as the runtime does.
func withRuntimeTitles(presets []Preset) []Preset {
	for i, p := range presets {
		if p.Runtime.Title != "" {
			presets[i].Title = p.Runtime.Title
		}
	}
	return presets
}

// Providers lists the provider preset names in the order the CLI offers them.
var Providers = func() []string {
	names := make([]string, len(Presets))
	for i, p := range Presets {
		names[i] = p.Name
	}
	return names
}()

// LookupPreset returns the preset called name.
func LookupPreset(name string) (Preset, bool) {
	for _, p := range Presets {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

// ValidateProvider checks a provider preset name, and refuses a preset that cannot serve
// (saying why and what to use instead).
func ValidateProvider(name string) error {
	p, ok := LookupPreset(name)
	switch {
	case name == "":
		return fmt.Errorf("a provider is required: %s", strings.Join(Providers, ", "))
	case !ok:
		return fmt.Errorf("unknown provider %q: use one of %s", name, strings.Join(Providers, ", "))
	case p.Unsupported != "":
		return errors.New(p.Unsupported)
	}
	return nil
}

// DerivesIssuer reports whether the preset can build the issuer from its Params.
func (p Preset) DerivesIssuer() bool { return p.issuer != nil }

// applyDefaults fills what the preset derives: parameters from other parameters (the
// region from the user pool), the issuer from the parameters, the JWKS URL from the
// issuer.
func (p Preset) applyDefaults(s *Spec) {
	for _, q := range p.Params {
		if q.derive != nil && s.Param(q.Flag) == "" {
			s.SetParam(q.Flag, q.derive(*s))
		}
	}
	if s.Issuer == "" && p.issuer != nil && p.paramsForIssuerGiven(*s) {
		s.Issuer = p.issuer(*s)
	}
	if s.JWKSURL == "" {
		s.JWKSURL = p.Runtime.JWKSURL(s.Issuer)
	}
}

// userPoolRegion is the region prefix of a Cognito user pool ID, or "".
func userPoolRegion(pool string) string {
	if m := userPoolRE.FindStringSubmatch(pool); m != nil {
		return m[1]
	}
	return ""
}

func (p Preset) paramsForIssuerGiven(s Spec) bool {
	for _, q := range p.Params {
		if q.ForIssuer && s.Param(q.Flag) == "" {
			return false
		}
	}
	return true
}

// Missing reports whether q must still be given for s: it has no value, is not derived,
// and is needed (a parameter that only derives the issuer is not, once the issuer is
// given).
func (q Param) Missing(s Spec) bool {
	return s.Param(q.Flag) == "" && !q.Derived() && (!q.ForIssuer || s.Issuer == "")
}

// helpClause turns a param's help sentence into the tail of an error message: lower
// case, no trailing period (the help texts start with common words such as "The").
func helpClause(help string) string {
	help = strings.TrimSuffix(help, ".")
	if help == "" {
		return help
	}
	return strings.ToLower(help[:1]) + help[1:]
}

// validate reports the preset's problems with s: every param that is needed and
// missing, and every param given with a bad value.
func (p Preset) validate(s Spec) []Problem {
	var probs []Problem
	for _, q := range p.Params {
		v := s.Param(q.Flag)
		err := q.Validate(v)
		switch {
		case v == "" && q.Missing(s):
			err = fmt.Errorf("required by the %s provider: %s", p.Name, helpClause(q.Help))
		case v == "":
			err = nil
		case err == nil && q.check != nil:
			err = q.check(s, v)
		}
		if err != nil {
			probs = append(probs, Problem{Field: q.Flag, Message: err.Error()})
		}
	}
	return probs
}
