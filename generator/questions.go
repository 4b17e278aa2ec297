package generator

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
)

// Question is one value a front end asks the user for. The questions of a project or
// a tool, their order, defaults and checks live here, so every front end asks the same
// and accepts only what Validate accepts; the front end only shows them and reads the
// answers.
type Question struct {
	Field   string // what the answer sets, named as in Problem.Field
	Message string
	Help    string
	// Default is the answer an empty reply gives; for a yes/no question "true" or
	// "false".
	Default string
	// Options, when not nil, make the question a choice among them.
	Options []string
	// YesNo makes the question a yes/no one; its answer is "true" or "false".
	YesNo bool
	// Validate checks a typed answer (surrounding space trimmed); nil for choices and
	// yes/no questions.
	Validate func(string) error

	set func(string)
}

// Answer stores the answer to q. Questions come as a sequence in which later questions
// depend on earlier answers (defaults, the provider's parameters): answer each before
// taking the next.
func (q Question) Answer(v string) { q.set(strings.TrimSpace(v)) }

// DefaultProvider is the preset a project uses when neither a flag nor an answer names
// one: Scalekit is the provider mcpgen's users start from.
const DefaultProvider = ProviderScalekit

// ProjectQuestions yields a question for every value of s that is not set yet (Name) or
// that given says the user did not give (any other field or parameter, by its
// Problem.Field name), in the order `mcpgen new` asks them. nameDefault is offered for
// the name. Answers go straight into s.
func ProjectQuestions(s *Spec, given func(field string) bool, nameDefault string) iter.Seq[Question] {
	return func(yield func(Question) bool) {
		ask := func(q Question) bool { return yield(q) }
		if s.Name == "" && !ask(Question{Field: "name", Message: "Project name", Default: nameDefault,
			Help:     "Lower-case letters, digits and dashes, starting with a letter. Also the directory and the server's name.",
			Validate: ValidateName, set: func(v string) { s.Name = v }}) {
			return
		}
		if !given("module") && !ask(Question{Field: "module", Message: "Go module path", Default: defaultOf(*s).Module,
			Help:     "The module path in go.mod, for example github.com/you/" + s.Name + ".",
			Validate: ValidateModule, set: func(v string) { s.Module = v }}) {
			return
		}
		if !given("provider") && !ask(providerQuestion(s)) {
			return
		}
		// Only what the preset needs is asked; the issuer and JWKS URL follow from it.
		preset, _ := LookupPreset(s.Provider)
		for _, q := range preset.Params {
			if q.Derived() || given(q.Flag) || (q.ForIssuer && given("issuer")) {
				continue
			}
			if !ask(Question{Field: q.Flag, Message: q.Prompt, Help: q.Help,
				Validate: func(v string) error { _, err := q.Parse(v); return err },
				set:      func(v string) { s.SetParam(q.Flag, q.Normalize(v)) }}) {
				return
			}
		}
		if !given("issuer") && !preset.DerivesIssuer() {
			msg := "Authorization server issuer URL"
			if s.Provider == ProviderScalekit {
				msg = "Scalekit environment URL"
			}
			if !ask(Question{Field: "issuer", Message: msg,
				Help:     "The issuer of the access tokens this server accepts: " + IssuerHint(s.Provider) + ".",
				Validate: answerCheck(s, "issuer", func(c *Spec, v string) { c.Issuer = v }),
				set:      func(v string) { s.Issuer = v }}) {
				return
			}
		}
		// Presets know their JWKS URL; a generic server discovers it from the issuer's
		// metadata at start unless one is given here.
		if !given("jwks-url") && s.Provider == ProviderGeneric {
			check := answerCheck(s, "jwks-url", func(c *Spec, v string) { c.JWKSURL = v })
			if !ask(Question{Field: "jwks-url", Message: "JWKS URL (optional)",
				Help: "Where the authorization server publishes its signing keys: jwks_uri in its metadata. Leave empty to discover it from the issuer's metadata when the server starts.",
				Validate: func(v string) error {
					if v == "" {
						return nil
					}
					return check(v)
				},
				set: func(v string) { s.JWKSURL = v }}) {
				return
			}
		}
		// The port comes before the resource URL because the resource's default depends on it.
		if !given("port") && !ask(Question{Field: "port", Message: "Port", Default: strconv.Itoa(defaultOf(*s).Port),
			Help: "The port the server listens on (PORT).", Validate: validatePortText,
			set: func(v string) { s.Port, _ = strconv.Atoi(v) }}) {
			return
		}
		if !given("resource") && !ask(Question{Field: "resource", Message: "MCP endpoint URL (resource)", Default: defaultOf(*s).ResourceURL,
			Help:     "The canonical public URL clients use for this server; tokens must carry it as audience (MCP_RESOURCE_URL).",
			Validate: answerCheck(s, "resource", func(c *Spec, v string) { c.ResourceURL = v }),
			set:      func(v string) { s.ResourceURL = v }}) {
			return
		}
		if !given("scopes") {
			ask(Question{Field: "scopes", Message: "Extra scopes (comma-separated, optional)",
				Help:     "Baseline scopes listed in scopes_supported besides those your tools require (greet_user requires usr:read).",
				Validate: validateScopeList, set: func(v string) { s.Scopes = BaselineScopes(CleanScopes(strings.Split(v, ","))) }})
		}
	}
}

