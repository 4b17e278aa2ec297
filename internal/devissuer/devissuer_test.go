package devissuer

import (
	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update

	"strings"
	"testing"
)

func TestDefault(t *testing.T) {
	for port, want := range map[int]string{3002: "http://127.0.0.1:3003", 1: "http://127.0.0.1:2", 65535: "http://127.0.0.1:65534"} {
		if got := Default(port); got != want {
			t.Errorf("Default(%d) = %q, want %q", port, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		issuer, addr, err string
	}{
		{"http://127.0.0.1:3003", "127.0.0.1:3003", ""},
		{"http://localhost:3003/", "localhost:3003", ""},
		{"http://[::1]:3003", "[::1]:3003", ""},
		{"http://127.0.0.2:3003", "127.0.0.2:3003", ""},
		{"http://LOCALHOST:3003", "LOCALHOST:3003", ""},
		{"http://evil.localhost:3003", "", "is not loopback"},
		{"https://127.0.0.1:3003", "", "must be an http://127.0.0.1:PORT URL"},
		{"http://example.com:3003", "", "is not loopback"},
		{"http://127.0.0.1", "", "needs an explicit port"},
		{"http://127.0.0.1:3003/realms/x", "", "must be just scheme, host and port"},
		{"http://127.0.0.1:3003?x=1", "", "must be just scheme, host and port"},
		{"http://u@127.0.0.1:3003", "", "must be just scheme, host and port"},
		{"http://127.0.0.1:3003/%zz", "", "invalid URL escape"},
	}
	for _, tt := range tests {
		addr, err := Check(tt.issuer)
		switch {
		case tt.err == "" && (err != nil || addr != tt.addr):
			t.Errorf("Check(%q) = %q, %v; want %q", tt.issuer, addr, err, tt.addr)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Check(%q) error = %v, want it to say %q", tt.issuer, err, tt.err)
		}
	}
}
