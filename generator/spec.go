package generator

import (
	"errors"
	"fmt"
	"go/token"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/mod/module"

	"github.com/mcpgen/mcpgen/internal/devissuer"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// Spec describes the project to generate. The CLI builds it from flags, prompts and
// defaults; ApplyDefaults fills what the user left out and Validate checks all of it
// before anything is rendered. It is also the schema of mcpgen.yaml (see Manifest): the
// yaml tags are the keys a project's manifest records, in this order.
type Spec struct {
	Name        string `yaml:"name"`               // [a-z][a-z0-9-]{0,62}; output dir default and server name
	Module      string `yaml:"module"`             // Go module path, default Name
	Provider    string `yaml:"provider"`           // a preset name (Providers)
	Issuer      string `yaml:"issuer"`             // authorization server issuer; presets with Params derive it
	JWKSURL     string `yaml:"jwks_url,omitempty"` // optional; default the preset's, else discovered at start
	ResourceURL string `yaml:"resource"`           // default http://localhost:<Port>/mcp
	Port        int    `yaml:"port"`               // default 3002
	// Scopes declares the project's scopes: which are baseline, what each implies. A
	// scope a tool needs that is not declared here is baseline (ApplyDefaults declares
	// it so), which is also what a manifest without scopes means.
	Scopes []Scope `yaml:"scopes,omitempty"`
	// FilterToolsList makes tools/list show each caller only the tools its token can
	// call (auth.ScopePolicy.FilterLists).
	FilterToolsList bool `yaml:"filter_tools_list,omitempty"`
	// Params holds the values of preset parameters (Preset.Params) by name. mcpgen.yaml
	// records each at the top level, before the tools (see Param.YAMLKey).
	Params map[string]string `yaml:"-"`
	Tools  []Tool            `yaml:"tools"` // default: greet_user (usr:read)
	// Resources and Prompts are the project's MCP resources (static or templates) and
	// prompts, each bound to the scopes reading or getting it needs.
	Resources []Resource `yaml:"resources,omitempty"`
	Prompts   []Prompt   `yaml:"prompts,omitempty"`
	Runtime   RuntimeRef `yaml:"-"` // mcpgen.yaml records only the version, as mcpgen
}

// Scope is one OAuth scope of the project. A baseline scope is what clients ask for at
// first connection (the 401 challenge and scopes_supported name it); any other is a
// step-up scope, asked for when a 403 insufficient_scope names it. Implies lists the
// narrower scopes it grants: a token with it may call tools that need them.
type Scope struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description,omitempty"`
	Implies     []string `yaml:"implies,omitempty"`
	Baseline    bool     `yaml:"baseline,omitempty"`
}

// Param returns the value of the preset parameter called name, "" when not set.
func (s Spec) Param(name string) string { return s.Params[name] }

// SetParam sets the preset parameter called name; an empty value unsets it.
func (s *Spec) SetParam(name, value string) {
	if value == "" {
		delete(s.Params, name)
		return
	}
	if s.Params == nil {
		s.Params = map[string]string{}
	}
	s.Params[name] = value
}

// Tool is one MCP tool of the generated server, bound to the scopes a caller needs.
type Tool struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description,omitempty"`
	Scopes      []string `yaml:"scopes,omitempty"`
	Args        []Arg    `yaml:"args,omitempty"`
	ReadOnly    bool     `yaml:"read_only,omitempty"`
	Destructive bool     `yaml:"destructive,omitempty"`
	// RequireClaims are claims the caller's token must carry besides the scopes (an
	// entitlement, a tenant): auth.ScopePolicy.Rules.
	RequireClaims []ClaimRule `yaml:"require_claims,omitempty"`
	// Public tools may be called without a token; they have no scopes and no claims.
	Public bool `yaml:"public,omitempty"`
}