// providerQuestion offers the presets that can serve; the help describes them all and
// says why the others cannot.
func providerQuestion(s *Spec) Question {
	var options, help []string
	for _, pr := range Presets {
		if pr.Unsupported == "" {
			options = append(options, pr.Name)
		}
		help = append(help, pr.Name+": "+pr.Summary+".")
	}
	return Question{Field: "provider", Message: "Authorization provider", Options: options,
		Default: DefaultProvider, Help: strings.Join(help, " "), set: func(v string) { s.Provider = v }}
}

// answerCheck checks an answer for field with Validate's own rules: set puts it into a
// copy of s, so an answer is never accepted that generation would refuse.
func answerCheck(s *Spec, field string, set func(*Spec, string)) func(string) error {
	return func(v string) error {
		c := *s
		set(&c, v)
		return fieldProblems(c, field)
	}
}

// fieldProblems is what Validate says about field in s once defaults are applied.
func fieldProblems(s Spec, field string) error {
	s.ApplyDefaults()
	return Problems(s.Validate(), field)
}

// defaultOf is s with the generator's defaults applied, so a question offers the value
// generation would use.
func defaultOf(s Spec) Spec {
	s.ApplyDefaults()
	return s
}

func validatePortText(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("port %q is not a number", s)
	}
	return ValidatePort(n)
}

// validateScopeList checks a comma-separated list of scopes: an empty list is fine, an
// empty scope in it is not (it would otherwise be dropped silently).
func validateScopeList(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	for sc := range strings.SplitSeq(s, ",") {
		if err := ValidateScope(strings.TrimSpace(sc)); err != nil {
			return err
		}
	}
	return nil
}

// BaselineScopes declares each of names as a baseline scope.
func BaselineScopes(names []string) []Scope {
	var out []Scope
	for _, n := range names {
		out = append(out, Scope{Name: n, Baseline: true})
	}
	return out
}

