package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// numberLocales are formatted with the same values in every test below:
// Latin, Arabic, Persian, Devanagari and Bengali digits, grouping by
// three, by two after three (hi, en-IN) and from five digits (es, pl),
// narrow no-break spaces (fr), apostrophes (de-CH), bidi marks (ar, he, fa).
var numberLocales = []string{"en-US", "en-IN", "de-DE", "de-CH", "fr-FR", "es-ES", "pt-BR", "it", "nl", "sv",
	"pl", "ru", "ja", "zh", "ko", "ar", "ar-EG", "fa", "hi", "bn", "he", "tr", "th"}

func TestNumberFormatAgainstNode(t *testing.T) {
	var exprs []string
	for _, l := range numberLocales {
		exprs = append(exprs,
			fmt.Sprintf(`[1234567.891, -0.5, 1234, 12345, 0, -0].map((x) => new Intl.NumberFormat(%q).format(x))`, l),
			fmt.Sprintf(`new Intl.NumberFormat(%q, {style: "currency", currency: "EUR"}).formatToParts(-1234.5)`, l),
			fmt.Sprintf(`new Intl.NumberFormat(%q, {style: "percent", maximumFractionDigits: 1}).format(0.12345)`, l),
			fmt.Sprintf(`new Intl.NumberFormat(%q).resolvedOptions()`, l),
		)
	}
	exprs = append(exprs,
		// Currencies: displays, signs, digits.
		`["symbol", "narrowSymbol", "code", "name"].map((d) => new Intl.NumberFormat("en-US", {style: "currency", currency: "USD", currencyDisplay: d}).format(1234.5))`,
		`["symbol", "narrowSymbol", "code", "name"].map((d) => new Intl.NumberFormat("de-DE", {style: "currency", currency: "USD", currencyDisplay: d}).format(-1))`,
		`["symbol", "narrowSymbol", "code", "name"].map((d) => new Intl.NumberFormat("fr-FR", {style: "currency", currency: "CAD", currencyDisplay: d}).format(2))`,
		`["JPY", "KRW", "BHD", "CLF", "CHF", "INR", "XXX"].map((c) => new Intl.NumberFormat("en", {style: "currency", currency: c}).format(1234.5678))`,
		`new Intl.NumberFormat("en-US", {style: "currency", currency: "USD", currencySign: "accounting"}).format(-1234.5)`,
		`new Intl.NumberFormat("en-US", {style: "currency", currency: "USD", currencySign: "accounting", signDisplay: "always"}).formatToParts(5)`,
		`new Intl.NumberFormat("de-CH", {style: "currency", currency: "CHF"}).format(-1234.5)`,
		`new Intl.NumberFormat("ja", {style: "currency", currency: "JPY"}).format(1234567)`,
		`new Intl.NumberFormat("ru", {style: "currency", currency: "RUB", currencyDisplay: "name"}).format(21)`,
		`new Intl.NumberFormat("pl", {style: "currency", currency: "PLN", currencyDisplay: "name"}).format(2)`,
		`new Intl.NumberFormat("hi", {style: "currency", currency: "INR"}).format(12345678.9)`,
		`new Intl.NumberFormat("en-US", {style: "currency", currency: "eur"}).resolvedOptions()`,
		`new Intl.NumberFormat("he", {style: "currency", currency: "ILS"}).format(-1234.5)`,
		`new Intl.NumberFormat("ar-EG", {style: "currency", currency: "EGP"}).formatToParts(1234.5)`,
		// Digits and rounding.
		`[1.005, 1.015, 2.5, -2.5, 0.125].map((x) => new Intl.NumberFormat("en", {maximumFractionDigits: 2}).format(x))`,
		`["ceil", "floor", "expand", "trunc", "halfCeil", "halfFloor", "halfExpand", "halfTrunc", "halfEven"].map((m) => [1.25, -1.25, 1.35].map((x) => new Intl.NumberFormat("en", {maximumFractionDigits: 1, roundingMode: m}).format(x)))`,
		`new Intl.NumberFormat("en", {minimumFractionDigits: 3}).format(1.5)`,
		`new Intl.NumberFormat("en", {minimumFractionDigits: 3}).resolvedOptions()`,
		`new Intl.NumberFormat("en", {maximumFractionDigits: 0}).format(1234.5)`,
		`new Intl.NumberFormat("en", {minimumIntegerDigits: 5}).format(42)`,
		`new Intl.NumberFormat("en", {minimumIntegerDigits: 5, useGrouping: false}).format(42.5)`,
		`new Intl.NumberFormat("en", {maximumSignificantDigits: 3}).format(123456.789)`,
		`new Intl.NumberFormat("en", {minimumSignificantDigits: 5}).format(1.5)`,
		`new Intl.NumberFormat("en", {minimumSignificantDigits: 2, maximumSignificantDigits: 3}).format(0.000123456)`,
		`new Intl.NumberFormat("en", {maximumSignificantDigits: 2}).resolvedOptions()`,
		`new Intl.NumberFormat("en", {maximumSignificantDigits: 2, maximumFractionDigits: 3, roundingPriority: "morePrecision"}).format(1.23456)`,
		`new Intl.NumberFormat("en", {maximumSignificantDigits: 2, maximumFractionDigits: 3, roundingPriority: "lessPrecision"}).format(1.23456)`,
		`new Intl.NumberFormat("en", {maximumSignificantDigits: 2, maximumFractionDigits: 3, roundingPriority: "lessPrecision"}).resolvedOptions()`,
		`[1.234, 1.26, 1.2].map((x) => new Intl.NumberFormat("en", {minimumFractionDigits: 2, maximumFractionDigits: 2, roundingIncrement: 5}).format(x))`,
		`new Intl.NumberFormat("en", {minimumFractionDigits: 1, maximumFractionDigits: 1, roundingIncrement: 25}).format(12.34)`,
		`[1, 1.5, 1.004].map((x) => new Intl.NumberFormat("en", {minimumFractionDigits: 2, trailingZeroDisplay: "stripIfInteger"}).format(x))`,
		`new Intl.NumberFormat("en", {maximumFractionDigits: 20}).format(0.1 + 0.2)`,
		`new Intl.NumberFormat("en", {maximumSignificantDigits: 21}).format(123456789.123456789)`,
		`new Intl.NumberFormat("en").format(1e21)`,
		`new Intl.NumberFormat("en").format(Number.MAX_VALUE).length`,
		`new Intl.NumberFormat("en").format(5e-324)`,
		// Strings and BigInts are exact decimals.
		`new Intl.NumberFormat("en", {maximumFractionDigits: 2}).format("1.005")`,
		`new Intl.NumberFormat("en").format("123456789012345678901234567890")`,
		`new Intl.NumberFormat("en", {maximumFractionDigits: 20}).format("0.123456789012345678901")`,
		`["  42  ", "", "0x1F", "1e3", "-1.5e-2", "Infinity", "-Infinity", "abc", "1_000", ".5", "5."].map((s) => new Intl.NumberFormat("en").format(s))`,
		`new Intl.NumberFormat("de").format(12345678901234567890123n)`,
		`new Intl.NumberFormat("en-IN").format(-12345678901234567890n)`,
		`new Intl.NumberFormat("en").formatToParts(-123456n)`,
		`new Intl.NumberFormat("en").format({ valueOf() { return 42.5 } })`,
		`new Intl.NumberFormat("en").format({ [Symbol.toPrimitive]() { return 7n } })`,
		`new Intl.NumberFormat("en").format()`,
		`new Intl.NumberFormat("en").format(null)`,
		`new Intl.NumberFormat("en").format(Symbol())`,
		// Grouping.
		`["always", "auto", "min2", false, true, "true", "false", ""].map((g) => [1234, 12345].map((x) => new Intl.NumberFormat("es", {useGrouping: g}).format(x)))`,
		`["always", "auto", "min2", false].map((g) => new Intl.NumberFormat("en", {useGrouping: g}).resolvedOptions().useGrouping)`,
		`new Intl.NumberFormat("en", {useGrouping: "never"})`,
		`new Intl.NumberFormat("pl").format(1234.5)`,
		`new Intl.NumberFormat("pl").format(12345.5)`,
		`new Intl.NumberFormat("en-IN").format(123456789.5)`,
		// Signs.
		`["auto", "never", "always", "exceptZero", "negative"].map((s) => [-1, 0, -0, 1, NaN, -0.0001].map((x) => new Intl.NumberFormat("en", {signDisplay: s}).format(x)))`,
		`["auto", "never", "always", "exceptZero", "negative"].map((s) => new Intl.NumberFormat("fa", {signDisplay: s}).format(-5))`,
		`new Intl.NumberFormat("en", {signDisplay: "always", style: "percent"}).formatToParts(0.5)`,
		`new Intl.NumberFormat("de", {signDisplay: "exceptZero", style: "currency", currency: "EUR"}).format(3)`,
		`[NaN, Infinity, -Infinity].map((x) => new Intl.NumberFormat("ar").format(x))`,
		`new Intl.NumberFormat("en", {style: "currency", currency: "USD", currencyDisplay: "code"}).formatToParts(-Infinity)`,
		// Numbering systems.
		`new Intl.NumberFormat("en-u-nu-arab").format(1234.5)`,
		`new Intl.NumberFormat("en-u-nu-arab").resolvedOptions().locale`,
		`new Intl.NumberFormat("en", {numberingSystem: "thai"}).resolvedOptions()`,
		`new Intl.NumberFormat("th-u-nu-thai").format(1234.5)`,
		`new Intl.NumberFormat("ar", {numberingSystem: "arab"}).format(-1234.5)`,
		`new Intl.NumberFormat("hi-u-nu-deva").format(1234567.5)`,
		`new Intl.NumberFormat("bn").format(1234567.5)`,
		`new Intl.NumberFormat("fa-u-nu-latn").format(-1234.5)`,
		`new Intl.NumberFormat("en-u-nu-foo").resolvedOptions()`,
		`new Intl.NumberFormat("en", {numberingSystem: "a"})`,
		`new Intl.NumberFormat("zh-u-nu-hanidec").format(1234)`,
		`[NaN, -1234.5, 0.5].map((x) => [new Intl.NumberFormat("fi-u-nu-arab").format(x), new Intl.NumberFormat("fi-u-nu-arab", {notation: "scientific"}).format(x)])`,
		`["en-u-nu-arab", "de-u-nu-arabext", "ca-u-nu-deva", "ar-u-nu-deva"].map((l) => [NaN, -1234.5, 0.5].map((x) => [new Intl.NumberFormat(l).format(x), new Intl.NumberFormat(l, {style: "percent"}).format(x), new Intl.NumberFormat(l, {notation: "scientific"}).format(x)]))`,
		`new Intl.NumberFormat("ar", {notation: "scientific"}).formatToParts(0.000123)`,
		// Notation.
		`[0, 999, 1234, 12345, 999999, 1234567, 1.5e9, 1e15, -4321].map((x) => new Intl.NumberFormat("en", {notation: "compact"}).format(x))`,
		`[1234, 1234567].map((x) => new Intl.NumberFormat("en", {notation: "compact", compactDisplay: "long"}).format(x))`,
		`[1234, 12345, 1234567, 123456789].map((x) => new Intl.NumberFormat("ja", {notation: "compact"}).format(x))`,
		`[1234, 12345, 1234567].map((x) => new Intl.NumberFormat("de", {notation: "compact", compactDisplay: "long"}).format(x))`,
		`[1000000, 2000000].map((x) => new Intl.NumberFormat("fr", {notation: "compact", compactDisplay: "long"}).format(x))`,
		`new Intl.NumberFormat("en", {notation: "compact"}).formatToParts(1234567)`,
		`new Intl.NumberFormat("en", {notation: "compact", compactDisplay: "long"}).formatToParts(1234567)`,
		`new Intl.NumberFormat("en", {notation: "compact"}).resolvedOptions()`,
		`new Intl.NumberFormat("en", {notation: "compact", maximumSignificantDigits: 3}).format(1234567)`,
		`new Intl.NumberFormat("en", {notation: "compact", style: "currency", currency: "USD"}).format(1234567)`,
		`new Intl.NumberFormat("hi", {notation: "compact"}).format(1234567)`,
		`[123456, 0.00012, -1.5, 0].map((x) => new Intl.NumberFormat("en", {notation: "scientific"}).format(x))`,
		`[123456, 0.00012, 1234].map((x) => new Intl.NumberFormat("en", {notation: "engineering"}).format(x))`,
		`new Intl.NumberFormat("de", {notation: "scientific"}).formatToParts(-0.00012)`,
		// Ranges.
		`new Intl.NumberFormat("en").formatRange(3, 5)`,
		`new Intl.NumberFormat("en", {style: "currency", currency: "USD"}).formatRange(3, 5)`,
		`new Intl.NumberFormat("fr", {style: "currency", currency: "EUR"}).formatRange(3, 5)`,
		`new Intl.NumberFormat("de", {style: "percent"}).formatRange(0.03, 0.05)`,
		`new Intl.NumberFormat("en").formatRange(-5, -3)`,
		`new Intl.NumberFormat("en", {style: "currency", currency: "EUR", maximumFractionDigits: 0}).formatRangeToParts(3, 3.1)`,
		`new Intl.NumberFormat("en", {style: "currency", currency: "USD"}).formatRangeToParts(3, 5)`,
		`new Intl.NumberFormat("en").formatRange(5, 3)`,
		`new Intl.NumberFormat("en").formatRange(NaN, 3)`,
		`new Intl.NumberFormat("ja").formatRange(3, 5)`,
		`new Intl.NumberFormat("en", {style: "currency", currency: "USD", currencyDisplay: "name"}).formatRange(3, 5)`,
		// The object.
		`typeof Intl.NumberFormat.prototype.format`,
		`(() => { const nf = new Intl.NumberFormat("en"); return [nf.format === nf.format, nf.format.name, nf.format.length, ["1", "2"].map(nf.format)] })()`,
		`Intl.NumberFormat("de").format(1.5)`,
		`Object.prototype.toString.call(new Intl.NumberFormat())`,
		`Intl.NumberFormat.prototype.resolvedOptions.call({})`,
		`Object.getOwnPropertyNames(Intl.NumberFormat.prototype).sort()`,
		`[Intl.NumberFormat.length, Intl.NumberFormat.name, Intl.NumberFormat.prototype.formatToParts.length, Intl.NumberFormat.prototype.formatRange.length]`,
		`Intl.NumberFormat.supportedLocalesOf(["de-CH", "xx", "en-GB", "ar-EG"])`,
		`new Intl.NumberFormat(["xx", "de"]).resolvedOptions().locale`,
		`new Intl.NumberFormat("de-DE-u-co-phonebk").resolvedOptions().locale`,
		`new Intl.NumberFormat("zh-TW").format(1234.5)`,
		`(() => { class NF extends Intl.NumberFormat {}; const n = new NF("en"); return [n instanceof NF, n.format(1)] })()`,
		// Option reading: order, once each, and errors.
		`new Intl.NumberFormat("en", {style: "currency"})`,
		`new Intl.NumberFormat("en", {style: "currency", currency: "US"})`,
		`new Intl.NumberFormat("en", {style: "bogus"})`,
		`new Intl.NumberFormat("en", {maximumFractionDigits: 101})`,
		`new Intl.NumberFormat("en", {maximumFractionDigits: 1e9})`,
		`new Intl.NumberFormat("en", {minimumIntegerDigits: 1e6})`,
		`new Intl.NumberFormat("en", {minimumIntegerDigits: 0})`,
		`new Intl.NumberFormat("en", {minimumFractionDigits: 3, maximumFractionDigits: 1})`,
		`new Intl.NumberFormat("en", {maximumSignificantDigits: 0})`,
		`new Intl.NumberFormat("en", {roundingIncrement: 3})`,
		`new Intl.NumberFormat("en", {roundingIncrement: 5, maximumSignificantDigits: 2})`,
		`new Intl.NumberFormat("en", {roundingIncrement: 5, maximumFractionDigits: 2})`,
		`new Intl.NumberFormat("en", {roundingMode: "up"})`,
		`new Intl.NumberFormat("en", {get style() { throw new SyntaxError("boom") }})`,
		`new Intl.NumberFormat("en", null)`,
		`new Intl.NumberFormat("en", "x").resolvedOptions().style`,
		`new Intl.NumberFormat("en_US")`,
		`new Intl.NumberFormat(5)`,
		`new Intl.NumberFormat("en", {style: "unit"})`,
		`new Intl.NumberFormat("en", {style: "unit", unit: "Kilometer"})`,
		// toLocaleString.
		`[(1234.5).toLocaleString(), (1234.5).toLocaleString("de-DE"), (1234.5).toLocaleString("en-IN", {style: "currency", currency: "INR"})]`,
		`[(0.256).toLocaleString("fr", {style: "percent"}), (-0).toLocaleString(), NaN.toLocaleString("ar-EG")]`,
		`[(12345678901234567890n).toLocaleString("en-IN"), (5n).toLocaleString("de", {minimumFractionDigits: 2})]`,
		`[Number.prototype.toLocaleString.length, Number.prototype.toLocaleString.name, BigInt.prototype.toLocaleString.length, Object.getOwnPropertyDescriptor(Number.prototype, "toLocaleString").enumerable]`,
		`Number.prototype.toLocaleString.call("1")`,
		`BigInt.prototype.toLocaleString.call(1)`,
		`new Number(42).toLocaleString("en", {minimumFractionDigits: 1})`,
		`(1).toLocaleString("en", {maximumFractionDigits: -1})`,
	)
	differential(t, exprs)
}

