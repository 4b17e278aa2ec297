package ratelimit

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// Proxies is the set of reverse proxies (load balancers, ingress) whose
// X-Forwarded-For is believed. The zero value trusts nobody: the client is
// the TCP peer, because any client can send an X-Forwarded-For header, and
// believing it would let an attacker pick a fresh address, and so a fresh
// failed-authentication budget, for every request.
type Proxies struct {
	prefixes []netip.Prefix
}

// ParseProxies reads TRUSTED_PROXIES entries: IP addresses or CIDR prefixes
// ("10.0.0.0/8", "192.168.1.10", "fd00::/8"). Blank entries are ignored.
func ParseProxies(entries []string) (*Proxies, error) {
	p := &Proxies{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(e, "/") {
			pfx, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR prefix (like 10.0.0.0/8)", e)
			}
			p.prefixes = append(p.prefixes, pfx.Masked())
			continue
		}
		ip, err := netip.ParseAddr(e)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR prefix (like 10.0.0.0/8)", e)
		}
		ip = ip.Unmap()
		p.prefixes = append(p.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return p, nil
}

func (p *Proxies) trusted(ip netip.Addr) bool {
	if p == nil {
		return false
	}
	ip = ip.Unmap()
	for _, pfx := range p.prefixes {
		if pfx.Contains(ip) {
			return true
		}
	}
	return false
}

// ClientIP returns the address of the client that sent r: the TCP peer,
// unless the peer is a trusted proxy; then X-Forwarded-For is read from the
// right (the entry the nearest proxy appended) past every trusted proxy, and
// the first untrusted address is the client. Entries left of it were written
// by the client and are never believed. An IPv6 client is reduced to its /64,
// the block one subscriber usually holds, so an attacker cannot rotate
// through addresses of its own prefix.
func (p *Proxies) ClientIP(r *http.Request) string {
	peer, ok := parseHostPort(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	client := peer
	if p.trusted(peer) {
		hops := forwardedFor(r.Header)
		for _, hop := range slices.Backward(hops) {
			// An address, or address:port as some load balancers write it.
			ip, ok := parseHostPort(strings.TrimSpace(hop))
			if !ok {
				break // a trusted proxy never writes this: stop at the last good hop
			}
			client = ip
			if !p.trusted(client) {
				break
			}
		}
	}
	return keyAddr(client)
}

func parseHostPort(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	ip, err := netip.ParseAddr(host)
	return ip.Unmap(), err == nil
}

// forwardedFor returns the X-Forwarded-For entries of every such header, in
// order.
func forwardedFor(h http.Header) []string {
	var hops []string
	for _, v := range h.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	return hops
}

func keyAddr(ip netip.Addr) string {
	if ip.Is6() && !ip.Is4In6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

// none reports whether p trusts no proxy, so X-Forwarded-For is never read.
func (p *Proxies) none() bool { return p == nil || len(p.prefixes) == 0 }