// ClaimRule requires a claim of the caller's token to equal (or, as an array, contain)
// one of Values. Claim "organization" is the organization claim of the provider preset
// (auth.ClaimRule).
type ClaimRule struct {
	Claim  string   `yaml:"claim"`
	Values []string `yaml:"values"`
}

// String writes the rule as --require-claim takes it: claim=value,value.
func (c ClaimRule) String() string { return c.Claim + "=" + strings.Join(c.Values, ",") }

// Arg is one typed argument of a tool; Type is one of ArgTypes.
type Arg struct {
	Name        string `yaml:"name"`
	Type        string `yaml:"type"`
	Description string `yaml:"description,omitempty"`
	Required    bool   `yaml:"required,omitempty"`
}

// RuntimeRef says which mcpgen runtime a generated project builds against.
type RuntimeRef struct {
	Version    string // mcpgen module version required by the generated go.mod
	ReplaceDir string // when set, go.mod gets `replace github.com/mcpgen/mcpgen => ReplaceDir`
}

// DefaultPort is the port a generated server listens on unless told otherwise.
const DefaultPort = 3002

// DefaultTools returns the tools of a new project: the greeting example.
func DefaultTools() []Tool {
	return []Tool{{
		Name:        "greet_user",
		Description: "Greets a user by name.",
		Scopes:      []string{"usr:read"},
		Args: []Arg{{
			Name:        "name",
			Type:        "string",
			Description: "Name of the person to greet",
			Required:    true,
		}},
		ReadOnly: true,
	}}
}

// ApplyDefaults fills every unset field that has a sensible default, the issuer and JWKS
// URL a preset derives included. Provider has none: it must come from the user.
func (s *Spec) ApplyDefaults() {
	s.Params = maps.Clone(s.Params) // a copy of a Spec shares the map; defaults must not leak into it
	if s.Module == "" {
		s.Module = s.Name
	}
	if s.Port == 0 {
		s.Port = DefaultPort
	}
	if s.ResourceURL == "" {
		s.ResourceURL = fmt.Sprintf("http://localhost:%d/mcp", s.Port)
	}
	if p, ok := LookupPreset(s.Provider); ok {
		p.applyDefaults(s)
	}
	if s.Tools == nil {
		s.Tools = DefaultTools()
	}
	s.declareToolScopes()
}

// declareToolScopes declares as baseline every scope a tool, resource or prompt needs
// that s does not declare: what an undeclared scope means (and what every scope of a
// project meant before mcpgen.yaml had scopes), written down so mcpgen.yaml says it.
func (s *Spec) declareToolScopes() {
	s.Scopes = slices.Clone(s.Scopes)
	for _, sc := range s.usedScopes() {
		if _, ok := s.Scope(sc); !ok {
			s.Scopes = append(s.Scopes, Scope{Name: sc, Baseline: true})
		}
	}
}

// usedScopes are the scopes the tools, resources and prompts of s need, in the order
// they name them, with repeats.
func (s Spec) usedScopes() []string {
	var used []string
	for _, t := range s.Tools {
		used = append(used, t.Scopes...)
	}
	for _, r := range s.Resources {
		used = append(used, r.Scopes...)
	}
	for _, p := range s.Prompts {
		used = append(used, p.Scopes...)
	}
	return used
}

// Scope returns the declared scope called name.
func (s Spec) Scope(name string) (Scope, bool) {
	i := slices.IndexFunc(s.Scopes, func(d Scope) bool { return d.Name == name })
	if i < 0 {
		return Scope{}, false
	}
	return s.Scopes[i], true
}

