package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// expectedFailuresFile lists the conformance scenarios that do not apply to the greeting
// server, each with the reason. It has the format of the suite's own --expected-failures
// baseline, so `conformance server --url ... --expected-failures FILE` reads it too.
const expectedFailuresFile = "conformance-expected-failures.yml"

// scenarioResult is one scenario's outcome: failed when any check failed or warned, as
// the suite's baseline check counts it, or when it checked nothing.
type scenarioResult struct {
	Name     string
	Failed   bool
	Problems []string // "check: message" of each failing or warning check
	Passed   []string // names of the checks that succeeded
}

// testConformance runs the active server suite of the MCP conformance package against
// the generated server through the token-adding proxy, then compares the outcome with the
// expected-failures file: an unexpected failure, or a listed scenario that now passes,
// fails the test.
func testConformance(t *testing.T, w *world) {
	baseline := filepath.Join(w.peers.Dir, expectedFailuresFile)
	expected := readExpectedFailures(t, baseline)

	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := w.peers.command(ctx, w.peers.bin("conformance"), "server", "--suite", "active",
		"--url", w.tokenProxy.URL, "--expected-failures", baseline, "-o", out)
	raw, err := cmd.CombinedOutput()
	log := ansiColour.ReplaceAllString(string(raw), "")
	t.Logf("conformance server --suite active --url <token-adding proxy> --expected-failures %s took %v",
		expectedFailuresFile, time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("conformance suite did not finish in 5 minutes:\n%s", log)
	}
	// The suite judges the same baseline itself; both verdicts must agree.
	if err != nil {
		t.Errorf("conformance judged the run against %s and failed (%v):\n%s", expectedFailuresFile, err, log)
	}

	results := readConformanceResults(t, out)
	if len(results) == 0 {
		t.Fatalf("conformance wrote no results under %s:\n%s", out, log)
	}
	var unexpected, stale []string
	passed := 0
	for _, r := range results {
		if !r.Failed {
			passed++
		}
		reason, listed := expected[r.Name]
		switch {
		case r.Failed && listed:
			t.Logf("conformance %s: expected failure (%s): %s", r.Name, reason, strings.Join(r.Problems, "; "))
		case r.Failed:
			unexpected = append(unexpected, r.Name)
			t.Errorf("conformance %s: FAILED and not in %s: %s", r.Name, expectedFailuresFile, strings.Join(r.Problems, "; "))
		case listed:
			stale = append(stale, r.Name)
			t.Errorf("conformance %s: passes now (%s) but %s lists it (%s): remove the entry",
				r.Name, strings.Join(r.Passed, ", "), expectedFailuresFile, reason)
		default:
			t.Logf("conformance %s: passed (%s)", r.Name, strings.Join(r.Passed, ", "))
		}
	}
	for name := range expected {
		if !slices.ContainsFunc(results, func(r scenarioResult) bool { return r.Name == name }) {
			t.Errorf("%s lists %s, which the suite did not run: remove or rename the entry", expectedFailuresFile, name)
		}
	}
	if len(unexpected)+len(stale) > 0 {
		t.Logf("conformance output:\n%s", log)
	}
	t.Logf("conformance: %d scenarios, %d passed, %d not applicable (listed in %s)",
		len(results), passed, len(expected), expectedFailuresFile)
}

// readExpectedFailures reads the baseline: a YAML mapping whose "server" key lists
// scenario names, each followed on its line by a comment giving the reason it does not
// apply. An entry without a reason is an error, so the file stays an explanation rather
// than a mute list.
func readExpectedFailures(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	entries := map[string]string{}
	if len(doc.Content) == 0 {
		return entries
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		t.Fatalf("%s: want a mapping with a server: list", path)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, list := root.Content[i], root.Content[i+1]
		if key.Value != "server" {
			t.Fatalf("%s:%d: unexpected key %q: only server: applies", path, key.Line, key.Value)
		}
		if list.Kind != yaml.SequenceNode {
			t.Fatalf("%s:%d: server: must be a list of scenario names", path, list.Line)
		}
		for _, item := range list.Content {
			reason := strings.TrimSpace(strings.TrimPrefix(item.LineComment, "#"))
			if item.Kind != yaml.ScalarNode || reason == "" {
				t.Fatalf("%s:%d: each entry is `- scenario-name  # why it does not apply`", path, item.Line)
			}
			entries[item.Value] = reason
		}
	}
	return entries
}

// readConformanceResults reads the checks.json the suite writes per scenario, in
// directories named server-<scenario>-<timestamp>.
func readConformanceResults(t *testing.T, dir string) []scenarioResult {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*", "checks.json"))
	if err != nil {
		t.Fatal(err)
	}
	var results []scenarioResult
	for _, f := range files {
		var checks []struct {
			Name         string `json:"name"`
			Status       string `json:"status"`
			ErrorMessage string `json:"errorMessage"`
			Description  string `json:"description"`
		}
		raw, err := os.ReadFile(f)
		if err == nil {
			err = json.Unmarshal(raw, &checks)
		}
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		r := scenarioResult{Name: scenarioName(filepath.Base(filepath.Dir(f)))}
		for _, c := range checks {
			switch c.Status {
			case "SUCCESS":
				r.Passed = append(r.Passed, c.Name)
			case "FAILURE", "WARNING":
				r.Failed = true
				msg := c.ErrorMessage
				if msg == "" {
					msg = c.Description
				}
				r.Problems = append(r.Problems, fmt.Sprintf("%s %s: %s", c.Status, c.Name, msg))
			}
		}
		if len(r.Passed) == 0 && !r.Failed {
			// A scenario that checked nothing proves nothing: count it as failed.
			r.Failed, r.Problems = true, []string{"the scenario ran no check"}
		}
		results = append(results, r)
	}
	slices.SortFunc(results, func(a, b scenarioResult) int { return strings.Compare(a.Name, b.Name) })
	return results
}

// ansiColour matches the colour codes the suite prints even without a terminal.
var ansiColour = regexp.MustCompile("\x1b\\[[0-9;]*m")

// timestampSuffix is what the suite appends to a scenario's result directory; the
// same pattern as its own baseline check strips.
var timestampSuffix = regexp.MustCompile(`-\d{4}-\d{2}-\d{2}T[\d-]+Z$`)

// scenarioName turns "server-tools-list-2026-11-26T01-50-00-000Z" into "tools-list".
func scenarioName(dir string) string {
	return timestampSuffix.ReplaceAllString(strings.TrimPrefix(dir, "server-"), "")
}
