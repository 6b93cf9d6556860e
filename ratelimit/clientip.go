package ratelimit

import (
	"fmt"
	"net/netip"
	"strings"
)

// TrustedProxies is the set of peers (load balancers, the Fly.io edge) whose
// client-address headers the gateway believes. The zero value trusts nobody.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// ParseTrustedProxies parses CIDR prefixes ("10.0.0.0/8", "fd00::/8") and
// bare addresses, which stand for a single host (/32 or /128).
func ParseTrustedProxies(cidrs []string) (TrustedProxies, error) {
	t := TrustedProxies{prefixes: make([]netip.Prefix, 0, len(cidrs))}
	for _, s := range cidrs {
		p, err := parseTrusted(strings.TrimSpace(s))
		if err != nil {
			return TrustedProxies{}, fmt.Errorf("ratelimit: trusted proxy %q: %w", s, err)
		}
		t.prefixes = append(t.prefixes, p)
	}
	return t, nil
}

func parseTrusted(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, fmt.Errorf("empty entry")
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("not an IP address or CIDR prefix: %w", err)
		}
		a = normalize(a)
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not a CIDR prefix: %w", err)
	}
	// ::ffff:10.0.0.0/104 is written as 10.0.0.0/8, because addresses are
	// unmapped before they are matched.
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// Trusts reports whether addr lies in a trusted prefix.
func (t TrustedProxies) Trusts(addr netip.Addr) bool {
	addr = normalize(addr)
	for _, p := range t.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ClientIP returns the address to attribute a request to. peer is the
// address of the TCP connection; headerValue is the client-address header
// set by the proxy in front (Fly-Client-IP holds one address,
// X-Forwarded-For a comma-separated chain that each proxy appends to).
//
// The header is believed only when peer is trusted. The chain is read from
// the right, skipping trusted proxies; the first address that is not one is
// the client, because everything to its left was written by the client or
// by proxies we do not control. If every address is trusted, the left-most is
// returned. An empty header, or an unparsable entry met before the client is
// found, leaves the answer at peer. Entries may carry a port
// ("1.2.3.4:5678", "[2001:db8::1]:443"). IPv4-mapped IPv6 addresses are
// returned as IPv4 and zones are dropped.
func (t TrustedProxies) ClientIP(peer netip.Addr, headerValue string) netip.Addr {
	peer = normalize(peer)
	if !peer.IsValid() || !t.Trusts(peer) {
		return peer
	}
	found := netip.Addr{}
	// Walk from the right without splitting, so a huge header costs nothing
	// beyond the entries actually read.
	for rest := headerValue; rest != ""; {
		var entry string
		if i := strings.LastIndexByte(rest, ','); i >= 0 {
			rest, entry = rest[:i], rest[i+1:]
		} else {
			rest, entry = "", rest
		}
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue // "a, , b" or a trailing comma carries no address
		}
		a, ok := parseForwarded(entry)
		if !ok {
			return peer
		}
		if !t.Trusts(a) {
			return a
		}
		found = a
	}
	if found.IsValid() {
		return found
	}
	return peer
}

// parseForwarded parses one address of a forwarding header, with or without
// a port.
func parseForwarded(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return normalize(a), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normalize(ap.Addr()), true
	}
	return netip.Addr{}, false
}

// normalize unmaps IPv4-mapped IPv6 and drops any zone, so one host has one
// form.
func normalize(a netip.Addr) netip.Addr {
	return a.Unmap().WithZone("")
}

// IPKey returns the rate-limit key for a client address: an IPv4 address
// whole, an IPv6 address as its /64 prefix ("2001:db8:1:2::/64"). A single
// IPv6 host or subscriber is normally given a whole /64 and can pick any of
// its 2^64 addresses at will, so per-address keys would let one client both
// dodge its limit and flood the limiter's key space. An invalid address
// yields "".
func IPKey(addr netip.Addr) string {
	addr = normalize(addr)
	switch {
	case !addr.IsValid():
		return ""
	case addr.Is4():
		return addr.String()
	}
	return netip.PrefixFrom(addr, 64).Masked().String()
}