// Policy is the project's authorization policy as the runtime enforces it: the
// generated registry's tools.Policy. A scope a tool, resource or prompt needs that s
// does not declare is baseline; public tools have no entry in Tools.
func (s Spec) Policy() auth.ScopePolicy {
	p := auth.ScopePolicy{FilterLists: s.FilterToolsList}
	var baseline []string
	for _, d := range s.Scopes {
		if d.Baseline {
			baseline = append(baseline, d.Name)
		}
		if len(d.Implies) > 0 {
			if p.Implies == nil {
				p.Implies = map[string][]string{}
			}
			p.Implies[d.Name] = sortedUnique(d.Implies)
		}
	}
	for _, t := range s.Tools {
		if t.Public {
			p.Public = append(p.Public, t.Name)
			continue
		}
		if p.Tools == nil {
			p.Tools = map[string][]string{}
		}
		p.Tools[t.Name] = append([]string{}, sortedUnique(t.Scopes)...)
		for _, r := range t.RequireClaims {
			if p.Rules == nil {
				p.Rules = map[string][]auth.ClaimRule{}
			}
			p.Rules[t.Name] = append(p.Rules[t.Name], auth.ClaimRule{Claim: r.Claim, Values: slices.Clone(r.Values)})
		}
	}
	for _, r := range s.Resources {
		m := &p.Resources
		if r.URITemplate != "" {
			m = &p.ResourceTemplates
		}
		if *m == nil {
			*m = map[string][]string{}
		}
		(*m)[r.Key()] = append([]string{}, sortedUnique(r.Scopes)...)
	}
	for _, pr := range s.Prompts {
		if p.Prompts == nil {
			p.Prompts = map[string][]string{}
		}
		p.Prompts[pr.Name] = append([]string{}, sortedUnique(pr.Scopes)...)
	}
	for _, sc := range s.usedScopes() {
		if _, ok := s.Scope(sc); !ok {
			baseline = append(baseline, sc)
		}
	}
	p.Baseline = sortedUnique(baseline)
	if len(p.Baseline) == 0 {
		p.Baseline = nil
	}
	slices.Sort(p.Public)
	return p
}

// AllScopes is every scope of the project, sorted: the declared ones and those the
// policy names.
func (s Spec) AllScopes() []string {
	all := s.Policy().All()
	for _, d := range s.Scopes {
		all = append(all, d.Name)
	}
	return sortedUnique(all)
}

// Problem is one invalid setting, named by the field at fault. A front end names the
// field in its own terms (`mcpgen new` says --module for "module").
type Problem struct {
	// Field is the Spec field ("name", "module", "provider", "issuer", "jwks-url",
	// "resource", "port", "scopes"; "scopes" also for a problem of the policy as a
	// whole, such as a cycle), a field of a declared scope ("description", "implies"),
	// the preset parameter (Param.Flag, such as "user-pool") or, for a tool, the Tool
	// field ("name", "description", "scopes", "args", "destructive", "require-claims",
	// "public"), for a resource "uri", "uri-template" and "mime-type" besides those, for
	// a prompt the same as a tool's; "" when no single field is to blame.
	Field   string
	Message string
}

func (p Problem) String() string { return p.label(nil) }

// label is the problem with its field named by name (nil: as is).
func (p Problem) label(name func(field string) string) string {
	switch {
	case p.Field == "":
		return p.Message
	case name != nil:
		return name(p.Field) + ": " + p.Message
	}
	return p.Field + ": " + p.Message
}

// SpecError reports every problem of a Spec at once, so the user fixes them in one go.
type SpecError struct {
	Subject  string // what was invalid, for the message; default "project settings"
	Problems []Problem
}

func (e *SpecError) Error() string { return e.Describe(nil) }

// Describe is the message of e with each field named by name, such as the flag that
// sets it; nil names fields as Problem.Field does.
func (e *SpecError) Describe(name func(field string) string) string {
	subject := e.Subject
	if subject == "" {
		subject = "project settings"
	}
	if len(e.Problems) == 1 {
		return "invalid " + subject + ": " + e.Problems[0].label(name)
	}
	var b strings.Builder
	b.WriteString("invalid " + subject + ":")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.label(name))
	}
	return b.String()
}

