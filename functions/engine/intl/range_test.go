package intl

import "testing"

// Ranges as ICU writes them (ECMA-402 PartitionNumberRangePattern).
func TestRanges(t *testing.T) {
	cur := decimalOpts()
	cur.Style, cur.Currency, cur.CurrencyDisplay, cur.MinFrac, cur.MaxFrac = "currency", "EUR", "symbol", 2, 2
	acc := cur
	acc.Currency, acc.CurrencySign = "USD", "accounting"
	pct := decimalOpts()
	pct.Style, pct.MaxFrac = "percent", 0
	liters := decimalOpts()
	liters.Style, liters.Unit, liters.UnitDisplay = "unit", "liter", "long"
	for _, c := range []struct {
		locale string
		o      NumberOptions
		x, y   string
		want   string
	}{
		{"en", decimalOpts(), "3", "5", "3–5"},
		{"en", decimalOpts(), "-5", "-3", "-5 – -3"},
		{"en", decimalOpts(), "-5", "-5", "~-5"},
		{"en", decimalOpts(), "-0", "0", "-0 – 0"},
		{"fr", cur, "3", "5", "3,00–5,00\u00a0€"},
		{"de", pct, "0.03", "0.05", "3–5\u00a0%"},
		{"en", acc, "-3", "-3", "($3.00)"},
		{"en", acc, "-3", "5", "($3.00) – $5.00"},
		{"en", liters, "1", "5", "1–5 liters"},
		{"ru", liters, "1", "5", "1–5 литров"},
	} {
		f, err := NewNumberFormat(c.locale, c.o)
		if err != nil {
			t.Fatal(err)
		}
		x, _ := ParseDecimal(c.x)
		y, _ := ParseDecimal(c.y)
		parts, err := f.FormatRangeToParts(x, y)
		if err != nil {
			t.Fatal(err)
		}
		if got := text(parts); got != c.want {
			t.Errorf("%s %s..%s: got %q, want %q", c.locale, c.x, c.y, got, c.want)
		}
	}
}
