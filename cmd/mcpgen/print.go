package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpgen/mcpgen/generator"
)

// printPlan lists every file --dry-run would write, with its size, marking those that
// --force would replace.
func printPlan(w io.Writer, dir string, files []generator.File, replaced []string) {
	total := 0
	width := 1
	for _, f := range files {
		total += len(f.Data)
		width = max(width, len(strconv.Itoa(len(f.Data))))
	}
	fmt.Fprintf(w, "would write %d files (%d bytes) to %s:\n", len(files), total, displayDir(dir))
	for _, f := range files {
		note := ""
		if slices.Contains(replaced, f.Path) {
			note = "  (replaces the existing file)"
		}
		fmt.Fprintf(w, "  %*d  %s%s\n", width, len(f.Data), f.Path, note)
	}
	if n := len(generator.WithBase(files)) - len(files); n > 0 {
		fmt.Fprintf(w, "and a pristine copy of %d of them under %s/, the base mcpgen upgrade merges your edits from\n", n, generator.BaseDir)
	}
	fmt.Fprintln(w, "dry run: nothing was written")
}

// printNextSteps tells the user what was written and how to test and run it.
func printNextSteps(w io.Writer, dir string, s generator.Spec, n int, replaced []string) {
	fmt.Fprintf(w, "created %s in %s (%d files)\n", s.Name, displayDir(dir), n)
	if len(replaced) > 0 {
		fmt.Fprintf(w, "replaced existing files (--force): %s\n", strings.Join(replaced, ", "))
	}
	fmt.Fprintf(w, "\nnext steps:\n")
	if s.Provider == generator.ProviderDev {
		printDevNextSteps(w, dir, s)
		return
	}
	fmt.Fprintf(w, "  cd %s\n", shellQuote(dir))
	fmt.Fprintf(w, "  go test ./...   # auth and tool tests against an in-process token issuer\n")
	fmt.Fprintf(w, "  go run .        # serves %s\n", s.ResourceURL)
	fmt.Fprintf(w, "\nthe server reads its settings from the environment or a .env file at start\n")
	fmt.Fprintf(w, "(cp .env.example .env); once deployed, set MCP_RESOURCE_URL to its public URL\n")
	if s.Provider == generator.ProviderScalekit {
		fmt.Fprintf(w, "and PROTECTED_RESOURCE_METADATA to the metadata JSON from your Scalekit dashboard\n")
	}
	if p, ok := generator.LookupPreset(s.Provider); ok {
		fmt.Fprintf(w, "\nREADME.md, section \"Authorization server: %s\", lists the settings to make there\n", p.Title)
	}
}

// printDevNextSteps explains the dev preset: the server trusts `mcpgen dev`, which runs
// it and prints a token, and must be pointed at a real provider before deploying.
func printDevNextSteps(w io.Writer, dir string, s generator.Spec) {
	fmt.Fprintf(w, "  cd %s\n", shellQuote(dir))
	fmt.Fprintf(w, "  mcpgen dev      # local authorization server + this server on %s; prints a token\n", s.ResourceURL)
	fmt.Fprintf(w, "  go test ./...   # auth and tool tests against an in-process token issuer\n")
	fmt.Fprintf(w, "\nthe server trusts the development authorization server of mcpgen dev (%s):\n", s.Issuer)
	fmt.Fprintf(w, "for development only; before deploying, set AUTH_ISSUER, AUTH_JWKS_URL and\n")
	fmt.Fprintf(w, "MCP_RESOURCE_URL to your provider's values (or generate with its --provider preset)\n")
}

// displayDir shows a relative directory as ./dir so it reads as a path in messages.
func displayDir(dir string) string {
	if filepath.IsAbs(dir) || dir == "." || dir == ".." || strings.HasPrefix(dir, "./") || strings.HasPrefix(dir, "../") {
		return dir
	}
	return "./" + dir
}

