package generator

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

// project is what the templates see. Everything a template needs is computed here, in
// Go, so templates stay plain text with holes: no provider logic, no string munging.
type project struct {
	Name        string
	Module      string
	Provider    string
	Scalekit    bool // provider preset: Scalekit names (SK_ENV_URL, ...) are understood
	Dev         bool // provider preset: the local authorization server of `mcpgen dev`
	Issuer      string
	JWKSURL     string // "" when the server discovers it from the issuer's metadata at start
	ResourceURL string
	Port        int

	Preset    Preset
	PresetGo  string        // the runtime's value of the preset: provider.<PresetGo>
	Params    []presetValue // the preset's values as given, for docs
	Audiences []string      // default accepted aud values; nil: the resource URL
	// ProviderDocs is the README section of the preset, rendered from
	// templates/provider/<name>.md.tmpl.
	ProviderDocs string

	Policy    policyModel // the registry's tools.Policy
	Scopes    []scopeRow  // every scope of the project, by name, for the README
	Tools     []tool
	Greeting  *tool // the greet_user example, when present (its tests are richer)
	Resources []resource
	Prompts   []prompt

	GoMod moduleInfo // go.mod contents
	Env   []envVar   // the settings of the generated server, for README and .env.example
}

// moduleInfo is the generated go.mod.
type moduleInfo struct {
	GoVersion  string
	Runtime    requirement   // the mcpgen runtime
	Require    []requirement // direct requirements, the runtime included
	Indirect   []requirement
	ReplaceDir string
}

// requirement is one require line of the generated go.mod.
type requirement struct {
	Path    string
	Version string
}

// tool is a Spec tool plus the Go names derived from it.
type tool struct {
	Tool
	GoName   string // exported identifier stem: GreetUser
	FileStem string // file name without .go: greet_user
	Fields   []field

	ArgNames     []string // every argument name, in order
	RequiredArgs []string // the required ones, sorted

	TableDescription string // Description for a Markdown table cell: '|' escaped
	TableAccess      string // what a caller needs, for the README: scopes, claims, or public
}

// policyModel is auth.ScopePolicy in the order the registry writes it: every list
// sorted, every map as entries sorted by key.
type policyModel struct {
	Tools             []scopeList
	Resources         []scopeList
	ResourceTemplates []scopeList
	Prompts           []scopeList
	Implies           []scopeList
	Baseline          []string
	Rules             []toolRules
	Public            []string
	FilterLists       bool
}

// scopeList is one map entry of scopes: a tool's, or those a scope implies.
type scopeList struct {
	Name   string
	Scopes []string
}

// toolRules are the claim rules of one tool.
type toolRules struct {
	Name  string
	Rules []ClaimRule
}

// scopeRow is one scope in the README's scope table.
type scopeRow struct {
	Name             string
	Baseline         bool
	TableImplies     string // the implied scopes as Markdown code, or —
	TableDescription string
}

func newPolicy(p auth.ScopePolicy) policyModel {
	m := policyModel{Baseline: p.Baseline, Public: p.Public, FilterLists: p.FilterLists}
	m.Tools = scopeLists(p.Tools)
	m.Resources = scopeLists(p.Resources)
	m.ResourceTemplates = scopeLists(p.ResourceTemplates)
	m.Prompts = scopeLists(p.Prompts)
	for _, name := range slices.Sorted(maps.Keys(p.Implies)) {
		m.Implies = append(m.Implies, scopeList{name, p.Implies[name]})
	}
	for _, name := range slices.Sorted(maps.Keys(p.Rules)) {
		var rules []ClaimRule
		for _, r := range p.Rules[name] {
			rules = append(rules, ClaimRule{Claim: r.Claim, Values: r.Values})
		}
		m.Rules = append(m.Rules, toolRules{name, rules})
	}
	return m
}

// scopeLists is a map of scopes as entries sorted by key.
func scopeLists(m map[string][]string) []scopeList {
	var out []scopeList
	for _, name := range slices.Sorted(maps.Keys(m)) {
		out = append(out, scopeList{name, m[name]})
	}
	return out
}

// scopeRows lists every scope of s with what the README says of it.
func scopeRows(s Spec, p auth.ScopePolicy) []scopeRow {
	var rows []scopeRow
	for _, name := range s.AllScopes() {
		d, _ := s.Scope(name)
		row := scopeRow{Name: name, Baseline: len(p.Baseline) == 0 || slices.Contains(p.Baseline, name), TableImplies: "—", TableDescription: "—"}
		if len(p.Implies[name]) > 0 {
			row.TableImplies = codeList(p.Implies[name], ", ")
		}
		if d.Description != "" {
			row.TableDescription = tableCell(d.Description)
		}
		rows = append(rows, row)
	}
	return rows
}

// codeList writes each element as Markdown code, joined by sep.
func codeList(elems []string, sep string) string {
	quoted := make([]string, len(elems))
	for i, e := range elems {
		quoted[i] = "`" + e + "`"
	}
	return strings.Join(quoted, sep)
}

