package intl

import "testing"

func TestUnits(t *testing.T) {
	unit := func(u, display string) NumberOptions {
		o := decimalOpts()
		o.Style, o.Unit, o.UnitDisplay = "unit", u, display
		return o
	}
	for _, c := range []struct {
		locale string
		o      NumberOptions
		x      string
		want   string
	}{
		{"en", unit("kilometer-per-hour", "short"), "50", "50 km/h"},
		{"en", unit("liter-per-kilometer", "long"), "2", "2 liters per kilometer"},
		{"en", unit("percent", "short"), "5", "5%"},
		{"de", unit("percent", "short"), "5", "5\u00a0%"},
		{"ru", unit("hour", "long"), "5", "5 часов"},
		{"ar", unit("liter", "long"), "1", "لتر"},
	} {
		if got := mustFormat(t, c.locale, c.o, c.x); got != c.want {
			t.Errorf("%s %s %s: got %q, want %q", c.locale, c.o.Unit, c.x, got, c.want)
		}
	}
	if IsSanctionedUnit("furlong") || IsSanctionedUnit("meter-per-furlong") || !IsSanctionedUnit("byte-per-second") {
		t.Error("sanctioned units")
	}
	if got := Plurals("ru", false).SelectRange("one", "few"); got != "few" {
		t.Errorf("ru one–few: %s", got)
	}
	if got := Plurals("en", false).SelectRange("one", "one"); got != "other" {
		t.Errorf("en one–one (no data): %s", got)
	}
}
