package intl

import "testing"

func decimalOpts() NumberOptions {
	return NumberOptions{Style: "decimal", MinInt: 1, MaxFrac: 3, RoundingType: "fractionDigits",
		UseGrouping: "auto", SignDisplay: "auto", NumberingSystem: "latn"}
}

func mustFormat(t *testing.T, locale string, o NumberOptions, x string) string {
	t.Helper()
	d, _ := ParseDecimal(x)
	f, err := NewNumberFormat(locale, o)
	if err != nil {
		t.Fatalf("%s %+v: %v", locale, o, err)
	}
	s, err := f.Format(d)
	if err != nil {
		t.Fatalf("%s %+v %s: %v", locale, o, x, err)
	}
	return s
}

func TestParseDecimal(t *testing.T) {
	for _, c := range []struct {
		in     string
		digits string
		exp    int
		neg    bool
		nan    bool
	}{
		{"0", "", 0, false, false},
		{"  -0.0 ", "", 0, true, false},
		{"1234.5", "12345", 4, false, false},
		{"0.00120", "12", -2, false, false},
		{"1e21", "1", 22, false, false},
		{"-1.5E-3", "15", -2, true, false},
		{"0x1F", "31", 2, false, false},
		{"0b101", "5", 1, false, false},
		{".5", "5", 0, false, false},
		{"5.", "5", 1, false, false},
		{"1_000", "", 0, false, true},
		{"abc", "", 0, false, true},
		{"-0x10", "", 0, false, true},
		{"1e", "", 0, false, true},
	} {
		d, err := ParseDecimal(c.in)
		if c.nan {
			if err == nil || !d.NaN {
				t.Errorf("%q: want NaN, got %+v", c.in, d)
			}
			continue
		}
		if err != nil || string(d.Digits) != c.digits || d.Exp != c.exp || d.Neg != c.neg {
			t.Errorf("%q: got %s e%d neg=%v err=%v", c.in, d.Digits, d.Exp, d.Neg, err)
		}
	}
}

// Rounding on the decimal digits, not binary doubles (ECMA-402 ToRawFixed,
// ToRawPrecision and Table 15's rounding modes).
func TestRounding(t *testing.T) {
	for _, c := range []struct {
		x          string
		minF, maxF int
		mode       RoundingMode
		want       string
	}{
		{"1.005", 0, 2, "halfExpand", "1.01"},
		{"1.005", 0, 2, "halfEven", "1"},
		{"1.015", 0, 2, "halfEven", "1.02"},
		{"-1.5", 0, 0, "halfExpand", "-2"},
		{"-1.5", 0, 0, "halfTrunc", "-1"},
		{"-1.5", 0, 0, "halfCeil", "-1"},
		{"-1.5", 0, 0, "halfFloor", "-2"},
		{"1.1", 0, 0, "ceil", "2"},
		{"-1.1", 0, 0, "ceil", "-1"},
		{"1.9", 0, 0, "trunc", "1"},
		{"1.1", 0, 0, "expand", "2"},
		{"0.0001", 0, 2, "expand", "0.01"},
		{"999.9996", 0, 3, "halfExpand", "1,000"},
		{"0.5", 2, 2, "halfExpand", "0.50"},
		{"123456789012345678901234567890", 0, 0, "halfExpand", "123,456,789,012,345,678,901,234,567,890"},
	} {
		o := decimalOpts()
		o.MinFrac, o.MaxFrac, o.RoundingMode = c.minF, c.maxF, c.mode
		if got := mustFormat(t, "en", o, c.x); got != c.want {
			t.Errorf("%s %d..%d %s: got %q, want %q", c.x, c.minF, c.maxF, c.mode, got, c.want)
		}
	}
	sig := decimalOpts()
	sig.RoundingType, sig.MinSig, sig.MaxSig = "significantDigits", 2, 3
	for x, want := range map[string]string{"0": "0.0", "1": "1.0", "123456": "123,000", "0.0012345": "0.00123", "9.996": "10"} {
		if got := mustFormat(t, "en", sig, x); got != want {
			t.Errorf("significant %s: got %q, want %q", x, got, want)
		}
	}
	inc := decimalOpts()
	inc.MinFrac, inc.MaxFrac, inc.RoundingIncrement = 2, 2, 5
	if got := mustFormat(t, "en", inc, "1.234"); got != "1.25" {
		t.Errorf("increment 5: got %q", got)
	}
}