// CleanScopes trims each scope and drops empty ones and repeats, keeping the order.
func CleanScopes(in []string) []string {
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// IssuerHint says what the issuer is for provider, for questions and messages.
func IssuerHint(provider string) string {
	if provider == ProviderScalekit {
		return "your Scalekit environment URL, such as https://YOUR-ENV.scalekit.dev"
	}
	example := "https://auth.example.com"
	if p, ok := LookupPreset(provider); ok && p.IssuerExample != "" {
		example = p.IssuerExample
	}
	return "the exact iss of your access tokens, such as " + example
}

// Missing lists, by Problem.Field name, the values s lacks that have no default: what a
// front end that cannot ask must be given.
func (s Spec) Missing() []string {
	var missing []string
	if s.Name == "" {
		missing = append(missing, "name")
	}
	preset, _ := LookupPreset(s.Provider)
	if s.Issuer == "" && !preset.DerivesIssuer() {
		missing = append(missing, "issuer")
	}
	for _, q := range preset.Params {
		if q.Missing(s) {
			missing = append(missing, q.Flag)
		}
	}
	return missing
}

// GivenProblems checks the values given says the user gave (by Problem.Field name), so
// a front end refuses a bad flag before asking anything; values not given are not
// checked, as they may still be asked for or defaulted.
func (s Spec) GivenProblems(given func(field string) bool) []Problem {
	var probs []Problem
	check := func(field string, err error) {
		if given(field) && err != nil {
			probs = append(probs, Problem{Field: field, Message: err.Error()})
		}
	}
	check("name", ValidateName(s.Name))
	check("module", ValidateModule(s.Module))
	check("provider", ValidateProvider(s.Provider))
	check("issuer", fieldProblems(s, "issuer"))
	check("jwks-url", ValidateURL(s.JWKSURL))
	check("resource", fieldProblems(s, "resource"))
	check("port", ValidatePort(s.Port))
	if preset, ok := LookupPreset(s.Provider); ok {
		for _, q := range preset.Params {
			check(q.Flag, q.Validate(s.Param(q.Flag)))
		}
	}
	for _, sc := range s.Scopes {
		check("scopes", ValidateScope(sc.Name))
	}
	return probs
}

// ToolQuestions yields a question for every value of t, a tool to add to the project s, that
// is not set yet (Name) or that given says the user did not give (by Problem.Field
// name: "description", "scopes", "args", "read-only", "destructive"), in the order `mcpgen
// add tool` asks them. Answers go straight into t; each is checked with the rules
// AddTool applies.
func ToolQuestions(s Spec, t *Tool, given func(field string) bool) iter.Seq[Question] {
	return func(yield func(Question) bool) {
		if t.Name == "" && !yield(Question{Field: "name", Message: "Tool name",
			Help:     "Letters, digits, '_', '-' and '.', 1 to 64 characters; clients call the tool by this name.",
			Validate: s.CheckNewToolName, set: func(v string) { t.Name = v }}) {
			return
		}
		if !given("description") && !yield(Question{Field: "description", Message: "Description",
			Help:     "One line saying what the tool does: the model reads it to decide when to call the tool.",
			Validate: toolAnswerCheck(t, "description", func(c *Tool, v string) { c.Description = v }),
			set:      func(v string) { t.Description = v }}) {
			return
		}
		if !given("scopes") && !t.Public && !yield(scopesQuestion(s, "call it", &t.Scopes)) {
			return
		}
		if !given("args") && !argQuestions(t, yield) {
			return
		}
		if !given("read-only") && !given("destructive") {
			if !yield(Question{Field: "read-only", Message: "Read-only (it changes nothing)?", YesNo: true, Default: "false",
				Help: "Sets the readOnlyHint annotation clients show.", set: func(v string) { t.ReadOnly = v == "true" }}) {
				return
			}
			if !t.ReadOnly {
				yield(Question{Field: "destructive", Message: "Destructive (it may delete or overwrite)?", YesNo: true, Default: "false",
					Help: "Sets the destructiveHint annotation: clients may ask the user before calling it.", set: func(v string) { t.Destructive = v == "true" }})
			}
		}
	}
}

// scopesQuestion asks for the scopes a token needs to do what (to "call it"), into
// scopes.
func scopesQuestion(s Spec, what string, scopes *[]string) Question {
	msg := "Scopes a token needs to " + what + " (comma-separated)"
	if known := s.AllScopes(); len(known) > 0 {
		msg = "Scopes a token needs to " + what + " (comma-separated; the server knows " + strings.Join(known, ", ") + ")"
	}
	baseline := "the baseline scopes"
	if b := s.Policy().Baseline; len(b) > 0 {
		baseline += " (" + strings.Join(b, ", ") + ")"
	}
	return Question{Field: "scopes", Message: msg,
		Help:     "The auth middleware answers 403 insufficient_scope to tokens without all of them. Scopes your server does not know yet become baseline scopes, listed in its metadata. Empty: " + baseline + ".",
		Validate: validateScopeList, set: func(v string) { *scopes = CleanScopes(strings.Split(v, ",")) }}
}

// ResourceQuestions yields a question for every value of r, a resource to add to the
// project s, that is not set yet (Name) or that given says the user did not give (by
// Problem.Field name: "uri" for the URI or template, "description", "mime-type",
// "scopes"), in the order `mcpgen add resource` asks them. Answers go straight into r;
// each is checked with the rules AddResource applies.
func ResourceQuestions(s Spec, r *Resource, given func(field string) bool) iter.Seq[Question] {
	return func(yield func(Question) bool) {
		if r.Name == "" && !yield(Question{Field: "name", Message: "Resource name",
			Help:     "Letters, digits, '_', '-' and '.', 1 to 64 characters; clients see it in resources/list.",
			Validate: func(v string) error { return s.CheckNewResource(Resource{Name: v}) },
			set:      func(v string) { r.Name = v }}) {
			return
		}
		if !given("uri") && !yield(Question{Field: "uri", Message: "URI, or URI template with {variables}",
			Help: "A static resource has an absolute URI such as docs://guide; a resource template (RFC 6570) such as weather://cities/{city} serves every URI it matches.",
			Validate: func(v string) error {
				c := resourceAt(v)
				if err := ValidateResourceURI(c.URI); c.URI != "" && err != nil {
					return err
				}
				if err := ValidateResourceTemplate(c.URITemplate); c.URITemplate != "" && err != nil {
					return err
				}
				return s.CheckNewResource(c)
			},
			set: func(v string) { c := resourceAt(v); r.URI, r.URITemplate = c.URI, c.URITemplate }}) {
			return
		}
		if !given("description") && !yield(Question{Field: "description", Message: "Description",
			Help:     "One line saying what the resource holds: clients and models read it.",
			Validate: oneLine,
			set:      func(v string) { r.Description = v }}) {
			return
		}
		if !given("mime-type") && !yield(Question{Field: "mime-type", Message: "MIME type", Default: DefaultMIMEType,
			Help:     "What the content is, such as text/plain, text/markdown or application/json.",
			Validate: ValidateMIMEType, set: func(v string) { r.MIMEType = v }}) {
			return
		}
		if !given("scopes") {
			yield(scopesQuestion(s, "read it", &r.Scopes))
		}
	}
}

// oneLine refuses a description of more than one line.
func oneLine(v string) error {
	if strings.ContainsAny(v, "\n\r") {
		return errors.New("the description must be one line")
	}
	return nil
}

// resourceAt is a resource at v: a template when v has an expression ({...}), else a URI.
func resourceAt(v string) Resource {
	if strings.ContainsAny(v, "{}") {
		return Resource{URITemplate: v}
	}
	return Resource{URI: v}
}

// PromptQuestions yields a question for every value of p, a prompt to add to the
// project s, that is not set yet (Name) or that given says the user did not give
// ("description", "args", "scopes"), in the order `mcpgen add prompt` asks them.
func PromptQuestions(s Spec, p *Prompt, given func(field string) bool) iter.Seq[Question] {
	return func(yield func(Question) bool) {
		if p.Name == "" && !yield(Question{Field: "name", Message: "Prompt name",
			Help:     "Letters, digits, '_', '-' and '.', 1 to 64 characters; clients get the prompt by this name.",
			Validate: s.CheckNewPrompt, set: func(v string) { p.Name = v }}) {
			return
		}
		if !given("description") && !yield(Question{Field: "description", Message: "Description",
			Help: "One line saying what the prompt is for: clients show it to the user.",
			Validate: func(v string) error {
				c := *p
				c.Name, c.Description = "prompt", v
				return Problems(ValidatePrompt(c), "description")
			},
			set: func(v string) { p.Description = v }}) {
			return
		}
		if !given("args") && !promptArgQuestions(p, yield) {
			return
		}
		if !given("scopes") {
			yield(scopesQuestion(s, "get it", &p.Scopes))
		}
	}
}

// promptArgQuestions asks for the arguments of p, one at a time, until the user has no
// more; false when the questions were cut short.
func promptArgQuestions(p *Prompt, yield func(Question) bool) bool {
	for {
		more := false
		if !yield(Question{Field: "args", Message: "Add an argument?", YesNo: true, Default: strconv.FormatBool(len(p.Args) == 0),
			Help: "Prompt arguments are strings the client fills in when it gets the prompt.", set: func(v string) { more = v == "true" }}) {
			return false
		}
		if !more {
			return true
		}
		var a PromptArg
		if !yield(Question{Field: "args", Message: "Argument name", Help: "Lower-case letters, digits and '_', starting with a letter.",
			Validate: func(v string) error {
				if err := ValidatePromptArgName(v); err != nil {
					return err
				}
				if slices.ContainsFunc(p.Args, func(have PromptArg) bool { return have.Name == v }) {
					return fmt.Errorf("argument %q is already declared", v)
				}
				return nil
			},
			set: func(v string) { a.Name = v }}) {
			return false
		}
		if !yield(Question{Field: "args", Message: "Is " + a.Name + " required?", YesNo: true, Default: "true",
			Help: "Your handler refuses a get without a required argument.", set: func(v string) { a.Required = v == "true" }}) {
			return false
		}
		if !yield(Question{Field: "args", Message: "Description of " + a.Name + " (optional)", Help: "Shown to the user filling the prompt in.",
			Validate: oneLine,
			set:      func(v string) { a.Description = v }}) {
			return false
		}
		p.Args = append(p.Args, a)
	}
}

// ScopeQuestions yields a question for every value of d, a scope to add to the project
// s, that is not set yet (Name) or that given says the user did not give (by
// Problem.Field name: "description", "implies", "baseline"), in the order `mcpgen add
// scope` asks them. Answers go straight into d; each is checked with the rules AddScope
// applies.
func ScopeQuestions(s Spec, d *Scope, given func(field string) bool) iter.Seq[Question] {
	return func(yield func(Question) bool) {
		if d.Name == "" && !yield(Question{Field: "name", Message: "Scope name",
			Help:     "An OAuth scope token, such as files:admin; clients ask the authorization server for it by this name.",
			Validate: s.CheckNewScopeName, set: func(v string) { d.Name = v }}) {
			return
		}
		if !given("description") && !yield(Question{Field: "description", Message: "Description (optional)",
			Help:     "One line saying what the scope allows, for the README.",
			Validate: scopeAnswerCheck(s, d, "description", func(c *Scope, v string) { c.Description = v }),
			set:      func(v string) { d.Description = v }}) {
			return
		}
		if !given("implies") {
			msg := "Scopes it grants (comma-separated, optional)"
			if known := s.AllScopes(); len(known) > 0 {
				msg = "Scopes it grants (comma-separated, optional; the server knows " + strings.Join(known, ", ") + ")"
			}
			if !yield(Question{Field: "implies", Message: msg,
				Help:     "A token with this scope may call the tools that need any of these (and what they grant in turn). Each must be a scope the project knows.",
				Validate: scopeAnswerCheck(s, d, "implies", func(c *Scope, v string) { c.Implies = CleanScopes(strings.Split(v, ",")) }),
				set:      func(v string) { d.Implies = CleanScopes(strings.Split(v, ",")) }}) {
				return
			}
		}
		if !given("baseline") {
			yield(Question{Field: "baseline", Message: "Baseline: should clients ask for it at first connection?", YesNo: true, Default: "false",
				Help: "Baseline scopes are in the 401 challenge and scopes_supported. Answer no for a step-up scope: clients ask for it when a tool needs it (403 insufficient_scope), which keeps first tokens narrow.",
				set:  func(v string) { d.Baseline = v == "true" }})
		}
	}
}

// scopeAnswerCheck checks an answer for field with the rules AddScope applies: set puts
// it into a copy of d, added to a copy of s. A cycle of implications counts as a
// problem of "implies".
func scopeAnswerCheck(s Spec, d *Scope, field string, set func(*Scope, string)) func(string) error {
	return func(v string) error {
		if field == "implies" {
			if err := validateScopeList(v); err != nil {
				return err
			}
		}
		c := *d
		c.Implies = slices.Clone(c.Implies)
		set(&c, v)
		probs := s.withScope(c).Validate()
		if err := Problems(probs, field); err != nil {
			return err
		}
		if field == "implies" {
			return Problems(probs, "scopes")
		}
		return nil
	}
}

// argQuestions asks for arguments one by one until the user has no more; false when
// the consumer stopped.
func argQuestions(t *Tool, yield func(Question) bool) bool {
	for {
		more := false
		if !yield(Question{Field: "args", Message: "Add an argument?", YesNo: true, Default: strconv.FormatBool(len(t.Args) == 0),
			Help: "Arguments become a typed Go struct and the tool's input schema.", set: func(v string) { more = v == "true" }}) {
			return false
		}
		if !more {
			return true
		}
		var a Arg
		if !yield(Question{Field: "args", Message: "Argument name", Help: "Lower-case letters, digits and '_', starting with a letter.",
			Validate: func(v string) error {
				if err := ValidateArgName(v); err != nil {
					return err
				}
				for _, have := range t.Args {
					if have.Name == v {
						return fmt.Errorf("argument %q is already declared", v)
					}
				}
				return nil
			},
			set: func(v string) { a.Name = v }}) {
			return false
		}
		if !yield(Question{Field: "args", Message: "Type of " + a.Name, Options: ArgTypes(), Default: ArgTypes()[0],
			Help: "JSON type of the argument; []T is an array.", set: func(v string) { a.Type = v }}) {
			return false
		}
		if !yield(Question{Field: "args", Message: "Is " + a.Name + " required?", YesNo: true, Default: "true",
			Help: "Calls without a required argument are refused before your handler runs.", set: func(v string) { a.Required = v == "true" }}) {
			return false
		}
		if !yield(Question{Field: "args", Message: "Description of " + a.Name + " (optional)", Help: "Shown to the model in the input schema.",
			Validate: toolAnswerCheck(t, "args", func(c *Tool, v string) {
				c.Args = append(slices.Clip(c.Args), Arg{Name: a.Name, Type: a.Type, Description: v})
			}),
			set: func(v string) { a.Description = v }}) {
			return false
		}
		t.Args = append(t.Args, a)
	}
}

// toolAnswerCheck checks an answer for field with ValidateTool's rules: set puts it into
// a copy of t.
func toolAnswerCheck(t *Tool, field string, set func(*Tool, string)) func(string) error {
	return func(v string) error {
		c := *t
		set(&c, v)
		if c.Name == "" {
			c.Name = "tool"
		}
		return Problems(ValidateTool(c), field)
	}
}
