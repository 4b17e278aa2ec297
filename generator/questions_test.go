package generator

import (
	"reflect"
	"slices"
	"testing"
)

// TestProjectQuestions: the questions follow the answers (the provider decides which
// parameters are asked, the port the resource's default), skip what was given, and put
// the answers, normalised, into the Spec.
func TestProjectQuestions(t *testing.T) {
	var s Spec
	answers := map[string]string{
		"name": "demo", "provider": ProviderAuth0, "domain": "https://acme.us.auth0.com/",
		"port": "8080", "scopes": " a, b ,a",
	}
	given := func(field string) bool { return field == "module" }
	var asked []string
	for q := range ProjectQuestions(&s, given, "suggested") {
		asked = append(asked, q.Field)
		switch q.Field {
		case "name":
			if q.Default != "suggested" {
				t.Errorf("name default %q, want the suggestion", q.Default)
			}
		case "provider":
			if q.Default != DefaultProvider || !slices.Contains(q.Options, ProviderDev) || slices.Contains(q.Options, ProviderGoogle) {
				t.Errorf("provider question %q (default %s) offers the wrong presets", q.Options, q.Default)
			}
		case "domain":
			if q.Message != "Auth0 domain" || q.Validate("acme.us.auth0.com/x") == nil {
				t.Errorf("domain question %q accepts a path", q.Message)
			}
		case "resource":
			if q.Default != "http://localhost:8080/mcp" {
				t.Errorf("resource default %q does not follow the port", q.Default)
			}
		}
		answer, ok := answers[q.Field]
		if !ok {
			answer = q.Default
		}
		if q.Validate != nil {
			if err := q.Validate(answer); err != nil {
				t.Fatalf("%s: answer %q refused: %v", q.Field, answer, err)
			}
		}
		q.Answer(answer)
	}
	if want := []string{"name", "provider", "domain", "port", "resource", "scopes"}; !slices.Equal(asked, want) {
		t.Errorf("asked %v, want %v", asked, want)
	}
	if s.Name != "demo" || s.Module != "" || s.Param("domain") != "acme.us.auth0.com" || s.Port != 8080 ||
		s.ResourceURL != "http://localhost:8080/mcp" || !reflect.DeepEqual(s.Scopes, BaselineScopes([]string{"a", "b"})) {
		t.Errorf("spec = %+v", s)
	}
	if s.Issuer != "" || s.Params["region"] != "" {
		t.Errorf("asking applied defaults to the spec itself: %+v", s)
	}
}

// TestToolQuestions: arguments are asked until the user has no more, and a read-only
// tool is not asked whether it is destructive.
func TestToolQuestions(t *testing.T) {
	project := presetSpec(ProviderScalekit)
	tool := Tool{Name: "weather"}
	given := func(field string) bool { return field == "description" }
	script := []struct{ field, answer string }{
		{"scopes", "weather:read"},
		{"args", "true"}, {"args", "city"}, {"args", "string"}, {"args", "true"}, {"args", "City name"},
		{"args", "false"},
		{"read-only", "true"},
	}
	i := 0
	for q := range ToolQuestions(project, &tool, given) {
		if i >= len(script) || q.Field != script[i].field {
			t.Fatalf("question %d is %s %q, want %v", i, q.Field, q.Message, script[i:])
		}
		if q.Field == "args" && q.Message == "Argument name" && q.Validate("name") != nil {
			t.Error("an argument name another tool uses is refused")
		}
		q.Answer(script[i].answer)
		i++
	}
	want := Tool{Name: "weather", Scopes: []string{"weather:read"}, ReadOnly: true,
		Args: []Arg{{Name: "city", Type: "string", Required: true, Description: "City name"}}}
	if i != len(script) || tool.Name != want.Name || !slices.Equal(tool.Scopes, want.Scopes) || !slices.Equal(tool.Args, want.Args) || !tool.ReadOnly || tool.Destructive {
		t.Errorf("tool = %+v after %d answers, want %+v", tool, i, want)
	}
}

// TestApplyDefaultsOnACopy: a copy of a Spec shares its Params map; defaults applied to
// the copy (as questions do to offer them) must not reach the original.
func TestApplyDefaultsOnACopy(t *testing.T) {
	s := Spec{Provider: ProviderCognito, Params: map[string]string{"user-pool": "us-east-1_AbC"}}
	c := s
	c.ApplyDefaults()
	if c.Param("region") != "us-east-1" || s.Param("region") != "" {
		t.Errorf("copy region %q, original %q; want us-east-1 and none", c.Param("region"), s.Param("region"))
	}
}