// Patterns and symbols from CLDR: grouping (primary and secondary,
// minimumGroupingDigits), signs, currencies and numbering systems.
func TestFormatLocales(t *testing.T) {
	cur := func(code, display, sign string) NumberOptions {
		o := decimalOpts()
		o.Style, o.Currency, o.CurrencyDisplay, o.CurrencySign = "currency", code, display, sign
		o.MinFrac, o.MaxFrac = CurrencyDigits(code), CurrencyDigits(code)
		return o
	}
	pct := decimalOpts()
	pct.Style, pct.MaxFrac = "percent", 0
	arab := decimalOpts()
	arab.NumberingSystem = "arab"
	always := decimalOpts()
	always.SignDisplay = "always"
	for _, c := range []struct {
		locale string
		o      NumberOptions
		x      string
		want   string
	}{
		{"en", decimalOpts(), "1234567.891", "1,234,567.891"},
		{"hi", decimalOpts(), "1234567", "12,34,567"},
		{"es", decimalOpts(), "1234", "1234"},
		{"es", decimalOpts(), "12345", "12.345"},
		{"pl", decimalOpts(), "1234", "1234"},
		{"de-CH", decimalOpts(), "1234567.5", "1'234'567.5"},
		{"fr", decimalOpts(), "1234567.5", "1\u202f234\u202f567,5"},
		{"de", cur("EUR", "symbol", "standard"), "-1234.5", "-1.234,50\u00a0€"},
		{"en", cur("USD", "code", "standard"), "1", "USD\u00a01.00"},
		{"en", cur("USD", "symbol", "accounting"), "-1", "($1.00)"},
		{"en", cur("JPY", "symbol", "standard"), "1234.5", "¥1,235"},
		{"en", cur("USD", "name", "standard"), "1", "1.00 US dollars"},
		{"ar-EG", arab, "-1234.5", "\u061c-١٬٢٣٤٫٥"},
		{"en", arab, "1234.5", "١٬٢٣٤٫٥"}, // the root's arab symbols
		{"en", pct, "0.256", "26%"},
		{"de", pct, "0.256", "26\u00a0%"},
		{"en", always, "0", "+0"},
		{"en", always, "-0", "-0"},
		{"en", decimalOpts(), "-0.0001", "-0"},
	} {
		if got := mustFormat(t, c.locale, c.o, c.x); got != c.want {
			t.Errorf("%s %s %s: got %q, want %q", c.locale, c.o.Style, c.x, got, c.want)
		}
	}
}

func TestCompactAndScientific(t *testing.T) {
	compact := func(display string) NumberOptions {
		o := decimalOpts()
		o.Notation, o.CompactDisplay, o.UseGrouping = "compact", display, "min2"
		o.RoundingType, o.MinSig, o.MaxSig, o.MaxFrac = "morePrecision", 1, 2, 0
		return o
	}
	sci := decimalOpts()
	sci.Notation = "scientific"
	for _, c := range []struct {
		locale string
		o      NumberOptions
		x      string
		want   string
	}{
		{"en", compact("short"), "1234", "1.2K"},
		{"en", compact("short"), "999999", "1M"},
		{"en", compact("long"), "1234567", "1.2 million"},
		{"de", compact("short"), "1234", "1234"},
		{"ja", compact("short"), "12345", "1.2万"},
		{"en", sci, "-1234567", "-1.235E6"},
		{"en", sci, "0.00012", "1.2E-4"},
	} {
		if got := mustFormat(t, c.locale, c.o, c.x); got != c.want {
			t.Errorf("%s %s %s: got %q, want %q", c.locale, c.o.Notation, c.x, got, c.want)
		}
	}
}

func TestHostileNumbers(t *testing.T) {
	f, _ := NewNumberFormat("en", decimalOpts())
	for _, x := range []string{"1e1000000", "1e99999999999999999999"} {
		d, _ := ParseDecimal(x)
		if _, err := f.Format(d); err != ErrTooLarge {
			t.Errorf("%s: got %v, want ErrTooLarge", x, err)
		}
	}
	o := decimalOpts()
	o.MinFrac, o.MaxFrac = 100, 100
	big, _ := NewNumberFormat("en", o)
	if s, err := big.Format(FromFloat(1e300)); err != nil || len(s) != 301+100+100+1 {
		t.Errorf("1e300 with 100 fraction digits: %d chars, %v", len(s), err)
	}
	tiny, _ := ParseDecimal("1e-999999999")
	if s, _ := f.Format(tiny); s != "0" {
		t.Errorf("1e-999999999: %q", s)
	}
}
