package main

import "testing"

func TestSatisfies(t *testing.T) {
	for _, c := range []struct {
		version, rng string
		want         bool
	}{
		{"6.44.2", "^6.17.0", true},
		{"6.16.0", "^6.17.0", false},
		{"7.0.0", "^6.0.0", false},
		{"0.2.5", "^0.2.1", true},
		{"0.3.0", "^0.2.1", false},
		{"0.0.3", "^0.0.3", true},
		{"0.0.4", "^0.0.3", false},
		{"1.2.9", "~1.2.3", true},
		{"1.3.0", "~1.2.3", false},
		{"1.2.3", "1.2.3", true},
		{"1.2.4", "1.2.3", false},
		{"1.2.3", ">=1.0.0", false},
		{"1.2.3-beta", "^1.0.0", false},
	} {
		if got := satisfies(c.version, c.rng); got != c.want {
			t.Errorf("satisfies(%q, %q) = %v", c.version, c.rng, got)
		}
	}
}
