package engine

import (
	"math/rand"
	"testing"
)

// plainRun and isASCII read eight bytes at a time; a byte at a time is
// the oracle, over strings with the bytes that matter at every offset.
func TestPlainRunAgreesWithBytewise(t *testing.T) {
	bytewise := func(s string) int {
		i := 0
		for i < len(s) && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' {
			i++
		}
		return i
	}
	ascii := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return false
			}
		}
		return true
	}
	special := []byte{0, 0x1f, 0x20, 0x21, '"', '\\', 0x7f, 0x80, 0xff, 'a', '#', ']'}
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 40; n++ {
		for iter := 0; iter < 300; iter++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = 'a' + byte(rng.Intn(26))
			}
			if n > 0 && iter > 0 {
				for k := rng.Intn(3); k >= 0; k-- {
					b[rng.Intn(n)] = special[rng.Intn(len(special))]
				}
			}
			s := string(b)
			if got, want := plainRun(s), bytewise(s); got != want {
				t.Fatalf("plainRun(%q) = %d, want %d", s, got, want)
			}
			if got, want := isASCII(s), ascii(s); got != want {
				t.Fatalf("isASCII(%q) = %v, want %v", s, got, want)
			}
		}
	}
}