// shellQuote quotes p for a POSIX shell when it needs it.
func shellQuote(p string) string {
	if p != "" && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") == "" {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}

// printAddition says what was (or, for a dry run, what would be) written, what the new
// scopes mean, and what was left alone.
func printAddition(w io.Writer, dir string, add *generator.Addition, dryRun bool) {
	would := ""
	if dryRun {
		would = "would "
	}
	fmt.Fprintf(w, "%sadd tool %s to %s:\n", would, add.Tool.Name, displayDir(dir))
	src, _ := generator.ToolFiles(add.Tool.Name)
	printChanges(w, add.Changes, src, "tool", dryRun)
	switch {
	case add.Tool.Public:
		fmt.Fprintf(w, "tool %s is public: anyone can call it, without a token\n", add.Tool.Name)
	case add.BaselineDefault:
		fmt.Fprintf(w, "tool %s requires the baseline scopes %s (no --scope given)\n", add.Tool.Name, strings.Join(add.Tool.Scopes, ", "))
	}
	for _, sc := range add.NewScopes {
		fmt.Fprintf(w, "new scope %s: the metadata now lists it in scopes_supported (a baseline scope); let your authorization server issue it to clients that may call %s\n", sc, add.Tool.Name)
	}
	for _, r := range add.Tool.RequireClaims {
		fmt.Fprintf(w, "claim rule: a token must carry %s to call %s (else 403 access_denied)\n", r, add.Tool.Name)
	}
	for _, n := range add.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if !dryRun {
		fmt.Fprintf(w, "\nnext: implement %s in %s, then run go test ./...\n", add.Tool.Name, src)
	}
}

// printChanges lists the files an addition creates and updates; src is the new
// user-owned source file of the kind of thing added ("tool"), "" for none.
func printChanges(w io.Writer, changes []generator.Change, src, kind string, dryRun bool) {
	would := ""
	if dryRun {
		would = "would "
	}
	for _, c := range changes {
		verb, note := "update", ""
		switch {
		case c.Create && c.Path == src:
			verb, note = "create", "  (yours: implement the "+kind+" here)"
		case c.Create:
			verb = "create"
		case c.Path == generator.ReadmeFile:
			note = "  (tables only)"
		}
		if !dryRun {
			verb += "d"
		}
		fmt.Fprintf(w, "  %s%s %s%s\n", would, verb, c.Path, note)
	}
}

// printItemAddition says what was (or would be) written for a new resource or prompt
// (kind) called name, whose user-owned source is src and which needs scopes.
func printItemAddition(w io.Writer, dir string, add *generator.Addition, dryRun bool, kind, name, src string, scopes []string) {
	would := ""
	if dryRun {
		would = "would "
	}
	fmt.Fprintf(w, "%sadd %s %s to %s:\n", would, kind, name, displayDir(dir))
	printChanges(w, add.Changes, src, kind, dryRun)
	if add.BaselineDefault {
		fmt.Fprintf(w, "%s %s requires the baseline scopes %s (no --scope given)\n", kind, name, strings.Join(scopes, ", "))
	} else {
		fmt.Fprintf(w, "%s %s requires the scopes %s (else 403 insufficient_scope naming them)\n", kind, name, strings.Join(scopes, ", "))
	}
	for _, sc := range add.NewScopes {
		fmt.Fprintf(w, "new scope %s: the metadata now lists it in scopes_supported (a baseline scope); let your authorization server issue it to clients that may use %s\n", sc, name)
	}
	for _, n := range add.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if !dryRun {
		fmt.Fprintf(w, "\nnext: implement %s in %s, then run go test ./...\n", name, src)
	}
}

// printScopeAddition says what was (or would be) written for a new scope, what kind of
// scope it is and what to do next.
func printScopeAddition(w io.Writer, dir string, add *generator.Addition, dryRun bool) {
	would := ""
	if dryRun {
		would = "would "
	}
	d := add.Scope
	fmt.Fprintf(w, "%sadd scope %s to %s:\n", would, d.Name, displayDir(dir))
	printChanges(w, add.Changes, "", "scope", dryRun)
	if d.Baseline {
		fmt.Fprintf(w, "%s is a baseline scope: the 401 challenge and scopes_supported name it; let your authorization server issue it to this server's clients\n", d.Name)
	} else {
		fmt.Fprintf(w, "%s is a step-up scope: clients ask for it when a tool that needs it answers 403 insufficient_scope\n", d.Name)
	}
	if len(d.Implies) > 0 {
		fmt.Fprintf(w, "%s implies %s: its tokens may call the tools that need those (and what they imply)\n", d.Name, strings.Join(d.Implies, ", "))
	}
	for _, n := range add.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if !dryRun {
		fmt.Fprintf(w, "\nnext: add the tools that need it, as in mcpgen add tool NAME --scope %s\n", d.Name)
	}
}
