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
