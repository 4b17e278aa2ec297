package session

import (
	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update

	"encoding/base64"
	"strings"
	"testing"
)

// FuzzSplit: any presented session id is parsed without panicking; what is accepted
// has exactly one spelling (inner, a dot, the canonical tag), and Open accepts only
// what Bind produced for the same caller.
//
//	go test ./runtime/session -run '^$' -fuzz FuzzSplit -fuzztime 10s
func FuzzSplit(f *testing.F) {
	b := New(Config{Key: mustKey(f, strings.Repeat("k", MinKeyBytes))})
	c := Caller{Issuer: "https://auth.example.com", Subject: "user", ClientID: "app"}
	for _, seed := range []string{
		b.Bind(c, "mcp-session-3b1c7f7e-8f0a-4c1e-9a57-0c2f3e0f8d11"),
		b.Bind(c, "a.b.c"),
		b.Bind(Caller{Anonymous: true}, "x"),
		"mcp-session-3b1c7f7e-8f0a-4c1e-9a57-0c2f3e0f8d11",
		"." + strings.Repeat("A", tagChars),
		"x." + strings.Repeat("A", tagChars-1) + "B",
		"x." + strings.Repeat("_", tagChars),
		"x y." + strings.Repeat("A", tagChars),
		"",
		".",
		"é." + strings.Repeat("A", tagChars),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		inner, tag, ok := split(id)
		if ok {
			if inner == "" || len(inner) > MaxInnerBytes || len(tag) != tagBytes {
				t.Fatalf("split(%q) accepted inner %q, tag of %d bytes", id, inner, len(tag))
			}
			if again := inner + "." + base64.RawURLEncoding.EncodeToString(tag); again != id {
				t.Fatalf("split(%q) accepted a second spelling of %q", id, again)
			}
		}
		if inner, ok := b.Open(c, id); ok && b.Bind(c, inner) != id {
			t.Fatalf("Open(%q) accepted an id Bind did not make", id)
		}
		if _, ok := b.Open(Caller{Issuer: c.Issuer, Subject: "other", ClientID: c.ClientID}, id); ok {
			if _, mine := b.Open(c, id); mine {
				t.Fatalf("Open(%q) accepted one id for two callers", id)
			}
		}
	})
}

func mustKey(t testing.TB, raw string) Key {
	t.Helper()
	k, err := ParseKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
