// Package generator turns a project description (Spec) into the files of a new
// OAuth-protected MCP server and writes them safely.
//
// It sits between the CLI and the templates: cmd/mcpgen builds a Spec from flags and the
// answers to ProjectQuestions; Spec is also mcpgen.yaml's schema (Manifest), and a
// preset's Params declare each value a provider needs once; Validate reports every
// problem at once, each naming its field (Problem.Field); Render is a
// pure function from Spec to files (path → bytes, gofmt'd, sorted), so the CLI can write,
// diff or only list them (--dry-run); Write checks every target before changing anything
// and writes each file atomically, undoing its own work on failure. AddTool grows an
// existing project (found through its mcpgen.yaml) by one tool: it computes every change
// first (new user-owned tool files, the regenerated registry and manifest, the README's
// tool table) and Update applies them the same all-or-nothing way, keeping the record of
// what mcpgen wrote current (record.go: checksums in mcpgen.yaml, pristine copies in
// .mcpgen/base; ownership.go says which files are recorded). PlanUpgrade re-renders a
// project with the current templates and merges the user's edits three ways from that
// record; Check compares a project with its record, its manifest and this mcpgen. The
// templates live in package templates and see a data model built here, so
// provider-specific decisions are Go code with tests, not template logic.
package generator
