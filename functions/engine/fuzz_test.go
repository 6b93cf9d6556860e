package engine

import (
	"strings"
	"testing"
)

// FuzzTranspile: no source makes Transpile panic, and what it accepts,
// goja compiles. Run longer with: go test -fuzz FuzzTranspile ./functions/engine
func FuzzTranspile(f *testing.F) {
	for _, seed := range []string{
		"function main(d) { return d }",
		"export default async (d) => d?.x ?? 1",
		"import x from 'console'; export { x as main }",
		"class A { #p = 1; static { this.q = 2 } }",
		"/* unterminated",
		"`${`${1}`}`",
		strings.Repeat("(", 50),
		"//# sourceMappingURL=file:///etc/passwd",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tr, err := Transpile("fuzz.js", src)
		if err != nil {
			return
		}
		if _, err := compile("fuzz.js", tr.Code); err != nil {
			t.Fatalf("accepted source does not compile: %v", err)
		}
	})
}

// FuzzTooDeep: on text without strings, comments or escapes the scanner
// agrees with a plain bracket count.
func FuzzTooDeep(f *testing.F) {
	f.Add("([{}])")
	f.Add(strings.Repeat("[", maxNesting+1))
	f.Add("a(b[c{d}e]f)g" + strings.Repeat("{", maxNesting))
	f.Fuzz(func(t *testing.T, src string) {
		_, deep := tooDeep(src) // must not panic on anything
		if strings.ContainsAny(src, "\"'`/\\") {
			return
		}
		depth, max := 0, 0
		for _, c := range src {
			switch c {
			case '(', '[', '{':
				depth++
				if depth > max {
					max = depth
				}
			case ')', ']', '}':
				if depth > 0 {
					depth--
				}
			}
		}
		if deep != (max > maxNesting) {
			t.Fatalf("tooDeep=%v but the plain count reaches %d", deep, max)
		}
	})
}

// FuzzWebURL: no input makes the URL parser panic, and a parsed URL's href
// parses to itself (new URL(u.href).href === u.href).
func FuzzWebURL(f *testing.F) {
	for _, seed := range []string{"https://user:pw@example.com:8443/a/../b?q=a b#f", "http:\\\\x.org\\p", "HTTP://EXAMPLE.COM:80", "mailto:a@b.c",
		"https://bücher.de/", "http://[::1]:8080/", "http://x/%zz", "  \thttps://x.org/\n ", "https://x.org:99999/", "file:///etc/passwd"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		p, ok := parseWebURL(input, nil)
		if !ok {
			return
		}
		again, ok := parseWebURL(p.Href, nil)
		if !ok || again.Href != p.Href {
			t.Fatalf("%q → %q → %q (ok %v)", input, p.Href, again.Href, ok)
		}
		// Every setter takes any value, and leaves an href that parses.
		for _, part := range []string{"protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"} {
			if set, ok := setWebURL(p.Href, part, input); !ok {
				t.Fatalf("setting %s of %q to %q: no URL", part, p.Href, input)
			} else if _, ok := parseWebURL(set.Href, nil); !ok {
				t.Fatalf("setting %s of %q to %q gave %q, which does not parse", part, p.Href, input, set.Href)
			}
		}
	})
}

// FuzzCodecs: the Buffer and text codecs take any bytes without panicking,
// and base64 and base64url round-trip.
func FuzzCodecs(f *testing.F) {
	f.Add([]byte("héllo ✓"))
	f.Add([]byte{0xff, 0xfe, 0xc3})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, enc := range []string{"utf8", "hex", "base64", "base64url", "latin1", "ascii", "utf16le"} {
			_ = decodeBytes(b, enc)
		}
		for _, enc := range []string{"utf-8", "utf-16le", "windows-1252"} {
			for _, stream := range []bool{false, true} {
				if _, used, _ := decodeText(b, enc, false, true, stream); used > len(b) {
					t.Fatalf("%s used %d of %d bytes", enc, used, len(b))
				}
			}
		}
		if got := decodeBase64Lenient(decodeBytes(b, "base64")); string(got) != string(b) {
			t.Fatalf("base64 round trip: %x → %x", b, got)
		}
		if got := decodeBase64Lenient(decodeBytes(b, "base64url")); string(got) != string(b) {
			t.Fatalf("base64url round trip: %x → %x", b, got)
		}
		_, _ = atob(string(b))
	})
}

// FuzzFormBody: any body under any form content type is parsed or refused
// with an error, never a panic, and within the part limit (the gateway
// parses multipart bodies from the internet).
func FuzzFormBody(f *testing.F) {
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x%22.txt\"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n"), "multipart/form-data; boundary=b")
	f.Add([]byte("a=1&b=%zz&&=x"), "application/x-www-form-urlencoded")
	f.Add([]byte("--b\r\nnonsense"), "multipart/form-data; boundary=b")
	f.Add([]byte("x"), "multipart/form-data")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		parts, err := parseFormBody(body, contentType, 1<<20)
		if err == nil && len(parts) > maxFormParts {
			t.Fatalf("%d parts, past the limit of %d", len(parts), maxFormParts)
		}
	})
}

// An ill-formed UTF-8 sequence decodes as one U+FFFD for its maximal
// subpart, as the Encoding standard's decoder has it.
func TestDecodeIllFormedUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"\xe2\x82":                  "\uFFFD",
		"\xe2\x82A":                 "\uFFFDA",
		"\xf0\x9f\x98":              "\uFFFD",
		"\xed\xa0\x80":              "\uFFFD\uFFFD\uFFFD", // a surrogate: after ED, A0 cannot follow
		"\xc0\x80":                  "\uFFFD\uFFFD",
		"\xf4\x90\x80\x80":          "\uFFFD\uFFFD\uFFFD\uFFFD",
		"\xe0\x80A":                 "\uFFFD\uFFFDA",
		"a\xf1\x80\x80\xe1\x80\xc2": "a\uFFFD\uFFFD\uFFFD",
		"\xef\xbf\xbd":              "\uFFFD", // U+FFFD itself
	} {
		if got := validUTF8([]byte(in)); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
