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

// Every locale has every sanctioned unit, in each display, and a
// pattern for every -per- compound: no unit style ends in "no data".
func TestUnitsEveryLocale(t *testing.T) {
	for _, loc := range locales().Locales {
		for _, display := range []string{"long", "short", "narrow"} {
			for _, u := range append(append([]string{}, SanctionedUnits...), "kilometer-per-hour", "byte-per-second", "stone-per-week") {
				o := decimalOpts()
				o.Style, o.Unit, o.UnitDisplay = "unit", u, display
				f, err := NewNumberFormat(loc, o)
				if err == nil {
					_, err = f.Format(FromFloat(2))
				}
				if err != nil {
					t.Fatalf("%s %s %s: %v", loc, u, display, err)
				}
			}
		}
	}
}

// Every locale formats every style and notation without an error.
func TestEveryLocale(t *testing.T) {
	for _, loc := range locales().Locales {
		for _, o := range []NumberOptions{
			decimalOpts(),
			{Style: "percent", MinInt: 1, RoundingType: "fractionDigits", UseGrouping: "auto", SignDisplay: "always", NumberingSystem: NumberingSystem(loc, "")},
			{Style: "currency", Currency: "EUR", CurrencyDisplay: "name", MinInt: 1, MinFrac: 2, MaxFrac: 2, RoundingType: "fractionDigits", UseGrouping: "auto", NumberingSystem: NumberingSystem(loc, "")},
			{Style: "currency", Currency: "USD", CurrencyDisplay: "symbol", CurrencySign: "accounting", Notation: "compact", MinInt: 1, MinSig: 1, MaxSig: 2, RoundingType: "morePrecision", UseGrouping: "min2", NumberingSystem: NumberingSystem(loc, "")},
			{Style: "decimal", Notation: "compact", CompactDisplay: "long", MinInt: 1, MinSig: 1, MaxSig: 2, RoundingType: "morePrecision", UseGrouping: "min2", NumberingSystem: NumberingSystem(loc, "")},
			{Style: "decimal", Notation: "engineering", MinInt: 1, MaxFrac: 3, RoundingType: "fractionDigits", NumberingSystem: NumberingSystem(loc, "")},
		} {
			f, err := NewNumberFormat(loc, o)
			if err != nil {
				t.Fatalf("%s %+v: %v", loc, o, err)
			}
			for _, x := range []string{"-1234567.891", "0", "1e21"} {
				d, _ := ParseDecimal(x)
				if s, err := f.Format(d); err != nil || s == "" {
					t.Fatalf("%s %+v %s: %q %v", loc, o, x, s, err)
				}
			}
		}
		for _, style := range []string{"long", "short", "narrow"} {
			rf, err := NewRelativeFormat(loc, style, "auto", NumberingSystem(loc, ""))
			if err != nil {
				t.Fatal(err)
			}
			for _, unit := range []string{"second", "minute", "hour", "day", "week", "month", "quarter", "year"} {
				for _, v := range []float64{-1, 0, 2.5} {
					if parts, err := rf.FormatToParts(v, map[float64]string{-1: "-1", 0: "0", 2.5: "2.5"}[v], unit); err != nil || len(parts) == 0 {
						t.Fatalf("%s %s %s %v: %v", loc, style, unit, v, err)
					}
				}
			}
		}
	}
}
