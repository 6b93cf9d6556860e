package engine

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dop251/goja"
	"golang.org/x/text/encoding/charmap"
)

// Text encodings for Buffer, TextEncoder/TextDecoder and atob/btoa. JS
// strings are UTF-16; goja hands Go their UTF-8 form (lone surrogates as
// U+FFFD), or their UTF-16 units through goja.String.

// encodeString encodes s in a Buffer encoding (names already normalized by buffer.js).
func encodeString(s goja.String, enc string) []byte {
	switch enc {
	case "hex":
		str := s.String()
		out := make([]byte, 0, len(str)/2)
		for i := 0; i+1 < len(str) && isHex(str[i]) && isHex(str[i+1]); i += 2 {
			out = append(out, unhex(str[i])<<4|unhex(str[i+1])) // Node stops at the first pair that is not hex
		}
		return out
	case "base64", "base64url":
		return decodeBase64Lenient(s.String())
	case "latin1", "ascii":
		out := make([]byte, s.Length())
		for i := range out {
			out[i] = byte(s.CharAt(i))
		}
		return out
	case "utf16le":
		out := make([]byte, 2*s.Length())
		for i := 0; i < s.Length(); i++ {
			c := s.CharAt(i)
			out[2*i], out[2*i+1] = byte(c), byte(c>>8)
		}
		return out
	default:
		return []byte(s.String())
	}
}

// decodeBase64Lenient reads base64 as Node does: either alphabet, padding
// optional, and anything else skipped.
func decodeBase64Lenient(s string) []byte {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		case c == '=':
			i = len(s) // padding ends the data
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1] // a lone last character carries no whole byte
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	return out[:n]
}

// decodeBytes turns bytes into text in a Buffer encoding.
func decodeBytes(b []byte, enc string) string {
	switch enc {
	case "hex":
		return hex.EncodeToString(b)
	case "base64":
		return base64.StdEncoding.EncodeToString(b)
	case "base64url":
		return base64.RawURLEncoding.EncodeToString(b)
	case "latin1":
		return latin1(b)
	case "ascii":
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c & 0x7f)
		}
		return string(r)
	case "utf16le":
		units := make([]uint16, len(b)/2)
		for i := range units {
			units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		return string(utf16.Decode(units))
	default:
		return validUTF8(b)
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// unhex is the value of a hex digit (isHex is true of it).
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// validUTF8 replaces each ill-formed sequence with U+FFFD, as decoders must.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			n = illFormed(b) // one U+FFFD for them all, as the Encoding standard's decoder does
		}
		sb.WriteRune(r)
		b = b[n:]
	}
	return sb.String()
}

// illFormed is how many bytes at the start of b, which do not start a
// character, the Encoding standard's UTF-8 decoder takes before it emits a
// U+FFFD: a lead byte and the continuation bytes that could still have
// finished its character (the maximal subpart), else the one byte.
func illFormed(b []byte) int {
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	}
	n := 1
	for n <= need && n < len(b) && b[n] >= lo && b[n] <= hi {
		lo, hi = 0x80, 0xBF
		n++
	}
	return n
}

// incompleteUTF8 is how many bytes at the end of b start a character that
// the next chunk of a stream will finish.
func incompleteUTF8(b []byte) int {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 { // a lead byte: how long is its character?
			need := 2
			if c >= 0xF0 {
				need = 4
			} else if c >= 0xE0 {
				need = 3
			}
			if need > k {
				return k
			}
			return 0
		}
	}
	return 0
}

// decodeText is TextDecoder.decode: text, and how many bytes it used (a
// stream keeps the rest for the next call). ok is false when fatal and the
// input is not valid.
func decodeText(b []byte, enc string, fatal, stripBOM, stream bool) (text string, used int, ok bool) {
	used = len(b)
	switch enc {
	case "utf-16le":
		if stream {
			used -= used % 2
		}
		b = b[:used]
		if stripBOM && len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE {
			b = b[2:]
		}
		if len(b)%2 == 1 {
			if fatal {
				return "", 0, false
			}
			return decodeBytes(b[:len(b)-1], "utf16le") + "\uFFFD", used, true
		}
		return decodeBytes(b, "utf16le"), used, true
	case "windows-1252":
		out, err := charmap.Windows1252.NewDecoder().Bytes(b)
		if err != nil {
			return "", 0, false
		}
		return string(out), used, true
	default:
		if stream {
			used -= incompleteUTF8(b)
		}
		b = b[:used]
		if stripBOM && len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
			b = b[3:]
		}
		if fatal && !utf8.Valid(b) {
			return "", 0, false
		}
		return validUTF8(b), used, true
	}
}

// encodeInto writes the UTF-8 of s into dst, whole characters only: how
// many UTF-16 units it read and bytes it wrote.
func encodeInto(s goja.String, dst []byte) (read, written int) {
	rd := s.Reader()
	var buf [4]byte
	for {
		r, _, err := rd.ReadRune()
		if err != nil {
			return
		}
		n := utf8.EncodeRune(buf[:], r)
		if written+n > len(dst) {
			return
		}
		copy(dst[written:], buf[:n])
		written += n
		read += utf16.RuneLen(r)
	}
}

// atob decodes forgiving base64 into a Latin-1 string; ok is false for
// input the HTML standard rejects.
func atob(s string) (string, bool) {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\t', '\n', '\f', '\r', ' ':
		default:
			clean = append(clean, c)
		}
	}
	if len(clean)%4 == 0 {
		clean = []byte(strings.TrimSuffix(strings.TrimSuffix(string(clean), "="), "="))
	}
	if len(clean)%4 == 1 {
		return "", false
	}
	for _, c := range clean {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return "", false
		}
	}
	out, err := base64.RawStdEncoding.DecodeString(string(clean))
	if err != nil {
		return "", false
	}
	return latin1(out), true
}

// btoa encodes a string of Latin-1 characters; ok is false past U+00FF.
func btoa(s goja.String) (string, bool) {
	b := make([]byte, s.Length())
	for i := range b {
		c := s.CharAt(i)
		if c > 0xFF {
			return "", false
		}
		b[i] = byte(c)
	}
	return base64.StdEncoding.EncodeToString(b), true
}
