package engine

import (
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// URL parsing for the URL class (js/url.js), on net/url with the WHATWG
// URL standard's normalizations that functions meet in practice: scheme
// and host lower-cased, IDNA hosts in punycode, default ports dropped,
// dot segments removed, "/" as the path of http(s) URLs, backslashes as
// slashes, and spaces and quotes percent-encoded in the query.

// specialPorts are the WHATWG "special" schemes with their default ports.
var specialPorts = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}

// webURLParts is a parsed URL as the URL class exposes it.
type webURLParts struct {
	Href, Protocol, Username, Password, Hostname, Port, Pathname, Search, Hash string
}

// parseWebURL parses input, relative to base when base is not nil. ok is
// false where new URL(...) throws.
func parseWebURL(input string, base *string) (webURLParts, bool) {
	var u *url.URL
	var ok bool
	if base != nil {
		b, okb := parseAbsolute(*base)
		if !okb {
			return webURLParts{}, false
		}
		ref, err := url.Parse(cleanInput(input, b.Scheme))
		if err != nil {
			return webURLParts{}, false
		}
		u, ok = b.ResolveReference(ref), true
	} else {
		u, ok = parseAbsolute(input)
	}
	if !ok || !normalize(u) {
		return webURLParts{}, false
	}
	return partsOf(u), true
}

// cleanInput strips what the standard ignores: leading and trailing
// controls and spaces, tabs and newlines anywhere; and, for special
// schemes, reads backslashes before the query as slashes.
func cleanInput(s, scheme string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	if i := strings.Index(s, ":"); i > 0 && scheme == "" {
		scheme = strings.ToLower(s[:i])
	}
	if _, special := specialPorts[scheme]; special {
		end := strings.IndexAny(s, "?#")
		if end < 0 {
			end = len(s)
		}
		s = strings.ReplaceAll(s[:end], `\`, "/") + s[end:]
	}
	return s
}

func parseAbsolute(s string) (*url.URL, bool) {
	u, err := url.Parse(cleanInput(s, ""))
	if err != nil || u.Scheme == "" {
		return nil, false
	}
	return u, true
}

// normalize applies the standard's canonical form; false for a URL it rejects.
func normalize(u *url.URL) bool {
	defPort, special := specialPorts[u.Scheme]
	if special {
		if u.Host == "" || u.Opaque != "" {
			return false
		}
		host, err := idna.Lookup.ToASCII(strings.ToLower(u.Hostname()))
		if err != nil || host == "" {
			return false
		}
		port := u.Port()
		if port != "" {
			n, err := strconv.Atoi(port)
			if err != nil || n > 65535 {
				return false
			}
			port = strconv.Itoa(n)
		}
		if port == defPort {
			port = ""
		}
		if strings.Contains(host, ":") { // IPv6
			host = "[" + host + "]"
		}
		u.Host = host
		if port != "" {
			u.Host += ":" + port
		}
		if u.Path == "" {
			u.Path = "/"
		}
	}
	*u = *u.ResolveReference(&url.URL{}) // removes dot segments, keeps the rest
	u.RawQuery = queryEscaper.Replace(u.RawQuery)
	if u.RawQuery == "" {
		u.ForceQuery = false
	}
	return true
}

// queryEscaper percent-encodes what the query percent-encode set adds to
// what net/url already escapes.
var queryEscaper = strings.NewReplacer(" ", "%20", `"`, "%22", "<", "%3C", ">", "%3E", "'", "%27")

func partsOf(u *url.URL) webURLParts {
	p := webURLParts{Protocol: u.Scheme + ":", Hostname: u.Hostname(), Port: u.Port(), Pathname: u.EscapedPath()}
	if u.Opaque != "" {
		p.Pathname = u.Opaque
	}
	if u.User != nil {
		p.Username = u.User.Username()
		p.Password, _ = u.User.Password()
		p.Username, p.Password = userEscape(p.Username), userEscape(p.Password)
	}
	if u.RawQuery != "" {
		p.Search = "?" + u.RawQuery
	}
	if u.Fragment != "" {
		p.Hash = "#" + u.EscapedFragment()
	}
	p.Href = u.String()
	if u.RawQuery == "" && strings.HasSuffix(p.Href, "?") {
		p.Href = strings.TrimSuffix(p.Href, "?")
	}
	return p
}

func userEscape(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// parseForm reads application/x-www-form-urlencoded text into ordered
// pairs: '+' is a space, bad escapes are kept as written, bad UTF-8 is
// replaced.
func parseForm(s string) [][2]string {
	s = strings.TrimPrefix(s, "?")
	var out [][2]string
	for _, part := range strings.Split(s, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		out = append(out, [2]string{formUnescape(k), formUnescape(v)})
	}
	return out
}

func formUnescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return validUTF8(b)
}
