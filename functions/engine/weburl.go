package engine

import (
	"strings"

	whatwg "github.com/nlnwa/whatwg-url/url"
)

// URL parsing for the URL class (js/url.js) and for fetch, by the WHATWG
// URL Standard, with github.com/nlnwa/whatwg-url: it agrees with Node.js
// on all 820 parsing cases and all 248 setter cases of the
// web-platform-tests URL suite (v0.6.2, checked when it was chosen), where
// the net/url-based parser it replaced disagreed on about four in ten.

// urlParser is the standard's parser as is: no lax hosts, no extra
// percent-encoding, the standard's special schemes.
var urlParser = whatwg.NewParser()

// maxURLBytes caps what URL and fetch parse (Chrome's limit: 2 MiB).
const maxURLBytes = 2 << 20

// webURLParts is a parsed URL as the URL class exposes it.
type webURLParts struct {
	Href, Origin, Protocol, Username, Password, Host, Hostname, Port, Pathname, Search, Hash string
}

// parseWHATWG parses input, relative to base when base is not nil: nil
// where new URL(input, base) throws. An empty base is a base that does not
// parse, as in the standard (the library would take "" for no base).
func parseWHATWG(input string, base *string) *whatwg.Url {
	if base == nil {
		u, err := urlParser.Parse(input)
		if err != nil {
			return nil
		}
		return u
	}
	b, err := urlParser.Parse(*base)
	if err != nil {
		return nil
	}
	u, err := b.Parse(input)
	if err != nil {
		return nil
	}
	return u
}

// parseWebURL parses input as new URL(input, base) does; ok is false where it throws.
func parseWebURL(input string, base *string) (webURLParts, bool) {
	u := parseWHATWG(input, base)
	if u == nil {
		return webURLParts{}, false
	}
	return partsOf(u), true
}

// setWebURL is href with one setter of the URL API applied (protocol,
// username, password, host, hostname, port, pathname, search, hash), as
// the standard runs it: the basic URL parser with a state override, which
// leaves the URL as it was where the new value does not fit.
func setWebURL(href, part, value string) (webURLParts, bool) {
	u, err := urlParser.Parse(href)
	if err != nil {
		return webURLParts{}, false
	}
	set := map[string]func(string){
		"protocol": u.SetProtocol, "username": u.SetUsername, "password": u.SetPassword,
		"host": u.SetHost, "hostname": u.SetHostname, "port": u.SetPort,
		"pathname": u.SetPathname, "search": u.SetSearch, "hash": u.SetHash,
	}[part]
	if set == nil {
		return webURLParts{}, false
	}
	set(value)
	return partsOf(u), true
}

func partsOf(u *whatwg.Url) webURLParts {
	return webURLParts{
		Href: u.Href(false), Origin: origin(u), Protocol: u.Protocol(), Username: u.Username(), Password: u.Password(),
		Host: u.Host(), Hostname: u.Hostname(), Port: u.Port(), Pathname: u.Pathname(), Search: u.Search(), Hash: u.Hash(),
	}
}

// origin serializes the URL's origin: a tuple for the special schemes but
// file, the origin of the URL inside a blob: URL of http(s), and an opaque
// origin ("null") for everything else.
func origin(u *whatwg.Url) string {
	switch u.Scheme() {
	case "http", "https", "ws", "wss", "ftp":
		return u.Protocol() + "//" + u.Host()
	case "blob":
		if inner := parseWHATWG(u.Pathname(), nil); inner != nil && (inner.Scheme() == "http" || inner.Scheme() == "https") {
			return origin(inner)
		}
	}
	return "null"
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