func TestPluralRulesAgainstNode(t *testing.T) {
	var exprs []string
	for _, l := range []string{"en", "fr", "ru", "pl", "ar", "he", "cs", "ja", "pt", "pt-PT", "lv", "sl", "lt", "ro", "hi", "uk", "it", "es"} {
		exprs = append(exprs,
			fmt.Sprintf(`[0, 1, 2, 3, 5, 11, 21, 22, 101, 111, 1.5, 0.1, 1000000, -1].map((x) => new Intl.PluralRules(%q).select(x))`, l),
			fmt.Sprintf(`[0, 1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 100, 101, 103].map((x) => new Intl.PluralRules(%q, {type: "ordinal"}).select(x))`, l),
			fmt.Sprintf(`[new Intl.PluralRules(%q).resolvedOptions(), new Intl.PluralRules(%[1]q, {type: "ordinal"}).resolvedOptions().pluralCategories]`, l),
		)
	}
	exprs = append(exprs,
		`[1, 1.0, "1.0", "1"].map((x) => new Intl.PluralRules("en", {minimumFractionDigits: 1}).select(x))`,
		`new Intl.PluralRules("en", {maximumSignificantDigits: 2}).resolvedOptions()`,
		`new Intl.PluralRules("en", {maximumFractionDigits: 0}).select(1.4)`,
		`[NaN, Infinity].map((x) => new Intl.PluralRules("ru").select(x))`,
		`Intl.PluralRules("en")`,
		`new Intl.PluralRules("en", {get type() { throw new EvalError("type") }})`,
		`new Intl.PluralRules("en", {minimumFractionDigits: { valueOf() { throw new URIError("digits") } }})`,
		`new Intl.PluralRules("en", {maximumFractionDigits: 1e9})`,
		`new Intl.PluralRules(null)`,
		`new Intl.PluralRules("en").select(1n)`,
		`new Intl.PluralRules("en", {type: "bogus"})`,
		`Intl.PluralRules.supportedLocalesOf(["ru", "xx"])`,
		`(() => { const log = []; new Intl.PluralRules("en", new Proxy({}, { get(t, k) { log.push(k); return undefined } })); return log })()`,
		`Object.prototype.toString.call(new Intl.PluralRules())`,
	)
	differential(t, exprs)
}

