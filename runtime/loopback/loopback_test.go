package loopback

import (
	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update

	"net/url"
	"testing"
)

func TestIsHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"localhost.", true},
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"[::1]", true},
		{"::ffff:127.0.0.1", true},
		{"", false},
		{"example.com", false},
		{"localhost.example.com", false},
		{"evil.localhost", false},
		{"128.0.0.1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"10.0.0.1", false},
		{"127.0.0.1:80", false}, // a port is not part of a host
	}
	for _, tt := range tests {
		if got := IsHost(tt.host); got != tt.want {
			t.Errorf("IsHost(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestIsIPRefusesNames(t *testing.T) {
	for _, host := range []string{"localhost", "LOCALHOST"} {
		if IsIP(host) {
			t.Errorf("IsIP(%q) = true, want false: a name can resolve anywhere", host)
		}
	}
	if !IsIP("127.0.0.1") || !IsIP("[::1]") {
		t.Error("IsIP refuses loopback literals")
	}
}

func TestIsSecureURL(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"https://auth.example.com/", true},
		{"http://localhost:3003", true},
		{"http://127.0.0.1:3003/keys", true},
		{"http://[::1]:8080/", true},
		{"http://auth.example.com/", false},
		{"http://10.0.0.5/", false},
		{"ftp://localhost/", false},
		{"https:///path", false},
		{"localhost:3003", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.raw)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.raw, err)
		}
		if got := IsSecureURL(u); got != tt.want {
			t.Errorf("IsSecureURL(%q) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}