// tableCell escapes text for a Markdown table cell.
func tableCell(text string) string { return strings.ReplaceAll(text, "|", `\|`) }

// field is one argument of a tool as a Go struct field.
type field struct {
	Arg
	GoName string
	GoType string
	Tag    string // the complete struct tag, backquotes included
}

// presetValue is one preset parameter and its value.
type presetValue struct {
	Flag, Prompt, Value string
}

// envVar is one setting of the generated server.
type envVar struct {
	Name        string
	Default     string // shown in docs; "" when there is none
	Description string
}

func newProject(s Spec, deps moduleInfo) project {
	p := project{
		Name:        s.Name,
		Module:      s.Module,
		Provider:    s.Provider,
		Scalekit:    s.Provider == ProviderScalekit,
		Dev:         s.Provider == ProviderDev,
		Issuer:      s.Issuer,
		JWKSURL:     s.JWKSURL,
		ResourceURL: s.ResourceURL,
		Port:        s.Port,
		GoMod:       deps,
	}
	p.Preset, _ = LookupPreset(s.Provider)
	for _, q := range p.Preset.Params {
		p.Params = append(p.Params, presetValue{q.Flag, q.Prompt, s.Param(q.Flag)})
	}
	if p.Preset.audiences != nil {
		p.Audiences = p.Preset.audiences(s)
	}
	p.PresetGo = p.Preset.GoVar
	for _, t := range s.Tools {
		p.Tools = append(p.Tools, newTool(t))
	}
	for i := range p.Tools {
		if p.Tools[i].Name == "greet_user" {
			p.Greeting = &p.Tools[i]
		}
	}
	for _, r := range s.Resources {
		p.Resources = append(p.Resources, newResource(r))
	}
	for _, pr := range s.Prompts {
		p.Prompts = append(p.Prompts, newPrompt(pr))
	}
	policy := s.Policy()
	p.Policy = newPolicy(policy)
	p.Scopes = scopeRows(s, policy)
	p.Env = append(envVars(p), operationsEnvVars()...)
	return p
}

func newTool(t Tool) tool {
	m := tool{
		Tool:     t,
		GoName:   goName(t.Name),
		FileStem: fileStem(t.Name),
	}
	m.Scopes = sortedUnique(t.Scopes)
	m.TableDescription = tableCell(t.Description)
	m.TableAccess = toolAccess(t)
	for _, a := range t.Args {
		goType, _ := argGoType(a.Type)
		m.Fields = append(m.Fields, field{
			Arg:    a,
			GoName: fieldName(a.Name),
			GoType: goType,
			Tag:    structTag(a),
		})
		m.ArgNames = append(m.ArgNames, a.Name)
		if a.Required {
			m.RequiredArgs = append(m.RequiredArgs, a.Name)
		}
	}
	slices.Sort(m.RequiredArgs)
	return m
}

// toolAccess says in Markdown what a caller of t needs: its scopes and claims, or no
// token at all.
func toolAccess(t Tool) string {
	if t.Public {
		return "public: no token needed"
	}
	access := codeList(sortedUnique(t.Scopes), ", ")
	if access == "" {
		access = "any token for this server"
	}
	for _, r := range t.RequireClaims {
		access += " + claim `" + r.Claim + "` = " + codeList(r.Values, " or ")
	}
	return tableCell(access)
}

// structTag is the tag that names the JSON argument and describes it in the input
// schema; optional arguments get omitempty, which also keeps them out of "required".
func structTag(a Arg) string {
	name := a.Name
	if !a.Required {
		name += ",omitempty"
	}
	tag := fmt.Sprintf("json:%q", name)
	if a.Description != "" {
		tag += fmt.Sprintf(" jsonschema:%q", a.Description)
	}
	return "`" + tag + "`"
}

// fileStem is the file name of a tool, without extension: "get-v2.items" → "get_v2_items".
func fileStem(name string) string {
	stem := strings.ToLower(strings.NewReplacer("-", "_", ".", "_").Replace(name))
	if strings.HasSuffix(stem, "_test") || isGOOSOrArchSuffix(stem) {
		stem += "_tool" // keep the go tool from treating it as a test or build-constrained file
	}
	if strings.HasPrefix(stem, "_") {
		stem = "tool" + stem // the go tool ignores files whose names start with _ or .
	}
	return stem
}

func isGOOSOrArchSuffix(stem string) bool {
	i := strings.LastIndex(stem, "_")
	if i < 0 {
		return false
	}
	switch stem[i+1:] {
	case "linux", "darwin", "windows", "freebsd", "netbsd", "openbsd", "plan9", "solaris",
		"js", "wasip1", "android", "ios", "aix", "dragonfly", "illumos", "hurd", "zos",
		"amd64", "arm64", "386", "arm", "wasm", "riscv64", "ppc64", "ppc64le", "s390x",
		"mips", "mipsle", "mips64", "mips64le", "loong64":
		return true
	}
	return false
}

