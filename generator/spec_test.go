package generator

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func validSpec() Spec {
	s := Spec{
		Name:     "my-server",
		Provider: ProviderGeneric,
		Issuer:   "https://auth.example.com",
		Runtime:  RuntimeRef{Version: DevelVersion},
	}
	s.ApplyDefaults()
	return s
}

func TestApplyDefaults(t *testing.T) {
	s := Spec{Name: "my-server", Provider: ProviderScalekit, Issuer: "https://acme.scalekit.dev/"}
	s.ApplyDefaults()
	if s.Module != "my-server" || s.Port != 3002 || s.ResourceURL != "http://localhost:3002/mcp" {
		t.Errorf("defaults = module %q port %d resource %q", s.Module, s.Port, s.ResourceURL)
	}
	if s.JWKSURL != "https://acme.scalekit.dev/keys" {
		t.Errorf("JWKSURL = %q, want the Scalekit <env>/keys", s.JWKSURL)
	}
	if len(s.Tools) != 1 || s.Tools[0].Name != "greet_user" {
		t.Errorf("Tools = %+v, want greet_user", s.Tools)
	}
}

func TestValidateAcceptsValidSpec(t *testing.T) {
	if err := validSpec().Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

// TestValidateReportsEveryProblem: one run tells the user everything to fix, each
// problem naming its field.
func TestValidateReportsEveryProblem(t *testing.T) {
	s := validSpec()
	s.Name = "Main"
	s.Module = "Foo Bar"
	s.Provider = "bogus"
	s.Issuer = "http://auth.example.com"
	s.ResourceURL = "https://mcp.example.com/mcp?x=1"
	s.Port = 70000
	s.Scopes = []Scope{{Name: "has space"}}
	err := s.Validate()
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *SpecError", err)
	}
	for _, want := range []string{
		`name: "Main" is not a valid project name`,
		`module: "Foo Bar" is not a valid Go module path`,
		`provider: unknown provider "bogus"`,
		`issuer: "http://auth.example.com" must use https`,
		`resource: "https://mcp.example.com/mcp?x=1" must not contain a query string`,
		`port: 70000 is not a valid port`,
		`scopes: "has space" is not a valid OAuth scope`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if len(se.Problems) != 7 {
		t.Errorf("got %d problems, want 7:\n%v", len(se.Problems), err)
	}
}

func TestValidateName(t *testing.T) {
	for _, name := range []string{"a", "greeting-server", "mcp2", "x-1-y"} {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{"", "Greeting", "1server", "-a", "a-", "a--b", "a_b", "a.b", "main", "test", "internal", "func", "fmt", strings.Repeat("a", 64)} {
		if err := ValidateName(name); err == nil {
			t.Errorf("ValidateName(%q) = nil, want an error", name)
		}
	}
}

func TestValidateModule(t *testing.T) {
	for _, m := range []string{"my-server", "example.com/x/my-server", "github.com/acme/srv/v2"} {
		if err := ValidateModule(m); err != nil {
			t.Errorf("ValidateModule(%q) = %v, want nil", m, err)
		}
	}
	for _, m := range []string{"", "Foo Bar", "fmt", "net/thing", "example.com//x", "/abs", "example.com/x/", "a/../b"} {
		if err := ValidateModule(m); err == nil {
			t.Errorf("ValidateModule(%q) = nil, want an error", m)
		}
	}
}

func TestValidateURL(t *testing.T) {
	for _, u := range []string{"https://auth.example.com", "http://localhost:3002/mcp", "http://127.0.0.1:9/x", "http://[::1]:8080/mcp"} {
		if err := ValidateURL(u); err != nil {
			t.Errorf("ValidateURL(%q) = %v, want nil", u, err)
		}
	}
	for _, u := range []string{"", "auth.example.com", "/mcp", "ftp://x.example", "http://auth.example.com", "https://u:p@x.example", "https://x.example/#f", "https://"} {
		if err := ValidateURL(u); err == nil {
			t.Errorf("ValidateURL(%q) = nil, want an error", u)
		}
	}
}

func TestValidateScope(t *testing.T) {
	for _, s := range []string{"usr:read", "https://api.example.com/read", "a!#$%&'()*+,-./:;<=>?@[]^_`{|}~"} {
		if err := ValidateScope(s); err != nil {
			t.Errorf("ValidateScope(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", "a b", `a"b`, `a\b`, "é", "a\tb", "offline_access"} {
		if err := ValidateScope(s); err == nil {
			t.Errorf("ValidateScope(%q) = nil, want an error", s)
		}
	}
}

func TestValidatePortAndProvider(t *testing.T) {
	if ValidatePort(0) == nil || ValidatePort(65536) == nil || ValidatePort(1) != nil || ValidatePort(65535) != nil {
		t.Error("ValidatePort bounds are not 1..65535")
	}
	if ValidateProvider("scalekit") != nil || ValidateProvider("generic") != nil || ValidateProvider("") == nil || ValidateProvider("Scalekit") == nil {
		t.Error("ValidateProvider accepts other than scalekit and generic")
	}
}

func TestValidateTools(t *testing.T) {
	s := validSpec()
	s.Tools = []Tool{
		{Name: "a_b"},
		{Name: "a-b"}, // same Go name as a_b
		{Name: "bad name"},
		{Name: "ok", Scopes: []string{"x y"}, Args: []Arg{{Name: "n", Type: "map"}, {Name: "Bad", Type: "string"}}},
	}
	err := s.Validate()
	if err == nil {
		t.Fatal("Validate accepted bad tools")
	}
	for _, want := range []string{"collides", `"bad name" is not a valid tool name`, `"x y" is not a valid OAuth scope`, `unknown argument type "map"`, `argument "Bad" is not a valid name`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestGoNames(t *testing.T) {
	for in, want := range map[string]string{"greet_user": "GreetUser", "get-v2.items": "GetV2Items", "2fa": "Tool2fa", "x": "X"} {
		if got := goName(in); got != want {
			t.Errorf("goName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"user_id": "UserID", "city": "City", "api_url": "APIURL"} {
		if got := fieldName(in); got != want {
			t.Errorf("fieldName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"greet_user": "greet_user", "a-b.c": "a_b_c", "run_test": "run_test_tool", "x_linux": "x_linux_tool", "_x": "tool_x", ".x-y": "tool_x_y"} {
		if got := fileStem(in); got != want {
			t.Errorf("fileStem(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestArgTypes: every type a prompt offers is one ValidateArgType accepts and the
// generated code can declare, and nothing else is accepted.
func TestArgTypes(t *testing.T) {
	want := []string{"string", "number", "integer", "boolean", "[]string", "[]number", "[]integer", "[]boolean"}
	if got := ArgTypes(); !slices.Equal(got, want) {
		t.Fatalf("ArgTypes() = %q, want %q", got, want)
	}
	for _, typ := range want {
		if err := ValidateArgType(typ); err != nil {
			t.Errorf("ValidateArgType(%q) = %v", typ, err)
		}
	}
	if goType, _ := argGoType("[]integer"); goType != "[]int" {
		t.Errorf("argGoType([]integer) = %q, want []int", goType)
	}
	err := ValidateArgType("[][]string")
	if err == nil || err.Error() != `unknown argument type "[][]string": use string, number, integer, boolean or an array such as []string` {
		t.Errorf("ValidateArgType([][]string) = %v", err)
	}
}
