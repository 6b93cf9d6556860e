package engine

import (
	"fmt"
	"math/rand"
	"testing"
)

// Sampled combinations of locales, options and values (a fixed seed):
// NumberFormat's format, formatToParts and formatRange, RelativeTimeFormat
// and PluralRules.
func TestIntlSampledAgainstNode(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	locs := []string{"en-US", "en-IN", "de-DE", "de-CH", "fr-FR", "es-ES", "pt-BR", "it", "nl", "sv", "pl", "ru", "ja", "zh", "ko", "ar", "ar-EG", "fa", "hi", "bn", "he", "tr", "th", "uk", "cs", "vi", "id", "el", "ro", "hu", "fi", "da", "nb", "bg", "hr", "sk", "sl", "lt", "lv", "et", "ca", "ms", "sr", "zh-Hant", "en-GB", "es-MX", "fr-CA", "pt-PT", "de-AT", "en-AU"}
	opts := []string{`{}`, `{style: "percent"}`, `{style: "currency", currency: "EUR"}`, `{style: "currency", currency: "JPY", currencyDisplay: "name"}`,
		`{style: "currency", currency: "USD", currencyDisplay: "code", currencySign: "accounting"}`, `{style: "currency", currency: "GBP", currencyDisplay: "narrowSymbol"}`,
		`{notation: "compact"}`, `{notation: "compact", compactDisplay: "long"}`, `{notation: "scientific"}`, `{notation: "engineering", maximumSignificantDigits: 3}`,
		`{maximumSignificantDigits: 2}`, `{minimumFractionDigits: 2, maximumFractionDigits: 4}`, `{signDisplay: "always"}`, `{signDisplay: "exceptZero", style: "percent"}`,
		`{useGrouping: false}`, `{useGrouping: "min2"}`, `{style: "unit", unit: "kilometer-per-hour", unitDisplay: "long"}`, `{style: "unit", unit: "byte", unitDisplay: "narrow"}`,
		`{style: "unit", unit: "percent"}`, `{notation: "compact", style: "currency", currency: "EUR"}`, `{roundingMode: "floor", maximumFractionDigits: 1}`,
		`{roundingIncrement: 25, minimumFractionDigits: 2, maximumFractionDigits: 2}`, `{roundingPriority: "lessPrecision", maximumSignificantDigits: 3, maximumFractionDigits: 1}`,
		`{minimumIntegerDigits: 3, trailingZeroDisplay: "stripIfInteger", minimumFractionDigits: 2}`, `{numberingSystem: "arab"}`, `{numberingSystem: "deva", style: "percent"}`,
		`{notation: "compact", style: "unit", unit: "megabyte"}`, `{notation: "compact", compactDisplay: "long", style: "currency", currency: "USD", currencyDisplay: "name"}`,
		`{style: "currency", currency: "CHF", currencySign: "accounting", signDisplay: "exceptZero"}`, `{roundingMode: "halfEven", maximumSignificantDigits: 1}`}
	vals := []string{"0", "-0", "1", "-1", "2", "5", "11", "21", "0.5", "1.5", "-1234.5678", "1234567.891", "999999", "0.000123", "1e21", "-9.99", "1000", "100000", "123456789", "NaN", "Infinity", "12345678901234567890n", `"1.005"`}
	var exprs []string
	for i := 0; i < 500; i++ {
		l, o, v := locs[rng.Intn(len(locs))], opts[rng.Intn(len(opts))], vals[rng.Intn(len(vals))]
		m := "format"
		if rng.Intn(4) == 0 {
			m = "formatToParts"
		}
		exprs = append(exprs, fmt.Sprintf(`new Intl.NumberFormat(%q, %s).%s(%s)`, l, o, m, v))
	}
	for i := 0; i < 200; i++ {
		l, o := locs[rng.Intn(len(locs))], opts[rng.Intn(len(opts))]
		a, b := vals[rng.Intn(len(vals))], vals[rng.Intn(len(vals))]
		exprs = append(exprs, fmt.Sprintf(`new Intl.NumberFormat(%q, %s).formatRange(%s, %s)`, l, o, a, b))
	}
	for i := 0; i < 150; i++ {
		l := locs[rng.Intn(len(locs))]
		u := []string{"second", "minutes", "hour", "day", "weeks", "month", "quarter", "year"}[rng.Intn(8)]
		st := []string{"long", "short", "narrow"}[rng.Intn(3)]
		nu := []string{"auto", "always"}[rng.Intn(2)]
		v := []string{"-2", "-1", "0", "1", "2", "3", "-5", "10", "1.5", "-21", "100"}[rng.Intn(11)]
		exprs = append(exprs, fmt.Sprintf(`new Intl.RelativeTimeFormat(%q, {style: %q, numeric: %q}).format(%s, %q)`, l, st, nu, v, u))
	}
	for i := 0; i < 100; i++ {
		l := locs[rng.Intn(len(locs))]
		ty := []string{"cardinal", "ordinal"}[rng.Intn(2)]
		v := []string{"0", "1", "2", "3", "4", "5", "11", "12", "21", "22", "101", "1.5", "0.1", "1000000", "7", "8"}[rng.Intn(16)]
		exprs = append(exprs, fmt.Sprintf(`new Intl.PluralRules(%q, {type: %q}).select(%s)`, l, ty, v))
	}
	differential(t, exprs)
}