func TestRelativeTimeFormatAgainstNode(t *testing.T) {
	var exprs []string
	for _, l := range []string{"en", "de", "fr", "es", "ru", "pl", "ar", "ar-EG", "ja", "zh", "he", "hi", "tr"} {
		exprs = append(exprs,
			fmt.Sprintf(`["second", "minute", "hour", "day", "week", "month", "quarter", "year"].map((u) => [-1, 0, 1, 2, -3, 1.5].map((v) => new Intl.RelativeTimeFormat(%q, {numeric: "auto"}).format(v, u)))`, l),
			fmt.Sprintf(`["long", "short", "narrow"].map((s) => [-1, 5, 21].map((v) => new Intl.RelativeTimeFormat(%q, {style: s}).format(v, "days")))`, l),
		)
	}
	exprs = append(exprs,
		`new Intl.RelativeTimeFormat("en").formatToParts(1234.5, "days")`,
		`new Intl.RelativeTimeFormat("en", {numeric: "auto"}).formatToParts(-1, "day")`,
		`new Intl.RelativeTimeFormat("en", {numeric: "auto"}).format(-0, "day")`,
		`new Intl.RelativeTimeFormat("en").format(-0, "day")`,
		`new Intl.RelativeTimeFormat("en").resolvedOptions()`,
		`new Intl.RelativeTimeFormat("ar-EG", {style: "short"}).resolvedOptions()`,
		`new Intl.RelativeTimeFormat("en").format(1, "fortnight")`,
		`new Intl.RelativeTimeFormat("en").format(Infinity, "day")`,
		`new Intl.RelativeTimeFormat("en").format("3", "day")`,
		`new Intl.RelativeTimeFormat("en", {style: "tiny"})`,
		`Intl.RelativeTimeFormat("en")`,
		`new Intl.RelativeTimeFormat("en", {get numeric() { throw new EvalError("numeric") }})`,
		`new Intl.RelativeTimeFormat("en").format(1, { toString() { throw new URIError("unit") } })`,
		`new Intl.RelativeTimeFormat("en").format(1, Symbol())`,
		`new Intl.RelativeTimeFormat("en").format(1n, "day")`,
		`new Intl.RelativeTimeFormat("en", {numberingSystem: "x"})`,
		`new Intl.RelativeTimeFormat("en-u-nu-arab").format(3, "day")`,
		`(() => { const log = []; new Intl.RelativeTimeFormat("en", new Proxy({}, { get(t, k) { log.push(k); return undefined } })); return log })()`,
		`Intl.RelativeTimeFormat.supportedLocalesOf("de")`,
	)
	differential(t, exprs)
}

