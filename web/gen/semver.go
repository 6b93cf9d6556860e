package main

import (
	"strconv"
	"strings"
)

// satisfies reports whether version meets rng, for the ranges CodeMirror's
// packages use: ^x.y.z, ~x.y.z and x.y.z. Anything else is refused, so an
// unexpected range is looked at by a person rather than guessed at.
func satisfies(version, rng string) bool {
	v, ok := parse(version)
	if !ok {
		return false
	}
	op := ""
	if strings.HasPrefix(rng, "^") || strings.HasPrefix(rng, "~") {
		op, rng = rng[:1], rng[1:]
	}
	r, ok := parse(rng)
	if !ok || less(v, r) {
		return false
	}
	switch op {
	case "^": // the leftmost non-zero part is fixed
		switch {
		case r[0] > 0:
			return v[0] == r[0]
		case r[1] > 0:
			return v[0] == 0 && v[1] == r[1]
		}
		return v == r
	case "~":
		return v[0] == r[0] && v[1] == r[1]
	}
	return v == r
}

// parse reads x.y.z; prereleases and build tags are refused.
func parse(s string) ([3]int, bool) {
	var v [3]int
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
