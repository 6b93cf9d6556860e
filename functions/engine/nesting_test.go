package engine

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func TestTooDeep(t *testing.T) {
	deep := strings.Repeat("[", maxNesting+1)
	cases := []struct {
		name, src string
		deep      bool
		line      int
	}{
		{"flat", "function main() { return [1, [2], {a: (3)}] }", false, 0},
		{"at the limit", strings.Repeat("(", maxNesting) + strings.Repeat(")", maxNesting), false, 0},
		{"over the limit", "x\n" + deep, true, 2},
		{"in a string", `"` + deep + `"`, false, 0},
		{"in a template", "`" + deep + "`", false, 0},
		{"in a line comment", "// " + deep + "\nx", false, 0},
		{"in a block comment", "/* " + deep + " */", false, 0},
		{"escaped in a regex", strings.Repeat(`/\(/;`, maxNesting+5), false, 0},
		{"after a comment", "/* a\nb */\n" + deep, true, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line, deep := tooDeep(c.src)
			if deep != c.deep || (deep && line != c.line) {
				t.Fatalf("got deep=%v line=%d, want %v %d", deep, line, c.deep, c.line)
			}
		})
	}
}

func TestMakesFunctionKinds(t *testing.T) {
	for code, want := range map[string]bool{
		"function main() { return 1 * 2 }":            false,
		"const f = async () => 1":                     true,
		"function* gen() {}":                          true,
		"function *gen() {}":                          true,
		"class A { *items() {} }":                     true,
		"const o = { a: 1, *[Symbol.iterator]() {} }": true,
		"class A { static *g() {} }":                  true,
		"const x = a *b; const y = (c) * d":           false,
		"class A { static*g() {} }":                   false, // static needs a space before the * (a false negative costs nothing: goja rejects it)
		"x = {}; * y":                                 true,  // as the pattern it replaces: a false match
		"/* comment */ a":                             false,
	} {
		if got := makesFunctionKinds(code); got != want {
			t.Errorf("%q: got %v, want %v", code, got, want)
		}
	}
}

// hasGenerator answers what the pattern it replaced answers.
func TestHasGeneratorMatchesThePattern(t *testing.T) {
	re := regexp.MustCompile(`function\s*\*|[{};,]\s*(?:static\s+)?\*\s*[A-Za-z_$\[]`)
	parts := []string{"function", "static", "*", " ", "\n", "{", "}", ";", ",", "a", "[", "(", "1", "$", "_", "async"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(8) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		code := b.String()
		if got, want := hasGenerator(code), re.MatchString(code); got != want {
			t.Fatalf("%q: hasGenerator %v, the pattern %v", code, got, want)
		}
	}
}