// Problems returns the problems of a *SpecError in err that name field, joined into one
// error, or nil. A front end uses it to check one value with Validate's own rules.
func Problems(err error, field string) error {
	var se *SpecError
	if !errors.As(err, &se) {
		return nil
	}
	var msgs []string
	for _, p := range se.Problems {
		if p.Field == field {
			msgs = append(msgs, p.Message)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// Validate checks the whole Spec and returns a *SpecError listing every problem, or nil.
// Call ApplyDefaults first: empty optional fields are reported as missing.
func (s Spec) Validate() error {
	var probs []Problem
	add := func(field string, err error) {
		if err != nil {
			probs = append(probs, Problem{Field: field, Message: err.Error()})
		}
	}
	add("name", ValidateName(s.Name))
	add("module", ValidateModule(s.Module))
	add("provider", ValidateProvider(s.Provider))
	preset, known := LookupPreset(s.Provider)
	if known {
		probs = append(probs, preset.validate(s)...)
	}
	if s.Issuer != "" || !known || !preset.DerivesIssuer() {
		add("issuer", validateIdentifierURL(s.Issuer))
	}
	if s.JWKSURL == "" && s.Provider == ProviderScalekit {
		add("jwks-url", errors.New("is required for the scalekit provider (normally <issuer>/keys)"))
	}
	if s.JWKSURL != "" {
		add("jwks-url", ValidateURL(s.JWKSURL))
	}
	if s.Provider == ProviderDev && s.Issuer != "" {
		add("issuer", validateDevIssuer(s.Issuer, s.Port))
	}
	add("resource", validateIdentifierURL(s.ResourceURL))
	add("port", ValidatePort(s.Port))
	probs = append(probs, validateScopes(s)...)
	probs = append(probs, validateTools(s.Tools)...)
	probs = append(probs, validateResources(s.Resources)...)
	probs = append(probs, validatePrompts(s.Prompts)...)
	probs = append(probs, validateGoNames(s)...)
	add("", validateRuntime(s.Runtime))
	if len(probs) == 0 {
		// What the runtime itself refuses at start, cycles of implications above all:
		// checked by the runtime's own rule so generation and the server agree. The
		// checks above name the field and tool; this one catches what they do not.
		probs = append(probs, policyProblems(s.Policy().Check())...)
	}
	if len(probs) > 0 {
		return &SpecError{Problems: probs}
	}
	return nil
}

// policyProblems splits the errors of auth.ScopePolicy.Check into problems.
func policyProblems(err error) []Problem {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var probs []Problem
	for _, e := range errs {
		probs = append(probs, Problem{Field: "scopes", Message: e.Error()})
	}
	return probs
}

// validateScopes checks the declared scopes: valid and unique names, one-line
// descriptions, and implications of scopes the project knows. An implied scope must be
// declared (or needed by a tool) first: a typo would otherwise grant nothing, silently.
func validateScopes(s Spec) []Problem {
	var probs []Problem
	add := func(field string, err error) {
		probs = append(probs, Problem{Field: field, Message: err.Error()})
	}
	known := map[string]bool{}
	for _, d := range s.Scopes {
		known[d.Name] = true
	}
	for _, sc := range s.usedScopes() {
		known[sc] = true
	}
	seen := map[string]bool{}
	for _, d := range s.Scopes {
		if err := ValidateScope(d.Name); err != nil {
			add("scopes", err)
			continue
		}
		if seen[d.Name] {
			add("scopes", fmt.Errorf("scope %s is declared twice", d.Name))
		}
		seen[d.Name] = true
		if strings.ContainsAny(d.Description, "\n\r") {
			add("description", fmt.Errorf("scope %s: the description must be one line", d.Name))
		}
		for _, n := range d.Implies {
			switch err := ValidateScope(n); {
			case err != nil:
				add("implies", fmt.Errorf("scope %s implies %q: %w", d.Name, n, err))
			case !known[n]:
				add("implies", fmt.Errorf("scope %s implies %s, which the project does not declare: declare it first (mcpgen add scope %s) or correct the name", d.Name, n, n))
			}
		}
	}
	return probs
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// reservedNames are project names that would collide with Go keywords, standard library
// packages or go command patterns when used as a directory, binary or module path.
var reservedNames = map[string]bool{
	"all": true, "cmd": true, "std": true, "test": true, "tool": true, "vendor": true,
	"work": true, "main": true, "internal": true, "testdata": true,
	"archive": true, "bufio": true, "builtin": true, "bytes": true, "cmp": true,
	"compress": true, "container": true, "context": true, "crypto": true, "database": true,
	"debug": true, "embed": true, "encoding": true, "errors": true, "expvar": true,
	"flag": true, "fmt": true, "go": true, "hash": true, "html": true, "image": true,
	"index": true, "io": true, "iter": true, "log": true, "maps": true, "math": true,
	"mime": true, "net": true, "os": true, "path": true, "plugin": true, "reflect": true,
	"regexp": true, "runtime": true, "slices": true, "sort": true, "strconv": true,
	"strings": true, "structs": true, "sync": true, "syscall": true, "testing": true,
	"text": true, "time": true, "unicode": true, "unique": true, "unsafe": true, "weak": true,
}

// ValidateName checks a project name: lower-case letters, digits and hyphens, starting
// with a letter, at most 63 characters, and not a name Go reserves.
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("a project name is required")
	case !nameRE.MatchString(name):
		return fmt.Errorf("%q is not a valid project name: use lower-case letters, digits and hyphens, starting with a letter (at most 63 characters)", name)
	case strings.HasSuffix(name, "-") || strings.Contains(name, "--"):
		return fmt.Errorf("%q is not a valid project name: hyphens must separate words", name)
	case token.IsKeyword(name) || reservedNames[name]:
		return fmt.Errorf("%q is reserved by Go (a keyword, standard library package or go command name); choose another project name", name)
	}
	return nil
}

// ValidateModule checks a Go module path. A path whose first element has a dot must be a
// valid fetchable module path; a local path without a dot is allowed (as `go mod init`
// allows it) unless it collides with the standard library.
func ValidateModule(path string) error {
	if path == "" {
		return errors.New("a Go module path is required")
	}
	first, _, _ := strings.Cut(path, "/")
	var err error
	if strings.Contains(first, ".") {
		err = module.CheckPath(path)
	} else {
		err = module.CheckImportPath(path)
		if err == nil && (reservedNames[first] || token.IsKeyword(first)) {
			err = fmt.Errorf("first element %q is reserved by the standard library", first)
		}
	}
	if err != nil {
		return fmt.Errorf("%q is not a valid Go module path: %w", path, unwrapModuleError(err))
	}
	return nil
}

// unwrapModuleError drops x/mod's "malformed module path" prefix, which repeats the path.
func unwrapModuleError(err error) error {
	var pe *module.InvalidPathError
	if errors.As(err, &pe) && pe.Err != nil {
		return pe.Err
	}
	return err
}

// ValidateURL checks a URL the generated server talks to or advertises: absolute, https
// (or http for a loopback host, for local development), no credentials and no fragment.
func ValidateURL(raw string) error {
	if raw == "" {
		return errors.New("a URL is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a valid URL: %w", raw, errors.Unwrap(err))
	}
	switch {
	case !u.IsAbs() || u.Host == "":
		return fmt.Errorf("%q must be an absolute URL such as https://auth.example.com", raw)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%q must use https", raw)
	case !loopback.IsSecureURL(u):
		return fmt.Errorf("%q must use https (http is only allowed for localhost)", raw)
	case u.User != nil:
		return fmt.Errorf("%q must not contain credentials", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%q must not contain a fragment", raw)
	}
	return nil
}

// validateIdentifierURL checks a URL used as an identifier (issuer, resource): it is
// compared byte for byte with token claims, so a query string is refused as well
// (RFC 8414 §2, RFC 8707 §2).
func validateIdentifierURL(raw string) error {
	if err := ValidateURL(raw); err != nil {
		return err
	}
	if strings.Contains(raw, "?") {
		return fmt.Errorf("%q must not contain a query string", raw)
	}
	return nil
}

// ValidatePort checks a TCP port number.
func ValidatePort(port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("%d is not a valid port: use 1 to 65535", port)
	}
	return nil
}

// ValidateScope checks one scope a project requires or advertises, by the runtime's
// rule (auth.CheckScope): an OAuth scope token (RFC 6749 §3.3), never offline_access.
func ValidateScope(scope string) error { return auth.CheckScope(scope) }

// validateDevIssuer checks the issuer of the dev preset: where `mcpgen dev` listens, so
// a loopback http URL with a port of its own and nothing else.
func validateDevIssuer(issuer string, port int) error {
	if _, err := devissuer.Check(issuer); err != nil {
		return err
	}
	u, _ := url.Parse(issuer)
	if u.Port() == fmt.Sprint(port) {
		return fmt.Errorf("the dev authorization server %s cannot use the server's own port %d; use another port", issuer, port)
	}
	return nil
}

var toolNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ValidateToolName checks an MCP tool name (letters, digits, '_', '-', '.', 1 to 64
// characters) and that a Go identifier can be derived from it.
func ValidateToolName(name string) error {
	if !toolNameRE.MatchString(name) {
		return fmt.Errorf("%q is not a valid tool name: use letters, digits, '_', '-' and '.', 1 to 64 characters", name)
	}
	if goName(name) == "" {
		return fmt.Errorf("%q is not a valid tool name: it needs at least one letter or digit", name)
	}
	return nil
}

// scalarArgTypes are the JSON types a tool argument may have, with the Go type of each;
// an argument may also be an array of one, written []T. It is the one list of argument
// types: ArgTypes, ValidateArgType and the generated code all derive from it.
var scalarArgTypes = []struct{ name, goType string }{
	{"string", "string"},
	{"number", "float64"},
	{"integer", "int"},
	{"boolean", "bool"},
}

// ArgTypes lists every argument type a tool may declare, in the order a prompt offers
// them: the scalar types, then an array of each.
func ArgTypes() []string {
	var types []string
	for _, t := range scalarArgTypes {
		types = append(types, t.name)
	}
	for _, t := range scalarArgTypes {
		types = append(types, "[]"+t.name)
	}
	return types
}

// ValidateArgType checks an argument type: one of ArgTypes.
func ValidateArgType(t string) error {
	if _, ok := argGoType(t); !ok {
		names := ArgTypes()[:len(scalarArgTypes)]
		return fmt.Errorf("unknown argument type %q: use %s or an array such as []%s", t, strings.Join(names, ", "), names[0])
	}
	return nil
}

// argGoType is the Go type of argument type t, and whether t is one of ArgTypes.
func argGoType(t string) (string, bool) {
	elem, isArray := strings.CutPrefix(t, "[]")
	for _, st := range scalarArgTypes {
		if st.name == elem {
			if isArray {
				return "[]" + st.goType, true
			}
			return st.goType, true
		}
	}
	return "", false
}

var argNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// ValidateArgName checks a tool argument name: lower-case letters, digits and '_',
// starting with a letter, so it is a JSON property and a Go field name at once.
func ValidateArgName(name string) error {
	if !argNameRE.MatchString(name) {
		return fmt.Errorf("argument %q is not a valid name: use lower-case letters, digits and '_', starting with a letter", name)
	}
	return nil
}

func validateTools(tools []Tool) []Problem {
	var probs []Problem
	add := func(field string, err error) {
		probs = append(probs, Problem{Field: field, Message: err.Error()})
	}
	if len(tools) == 0 {
		add("", errors.New("a server needs at least one tool"))
	}
	idents := map[string]string{} // Go identifier -> the tool that declares it
	files := map[string]string{}  // file stem -> tool name
	for _, t := range tools {
		if err := ValidateToolName(t.Name); err != nil {
			add("name", err)
			continue
		}
		if err := checkToolNames(t, idents, files); err != nil {
			add("name", err)
		}
		if strings.ContainsAny(t.Description, "\n\r") {
			add("description", fmt.Errorf("tool %q: the description must be one line", t.Name))
		}
		if t.ReadOnly && t.Destructive {
			add("destructive", fmt.Errorf("tool %q cannot be both read-only and destructive (MCP ignores destructiveHint on a read-only tool); pass one of --read-only and --destructive", t.Name))
		}
		for _, sc := range t.Scopes {
			if err := ValidateScope(sc); err != nil {
				add("scopes", fmt.Errorf("tool %q: %w", t.Name, err))
			}
		}
		if t.Public && len(t.Scopes) > 0 {
			add("public", fmt.Errorf("tool %q cannot be public and need scopes (%s): a public tool is called without a token; drop --public or --scope", t.Name, strings.Join(t.Scopes, ", ")))
		}
		if t.Public && len(t.RequireClaims) > 0 {
			add("public", fmt.Errorf("tool %q cannot be public and require claims: a public tool is called without a token; drop --public or --require-claim", t.Name))
		}
		for _, r := range t.RequireClaims {
			if err := validateClaimRule(r); err != nil {
				add("require-claims", fmt.Errorf("tool %q: %w", t.Name, err))
			}
		}
		probs = append(probs, validateArgs(t)...)
	}
	return probs
}

var claimNameRE = regexp.MustCompile(`^[^\s=,]+$`)

// validateClaimRule checks a claim rule: a claim name without spaces, '=' or ',' and at
// least one value, each non-empty and on one line.
func validateClaimRule(r ClaimRule) error {
	if !claimNameRE.MatchString(r.Claim) {
		return fmt.Errorf("claim name %q: use the claim's name as it appears in the token (no spaces, '=' or ','), as in permissions=files:purge", r.Claim)
	}
	if len(r.Values) == 0 {
		return fmt.Errorf("claim %s needs at least one value, as in %s=VALUE", r.Claim, r.Claim)
	}
	for _, v := range r.Values {
		if strings.TrimSpace(v) == "" || strings.ContainsAny(v, "\n\r,`") {
			return fmt.Errorf("claim %s: value %q must be non-empty, on one line, without ',' or backquotes", r.Claim, v)
		}
	}
	return nil
}

// ParseClaimRule parses CLAIM=VALUE[,VALUE...], as `mcpgen add tool --require-claim`
// takes it.
func ParseClaimRule(v string) (ClaimRule, error) {
	claim, values, ok := strings.Cut(v, "=")
	if !ok {
		return ClaimRule{}, errors.New("no value; write CLAIM=VALUE[,VALUE...], as in permissions=files:purge or organization=org_123")
	}
	r := ClaimRule{Claim: strings.TrimSpace(claim)}
	for val := range strings.SplitSeq(values, ",") {
		r.Values = append(r.Values, strings.TrimSpace(val))
	}
	return r, validateClaimRule(r)
}

// ValidateTool checks one tool on its own (name, description, annotations, scopes and
// arguments) and returns a *SpecError naming the field of every problem, or nil. Whether
// it fits a project is AddTool's question.
func ValidateTool(t Tool) error {
	if probs := validateTools([]Tool{t}); len(probs) > 0 {
		return &SpecError{Subject: "tool", Problems: probs}
	}
	return nil
}

// registryIdents are the names the generated registry declares in package tools; a tool
// whose Go names matched one would not compile.
var registryIdents = []string{"Register", "ServerName", "Policy", "Scopes", "ScopesSupported"}

// reservedStems are file stems in internal/tools that are not a tool's: the generated
// registry and the test helpers (a tool "helpers" would write helpers_test.go).
var reservedStems = []string{"registry", "helpers"}

// toolIdents are the package-level Go names every tool file declares.
func toolIdents(name string) []string {
	g := goName(name)
	return []string{g, g + "Args", g + "Tool", "Test" + g, "Test" + g + "Schema"}
}

// checkToolNames refuses a tool whose Go names or file would collide with another tool's
// (recorded in idents and files, which it extends) or with the generated registry. Tool
// names differ in ways Go names and file names do not: get-user and get_user are both
// GetUser, getUser and getuser both getuser.go.
func checkToolNames(t Tool, idents, files map[string]string) error {
	stem := fileStem(t.Name)
	if slices.Contains(reservedStems, stem) {
		return fmt.Errorf("tool %q would be written to %s%s.go or its test, which mcpgen writes for itself; choose another tool name", t.Name, toolsPkg, stem)
	}
	return claimNames(fmt.Sprintf("tool %q", t.Name), stem, toolIdents(t.Name), idents, files)
}

// claimNames records that subject (`tool "x"`, `resource "y"`) writes the file stem
// and declares ids in package tools, refusing a file or name another tool, resource or
// prompt claimed (idents and files map each to its subject) or that the registry
// declares.
func claimNames(subject, stem string, ids []string, idents, files map[string]string) error {
	kind, _, _ := strings.Cut(subject, " ")
	if other, dup := files[stem]; dup {
		return fmt.Errorf("%s collides with %s: both would be written to %s%s.go; choose another %s name", subject, other, toolsPkg, stem, kind)
	}
	for _, id := range ids {
		if slices.Contains(registryIdents, id) {
			return fmt.Errorf("%s would declare Go name %s, which the generated registry declares; choose another %s name", subject, id, kind)
		}
		if other, dup := idents[id]; dup {
			return fmt.Errorf("%s collides with %s: both would declare Go name %s; choose another %s name", subject, other, id, kind)
		}
	}
	files[stem] = subject
	for _, id := range ids {
		idents[id] = subject
	}
	return nil
}

func validateArgs(t Tool) []Problem {
	var probs []Problem
	seen := map[string]bool{}
	for _, a := range t.Args {
		var err error
		switch {
		case !argNameRE.MatchString(a.Name):
			err = ValidateArgName(a.Name)
		case seen[fieldName(a.Name)]:
			err = fmt.Errorf("argument %q is declared twice", a.Name)
		case strings.ContainsAny(a.Description, "\n\r`"):
			err = fmt.Errorf("argument %q: the description must be one line without backquotes", a.Name)
		default:
			err = ValidateArgType(a.Type)
		}
		seen[fieldName(a.Name)] = true
		if err != nil {
			probs = append(probs, Problem{Field: "args", Message: fmt.Sprintf("tool %q: %v", t.Name, err)})
		}
	}
	return probs
}

func validateRuntime(r RuntimeRef) error {
	if r.Version == "" {
		return errors.New("the mcpgen runtime version is not set (see CurrentRuntime)")
	}
	if err := module.Check("github.com/mcpgen/mcpgen", r.Version); err != nil {
		return fmt.Errorf("invalid mcpgen runtime version %q: %w", r.Version, err)
	}
	if strings.ContainsAny(r.ReplaceDir, "\n\r\"`") {
		return fmt.Errorf("invalid runtime directory %q", r.ReplaceDir)
	}
	return nil
}

// goName derives an exported Go identifier from a tool or argument name:
// "greet_user" → "GreetUser", "get-v2.items" → "GetV2Items". A name starting with a digit
// gets the prefix "Tool".
func goName(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(part[1:])
	}
	s := b.String()
	if s != "" && unicode.IsDigit(rune(s[0])) {
		s = "Tool" + s
	}
	return s
}

// fieldName is the Go struct field for an argument name, with common initialisms kept
// upper case as gofmt readers expect ("user_id" → "UserID").
func fieldName(name string) string {
	parts := strings.Split(name, "_")
	for i, p := range parts {
		if initialisms[p] {
			parts[i] = strings.ToUpper(p)
		} else if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

var initialisms = map[string]bool{"id": true, "url": true, "uri": true, "api": true, "http": true, "json": true, "ip": true, "uuid": true}
