package generator

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBuildGoldenProject builds, vets and tests the golden greeting server against this
// checkout's runtime: the golden tree is not just text, it must work.
func TestBuildGoldenProject(t *testing.T) {
	t.Parallel()
	checkProject(t, goldenDir)
}

// TestBuildGoldenWeatherProject does the same for the greeting server grown by
// `mcpgen add tool weather`: the added tool's stub and test compile and pass.
func TestBuildGoldenWeatherProject(t *testing.T) {
	t.Parallel()
	checkProject(t, goldenWeatherDir)
}

// TestBuildGoldenFilesProject does the same for the project with a scope hierarchy,
// claim rules, a public tool and a filtered tools/list.
func TestBuildGoldenFilesProject(t *testing.T) {
	t.Parallel()
	checkProject(t, goldenFilesDir)
}

// TestBuildGoldenResourcesProject does the same for the greeting server with a static
// resource, a resource template and a prompt: their stubs and tests compile and pass,
// and the conformance checks still hold.
func TestBuildGoldenResourcesProject(t *testing.T) {
	t.Parallel()
	checkProject(t, goldenResourcesDir)
}

// TestBuildGenericProject renders what the golden does not cover: the generic provider
// without a JWKS URL, extra scopes, and a tool with typed arguments and no template of
// its own, and one without arguments named like a Go keyword. The result must build and
// pass its own tests.
func TestBuildGenericProject(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	s := Spec{
		Name:     "weather-server",
		Module:   "example.com/acme/weather-server",
		Provider: ProviderGeneric,
		Issuer:   "https://auth.example.com",
		Scopes:   []Scope{{Name: "profile", Baseline: true}},
		Port:     8080,
		Tools: append(DefaultTools(), Tool{
			Name:        "get-forecast.v2",
			Description: "Forecast for a city.",
			Scopes:      []string{"weather:read", "usr:read"},
			Args: []Arg{
				{Name: "city", Type: "string", Description: "City name", Required: true},
				{Name: "days", Type: "integer"},
				{Name: "units", Type: "[]string", Description: "Units to report"},
				{Name: "user_id", Type: "number"},
			},
			Destructive: true,
		}, Tool{Name: "type", Description: "A keyword as tool name.", ReadOnly: true}),
		Runtime: RuntimeRef{Version: DevelVersion, ReplaceDir: root},
	}
	s.ApplyDefaults()
	files, err := Render(s)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	dir := filepath.Join(t.TempDir(), s.Name)
	if d := os.Getenv("MCPGEN_KEEP"); d != "" {
		dir = d
	}
	if err := Write(dir, files, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	checkProject(t, dir)
}

// checkProject runs go build, go vet and go test in dir with a read-only go.mod: the
// generated go.mod and go.sum must be complete as written.
func checkProject(t *testing.T, dir string) {
	t.Helper()
	runGo(t, dir, []string{"build", "./..."}, []string{"vet", "./..."}, []string{"test", "-count=1", "./..."})
}

// runGo runs each go command in dir with a read-only go.mod, failing at the first error.
func runGo(t *testing.T, dir string, commands ...[]string) {
	t.Helper()
	for _, args := range commands {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in %s: %v\n%s", args[0], dir, err, out)
		}
	}
}
