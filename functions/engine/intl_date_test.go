package engine

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// The dates the differential cases format: an autumn evening, a summer
// morning (daylight saving time in the north), and noon on New Year.
const (
	dateAutumn = "new Date(Date.UTC(2026, 10, 24, 19, 3, 11, 45))"
	dateSummer = "new Date(Date.UTC(2026, 6, 4, 9, 5, 7, 300))"
	dateNoon   = "new Date(Date.UTC(2026, 0, 1, 12, 0, 0))"
)

// TestDateTimeFormatAgainstNode compares Intl.DateTimeFormat and the
// Date.prototype.toLocale* methods with Node's (ICU 78, CLDR 48, the same
// CLDR as our data), node running on UTC as the sandbox does.
func TestDateTimeFormatAgainstNode(t *testing.T) {
	var exprs []string
	fmtIn := func(locale, opts, date string) string {
		return fmt.Sprintf("new Intl.DateTimeFormat(%q, {timeZone: \"UTC\", %s}).format(%s)", locale, opts, date)
	}
	// Styles and common component sets over many locales.
	locales := []string{"en-US", "en-GB", "de-DE", "fr-FR", "es", "pt-BR", "it", "nl", "sv", "pl", "ru", "ja", "zh-CN", "zh-TW", "ko", "ar-EG", "hi", "he", "tr", "fa-u-ca-gregory", "th-u-ca-gregory", "uk", "cs", "vi", "id"}
	for _, l := range locales {
		if l == "ko" {
			// ICU 78's Korean writes the am/pm marker AM/PM where CLDR 48.2's
			// JSON (our data) has 오전/오후: only ko's dates compare.
			exprs = append(exprs, fmtIn(l, `dateStyle: "full"`, dateAutumn), fmtIn(l, `weekday: "short", month: "short", day: "numeric"`, dateSummer))
			continue
		}
		exprs = append(exprs,
			fmtIn(l, `dateStyle: "full", timeStyle: "short"`, dateAutumn),
			fmtIn(l, `dateStyle: "medium", timeStyle: "medium"`, dateSummer),
			fmtIn(l, `year: "numeric", month: "long", day: "numeric", hour: "numeric", minute: "2-digit"`, dateAutumn),
			fmtIn(l, `weekday: "short", month: "short", day: "numeric"`, dateSummer),
		)
	}
	for _, l := range []string{"en-US", "de", "fr", "ja", "ar-EG", "zh-TW", "ru", "hi"} {
		exprs = append(exprs,
			fmtIn(l, `dateStyle: "long", timeStyle: "long"`, dateAutumn),
			fmtIn(l, `dateStyle: "short"`, dateAutumn),
			fmtIn(l, `timeStyle: "full"`, dateSummer),
			fmtIn(l, `month: "long"`, dateSummer),
			fmtIn(l, `hour: "numeric"`, dateAutumn),
			fmtIn(l, `year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3, timeZoneName: "short"`, dateAutumn),
			fmtIn(l, `era: "long", year: "numeric"`, dateSummer),
			fmtIn(l, `month: "narrow", weekday: "narrow", day: "2-digit"`, dateSummer),
		)
	}
	exprs = append(exprs,
		// Component widths and combinations.
		fmtIn("en-US", `month: "2-digit", day: "2-digit", year: "numeric"`, dateSummer),
		fmtIn("en-US", `year: "2-digit", month: "2-digit"`, dateSummer),
		fmtIn("en-US", `minute: "2-digit"`, dateSummer),
		fmtIn("en-US", `second: "numeric"`, dateSummer),
		fmtIn("en-US", `minute: "numeric", second: "numeric"`, dateSummer),
		fmtIn("en-US", `fractionalSecondDigits: 1`, dateSummer),
		fmtIn("en-US", `hour: "numeric", minute: "numeric", second: "numeric", fractionalSecondDigits: 2`, dateSummer),
		fmtIn("en-US", `weekday: "long"`, dateSummer),
		fmtIn("en-US", `weekday: "long", hour: "numeric", minute: "numeric"`, dateSummer),
		fmtIn("en-US", `era: "short", year: "2-digit"`, dateSummer),
		fmtIn("en-US", `era: "narrow", year: "numeric", month: "short", day: "numeric"`, dateSummer),
		fmtIn("en-US", `year: "numeric", month: "short"`, dateSummer),
		fmtIn("en-US", `month: "short", day: "numeric", hour: "numeric"`, dateSummer),
		fmtIn("ru", `month: "long", day: "numeric"`, dateSummer),
		fmtIn("ru", `month: "long", year: "numeric"`, dateSummer),
		fmtIn("pl", `month: "long", day: "numeric"`, dateSummer),
		fmtIn("pl", `month: "long"`, dateSummer),
		fmtIn("fi", `month: "long", day: "numeric"`, dateSummer),
		fmtIn("cs", `month: "long"`, dateSummer),
		// Hour cycles.
		fmtIn("en-US", `hour: "numeric", hour12: false`, dateSummer),
		fmtIn("en-US", `hour: "2-digit", minute: "2-digit", hourCycle: "h24"`, "new Date(Date.UTC(2026, 0, 1, 0, 5))"),
		fmtIn("en-US", `hour: "numeric", minute: "2-digit", hourCycle: "h11"`, dateNoon),
		fmtIn("ja", `hour: "numeric", hour12: true`, "new Date(Date.UTC(2026, 0, 1, 0, 5))"),
		fmtIn("en-GB", `hour: "numeric", minute: "numeric", hour12: true`, dateAutumn),
		fmtIn("de", `timeStyle: "short", hour12: true`, dateAutumn),
		fmtIn("en-US", `timeStyle: "medium", hourCycle: "h23"`, dateAutumn),
		fmtIn("en-US-u-hc-h23", `hour: "numeric", minute: "numeric"`, dateAutumn),
		fmtIn("ko", `hour: "numeric", minute: "numeric", hour12: false`, dateAutumn),
		// Day periods.
		fmtIn("en-US", `hour: "numeric", dayPeriod: "long"`, dateSummer),
		fmtIn("en-US", `hour: "numeric", dayPeriod: "short"`, dateNoon),
		fmtIn("en-US", `hour: "numeric", minute: "numeric", dayPeriod: "narrow"`, dateAutumn),
		fmtIn("en-US", `dayPeriod: "long"`, dateAutumn),
		fmtIn("en-US", `hour: "numeric", minute: "numeric", dayPeriod: "narrow", hourCycle: "h23"`, dateAutumn),
		fmtIn("zh-TW", `timeStyle: "short"`, dateNoon),
		fmtIn("fr", `hour: "numeric", dayPeriod: "long"`, dateAutumn),
		// Numbering systems.
		fmtIn("ar-EG-u-nu-latn", `dateStyle: "medium"`, dateAutumn),
		fmtIn("en-US-u-nu-arab", `dateStyle: "short"`, dateAutumn),
		fmtIn("hi", `numberingSystem: "deva", dateStyle: "medium", timeStyle: "short"`, dateAutumn),
		fmtIn("ar", `dateStyle: "short"`, dateAutumn),
		// Eras and years far away.
		fmtIn("en-US", `year: "numeric", era: "short"`, "new Date(-8.64e15)"),
		fmtIn("en-US", ``, "new Date(8.64e15)"),
		fmtIn("en-US", ``, "new Date(Date.UTC(1000, 0, 1))"),
		fmtIn("en-US", `era: "long"`, "new Date(Date.UTC(-50, 0, 1))"),
	)
	// Time zones and their names.
	zoneIn := func(zone, locale, opts string, date string) string {
		return fmt.Sprintf("new Intl.DateTimeFormat(%q, {timeZone: %q, %s}).format(%s)", locale, zone, opts, date)
	}
	for _, z := range []string{"America/New_York", "Europe/Paris", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns", "UTC", "Europe/London", "Asia/Tokyo", "Asia/Kathmandu", "Etc/GMT+5"} {
		for _, tzn := range []string{"short", "long", "shortOffset", "longOffset"} {
			exprs = append(exprs, zoneIn(z, "en-US", `hour: "numeric", minute: "numeric", timeZoneName: "`+tzn+`"`, dateSummer))
		}
		exprs = append(exprs, zoneIn(z, "de", `timeStyle: "full"`, dateAutumn), zoneIn(z, "fr", `dateStyle: "short", timeStyle: "long"`, dateSummer))
	}
	exprs = append(exprs,
		zoneIn("America/New_York", "en-US", `timeZoneName: "longGeneric"`, dateSummer),
		zoneIn("America/New_York", "en-US", `timeZoneName: "shortGeneric"`, dateSummer),
		zoneIn("Asia/Kolkata", "en-US", `timeZoneName: "longGeneric"`, dateSummer),
		zoneIn("America/New_York", "en-US", `timeZoneName: "long"`, "new Date(Date.UTC(1850, 0, 1))"),
		zoneIn("Asia/Kolkata", "en-US", `timeZoneName: "short"`, "new Date(Date.UTC(1900, 0, 1))"),
		zoneIn("Europe/London", "en-GB", `timeZoneName: "long"`, "new Date(Date.UTC(1950, 6, 1))"),
		zoneIn("Asia/Tokyo", "en-US", `timeZoneName: "long", year: "numeric"`, "new Date(Date.UTC(1971, 6, 1))"),
		zoneIn("Asia/Tokyo", "ja", `timeZoneName: "short"`, dateSummer),
		zoneIn("Europe/Berlin", "de", `timeZoneName: "short"`, dateSummer),
		zoneIn("Europe/London", "ar-EG", `timeZoneName: "short"`, dateAutumn),
		zoneIn("Etc/GMT+5", "fr", `timeZoneName: "shortOffset"`, dateAutumn),
		// DST transitions: the hour that repeats, the hour that is skipped.
		zoneIn("America/New_York", "en-US", `hour: "numeric", minute: "numeric", timeZoneName: "short"`, "new Date(Date.UTC(2026, 10, 1, 5, 30))"),
		zoneIn("America/New_York", "en-US", `hour: "numeric", minute: "numeric", timeZoneName: "short"`, "new Date(Date.UTC(2026, 10, 1, 6, 30))"),
		zoneIn("Europe/Paris", "fr", `dateStyle: "short", timeStyle: "long"`, "new Date(Date.UTC(2026, 2, 29, 0, 59, 59))"),
		zoneIn("Europe/Paris", "fr", `dateStyle: "short", timeStyle: "long"`, "new Date(Date.UTC(2026, 2, 29, 1, 0, 0))"),
		zoneIn("Australia/Lord_Howe", "en-AU", `timeStyle: "long"`, "new Date(Date.UTC(2026, 3, 4, 14, 45))"),
		zoneIn("Australia/Lord_Howe", "en-AU", `timeStyle: "long"`, "new Date(Date.UTC(2026, 3, 4, 15, 15))"),
		zoneIn("America/St_Johns", "en-CA", `dateStyle: "medium", timeStyle: "full"`, dateSummer),
	)
	// formatToParts, resolvedOptions, the constructor's surface.
	exprs = append(exprs,
		`new Intl.DateTimeFormat("en-US", {timeZone: "UTC", dateStyle: "full", timeStyle: "long"}).formatToParts(`+dateAutumn+`)`,
		`new Intl.DateTimeFormat("de", {timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 2}).formatToParts(`+dateSummer+`)`,
		`new Intl.DateTimeFormat("ar-EG", {timeZone: "UTC", hour: "numeric", dayPeriod: "short"}).formatToParts(`+dateSummer+`)`,
		`new Intl.DateTimeFormat("en-US", {hour12: false, timeZone: "Europe/Paris", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"}).formatToParts(1795546991000)`,
		`new Intl.DateTimeFormat().resolvedOptions()`,
		`new Intl.DateTimeFormat("en-GB", {hour: "numeric", hourCycle: "h11", timeZoneName: "long", fractionalSecondDigits: 2, era: "short"}).resolvedOptions()`,
		`new Intl.DateTimeFormat("en-US", {dateStyle: "short", hour12: true}).resolvedOptions()`,
		`new Intl.DateTimeFormat("en-US", {timeStyle: "short", hourCycle: "h23"}).resolvedOptions()`,
		`new Intl.DateTimeFormat("en", {hour: "numeric", minute: "numeric", second: "numeric", hour12: false}).resolvedOptions()`,
		`new Intl.DateTimeFormat("ja", {hour: "numeric", hour12: true}).resolvedOptions()`,
		`new Intl.DateTimeFormat("de", {weekday: "long", month: "short", day: "numeric", dayPeriod: "long"}).resolvedOptions()`,
		`new Intl.DateTimeFormat("en-u-hc-h23-nu-arab-ca-gregory", {}).resolvedOptions()`,
		`new Intl.DateTimeFormat("en-u-hc-h23", {hour: "numeric", hour12: true}).resolvedOptions().locale`,
		`new Intl.DateTimeFormat("en-u-hc-h23", {hour: "numeric", hourCycle: "h12"}).resolvedOptions()`,
		`new Intl.DateTimeFormat("ar-EG").resolvedOptions().numberingSystem`,
		`new Intl.DateTimeFormat("en", {timeZone: "asia/kolkata"}).resolvedOptions().timeZone`,
		`["Etc/UTC", "GMT", "Etc/GMT", "utc", "US/Eastern", "Europe/Kyiv", "America/Argentina/Buenos_Aires", "Asia/Ho_Chi_Minh", "Europe/Belfast", "Etc/GMT-14"].map((z) => new Intl.DateTimeFormat("en", {timeZone: z}).resolvedOptions().timeZone)`,
		`new Intl.DateTimeFormat("xx-YY").resolvedOptions().locale`,
		`new Intl.DateTimeFormat(["zz", "de-AT"], {month: "long"}).format(new Date(Date.UTC(2026, 0, 5)))`,
		`Intl.DateTimeFormat.supportedLocalesOf(["de-DE", "xx", "ja-JP", "zh-Hant-TW"])`,
		`Intl.DateTimeFormat("en", {timeZone: "UTC"}).format(0)`,
		`Intl.DateTimeFormat.length`,
		`Object.getOwnPropertyNames(Intl.DateTimeFormat.prototype).sort()`,
		`Object.prototype.toString.call(new Intl.DateTimeFormat())`,
		`(() => { const f = new Intl.DateTimeFormat("en", {timeZone: "UTC"}); return [f.format === f.format, f.format.length, f.format.name, [0, 86400000].map(f.format)] })()`,
		`typeof Object.getOwnPropertyDescriptor(Intl.DateTimeFormat.prototype, "format").get`,
		`Object.getOwnPropertyDescriptor(Intl.DateTimeFormat, "prototype")`,
		`["resolvedOptions", "formatToParts", "formatRange", "formatRangeToParts"].map((m) => [Intl.DateTimeFormat.prototype[m].name, Intl.DateTimeFormat.prototype[m].length, Object.getOwnPropertyDescriptor(Intl.DateTimeFormat.prototype, m).enumerable])`,
		`[Intl.DateTimeFormat.name, Intl.DateTimeFormat.supportedLocalesOf.length, Object.getOwnPropertyDescriptor(Intl.DateTimeFormat.prototype, "format").get.name]`,
		`new Intl.DateTimeFormat.prototype.formatToParts()`,
		`new (new Intl.DateTimeFormat().format)()`,
		`Intl.DateTimeFormat.prototype[Symbol.toStringTag]`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC"}).formatToParts()[0].type`,
		`typeof new Intl.DateTimeFormat().format()`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC"}).format("2026-03-04T05:06:07Z")`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", timeStyle: "short"}).format({valueOf() { return 3600000 }})`,
		`(() => { const seen = []; const p = new Proxy({}, {get(t, k) { seen.push(String(k)); return undefined }}); new Intl.DateTimeFormat("en", p); return seen })()`,
		`(() => { const seen = []; const p = new Proxy({}, {get(t, k) { seen.push(String(k)); return undefined }}); new Date(0).toLocaleDateString("en", p); return seen })()`,
		`(() => { const seen = []; const p = new Proxy({}, {get(t, k) { seen.push(String(k)); return undefined }}); new Date(0).toLocaleTimeString("en", p); return seen })()`,
		// Legacy constructor semantics.
		`(() => { const o = Object.create(Intl.DateTimeFormat.prototype); const r = Intl.DateTimeFormat.call(o, "en", {timeZone: "UTC"}); return [r === o, o.format(0), o.resolvedOptions().locale, Object.getOwnPropertySymbols(o).length] })()`,
		`(() => { const o = Object.create(Intl.DateTimeFormat.prototype); Intl.DateTimeFormat.call(o, "en"); return Intl.DateTimeFormat.prototype.formatToParts.call(o, 0) })()`,
		`(() => { const o = {}; const r = Intl.DateTimeFormat.call(o, "en"); return [r === o, Object.getOwnPropertySymbols(o).length, typeof r.format] })()`,
		`(() => { const o = Object.create(Intl.DateTimeFormat.prototype); const r = new Intl.DateTimeFormat("en"); return [r === o, Object.getOwnPropertySymbols(o).length] })()`,
		// Option values as the standard converts them.
		`new Intl.DateTimeFormat("en", null)`,
		`new Intl.DateTimeFormat("en", {month: Symbol("long")})`,
		`new Intl.DateTimeFormat("en", {timeZone: Symbol("UTC")})`,
		`new Date(0).toLocaleString("en", {timeZone: Symbol("UTC")})`,
		`new Intl.DateTimeFormat("en", 5).resolvedOptions().year`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", hour: "numeric", hour12: "false"}).format(0)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", second: "numeric", fractionalSecondDigits: "2.9"}).format(1234)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", month: {toString() { return "long" }}}).format(0)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", weekday: "long", hour12: 0, hour: "numeric"}).format(0)`,
		`new Date(0).toLocaleTimeString("en", {timeZone: "UTC", hour12: 1})`,
		`new Date(0).toLocaleString(["de", "fr"], {timeZone: "Europe/Paris"})`,
		`new Date(0).toLocaleDateString("en-US", {timeZone: "Pacific/Kiritimati", timeZoneName: "long"})`,
		`new Date(0).toLocaleString(undefined, {timeZone: "America/Sao_Paulo", dateStyle: "full", timeStyle: "full"})`,
		`new Date(0).toLocaleString("es-MX", {timeZone: "America/Mexico_City", hour: "2-digit", minute: "2-digit", hour12: true})`,
		`new Date(0).toLocaleString("en-IN", {timeZone: "Asia/Kolkata"})`,
		`new Date(0).toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", weekday: "long", year: "numeric", month: "long", day: "numeric"})`,
		`new Date(0).toLocaleString("he", {timeZone: "Asia/Jerusalem", dateStyle: "full"})`,
		`new Date(0).toLocaleString("tr", {timeZone: "Europe/Istanbul", dateStyle: "long", timeStyle: "short"})`,
		// Ranges.
		`new Intl.DateTimeFormat("en", {timeZone: "UTC"}).formatRange(0, 0)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC"}).formatRange(0, 86400000 * 3)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC"}).formatRangeToParts(0, 3600000)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", hour: "numeric", minute: "numeric"}).formatRange(0, 3600000)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", dateStyle: "long"}).formatRange(0, 86400000 * 3)`,
		`new Intl.DateTimeFormat("de", {timeZone: "UTC", dateStyle: "medium"}).formatRange(0, 86400000 * 40)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", dateStyle: "medium"}).formatRange(0, 86400000 * 400)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", dateStyle: "long"}).formatRangeToParts(0, 86400000 * 3)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", hour: "numeric", minute: "numeric"}).formatRange(0, 90000000)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", dateStyle: "medium", timeStyle: "short"}).formatRangeToParts(0, 3600000)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", dateStyle: "medium", timeStyle: "short"}).formatRange(0, 90000000)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", year: "numeric", month: "short"}).formatRange(0, 86400000 * 40)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", hour: "numeric"}).formatRange(0, 3600000 * 13)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", hour: "numeric"}).formatRange(0, 3600000 * 2)`,
		`new Intl.DateTimeFormat("de", {timeZone: "UTC", dateStyle: "full"}).formatRange(0, 86400000 * 3)`,
		`new Intl.DateTimeFormat("fr", {timeZone: "UTC", dateStyle: "short"}).formatRange(0, 86400000 * 40)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", weekday: "long", month: "long", day: "numeric"}).formatRange(0, 86400000 * 3)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", timeStyle: "short", hour12: false}).formatRange(0, 3600000)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", dateStyle: "short", timeStyle: "long"}).formatRange(0, 3600000)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", hour: "2-digit", minute: "2-digit"}).formatRange(0, 3600000)`,
		`new Intl.DateTimeFormat("ja", {timeZone: "Asia/Tokyo", dateStyle: "medium"}).formatRange(0, 86400000 * 3)`,
		`new Intl.DateTimeFormat("ru", {timeZone: "UTC", month: "long", day: "numeric"}).formatRange(0, 86400000 * 40)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC"}).formatRange(new Date(0), new Date(NaN))`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", timeStyle: "short"}).formatRangeToParts(0, 1000)`,
		`new Intl.DateTimeFormat("en", {hour: "numeric", minute: "numeric", timeZoneName: "short", timeZone: "America/New_York"}).formatRange(0, 3600000)`,
		`new Intl.DateTimeFormat("en", {hour: "numeric", timeZoneName: "shortGeneric", timeZone: "America/New_York"}).formatRange(0, 3600000 * 3)`,
		`new Intl.DateTimeFormat("de", {hour: "numeric", minute: "numeric", timeZoneName: "long", timeZone: "Europe/Berlin"}).formatRange(0, 3600000)`,
		`new Intl.DateTimeFormat("en", {hour: "numeric", minute: "numeric", dayPeriod: "short", timeZone: "UTC"}).formatRange(0, 3600000 * 14)`,
		`new Intl.DateTimeFormat("en", {hour: "numeric", dayPeriod: "long", timeZone: "UTC"}).formatRange(3600000 * 8, 3600000 * 9)`,
		`new Intl.DateTimeFormat("ja", {hour: "numeric", minute: "numeric", hour12: true, timeZone: "UTC"}).formatRange(0, 3600000 * 13)`,
		`new Intl.DateTimeFormat("zh-TW", {hour: "numeric", minute: "2-digit", timeZone: "UTC"}).formatRange(3600000 * 7, 3600000 * 19)`,
		`new Intl.DateTimeFormat("zh-TW", {timeStyle: "short", timeZone: "UTC"}).formatRangeToParts(3600000 * 7, 3600000 * 19)`,
		`new Intl.DateTimeFormat("en", {year: "numeric", month: "short", day: "numeric", era: "short", timeZone: "UTC"}).formatRange(-62198755200000, 0)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC", timeStyle: "short"}).formatRangeToParts(0, 3600000 * 13)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC"}).formatRange(86400000, 0)`,
		// Errors.
		`new Intl.DateTimeFormat("en", {fractionalSecondDigits: 1e9})`,
		`new Intl.DateTimeFormat("en", {fractionalSecondDigits: 0})`,
		`new Intl.DateTimeFormat("en", {timeZone: "x".repeat(1e6)})`,
		`new Intl.DateTimeFormat("en", {timeZone: "Mars/Olympus"})`,
		`new Intl.DateTimeFormat("en", {timeZone: "+05:30"})`,
		`new Intl.DateTimeFormat("en", {dateStyle: "short", hour: "numeric"})`,
		`new Intl.DateTimeFormat("en", {dateStyle: "tiny"})`,
		`new Intl.DateTimeFormat("en", {hourCycle: "h25"})`,
		`new Intl.DateTimeFormat("en", {month: "longest"})`,
		`new Intl.DateTimeFormat("en", {calendar: "gregory!"})`,
		`new Intl.DateTimeFormat("en_US")`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC"}).format(NaN)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC"}).format(8.64e15 + 1)`,
		`new Intl.DateTimeFormat("en", {timeZone: "UTC"}).formatRange(0)`,
		`new Intl.DateTimeFormat("en", {get month() { throw new SyntaxError("boom") }})`,
		`Intl.DateTimeFormat.prototype.format`,
		`Intl.DateTimeFormat.prototype.resolvedOptions.call({})`,
		`new Date(0).toLocaleDateString("en", {timeStyle: "short"})`,
		`new Date(0).toLocaleTimeString("en", {dateStyle: "short"})`,
		`Date.prototype.toLocaleString.call({})`,
		// The Date methods.
		dateAutumn+`.toLocaleString()`,
		dateAutumn+`.toLocaleDateString()`,
		dateAutumn+`.toLocaleTimeString()`,
		dateAutumn+`.toLocaleString("de-DE")`,
		dateAutumn+`.toLocaleDateString("ja", {dateStyle: "long"})`,
		dateAutumn+`.toLocaleTimeString("en-GB", {timeZone: "Asia/Kolkata"})`,
		dateAutumn+`.toLocaleString("en-US", {timeZone: "America/Los_Angeles"})`,
		dateAutumn+`.toLocaleDateString("en-US", {weekday: "long"})`,
		dateAutumn+`.toLocaleTimeString("en-US", {hour: "2-digit"})`,
		dateAutumn+`.toLocaleString("ko", {month: "long"})`,
		`new Date(NaN).toLocaleString()`,
		`new Date(NaN).toLocaleDateString("en", {timeZone: "Mars/Olympus"})`,
		`[Date.prototype.toLocaleString.length, Date.prototype.toLocaleDateString.name, Date.prototype.toLocaleTimeString.length]`,
		`Object.getOwnPropertyDescriptor(Date.prototype, "toLocaleDateString").enumerable`,
	)
	exprs = append(exprs,
		`(() => { const g = Object.getOwnPropertyDescriptor; Object.getOwnPropertyDescriptor = () => { throw new Error("called") }; try { return new Date(0).toLocaleString("en-US", {timeZone: "Asia/Tokyo"}) } finally { Object.getOwnPropertyDescriptor = g } })()`,
		`(() => { const seen = []; Object.defineProperty(Object.prototype, "hour", {get() { seen.push("hour"); return undefined }, configurable: true}); try { return [new Date(0).toLocaleString("en-US", {timeZone: "UTC"}), seen.length] } finally { delete Object.prototype.hour } })()`,
	)
	// The Date methods read plain options in Go once the locale is known
	// (the second call); both calls must answer alike, and as Node.
	twice := func(method, locale, opts string) string {
		return fmt.Sprintf(`(() => { const d = %s; const a = []; for (let i = 0; i < 2; i++) { try { a.push(d.%s(%s, %s)) } catch (e) { a.push(e.name) } } return a[0] === a[1] ? a[0] : "differ: " + a })()`, dateAutumn, method, locale, opts)
	}
	for _, m := range []string{"toLocaleString", "toLocaleDateString", "toLocaleTimeString"} {
		for _, o := range []string{`undefined`, `{}`, `{timeZone: "Asia/Kolkata"}`, `{timeZone: "asia/kolkata", hour12: false}`, `{hour12: "false"}`, `{hour12: 0, hourCycle: "h23"}`,
			`{hourCycle: "h11"}`, `{weekday: "long", timeZone: "America/New_York"}`, `{hour: "2-digit", minute: "2-digit"}`, `{fractionalSecondDigits: 2.7, second: "numeric"}`,
			`{fractionalSecondDigits: 4}`, `{dateStyle: "medium"}`, `{timeStyle: "short"}`, `{dateStyle: "full", timeStyle: "full"}`, `{dateStyle: "long", hour: "numeric"}`,
			`{month: "longest"}`, `{timeZone: "Mars/Base"}`, `{calendar: "gregory"}`, `{calendar: "buddhist!"}`, `{numberingSystem: "arab"}`, `{numberingSystem: "xyz"}`,
			`{localeMatcher: "best"}`, `{formatMatcher: "basic", year: "2-digit"}`, `{timeZoneName: "shortOffset", timeZone: "Australia/Lord_Howe"}`, `{era: "short", year: "numeric"}`,
			`{dayPeriod: "long", hour: "numeric"}`, `{timeZone: 5}`, `{hour: true}`} {
			exprs = append(exprs, twice(m, `"de-AT"`, o), twice(m, `"en-US"`, o))
		}
	}
	differential(t, exprs)
}

// TestDateTimeFormatLocalesAgainstNode runs a set of component options
// over every language we have data for (regional variants among them).
// Left out: an hour with only a zone name ({hour, timeZoneName}), where
// ICU 78's patterns ("13h GMT-8", "h13 GMT-8") are not CLDR 48.2's.
func TestDateTimeFormatLocalesAgainstNode(t *testing.T) {
	var exprs []string
	sets := []string{
		`year: "numeric"`, `year: "2-digit", month: "short"`, `month: "long", day: "numeric"`, `month: "numeric", day: "numeric"`,
		`weekday: "long", year: "numeric", month: "long", day: "numeric"`, `weekday: "short", hour: "numeric", minute: "2-digit"`,
		`hour: "2-digit", minute: "2-digit", second: "2-digit"`, `hour: "numeric", minute: "2-digit", hour12: true`, `hour: "numeric", minute: "2-digit", hour12: false`,
		`month: "short", year: "numeric", day: "2-digit", hour: "2-digit", minute: "2-digit"`, `era: "short", year: "numeric", month: "long"`,
		`timeStyle: "long", dateStyle: "medium"`, `timeStyle: "full", dateStyle: "full"`, `dateStyle: "short", timeStyle: "short", hourCycle: "h23"`,
		`hour: "numeric", minute: "numeric", timeZoneName: "long", timeZone: "Europe/Berlin"`,
		`weekday: "narrow"`, `day: "numeric"`, `month: "2-digit", year: "numeric"`, `hour: "numeric", dayPeriod: "short"`, `minute: "2-digit", second: "2-digit"`,
		`year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false`,
		`weekday: "long", hour: "numeric"`, `month: "long", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric", fractionalSecondDigits: 2`,
	}
	for _, l := range []string{"en-US", "en-GB", "en-IN", "en-AU", "en-CA", "de-AT", "de-CH", "fr-CA", "fr-CH", "es-MX", "es-AR", "pt-PT", "it", "nl", "sv", "nb", "da", "fi", "pl", "cs", "ru", "uk", "tr", "el", "he", "ar", "ar-SA", "hi", "bn", "ja", "zh-CN", "zh-HK", "zh-TW", "vi", "id", "ms", "ro", "hu", "bg", "hr", "sr", "sk", "sl", "lt", "lv", "et", "ca"} {
		for _, o := range sets {
			exprs = append(exprs, fmt.Sprintf(`new Intl.DateTimeFormat(%q, {timeZone: "UTC", %s}).format(new Date(Date.UTC(2026, 1, 7, 21, 4, 9, 120)))`, l, o))
		}
	}
	for i := 0; i < len(exprs); i += 300 {
		differential(t, exprs[i:min(i+300, len(exprs))])
	}
}

