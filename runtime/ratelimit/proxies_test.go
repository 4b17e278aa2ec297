package ratelimit

import (
	"net/http"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies, err := ParseProxies([]string{"10.0.0.0/8", " 192.0.2.7 ", "", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		proxies *Proxies
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies: peer", nil, "203.0.113.5:4000", nil, "203.0.113.5"},
		{"no proxies: XFF ignored", nil, "203.0.113.5:4000", []string{"1.2.3.4"}, "203.0.113.5"},
		{"untrusted peer: XFF ignored", proxies, "203.0.113.5:4000", []string{"1.2.3.4"}, "203.0.113.5"},
		{"trusted peer: client from XFF", proxies, "10.1.2.3:4000", []string{"198.51.100.9"}, "198.51.100.9"},
		{"spoofed entries left of the client ignored", proxies, "10.1.2.3:4000", []string{"6.6.6.6, 198.51.100.9"}, "198.51.100.9"},
		{"chain of trusted proxies", proxies, "10.1.2.3:4000", []string{"198.51.100.9, 192.0.2.7", "10.9.9.9"}, "198.51.100.9"},
		{"all hops trusted: leftmost", proxies, "10.1.2.3:4000", []string{"10.0.0.1"}, "10.0.0.1"},
		{"trusted peer without XFF", proxies, "10.1.2.3:4000", nil, "10.1.2.3"},
		// Some load balancers (Azure Application Gateway) append address:port;
		// read as garbage, every client behind them would share one budget.
		{"hop with port", proxies, "10.1.2.3:4000", []string{"6.6.6.6, 198.51.100.9:51234"}, "198.51.100.9"},
		{"IPv6 hop with port", proxies, "10.1.2.3:4000", []string{"[2001:db8::1]:443"}, "2001:db8::/64"},
		{"trusted hop with port", proxies, "10.1.2.3:4000", []string{"198.51.100.9, 10.0.0.1:80"}, "198.51.100.9"},
		{"garbage hop: last good one", proxies, "10.1.2.3:4000", []string{"198.51.100.9, junk"}, "10.1.2.3"},
		{"IPv6 reduced to /64", nil, "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2::/64"},
		{"IPv4-mapped IPv6 is IPv4", nil, "[::ffff:203.0.113.5]:443", nil, "203.0.113.5"},
		{"trusted v6 proxy", proxies, "[fd00::1]:443", []string{"2001:db8::1"}, "2001:db8::/64"},
	}
	for _, c := range cases {
		r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := c.proxies.ClientIP(r); got != c.want {
			t.Errorf("%s: ClientIP = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestParseProxiesErrors(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0", "*"} {
		if _, err := ParseProxies([]string{bad}); err == nil {
			t.Errorf("ParseProxies(%q) accepted it", bad)
		}
	}
}
