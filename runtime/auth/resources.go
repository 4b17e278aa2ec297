package auth

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/yosida95/uritemplate/v3"
)

// resourceIndex answers which scopes a resources/read of a URI needs under a policy.
type resourceIndex struct {
	static    map[string][]string
	templates []resourceTemplate // sorted by raw template
	unknown   []string           // every resource and template scope, sorted: a URI nothing matches
}

type resourceTemplate struct {
	raw    string
	re     *regexp.Regexp
	scopes []string
}

// templates caches compiled URI templates by their text: list filters and the
// middleware ask for the same few templates on every request.
var templates sync.Map // string -> *regexp.Regexp

// parseTemplate compiles an RFC 6570 URI template into the regular expression mcp-go
// matches read URIs with (uritemplate.Template.Regexp, the library and function its
// server uses), so the scope check and the dispatch cannot disagree on a match.
func parseTemplate(raw string) (*regexp.Regexp, error) {
	if re, ok := templates.Load(raw); ok {
		return re.(*regexp.Regexp), nil
	}
	t, err := uritemplate.New(raw)
	if err != nil {
		return nil, fmt.Errorf("resource template %q is not an RFC 6570 URI template: %w", raw, err)
	}
	re := t.Regexp()
	templates.Store(raw, re)
	return re, nil
}

// newResourceIndex compiles the resources of p. p must pass Check.
func newResourceIndex(p ScopePolicy) *resourceIndex {
	if len(p.Resources) == 0 && len(p.ResourceTemplates) == 0 {
		return nil
	}
	ix := &resourceIndex{static: make(map[string][]string, len(p.Resources))}
	var unknown []string
	for uri, scopes := range p.Resources {
		ix.static[uri] = sortedSet(scopes)
		unknown = append(unknown, scopes...)
	}
	for _, raw := range slices.Sorted(maps.Keys(p.ResourceTemplates)) {
		re, err := parseTemplate(raw)
		if err != nil {
			continue // Check refuses the policy
		}
		scopes := sortedSet(p.ResourceTemplates[raw])
		ix.templates = append(ix.templates, resourceTemplate{raw: raw, re: re, scopes: scopes})
		unknown = append(unknown, scopes...)
	}
	ix.unknown = sortedSet(unknown)
	return ix
}

// scopes returns the scopes, beyond Required, that reading uri needs, sorted, and
// the resource or template it reads ("" when nothing matches). mcp-go serves the
// resource with exactly that URI if there is one, else the first matching template
// of a map (so any of them): the scopes of all matching templates are needed. A URI
// nothing matches needs every scope of every resource.
func (ix *resourceIndex) scopes(uri string) (scopes []string, target string) {
	if ix == nil {
		return nil, ""
	}
	if s, ok := ix.static[uri]; ok {
		return s, uri
	}
	matched := 0
	for _, t := range ix.templates {
		if !t.re.MatchString(uri) {
			continue
		}
		if matched == 0 {
			scopes, target = t.scopes, t.raw
		} else {
			scopes = sortedSet(slices.Concat(scopes, t.scopes))
		}
		matched++
	}
	if matched == 0 {
		return ix.unknown, ""
	}
	return scopes, target
}

// withHierarchy returns caller with the policy's hierarchy applied to HasScope.
func (p ScopePolicy) withHierarchy(caller *Principal) *Principal {
	if caller == nil || caller.grantors != nil || len(p.Implies) == 0 {
		return caller
	}
	q := *caller
	q.grantors = p.grantors()
	return &q
}

// holds reports whether caller (nil: no token) holds Required and scopes.
func (p ScopePolicy) holds(caller *Principal, scopes []string) bool {
	if caller == nil {
		return false
	}
	caller = p.withHierarchy(caller)
	return len(caller.MissingScopes(p.Required...)) == 0 && len(caller.MissingScopes(scopes...)) == 0
}

// ResourceScopes returns what a resources/read of uri needs, sorted: Required and the
// scopes of the resource or templates the URI matches (see ScopePolicy.Resources).
func (p ScopePolicy) ResourceScopes(uri string) []string {
	scopes, _ := newResourceIndex(p).scopes(uri)
	return sortedSet(slices.Concat(p.Required, scopes))
}

// CanRead reports whether caller (nil: no token) may read the resource at uri: it
// holds Required and the scopes the URI needs (ResourceScopes).
func (p ScopePolicy) CanRead(uri string, caller *Principal) bool {
	scopes, _ := newResourceIndex(p).scopes(uri)
	return p.holds(caller, scopes)
}

// CanGetPrompt reports whether caller (nil: no token) may get the prompt name: it
// holds Required and the prompt's scopes.
func (p ScopePolicy) CanGetPrompt(name string, caller *Principal) bool {
	return p.holds(caller, p.Prompts[name])
}

// PromptFilter returns an mcp-go prompt filter (server.WithPromptFilter) that, when
// p.FilterLists is set, keeps in prompts/list only the prompts the request's caller
// may get (CanGetPrompt). Without FilterLists it keeps every prompt.
func PromptFilter(p ScopePolicy) server.PromptFilterFunc {
	return func(ctx context.Context, prompts []mcp.Prompt) []mcp.Prompt {
		if !p.FilterLists {
			return prompts
		}
		caller, _ := FromContext(ctx)
		return slices.DeleteFunc(slices.Clone(prompts), func(pr mcp.Prompt) bool { return !p.CanGetPrompt(pr.Name, caller) })
	}
}

// FilterResourceLists adds to hooks (those of server.WithHooks) the resource filters
// of p: when p.FilterLists is set, resources/list keeps only the resources the
// request's caller may read (CanRead) and resources/templates/list only the templates
// whose scopes it holds. Without FilterLists it adds nothing. mcp-go has no resource
// filter option; its after-list hooks run before the answer is encoded.
func FilterResourceLists(hooks *server.Hooks, p ScopePolicy) {
	if !p.FilterLists {
		return
	}
	ix := newResourceIndex(p)
	hooks.AddAfterListResources(func(ctx context.Context, _ any, _ *mcp.ListResourcesRequest, result *mcp.ListResourcesResult) {
		if result == nil {
			return
		}
		caller, _ := FromContext(ctx)
		result.Resources = slices.DeleteFunc(slices.Clone(result.Resources), func(r mcp.Resource) bool {
			scopes, _ := ix.scopes(r.URI)
			return !p.holds(caller, scopes)
		})
	})
	hooks.AddAfterListResourceTemplates(func(ctx context.Context, _ any, _ *mcp.ListResourceTemplatesRequest, result *mcp.ListResourceTemplatesResult) {
		if result == nil {
			return
		}
		caller, _ := FromContext(ctx)
		result.ResourceTemplates = slices.DeleteFunc(slices.Clone(result.ResourceTemplates), func(t mcp.ResourceTemplate) bool {
			if t.URITemplate == nil || t.URITemplate.Template == nil {
				return true
			}
			scopes, ok := p.ResourceTemplates[t.URITemplate.Raw()]
			if !ok {
				scopes = ix.unknownScopes()
			}
			return !p.holds(caller, scopes)
		})
	})
}

// unknownScopes are the scopes of a URI or template the policy does not know.
func (ix *resourceIndex) unknownScopes() []string {
	if ix == nil {
		return nil
	}
	return ix.unknown
}