// TestDateTimeFormatHostile: absurd options and arguments end in a clear
// error, and formatting in a loop stays within the run's time limit.
func TestDateTimeFormatHostile(t *testing.T) {
	e := New(Config{})
	inv := fnInv(t, "acme", "dates_hostile", 1, functions.TypeApp, `export function main() {
  const out = [];
  const attempt = (f) => { try { out.push(String(f())) } catch (e) { out.push(e.name + ": " + e.message.slice(0, 80) + (e.message.length > 200 ? " (long)" : "")) } };
  attempt(() => new Intl.DateTimeFormat("en", {fractionalSecondDigits: 1e9}));
  attempt(() => new Intl.DateTimeFormat("en", {timeZone: "x".repeat(1 << 20)}));
  attempt(() => new Date(0).toLocaleString("en", {timeZone: "Europe/".repeat(1 << 17)}));
  attempt(() => new Intl.DateTimeFormat("en", {timeZone: "UTC"}).format(8.64e15));
  attempt(() => new Intl.DateTimeFormat("en", {timeZone: "UTC"}).format(-8.64e15 - 1));
  attempt(() => new Intl.DateTimeFormat("en", {get year() { throw new TypeError("from a getter") }}));
  attempt(() => new Intl.DateTimeFormat("th").format(0));
  attempt(() => new Intl.DateTimeFormat("en", {calendar: "islamic"}));
  attempt(() => new Intl.DateTimeFormat(["en", "x".repeat(1 << 20)]));
  return out;
}`, `{}`)
	inv.Timeout = 10 * time.Second
	out := call(t, e, inv)
	for _, want := range []string{
		`"RangeError: fractionalSecondDigits value is out of range."`,
		`"RangeError: Invalid time zone specified: xxxxxxxx`,
		`"RangeError: Invalid time zone specified: Europe/Europe/`,
		`"9/13/275760"`,
		`"RangeError: Invalid time value"`,
		`"TypeError: from a getter"`,
		`"RangeError: Intl.DateTimeFormat: the buddhist calendar is not supported`,
		`"RangeError: Intl.DateTimeFormat: the islamic calendar is not supported`,
		`"RangeError: Incorrect locale information provided`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in %s", want, out)
		}
	}
	if strings.Contains(out, "(long)") {
		t.Errorf("an error repeats a huge argument: %s", out)
	}

	loop := fnInv(t, "acme", "dates_loop", 1, functions.TypeApp, `export function main() {
  const f = new Intl.DateTimeFormat("de", {dateStyle: "full", timeStyle: "full", timeZone: "Europe/Berlin"});
  for (let i = 0; ; i++) { f.formatToParts(i * 1e6); new Date(i).toLocaleString("ja", {timeZone: "Asia/Tokyo"}) }
}`, `{}`)
	loop.Timeout = 300 * time.Millisecond
	start := time.Now()
	if got := call(t, e, loop); got != "error:timeout" {
		t.Errorf("formatting forever: %s, want error:timeout", got)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the loop stopped %v after its start (limit 300 ms)", d)
	}
}

