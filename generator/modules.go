package generator

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"

	"github.com/mcpgen/mcpgen"
)

// RuntimeModule is the module path of the mcpgen runtime packages that generated
// projects import.
const RuntimeModule = mcpgen.ModulePath

// projectModules are the modules a generated project requires besides mcpgen itself.
// Their versions are not written here: they are read from mcpgen's own go.mod, so a
// generated project builds against exactly the versions this repository is tested with.
// The list is what `go mod tidy` wants for the generated project; TestGoSumTidy fails
// when it drifts.
var projectModules = []struct {
	Path     string
	Indirect bool
}{
	{"github.com/mark3labs/mcp-go", false},
	{"github.com/redis/go-redis/v9", true},
	{"github.com/beorn7/perks", true},
	{"github.com/cespare/xxhash/v2", true},
	{"github.com/go-redis/redis_rate/v10", true},
	{"github.com/munnerz/goautoneg", true},
	{"github.com/prometheus/client_golang", true},
	{"github.com/prometheus/client_model", true},
	{"github.com/prometheus/common", true},
	{"github.com/prometheus/procfs", true},
	{"go.uber.org/atomic", true},
	{"golang.org/x/sys", true},
	{"google.golang.org/protobuf", true},
	{"github.com/MicahParks/jwkset", true},
	{"github.com/golang-jwt/jwt/v5", true},
	{"github.com/google/jsonschema-go", true},
	{"github.com/google/uuid", true},
	{"github.com/joho/godotenv", true},
	{"github.com/santhosh-tekuri/jsonschema/v6", true},
	{"github.com/spf13/cast", true},
	{"github.com/yosida95/uritemplate/v3", true},
	{"golang.org/x/text", true},
	{"golang.org/x/time", true},
}

// pinnedVersions parses mcpgen's embedded go.mod once.
var pinnedVersions = sync.OnceValues(func() (*modfile.File, error) {
	f, err := modfile.ParseLax("go.mod", mcpgen.GoMod, nil)
	if err != nil {
		return nil, fmt.Errorf("parse mcpgen's embedded go.mod: %w", err)
	}
	return f, nil
})

// goModInfo computes the generated go.mod: the runtime at rt.Version and every other
// module at the version mcpgen's go.mod pins.
func goModInfo(rt RuntimeRef) (moduleInfo, error) {
	f, err := pinnedVersions()
	if err != nil {
		return moduleInfo{}, err
	}
	versions := map[string]string{}
	for _, r := range f.Require {
		versions[r.Mod.Path] = r.Mod.Version
	}
	info := moduleInfo{
		Runtime:    requirement{Path: RuntimeModule, Version: rt.Version},
		Require:    []requirement{{Path: RuntimeModule, Version: rt.Version}},
		ReplaceDir: rt.ReplaceDir,
	}
	if f.Go != nil {
		info.GoVersion = f.Go.Version
	}
	for _, m := range projectModules {
		v, ok := versions[m.Path]
		if !ok {
			return moduleInfo{}, fmt.Errorf("mcpgen's go.mod does not require %s, which generated projects need: add it with go get", m.Path)
		}
		r := requirement{Path: m.Path, Version: v}
		if m.Indirect {
			info.Indirect = append(info.Indirect, r)
		} else {
			info.Require = append(info.Require, r)
		}
	}
	slices.SortFunc(info.Require, compareRequirements)
	slices.SortFunc(info.Indirect, compareRequirements)
	return info, nil
}

// compareRequirements orders require lines as the go command writes them.
func compareRequirements(a, b requirement) int { return strings.Compare(a.Path, b.Path) }
