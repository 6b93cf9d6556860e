package ratelimit

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseTrustedProxies(t *testing.T) {
	tests := []struct {
		in      []string
		wantErr string // substring; "" means success
	}{
		{nil, ""},
		{[]string{"10.0.0.0/8", " 192.168.1.1 ", "fd00::/8", "2001:db8::1"}, ""},
		{[]string{"10.1.2.3/8"}, ""}, // host bits are masked off
		{[]string{"10.0.0.0/33"}, `"10.0.0.0/33"`},
		{[]string{"10.0.0.0/8", "proxy.example"}, `"proxy.example": not an IP address or CIDR prefix`},
		{[]string{""}, "empty entry"},
		{[]string{"1.2.3.4/"}, `"1.2.3.4/": not a CIDR prefix`},
		{[]string{"fe80::1%eth0/64"}, "not a CIDR prefix"},
		{[]string{"300.1.1.1"}, "not an IP address"},
	}
	for _, tt := range tests {
		_, err := ParseTrustedProxies(tt.in)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%q: unexpected error %v", tt.in, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%q: err = %v, want it to mention %s", tt.in, err, tt.wantErr)
		}
	}
}

func TestClientIP(t *testing.T) {
	trusted, err := ParseTrustedProxies([]string{
		"10.0.0.0/8",
		"192.168.1.1",           // one host: /32
		"fd00::/8",              // Fly.io private network
		"2001:db8:ffff::1",      // one host: /128
		"::ffff:172.16.0.0/108", // mapped form of 172.16.0.0/12
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		peer   string
		header string
		want   string
	}{
		{"untrusted peer ignores header", "203.0.113.5", "1.2.3.4", "203.0.113.5"},
		{"untrusted peer ignores XFF", "203.0.113.5", "1.2.3.4, 10.0.0.1", "203.0.113.5"},
		{"neighbour of /32 is untrusted", "192.168.1.2", "1.2.3.4", "192.168.1.2"},
		{"trusted peer single IP", "10.1.2.3", "198.51.100.7", "198.51.100.7"},
		{"trusted /32 peer", "192.168.1.1", "198.51.100.7", "198.51.100.7"},
		{"spaces trimmed", "10.1.2.3", "  198.51.100.7 ", "198.51.100.7"},
		{"empty header", "10.1.2.3", "", "10.1.2.3"},
		{"only commas", "10.1.2.3", " , ,", "10.1.2.3"},
		{"garbage header", "10.1.2.3", "not-an-ip", "10.1.2.3"},
		{"unknown keyword", "10.1.2.3", "unknown", "10.1.2.3"},
		{"XFF spoofed left part ignored", "10.1.2.3", "1.1.1.1, 198.51.100.7, 10.0.0.5", "198.51.100.7"},
		{"XFF skips several proxies", "10.1.2.3", "198.51.100.7, 10.0.0.5, 192.168.1.1", "198.51.100.7"},
		{"XFF garbage left of client is harmless", "10.1.2.3", "garbage, 198.51.100.7", "198.51.100.7"},
		{"XFF garbage before client falls back to peer", "10.1.2.3", "198.51.100.7, garbage, 10.0.0.5", "10.1.2.3"},
		{"XFF all trusted takes left-most", "10.1.2.3", "10.0.0.9, 10.0.0.5", "10.0.0.9"},
		{"XFF trailing comma", "10.1.2.3", "198.51.100.7,", "198.51.100.7"},
		{"XFF no spaces", "10.1.2.3", "1.1.1.1,198.51.100.7", "198.51.100.7"},
		{"port on IPv4", "10.1.2.3", "198.51.100.7:4444", "198.51.100.7"},
		{"port on IPv6", "10.1.2.3", "[2001:db8::1]:443", "2001:db8::1"},
		{"IPv6 peer and client", "fd00::1", "2001:db8::42", "2001:db8::42"},
		{"trusted /128 peer", "2001:db8:ffff::1", "2001:db8::42", "2001:db8::42"},
		{"neighbour of /128 is untrusted", "2001:db8:ffff::2", "2001:db8::42", "2001:db8:ffff::2"},
		{"IPv6 XFF chain", "fd00::1", "2001:db8::42, fd00::2", "2001:db8::42"},
		{"mapped trusted peer", "::ffff:10.0.0.1", "198.51.100.7", "198.51.100.7"},
		{"mapped header value unmapped", "10.0.0.1", "::ffff:198.51.100.7", "198.51.100.7"},
		{"mapped untrusted peer unmapped", "::ffff:203.0.113.5", "1.2.3.4", "203.0.113.5"},
		{"mapped prefix matches plain IPv4", "172.16.5.5", "198.51.100.7", "198.51.100.7"},
		{"mapped trusted proxy in XFF skipped", "10.0.0.1", "198.51.100.7, ::ffff:10.0.0.2", "198.51.100.7"},
		{"zone dropped", "fe80::1%eth0", "1.2.3.4", "fe80::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := trusted.ClientIP(netip.MustParseAddr(tt.peer), tt.header)
			if want := netip.MustParseAddr(tt.want); got != want {
				t.Fatalf("ClientIP(%s, %q) = %v, want %v", tt.peer, tt.header, got, want)
			}
		})
	}
}

func TestClientIPEdgeCases(t *testing.T) {
	var none TrustedProxies
	peer := netip.MustParseAddr("10.0.0.1")
	if got := none.ClientIP(peer, "1.2.3.4"); got != peer {
		t.Fatalf("zero TrustedProxies believed the header: %v", got)
	}
	all, err := ParseTrustedProxies([]string{"0.0.0.0/0", "::/0"})
	if err != nil {
		t.Fatal(err)
	}
	if got := all.ClientIP(netip.Addr{}, "1.2.3.4"); got.IsValid() {
		t.Fatalf("invalid peer gave %v", got)
	}
	// A long forged chain is read only as far as the first untrusted hop...
	long := strings.Repeat("garbage,", 100_000) + "198.51.100.7"
	some, _ := ParseTrustedProxies([]string{"10.0.0.0/8"})
	if got := some.ClientIP(peer, long); got != netip.MustParseAddr("198.51.100.7") {
		t.Fatalf("long chain: %v", got)
	}
	// ...and when every hop is trusted, garbage behind them means peer.
	if got := all.ClientIP(peer, long); got != peer {
		t.Fatalf("long chain, all trusted: %v", got)
	}
}

func TestIPKey(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"203.0.113.5", "203.0.113.5"},
		{"::ffff:203.0.113.5", "203.0.113.5"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
	}
	for _, tt := range tests {
		if got := IPKey(netip.MustParseAddr(tt.in)); got != tt.want {
			t.Errorf("IPKey(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := IPKey(netip.Addr{}); got != "" {
		t.Errorf("IPKey(invalid) = %q, want empty", got)
	}
}