// TestDateTimeFormatRangesAgainstNode: formatRange over styles and
// component sets, for ranges of five seconds to fifteen months (ko left
// out: its am/pm markers, see above).
func TestDateTimeFormatRangesAgainstNode(t *testing.T) {
	var exprs []string
	sets := []string{`dateStyle: "medium"`, `dateStyle: "full"`, `timeStyle: "short"`, `dateStyle: "short", timeStyle: "short"`, `month: "short", day: "numeric"`, `year: "numeric", month: "long"`, `hour: "numeric", minute: "2-digit"`, `hour: "numeric", minute: "2-digit", second: "2-digit"`, `weekday: "short", day: "numeric"`, `hour: "2-digit", hour12: false`, `year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "numeric"`}
	diffs := []string{"5000", "600000", "7200000", "50400000", "259200000", "3456000000", "40000000000"}
	for _, l := range []string{"en-US", "en-GB", "de", "fr", "es", "ja", "zh-CN", "ru", "ar-EG", "pt-BR", "it", "hi", "nl", "pl", "tr"} {
		for _, o := range sets {
			for _, d := range diffs {
				exprs = append(exprs, fmt.Sprintf(`new Intl.DateTimeFormat(%q, {timeZone: "UTC", %s}).formatRange(1770000000000, 1770000000000 + %s)`, l, o, d))
			}
		}
	}
	for i := 0; i < len(exprs); i += 300 {
		differential(t, exprs[i:min(i+300, len(exprs))])
	}
}