// evalOurs evaluates expressions in our runtime only, as differential
// does: each result as JSON, or the name and message of its error.
func evalOurs(t *testing.T, exprs []string) []map[string]string {
	t.Helper()
	var list strings.Builder
	for _, e := range exprs {
		list.WriteString("  () => (" + e + "),\n")
	}
	body := "const cases = [\n" + list.String() + "];\n" +
		`export function main() { return cases.map((f) => { try { const v = f(); return {value: v === undefined ? "undefined" : JSON.stringify(v)}; } catch (e) { return {throws: e && e.name, message: e && e.message}; } }) }`
	inv := fnInv(t, "acme", "intl-ours", 1, functions.TypeApp, body, `{}`)
	inv.Timeout = 20 * time.Second
	var out []map[string]string
	if err := json.Unmarshal([]byte(call(t, New(Config{}), inv)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Where Node.js 20 (V8 11.3) is behind ECMA-402, we follow the standard:
// fraction digits up to 100 (V8 caps them at 20), options read in the
// standard's order (V8 reads roundingIncrement before notation and
// roundingMode last; test262's constructor-option-read-order.js). And
// where CLDR changed between Node's data and ours, ours is the newer.
func TestNumberFormatBeyondNode(t *testing.T) {
	cases := []struct{ expr, value, throws string }{
		{`new Intl.NumberFormat("en", {maximumFractionDigits: 100}).format(1e-7)`, `"0.0000001"`, ""},
		{`new Intl.NumberFormat("en", {minimumFractionDigits: 25}).format(0.5)`, `"0.5000000000000000000000000"`, ""},
		{`new Intl.NumberFormat("en", {maximumFractionDigits: 101})`, "", "RangeError"},
		{`(() => { const log = []; new Intl.NumberFormat("en", new Proxy({}, { get(t, k) { log.push(k); return undefined } })); return log })()`,
			`["localeMatcher","numberingSystem","style","currency","currencyDisplay","currencySign","unit","unitDisplay","notation","minimumIntegerDigits","minimumFractionDigits","maximumFractionDigits","minimumSignificantDigits","maximumSignificantDigits","roundingIncrement","roundingMode","roundingPriority","trailingZeroDisplay","compactDisplay","useGrouping","signDisplay"]`, ""},
		{`(() => { const log = []; const o = { get maximumFractionDigits() { log.push("get"); return { valueOf() { log.push("valueOf"); return 2 } } }, get roundingMode() { log.push("roundingMode") } }; new Intl.NumberFormat("en", o); return log })()`,
			`["get","roundingMode","valueOf"]`, ""},
		// cldr-json 48.2 groups fr-CH with an apostrophe; Node's ICU 78
		// (CLDR 48.0) still with a narrow no-break space.
		{`new Intl.NumberFormat("fr-CH").format(-1234.5)`, `"-1'234,5"`, ""},
	}
	var exprs []string
	for _, c := range cases {
		exprs = append(exprs, c.expr)
	}
	for i, got := range evalOurs(t, exprs) {
		if got["value"] != cases[i].value || got["throws"] != cases[i].throws {
			t.Errorf("%s: got %v", cases[i].expr, got)
		}
	}
}

// Absurd options and inputs end in a clear error, quickly, and leave the
// runtime working; big but bounded ones are formatted.
func TestNumberFormatHostile(t *testing.T) {
	cases := []struct{ expr, want string }{
		{`new Intl.NumberFormat("en", {maximumFractionDigits: 1e9})`, "RangeError"},
		{`new Intl.NumberFormat("en", {minimumIntegerDigits: 1e6})`, "RangeError"},
		{`new Intl.NumberFormat("en", {maximumSignificantDigits: Infinity})`, "RangeError"},
		{`new Intl.NumberFormat("en", {minimumFractionDigits: NaN})`, "RangeError"},
		{`new Intl.NumberFormat("en", {get maximumFractionDigits() { throw new EvalError("getter") }})`, "EvalError"},
		{`new Intl.NumberFormat("en", {maximumFractionDigits: { valueOf() { throw new URIError("valueOf") } }})`, "URIError"},
		{`new Intl.NumberFormat("en").format("1e1000000000")`, "RangeError"},
		{`new Intl.NumberFormat("en").format("1e" + "9".repeat(100))`, "RangeError"},
		{`new Intl.NumberFormat("en").format(10n ** 200000n)`, "RangeError"},
		{`new Intl.NumberFormat("en").format("1" + "0".repeat(1000000))`, "RangeError"},
		{`new Intl.NumberFormat("en").format("0x" + "f".repeat(1000000))`, "RangeError"},
		{`new Intl.NumberFormat("en").format("0." + "5".repeat(1000000))`, "value"},
		{`new Intl.RelativeTimeFormat("en").format(1e308, "day").length`, "value"},
		{`new Intl.NumberFormat("en", {minimumFractionDigits: 100, maximumFractionDigits: 100}).format(1e300).length`, "value"},
		{`new Intl.NumberFormat("en").format(10n ** 5000n).length`, "value"},
		{`new Intl.NumberFormat("en").format("1e-999999999")`, "value"},
		{`new Intl.NumberFormat("en").formatToParts(10n ** 3000n).length`, "value"},
		{`new Intl.NumberFormat("hi").formatToParts(10n ** 99999n).length`, "value"},
		{`new Intl.PluralRules("en").select(1e308)`, "value"},
		{`Array.prototype.toLocaleString.call({length: 2 ** 53 - 1})`, "RangeError"},
		{`Array.prototype.toLocaleString.call({length: 2 ** 20, 0: { toLocaleString() { return "x".repeat(2 ** 27) } }})`, "RangeError"},
	}
	var exprs []string
	for _, c := range cases {
		exprs = append(exprs, c.expr)
	}
	start := time.Now()
	for i, got := range evalOurs(t, exprs) {
		switch {
		case cases[i].want == "value" && got["value"] == "":
			t.Errorf("%s: got %v, want a value", cases[i].expr, got)
		case cases[i].want != "value" && got["throws"] != cases[i].want:
			t.Errorf("%s: got %v, want %s", cases[i].expr, got, cases[i].want)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("hostile cases took %v", d)
	}
}

// More locales and their forms: compact, scientific, accounting, names,
// ranges, regional variants.
func TestNumberFormatLocalesAgainstNode(t *testing.T) {
	differential(t, []string{
		`new Intl.NumberFormat("ar", {style: "percent"}).formatToParts(-0.5)`,
		`new Intl.NumberFormat("ar", {signDisplay: "always"}).formatToParts(5)`,
		`["ru", "ar", "de", "es", "it", "ko", "zh", "tr", "he", "fa", "bn", "th", "sv", "pt-BR", "nl", "pl"].map((l) => [1234, 56789, 1234567, 9876543210].map((x) => new Intl.NumberFormat(l, {notation: "compact"}).format(x)))`,
		`["ru", "ar", "de", "es", "it", "ko", "zh", "tr", "he", "fa", "bn", "th", "sv", "pt-BR", "nl", "pl"].map((l) => [1234, 56789, 1234567, 2000000].map((x) => new Intl.NumberFormat(l, {notation: "compact", compactDisplay: "long"}).format(x)))`,
		`["ru", "ar", "de", "es", "ja", "en-IN", "fr"].map((l) => [1234, 1234567].map((x) => new Intl.NumberFormat(l, {notation: "compact", style: "currency", currency: "EUR"}).format(x)))`,
		`["ru", "ar", "de", "es", "ja", "en-IN", "fr", "fa", "he"].map((l) => new Intl.NumberFormat(l, {notation: "scientific"}).format(-123456))`,
		`["ru", "ar", "de", "es", "ja", "en-IN", "fr", "fa", "he", "ar-EG"].map((l) => new Intl.NumberFormat(l, {style: "currency", currency: "USD", currencySign: "accounting"}).format(-123456))`,
		`["ru", "ar", "de", "es", "ja", "en-IN", "fr", "fa", "he", "ar-EG"].map((l) => new Intl.NumberFormat(l, {style: "currency", currency: "USD", currencyDisplay: "name"}).format(-1.5))`,
		`["ru", "ar", "de", "es", "ja", "en-IN", "fr", "fa", "he", "ar-EG"].map((l) => new Intl.NumberFormat(l, {style: "currency", currency: "USD", currencyDisplay: "code"}).format(-1.5))`,
		`["ru", "ar", "de", "es", "ja", "en-IN", "fr", "fa", "he", "ar-EG"].map((l) => new Intl.NumberFormat(l, {style: "percent", signDisplay: "always"}).format(0.5))`,
		`["ru", "ar", "de", "es", "ja", "en-IN", "fr", "fa", "he", "ar-EG"].map((l) => new Intl.NumberFormat(l).formatRange(-3, 5))`,
		`["ru", "ar", "de", "es", "ja", "en-IN", "fr", "fa", "he", "ar-EG"].map((l) => new Intl.NumberFormat(l, {style: "currency", currency: "EUR"}).formatRange(3, 5))`,
		`["ru", "ar", "de", "es", "ja", "en-IN", "fr", "fa", "he", "ar-EG"].map((l) => new Intl.NumberFormat(l, {style: "percent"}).formatRange(0.03, 0.03))`,
		`new Intl.NumberFormat("en", {notation: "compact"}).formatRange(3000, 5e6)`,
		`new Intl.NumberFormat("en", {style: "currency", currency: "USD", currencySign: "accounting"}).formatRange(-3, 5)`,
		`new Intl.NumberFormat("en", {style: "currency", currency: "USD", currencySign: "accounting"}).formatRange(-3, -3)`,
		`new Intl.NumberFormat("en").formatRange(-0, 0)`,
		`new Intl.NumberFormat("en").formatRange(0, 0)`,
		`new Intl.NumberFormat("en", {notation: "compact"}).format(-0.0004)`,
		`[0.1, 0.01, 1.5, 15.5].map((x) => new Intl.NumberFormat("en", {notation: "compact"}).format(x))`,
		`[9.995, 99999, 999950].map((x) => new Intl.NumberFormat("en", {notation: "compact"}).format(x))`,
		`[9.9999, 99999.5].map((x) => new Intl.NumberFormat("en", {notation: "engineering"}).format(x))`,
		`new Intl.NumberFormat("en", {notation: "scientific", maximumFractionDigits: 1}).format(9.99)`,
		`new Intl.NumberFormat("en", {notation: "compact", compactDisplay: "long"}).format(1e15)`,
		`new Intl.NumberFormat("en-GB", {style: "currency", currency: "GBP"}).format(1234.5)`,
		`new Intl.NumberFormat("en-CA", {style: "currency", currency: "USD"}).format(1234.5)`,
		`new Intl.NumberFormat("es-MX", {style: "currency", currency: "MXN"}).format(1234.5)`,
		`new Intl.NumberFormat("pt-PT").format(1234.5)`,
		`new Intl.NumberFormat("zh-Hant-HK").format(1234.5)`,
		`new Intl.NumberFormat("sr-Latn").format(-1234.5)`,
		`new Intl.NumberFormat("nb").format(-1234.5)`,
		`new Intl.NumberFormat("no").format(-1234.5)`,
		`new Intl.NumberFormat("sv", {style: "percent"}).format(-0.5)`,
		`new Intl.NumberFormat("fi").format(-1234.5)`,
		`new Intl.NumberFormat("lt").format(-1234.5)`,
		`new Intl.NumberFormat("en-150").format(-1234.5)`,
		`new Intl.NumberFormat("de-AT", {style: "currency", currency: "EUR"}).format(-1234.5)`,
		`new Intl.NumberFormat("it-CH", {style: "currency", currency: "CHF"}).format(-1234.5)`,
		`new Intl.NumberFormat("fr-CA", {style: "currency", currency: "CAD"}).format(-1234.5)`,
		`new Intl.NumberFormat("en-ZA").format(-1234.5)`,
		`new Intl.NumberFormat("ms").format(-1234.5)`,
		`new Intl.NumberFormat("vi", {style: "currency", currency: "VND"}).format(-1234.5)`,
		`new Intl.NumberFormat("id", {style: "currency", currency: "IDR"}).format(1234.5)`,
		`new Intl.NumberFormat("uk", {style: "currency", currency: "UAH", currencyDisplay: "name"}).format(3)`,
		`new Intl.NumberFormat("en", {style: "currency", currency: "ABC"}).format(3)`,
		`new Intl.NumberFormat("en", {style: "currency", currency: "ABC", currencyDisplay: "name"}).format(3)`,
	})
}

// Units (ECMA-402's sanctioned ones and their -per- compounds), plural
// ranges, and ranges of units and currency names.
func TestNumberFormatUnitsAgainstNode(t *testing.T) {
	differential(t, []string{
		`["kilometer-per-hour", "meter-per-second", "liter-per-kilometer", "percent", "kilobyte", "celsius", "fahrenheit", "degree", "mile-scandinavian", "fluid-ounce", "byte-per-second", "gallon-per-hour", "day", "month", "stone"].map((u) => ["long", "short", "narrow"].map((d) => [1, 2.5].map((x) => new Intl.NumberFormat("en", {style: "unit", unit: u, unitDisplay: d}).format(x))))`,
		`["de", "fr", "ru", "ar", "ja", "pl", "he", "hi"].map((l) => ["kilometer-per-hour", "liter", "megabyte-per-second", "percent", "hour"].map((u) => ["long", "short", "narrow"].map((d) => [1, 2, 5, 22].map((x) => new Intl.NumberFormat(l, {style: "unit", unit: u, unitDisplay: d}).format(x)))))`,
		`new Intl.NumberFormat("en", {style: "unit", unit: "kilometer-per-hour"}).formatToParts(-1234.5)`,
		`new Intl.NumberFormat("en", {style: "unit", unit: "percent"}).formatToParts(5)`,
		`new Intl.NumberFormat("en", {style: "unit", unit: "kilobyte", notation: "compact"}).formatToParts(12345)`,
		`new Intl.NumberFormat("en", {style: "unit", unit: "liter", unitDisplay: "long"}).formatRange(1, 5)`,
		`new Intl.NumberFormat("en", {style: "unit", unit: "kilometer-per-hour"}).resolvedOptions()`,
		`new Intl.NumberFormat("en", {style: "unit", unit: "furlong"})`,
		`new Intl.NumberFormat("en", {style: "unit", unit: "meter-per-furlong"})`,
		`new Intl.NumberFormat("en", {unit: "meter"}).resolvedOptions()`,
		`new Intl.NumberFormat("en", {style: "unit"})`,
		`["en", "ru", "fr", "ar", "pl", "he"].map((l) => [[1, 5], [1, 1], [0, 1], [2, 21], [1.5, 2]].map(([a, b]) => new Intl.PluralRules(l).selectRange(a, b)))`,
		`new Intl.PluralRules("en").selectRange(NaN, 1)`,
		`new Intl.PluralRules("en").selectRange(1)`,
		`["ru", "pl", "fr", "de"].map((l) => new Intl.NumberFormat(l, {style: "unit", unit: "liter", unitDisplay: "long"}).formatRange(1, 5))`,
		`["ru", "pl", "en"].map((l) => new Intl.NumberFormat(l, {style: "currency", currency: "EUR", currencyDisplay: "name"}).formatRange(1, 2))`,
		`new Intl.NumberFormat("ar", {style: "unit", unit: "liter", unitDisplay: "long"}).formatToParts(1)`,
	})
}

// Compact percentages (ICU's unit percent), compact currency names and
// units, scientific forms and ranges, Array.prototype.toLocaleString.
func TestNumberFormatNotationAgainstNode(t *testing.T) {
	differential(t, []string{
		`[1234.5, 12.3, -99999].map((x) => new Intl.NumberFormat("en", {notation: "compact", style: "percent"}).format(x))`,
		`new Intl.NumberFormat("en", {notation: "compact", style: "percent"}).formatToParts(1234.5)`,
		`["de", "fr", "ja", "ru", "ar", "tr"].map((l) => [123, 123456].map((x) => new Intl.NumberFormat(l, {notation: "compact", style: "percent"}).format(x)))`,
		`["short", "long"].map((d) => new Intl.NumberFormat("en", {notation: "compact", compactDisplay: d, style: "currency", currency: "USD", currencyDisplay: "name"}).format(1234567))`,
		`["en", "de", "ru", "ja"].map((l) => new Intl.NumberFormat(l, {notation: "compact", compactDisplay: "long", style: "unit", unit: "liter", unitDisplay: "long"}).format(1234567))`,
		`new Intl.NumberFormat("en", {notation: "compact", style: "currency", currency: "USD", currencyDisplay: "name"}).formatToParts(1234567)`,
		`[[1234.5, 1e21].toLocaleString(), [1234.5, "x", null].toLocaleString("de")]`,
		`(() => { const a = [1, 2]; a.push(a); return [a.toLocaleString("de"), [[1000, 2000], 3000].toLocaleString("en-IN")] })()`,
		`Array.prototype.toLocaleString.call({length: 2, 0: 1234, 1: 5678}, "de", {style: "percent"})`,
		`[1234.5].toLocaleString("en", {style: "currency", currency: "EUR"})`,
		`[{ toLocaleString(l, o) { return l + "/" + JSON.stringify(o) } }].toLocaleString("fr", {a: 1})`,
		`Array.prototype.toLocaleString.call(null)`,
		`[Array.prototype.toLocaleString.length, Array.prototype.toLocaleString.name]`,
		`new Intl.NumberFormat("en", {notation: "scientific", style: "percent"}).format(12.5)`,
		`new Intl.NumberFormat("en", {notation: "scientific", style: "currency", currency: "EUR"}).format(1234.5)`,
		`new Intl.NumberFormat("en", {notation: "engineering", style: "unit", unit: "meter"}).format(12345)`,
		`new Intl.NumberFormat("en", {notation: "scientific"}).formatRange(100, 2000)`,
		`new Intl.NumberFormat("en", {notation: "scientific", signDisplay: "always"}).formatToParts(0.001)`,
	})
}

// The objects themselves (names, lengths, descriptors, what Intl holds),
// and the reading of values: strings as decimal literals, BigInts, ToNumber.
func TestIntlObjectsAgainstNode(t *testing.T) {
	differential(t, []string{
		`[Intl.NumberFormat, Intl.PluralRules, Intl.RelativeTimeFormat].map((C) => [C.name, C.length, Object.getOwnPropertyNames(C.prototype).sort().map((k) => { const d = Object.getOwnPropertyDescriptor(C.prototype, k); return [k, d.writable, d.enumerable, d.configurable, typeof d.value === "function" ? [d.value.name, d.value.length] : d.get ? [d.get.name, d.get.length] : typeof d.value] })])`,
		`[Intl.NumberFormat, Intl.PluralRules, Intl.RelativeTimeFormat].map((C) => { const d = Object.getOwnPropertyDescriptor(C, "supportedLocalesOf"); return [d.writable, d.enumerable, d.configurable, d.value.name, d.value.length, Object.getOwnPropertyDescriptor(C, "prototype").writable] })`,
		`Object.getOwnPropertyNames(Intl).filter((k) => !["DateTimeFormat", "DisplayNames", "ListFormat", "Locale", "Segmenter", "supportedValuesOf"].includes(k)).sort()`,
		`[Object.prototype.toString.call(Intl.NumberFormat.prototype), Object.prototype.toString.call(Intl.PluralRules.prototype), Object.prototype.toString.call(new Intl.RelativeTimeFormat())]`,
		`(() => { const nf = new Intl.NumberFormat(); return Object.getOwnPropertyNames(nf).length })()`,
		`new Intl.NumberFormat().resolvedOptions() !== new Intl.NumberFormat().resolvedOptions()`,
		`Intl.NumberFormat.call(Object.create(Intl.NumberFormat.prototype), "de") instanceof Intl.NumberFormat`,
		`typeof Intl.NumberFormat.prototype.format`,
		`new Intl.PluralRules().select()`,
		`new Intl.PluralRules("en").select("1")`,
		`new Intl.RelativeTimeFormat("en").format(1)`,
		`new Intl.RelativeTimeFormat("en").format(1, undefined)`,
		`new Intl.RelativeTimeFormat("en").format(Symbol(), "day")`,
		`new Intl.RelativeTimeFormat("en").format(1n, "day")`,
		`new Intl.NumberFormat("en").format(-0n)`,
		`new Intl.NumberFormat("en").format("-0")`,
		`new Intl.NumberFormat("en").format("  0x0  ")`,
		`new Intl.NumberFormat("en").format("1e-7")`,
		`new Intl.NumberFormat("en", {maximumFractionDigits: 20}).format("1e-7")`,
		`new Intl.NumberFormat("en").format(" \n+12.50e+1\t")`,
		`new Intl.NumberFormat("en").format("+0x10")`,
		`new Intl.NumberFormat("en").format("0X1f")`,
		`new Intl.NumberFormat("en").format("0o17")`,
		`new Intl.NumberFormat("en").format("1.2.3")`,
		`new Intl.NumberFormat("en").format("-Infinity")`,
		`new Intl.NumberFormat("en").format("infinity")`,
		`new Intl.NumberFormat("en").format(".")`,
		`new Intl.NumberFormat("en").format("e5")`,
		`new Intl.NumberFormat("en", {style: "percent"}).format("0.125")`,
		`new Intl.NumberFormat("en").formatRange("1", 2n)`,
		`new Intl.NumberFormat("en").formatRange(1)`,
		`new Intl.NumberFormat("en").formatRange(undefined, 1)`,
		`new Intl.NumberFormat("en").formatRange(null, 1)`,
	})
}
