package intl

import (
	"strings"
	"testing"
)

func TestFormatList(t *testing.T) {
	join := func(parts []Part) string {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(p.Value)
		}
		return b.String()
	}
	for _, c := range []struct {
		locale, typ, style string
		elems              []string
		want               string
	}{
		{"en", "conjunction", "long", []string{"a", "b", "c"}, "a, b, and c"},
		{"en", "conjunction", "long", []string{"a", "b"}, "a and b"},
		{"en", "disjunction", "long", []string{"a", "b", "c", "d"}, "a, b, c, or d"},
		{"en", "unit", "narrow", []string{"1", "2", "3"}, "1 2 3"},
		{"en-GB", "conjunction", "long", []string{"a", "b", "c"}, "a, b and c"},
		{"de", "disjunction", "long", []string{"a", "b", "c"}, "a, b oder c"},
		{"es", "conjunction", "long", []string{"a", "iglesia"}, "a e iglesia"},
		{"es", "conjunction", "long", []string{"a", "hielo"}, "a y hielo"},
		{"es", "disjunction", "long", []string{"a", "b", "11"}, "a, b u 11"},
		{"es", "disjunction", "long", []string{"a", "110"}, "a o 110"},
		{"he", "conjunction", "long", []string{"a", "b", "c"}, "a, b ו-c"},
		{"en", "conjunction", "long", []string{"x"}, "x"},
		{"en", "conjunction", "long", nil, ""},
	} {
		parts, err := FormatList(c.locale, c.typ, c.style, c.elems)
		if err != nil || join(parts) != c.want {
			t.Errorf("FormatList(%s, %s, %s, %q) = %q, %v; want %q", c.locale, c.typ, c.style, c.elems, join(parts), err, c.want)
		}
	}
}