func envVars(p project) []envVar {
	jwks := p.JWKSURL
	jwksDoc := "JWKS location of the authorization server"
	switch {
	case p.Scalekit:
		jwksDoc += " (default: AUTH_ISSUER or SK_ENV_URL + /keys)"
	case jwks == "":
		jwksDoc += " (default: jwks_uri of AUTH_ISSUER's metadata, discovered at start)"
	default:
		jwksDoc += " (for another AUTH_ISSUER: the provider's usual location for it, else discovered from its metadata)"
	}
	audienceDoc := "accepted aud (audience) values, comma-separated (default: MCP_RESOURCE_URL)"
	switch {
	case p.Preset.Runtime.AudienceFromClientID:
		audienceDoc = "accepted aud values, comma-separated; tokens without aud must carry one of them as client_id"
	case p.Audiences != nil:
		audienceDoc = "accepted aud (audience) values, comma-separated"
	}
	vars := []envVar{
		{"HOST", "127.0.0.1", "listen address (the Dockerfile sets 0.0.0.0)"},
		{"PORT", fmt.Sprint(p.Port), "listen port"},
		{"MCP_RESOURCE_URL", p.ResourceURL, "canonical public URL of the MCP endpoint: the metadata resource and default audience"},
		{"AUTH_ISSUER", p.Issuer, "expected iss (issuer) of access tokens"},
		{"AUTH_AUDIENCE", strings.Join(p.Audiences, ","), audienceDoc},
		{"AUTH_JWKS_URL", jwks, jwksDoc},
		{"AUTH_AUTHORIZATION_SERVERS", "", "authorization_servers in the protected resource metadata, comma-separated (default: AUTH_ISSUER)"},
		{"ALLOWED_ORIGINS", "", "browser origins allowed to call the MCP endpoint besides its own, comma-separated"},
		{"LOG_LEVEL", "info", "debug, info, warn or error"},
	}
	if p.Scalekit {
		vars = append(vars,
			envVar{"SK_ENV_URL", "", "Scalekit environment URL: the issuer, with the JWKS at SK_ENV_URL/keys (AUTH_ISSUER and AUTH_JWKS_URL win)"},
			envVar{"EXPECTED_AUDIENCE", "", "Scalekit name for AUTH_AUDIENCE (AUTH_AUDIENCE wins)"},
			envVar{"PROTECTED_RESOURCE_METADATA", "", "protected resource metadata JSON from the Scalekit dashboard, served as given after validation"},
		)
	}
	if p.Preset.Runtime.Introspection {
		vars = append(vars,
			envVar{"AUTH_TOKEN_FORMAT", "jwt", "jwt (validate JWT access tokens with the JWKS) or opaque (ask the introspection endpoint, RFC 7662)"},
			envVar{"AUTH_INTROSPECTION_URL", "", "introspection endpoint for opaque tokens (default: introspection_endpoint of AUTH_ISSUER's metadata)"},
			envVar{"AUTH_INTROSPECTION_CLIENT_ID", "", "client id this server authenticates to the introspection endpoint with (required for opaque)"},
			envVar{"AUTH_INTROSPECTION_CLIENT_SECRET", "", "its client secret (required for opaque; keep it out of version control)"},
		)
	}
	return vars
}

// operationsEnvVars are the production settings (runtime/settings): TLS,
// limits, logs, metrics, rate limits. Kept apart from the OAuth settings above.
func operationsEnvVars() []envVar {
	return []envVar{
		{"LOG_FORMAT", "json", "json or text (one line per request, one audit line per tool call)"},
		{"TLS_CERT_FILE", "", "PEM certificate chain: with TLS_KEY_FILE, serve HTTPS (else plain HTTP, e.g. behind a TLS-terminating proxy)"},
		{"TLS_KEY_FILE", "", "PEM private key of TLS_CERT_FILE"},
		{"MAX_BODY_BYTES", "4194304", "largest request body accepted; larger ones get 413"},
		{"SHUTDOWN_TIMEOUT", "10s", "how long in-flight requests may finish after SIGTERM before they are cut off"},
		{"METRICS_ADDR", "", "listen address of the Prometheus /metrics endpoint, e.g. 127.0.0.1:9090 (:9090 in a container); unset: no metrics listener"},
		{"RATE_LIMIT_PER_MINUTE", "600", "requests a minute per caller (token subject + client id), in bursts of as many; 0 turns it off"},
		{"AUTH_FAILURES_PER_MINUTE", "30", "failed authentications a minute per client address before it gets 429 for a while; 0 turns it off"},
		{"REDIS_URL", "", "redis:// or rediss:// URL: replicas share rate limits there; unset: limits per process (in memory)"},
		{"MCP_SESSION_KEY", "", "secret of at least 32 bytes (openssl rand -base64 32) binding session ids to their caller: set the same on every replica; unset: a random key per process"},
		{"TRUSTED_PROXIES", "", "IPs or CIDRs of your load balancers, comma-separated: only their X-Forwarded-For is believed (default: nobody's)"},
	}
}

func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}