// TestDateTimeFormatZonesAgainstNode: zone names (short, long, offset,
// generic) of 34 zones in 12 locales, in 1970 and in 2026 (Dublin's
// summer is its daylight time as ICU counts it, though Go's tz data say
// otherwise).
func TestDateTimeFormatZonesAgainstNode(t *testing.T) {
	var exprs []string
	zones := []string{"America/Los_Angeles", "America/Chicago", "America/Denver", "America/Phoenix", "America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Halifax", "America/Sao_Paulo", "America/Mexico_City", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Moscow", "Europe/Istanbul", "Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "Asia/Dubai", "Asia/Karachi", "Asia/Dhaka", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Seoul", "Australia/Sydney", "Australia/Adelaide", "Australia/Perth", "Pacific/Auckland", "Pacific/Chatham", "Asia/Tehran", "Atlantic/Azores", "America/Caracas", "Asia/Jerusalem"}
	for _, l := range []string{"en-US", "en-GB", "en-AU", "en-IN", "de", "fr", "es", "ja", "zh-CN", "ru", "pt-BR", "ar-EG"} {
		for _, z := range zones {
			for _, n := range []string{"short", "long", "shortOffset", "shortGeneric", "longGeneric"} {
				exprs = append(exprs, fmt.Sprintf(`[0, 1782000000000].map((d) => new Intl.DateTimeFormat(%q, {timeZone: %q, timeZoneName: %q}).format(d))`, l, z, n))
			}
		}
	}
	for i := 0; i < len(exprs); i += 300 {
		differential(t, exprs[i:min(i+300, len(exprs))])
	}
}

// TestDateTimeFormatPeriodsErasAgainstNode: day periods through the day,
// eras and years from -271821 to 275760, and formatToParts of full
// styles and of local mean time, in 19 locales.
func TestDateTimeFormatPeriodsErasAgainstNode(t *testing.T) {
	var exprs []string
	for _, l := range []string{"en-US", "en-GB", "de", "fr", "es", "ja", "zh-CN", "zh-TW", "ru", "ar-EG", "hi", "he", "tr", "pl", "it", "nl", "pt-BR", "vi", "id"} {
		for _, o := range []string{`dayPeriod: "long"`, `hour: "numeric", dayPeriod: "short"`, `hour: "numeric", minute: "2-digit", dayPeriod: "narrow"`} {
			exprs = append(exprs, fmt.Sprintf(`[0, 3, 6, 9, 11, 12, 13, 15, 17, 18, 19, 21, 23].map((h) => new Intl.DateTimeFormat(%q, {timeZone: "UTC", %s}).format(Date.UTC(2026, 0, 1, h, h === 12 ? 0 : 30)))`, l, o))
		}
		for _, o := range []string{`era: "long", year: "numeric"`, `era: "narrow", year: "numeric", month: "short", day: "numeric"`, `year: "2-digit"`, `era: "short"`} {
			exprs = append(exprs, fmt.Sprintf(`[-62198755200000, -100000000000000, -8.64e15, 0, 8.64e15].map((d) => new Intl.DateTimeFormat(%q, {timeZone: "UTC", %s}).format(d))`, l, o))
		}
		exprs = append(exprs, fmt.Sprintf(`new Intl.DateTimeFormat(%q, {timeZone: "UTC", dateStyle: "full", timeStyle: "full"}).formatToParts(1782000000123)`, l))
		exprs = append(exprs, fmt.Sprintf(`new Intl.DateTimeFormat(%q, {timeZone: "America/New_York", hour: "numeric", minute: "numeric", second: "numeric", fractionalSecondDigits: 3, timeZoneName: "longOffset"}).formatToParts(-1e12)`, l))
	}
	for i := 0; i < len(exprs); i += 300 {
		differential(t, exprs[i:min(i+300, len(exprs))])
	}
}

// TestDateTimeFormatRandomRangesAgainstNode: 900 ranges of random
// starts, lengths, zones, locales and option sets (a fixed seed). Left
// out: id, whose full date ICU narrows to d in a range.
func TestDateTimeFormatRandomRangesAgainstNode(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	sets := []string{`dateStyle: "medium"`, `dateStyle: "long", timeStyle: "short"`, `timeStyle: "medium"`, `hour: "numeric", minute: "2-digit", timeZoneName: "short"`,
		`hour: "numeric", minute: "2-digit", hour12: false`, `hour: "numeric", hourCycle: "h11"`, `month: "long", day: "numeric", hour: "numeric"`, `weekday: "long", hour: "numeric", minute: "numeric"`,
		`year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"`, `hour: "numeric", dayPeriod: "short"`, `month: "short", year: "numeric"`, `day: "numeric", month: "long", year: "numeric", timeZoneName: "long"`,
		`timeStyle: "full"`, `dateStyle: "full", timeStyle: "full"`}
	locales := []string{"en-US", "en-GB", "de", "fr", "es", "it", "pt-BR", "nl", "sv", "pl", "ru", "uk", "tr", "ja", "zh-CN", "zh-TW", "ar-EG", "he", "hi", "vi", "cs", "el", "fi"}
	zones := []string{"UTC", "America/New_York", "Europe/Paris", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney"}
	diffs := []int64{1000, 60000, 1800000, 3600000, 7200000, 43200000, 86400000, 86400000 * 40, 86400000 * 400}
	var exprs []string
	for i := 0; i < 900; i++ {
		start := rng.Int63n(3e12) - 1e12
		exprs = append(exprs, fmt.Sprintf(`new Intl.DateTimeFormat(%q, {%s, timeZone: %q}).formatRange(%d, %d)`, locales[rng.Intn(len(locales))], sets[rng.Intn(len(sets))], zones[rng.Intn(len(zones))], start, start+diffs[rng.Intn(len(diffs))]))
	}
	for i := 0; i < len(exprs); i += 300 {
		differential(t, exprs[i:min(i+300, len(exprs))])
	}
}

// TestDateTimeFormatRandomAgainstNode: 1,500 formats of random dates,
// zones, locales (49) and realistic option sets (a date, a time, both;
// zone names, hour cycles) from a fixed seed. Left out: fa, where ICU
// appends a zone name in parentheses that CLDR 48.2's Hmv writes bare.
func TestDateTimeFormatRandomAgainstNode(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	pick := func(l ...string) string { return l[rng.Intn(len(l))] }
	locales := []string{"en-US", "en-GB", "en-AU", "en-IN", "en-CA", "de", "de-CH", "fr", "fr-CA", "es", "es-MX", "it", "pt-BR", "pt-PT", "nl", "sv", "pl", "ru", "uk", "tr", "ja", "zh-CN", "zh-TW", "zh-HK", "ar-EG", "ar", "he", "hi", "vi", "id", "cs", "el", "fi", "hu", "ro", "da", "nb", "bg", "hr", "sk", "th-u-ca-gregory", "bn", "ms", "ca", "lt", "lv", "et", "sl", "sr"}
	zones := []string{"UTC", "America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Paris", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "America/Sao_Paulo", "Asia/Dubai"}
	var exprs []string
	for i := 0; i < 1500; i++ {
		var parts []string
		switch rng.Intn(3) {
		case 0: // date
			if rng.Intn(2) == 0 {
				parts = append(parts, "weekday: "+pick(`"long"`, `"short"`, `"narrow"`))
			}
			parts = append(parts, "year: "+pick(`"numeric"`, `"2-digit"`), "month: "+pick(`"numeric"`, `"2-digit"`, `"long"`, `"short"`, `"narrow"`), "day: "+pick(`"numeric"`, `"2-digit"`))
		case 1: // time
			parts = append(parts, "hour: "+pick(`"numeric"`, `"2-digit"`), "minute: "+pick(`"numeric"`, `"2-digit"`))
			if rng.Intn(2) == 0 {
				parts = append(parts, "second: "+pick(`"numeric"`, `"2-digit"`))
				if rng.Intn(3) == 0 {
					parts = append(parts, "fractionalSecondDigits: "+pick("1", "2", "3"))
				}
			}
		default: // both
			parts = append(parts, "year: "+pick(`"numeric"`, `"2-digit"`), "month: "+pick(`"numeric"`, `"2-digit"`, `"long"`, `"short"`), "day: "+pick(`"numeric"`, `"2-digit"`), "hour: "+pick(`"numeric"`, `"2-digit"`), "minute: "+pick(`"numeric"`, `"2-digit"`))
		}
		if rng.Intn(3) == 0 {
			parts = append(parts, "timeZoneName: "+pick(`"short"`, `"long"`, `"shortOffset"`, `"longOffset"`, `"shortGeneric"`, `"longGeneric"`))
		}
		if rng.Intn(4) == 0 {
			parts = append(parts, pick("hour12: true", "hour12: false", `hourCycle: "h23"`, `hourCycle: "h12"`))
		}
		parts = append(parts, fmt.Sprintf("timeZone: %q", zones[rng.Intn(len(zones))]))
		exprs = append(exprs, fmt.Sprintf(`new Intl.DateTimeFormat(%q, {%s}).format(%d)`, locales[rng.Intn(len(locales))], strings.Join(parts, ", "), rng.Int63n(2e12)))
	}
	for i := 0; i < len(exprs); i += 300 {
		differential(t, exprs[i:min(i+300, len(exprs))])
	}
}
