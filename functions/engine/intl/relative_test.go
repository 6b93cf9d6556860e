package intl

import "testing"

func TestRelative(t *testing.T) {
	for _, c := range []struct {
		locale, style, numeric string
		value                  float64
		unit, want             string
	}{
		{"en", "long", "always", -1, "day", "1 day ago"},
		{"en", "long", "auto", -1, "day", "yesterday"},
		{"en", "long", "auto", 0, "year", "this year"},
		{"en", "long", "always", 1234.5, "day", "in 1,234.5 days"},
		{"en", "short", "always", 3, "month", "in 3 mo."},
		{"de", "long", "auto", 2, "day", "übermorgen"},
		{"ru", "long", "always", -5, "hour", "5 часов назад"},
		{"fr", "narrow", "always", 2, "second", "+2 s"},
	} {
		f, err := NewRelativeFormat(c.locale, c.style, c.numeric, "latn")
		if err != nil {
			t.Fatal(err)
		}
		vs := map[float64]string{-1: "-1", 0: "0", 1: "1", 2: "2"}[c.value]
		parts, err := f.FormatToParts(c.value, vs, c.unit)
		if err != nil {
			t.Fatal(err)
		}
		if got := text(parts); got != c.want {
			t.Errorf("%s %s %s %v %s: got %q, want %q", c.locale, c.style, c.numeric, c.value, c.unit, got, c.want)
		}
	}
}
