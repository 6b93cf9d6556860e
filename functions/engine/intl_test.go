package engine

import (
	"context"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// Intl.Collator, Intl.getCanonicalLocales and the shared locale and
// option handling, against Node.js (ICU) on the same expressions.
func TestIntlCollatorAgainstNode(t *testing.T) {
	differential(t, []string{
		`Object.prototype.toString.call(Intl)`,
		`Intl.getCanonicalLocales(["EN-us", "de-de", "en-US", "zh-hant-tw"])`,
		`Intl.getCanonicalLocales("en-u-kn-true")`,
		`Intl.supportedValuesOf("timeZone")`,
		`Intl.supportedValuesOf("unit")`,
		`[Intl.supportedValuesOf.length, Intl.supportedValuesOf.name, "prototype" in Intl.supportedValuesOf, Object.getOwnPropertyNames(Intl).filter((n) => /^[a-z]/.test(n)).sort()]`,
		// UTS #35 canonicalization: CLDR's aliases, case, order.
		`["iw", "in", "ji", "jw", "mo", "sh", "no", "tl", "cmn", "sgn-GR", "art-lojban", "en-BU", "de-DD", "ru-SU", "hy-SU", "ja-Latn-hepburn-heploc", "zh-guoyu", "und-aaland", "sr-ME", "aar", "heb", "cel-gaulish", "no-bok", "hy-arevmda", "EN-latn-us-POSIX", "sl-rozaj-biske-1994", "en-u-ca-gregory-ca-buddhist", "en-U-NU-LATN-CA-GREGORY", "en-t-sl-rozaj-biske-1994-h0-hybrid-m0-ungegn", "de-x-private-u-co", "en-b-bb-a-aa", "zh-Hans-CN-u-nu-hanidec", "qaa-Qaai-CS"].map((t) => { try { return Intl.getCanonicalLocales(t)[0] } catch (e) { return e.name } })`,
		`Intl.getCanonicalLocales([])`,
		`Intl.getCanonicalLocales()`,
		`["en_US", "", "a", "en--US", "x-private", 5].map((l) => { try { return Intl.getCanonicalLocales(l) } catch (e) { return e.name } })`,
		`[null].map((l) => { try { return Intl.getCanonicalLocales(l) } catch (e) { return e.name } })`,
		`(() => { const log = []; Intl.getCanonicalLocales({get length() { log.push("length"); return 2 }, get 0() { log.push("0"); return "de" }, get 1() { log.push("1"); return "fr" }}); return log })()`,
		`(() => { const push = Array.prototype.push; Array.prototype.push = () => { throw 1 }; try { return Intl.getCanonicalLocales(["en", "de"]) } finally { Array.prototype.push = push } })()`,
		`["en-GB", "en-US", "de-DE", "de", "fr-CA", "zh-TW", "sr-Latn", "pt-BR", "es-MX", "xx", "it", "sv"].map((l) => new Intl.Collator(l).resolvedOptions().locale)`,
		`new Intl.Collator("de").resolvedOptions()`,
		`Intl.Collator("de-DE", {sensitivity: "base"}).resolvedOptions()`,
		`["de-u-co-phonebk", "en-u-kn-true", "en-u-kf-upper", "de-DE-u-co-phonebk-kn", "sv-u-co-standard", "en-u-kn-false"].map((l) => new Intl.Collator(l).resolvedOptions())`,
		`new Intl.Collator("en-u-kn-true", {numeric: true}).resolvedOptions().locale`,
		`["item10", "item2", "item1"].sort((x, y) => x.localeCompare(y, "en-u-kn-true"))`,
		`[["a", "B"], ["b", "A"]].map(([x, y]) => [x.localeCompare(y, "en-u-kf-upper"), x.localeCompare(y, "en-u-kf-upper", {caseFirst: "lower"}), x.localeCompare(y, "en", {numeric: 1})])`,
		`["ä", "ae", "af", "a"].sort((x, y) => x.localeCompare(y, "de-u-co-phonebk"))`,
		`[null].map((o) => { try { return "a".localeCompare("b", "en", o) } catch (e) { return e.name } }).concat([null, ["en", 5], "en_US"].map((l) => { try { return "a".localeCompare("b", l) } catch (e) { return e.name } }))`,
		`["ä", "a", "z"].sort(new Intl.Collator("sv").compare)`,
		`["ä", "a", "z", "ae", "af"].sort(new Intl.Collator("de").compare)`,
		`["ä", "ae", "af", "a"].sort(new Intl.Collator("de-u-co-phonebk").compare)`,
		`["a", "A", "b", "B", "á"].sort(new Intl.Collator("en", {caseFirst: "upper"}).compare)`,
		`["a", "A", "b", "B", "á"].sort(new Intl.Collator("en", {caseFirst: "lower"}).compare)`,
		`["a", "A", "b", "B", "á"].sort(new Intl.Collator("en").compare)`,
		`["item10", "item2", "item1"].sort(new Intl.Collator(undefined, {numeric: true}).compare)`,
		`["item10", "item2", "item1"].sort(new Intl.Collator("en-u-kn").compare)`,
		`[["a", "á"], ["a", "A"], ["a", "b"]].map(([x, y]) => ["base", "accent", "case", "variant"].map((s) => new Intl.Collator("en", {sensitivity: s}).compare(x, y)))`,
		`new Intl.Collator("en", {ignorePunctuation: true}).compare("a-b", "ab")`,
		`Intl.Collator.supportedLocalesOf(["de-DE", "xx-YY", "tlh"])`,
		`[Intl.Collator.length, Intl.Collator.name, Intl.Collator.supportedLocalesOf.length, new Intl.Collator().compare.length, new Intl.Collator().compare.name, Intl.getCanonicalLocales.length]`,
		`[Object.prototype.toString.call(new Intl.Collator()), typeof Intl.Collator.prototype.resolvedOptions, "prototype" in Intl.Collator.prototype.resolvedOptions, Object.getOwnPropertyDescriptor(Intl.Collator.prototype, "compare").get.name]`,
		`(() => { const d = Object.getOwnPropertyDescriptor(Intl.Collator, "prototype"); return [d.writable, d.enumerable, d.configurable] })()`,
		`(() => { const d = Object.getOwnPropertyDescriptor(Intl, "Collator"); return [d.writable, d.enumerable, d.configurable] })()`,
		`(() => { const c = new Intl.Collator(); return c.compare === c.compare })()`,
		`(() => { try { Intl.Collator.prototype.resolvedOptions.call({}) } catch (e) { return e.name } })()`,
		`(() => { try { new Intl.Collator("en", {usage: "nope"}) } catch (e) { return e.name } })()`,
		`(() => { try { new Intl.Collator("en", {collation: "a"}) } catch (e) { return e.name } })()`,
		`(() => { const log = []; const o = new Proxy({}, {get(t, k) { log.push(String(k)); return undefined }}); new Intl.Collator("en", o); return log })()`,
		`(() => { class C extends Intl.Collator {}; const c = new C("de"); return [c instanceof C, c.resolvedOptions().locale, c.compare("a", "b")] })()`,
		`["b", "a"].sort((x, y) => x.localeCompare(y, "en", {caseFirst: "upper"}))`,
	})
}

// Where Node (V8) departs from ECMA-402, test262 has the standard's
// answer, and so do we: an option that is supported and differs from a
// -u- keyword replaces it, and the keyword leaves the resolved locale;
// every tag of a locale list is checked, not only the first.
func TestIntlAsTheStandard(t *testing.T) {
	e := New(Config{})
	for expr, want := range map[string]string{
		`new Intl.Collator("en-u-kn-true", {numeric: false}).resolvedOptions()`:                         `{"locale":"en","usage":"sort","sensitivity":"variant","ignorePunctuation":false,"collation":"default","numeric":false,"caseFirst":"false"}`,
		`new Intl.Collator("de-u-co-phonebk", {collation: "pinyin"}).resolvedOptions()`:                 `{"locale":"de-u-co-phonebk","usage":"sort","sensitivity":"variant","ignorePunctuation":false,"collation":"phonebk","numeric":false,"caseFirst":"false"}`,
		`new Intl.Collator("en-u-kn-false", {numeric: true}).resolvedOptions().locale`:                  `"en"`,
		`(() => { try { return "a".toLocaleUpperCase(["en", "x_y"]) } catch (e) { return e.name } })()`: `"RangeError"`,
		`(() => { try { return "a".toLocaleUpperCase(["en", 5]) } catch (e) { return e.name } })()`:     `"TypeError"`,
	} {
		res, rerr := invoke(t, e, functions.TypeApp, "export function main() { return "+expr+" }", "", `{}`, 5*time.Second)
		if rerr != nil {
			t.Fatalf("%s: %v", expr, rerr)
		}
		if string(res.JSON) != want {
			t.Errorf("%s\n got  %s\n want %s", expr, res.JSON, want)
		}
	}
}

// String.prototype.toLocaleLowerCase and toLocaleUpperCase with locales.
func TestLocaleCaseAgainstNode(t *testing.T) {
	differential(t, []string{
		`["İstanbul".toLocaleLowerCase("tr"), "istanbul".toLocaleUpperCase("tr"), "I".toLocaleLowerCase("az"), "i".toLocaleUpperCase(["lt", "tr"]), "i".toLocaleUpperCase(["tr", "lt"])]`,
		`["Σ".toLocaleLowerCase("el"), "ΌΣΟΣ".toLocaleLowerCase("el"), "ΌΣΟΣ".toLocaleLowerCase(), "straße".toLocaleUpperCase("de"), "ǆ".toLocaleUpperCase(), "İ".toLocaleLowerCase("en")]`,
		`["Iİ".toLocaleLowerCase("tr-TR"), "Iİ".toLocaleLowerCase("en-US"), "ıi".toLocaleUpperCase("az-Latn-AZ"), "ﬀ".toLocaleUpperCase("en"), "ABC".toLocaleLowerCase([])]`,
		`[String.prototype.toLocaleLowerCase.length, String.prototype.toLocaleUpperCase.name, String.prototype.toLocaleUpperCase.call(12, "tr")]`,
		`[null, "en_US"].map((l) => { try { return "a".toLocaleUpperCase(l) } catch (e) { return e.name } })`,
		`(() => { try { String.prototype.toLocaleLowerCase.call(null) } catch (e) { return e.name } })()`,
	})
}

// Array.prototype.toLocaleString passes its arguments to each element's.
func TestArrayToLocaleStringAgainstNode(t *testing.T) {
	differential(t, []string{
		`(() => { const seen = []; const e = {toLocaleString(...a) { seen.push(a); return "x" }}; return [[e, null, undefined, e].toLocaleString("de", {a: 1}), seen] })()`,
		`(() => { const a = [1, "s"]; a.push(a); return a.toLocaleString() })()`,
		`[Array.prototype.toLocaleString.call({length: 2, 0: {toLocaleString() { return "q" }}}), Array.prototype.toLocaleString.length, Array.prototype.toLocaleString.name, [].toLocaleString()]`,
		`[[new Date(0)].toLocaleString("en-US", {timeZone: "UTC"}).length > 0, ["a", ["b", "c"]].toLocaleString()]`,
		`(() => { try { [{toLocaleString: 1}].toLocaleString() } catch (e) { return e.name } })()`,
		`(() => { try { Array.prototype.toLocaleString.call(null) } catch (e) { return e.name } })()`,
	})
}

// Intl.Locale: canonical tags, options in place of subtags and keywords,
// likely subtags.
func TestIntlLocaleAgainstNode(t *testing.T) {
	differential(t, []string{
		`String(new Intl.Locale("en-latn-us-u-ca-gregory-co-phonebk"))`,
		`(() => { const l = new Intl.Locale("ja-Jpan-JP-u-ca-japanese-hc-h12", {region: "US", hourCycle: "h23", numeric: true}); return [l.toString(), l.baseName, l.language, l.script, l.region, l.calendar, l.hourCycle, l.numeric, l.caseFirst, l.collation, l.numberingSystem] })()`,
		`[new Intl.Locale("zh").maximize().toString(), new Intl.Locale("zh-Hant-TW").minimize().toString(), new Intl.Locale("und").maximize().baseName, new Intl.Locale("sr-ME").maximize().toString(), new Intl.Locale("en-GB-u-nu-arab").minimize().toString(), new Intl.Locale("und-Arab").maximize().toString()]`,
		`(() => { try { Intl.Locale("en") } catch (e) { return e.name } })()`,
		`["", "en_US", 5, null, "x-private"].map((t) => { try { return new Intl.Locale(t).toString() } catch (e) { return e.name } })`,
		`[{language: "x"}, {script: "Latn1"}, {region: "USA"}, {calendar: "a"}, {hourCycle: "h25"}, {caseFirst: "up"}, {numberingSystem: "latn-"}].map((o) => { try { return new Intl.Locale("en", o).toString() } catch (e) { return e.name } })`,
		`Intl.getCanonicalLocales([new Intl.Locale("en-US"), "de"])`,
		`new Intl.Locale(new Intl.Locale("de-DE"), {region: "AT", numeric: false}).toString()`,
		`[Object.prototype.toString.call(new Intl.Locale("en")), Intl.Locale.length, Intl.Locale.name]`,
		`Object.getOwnPropertyNames(Intl.Locale.prototype).slice(0, 21)`,
		// What a locale prefers; collations are those x/text has (ICU adds emoji and eor everywhere).
		`["en-US", "de-DE", "ar-EG", "he", "ja-JP-u-ca-japanese", "fa-IR", "en-GB-u-hc-h11", "zh-TW", "und", "en", "pt-BR", "hi-IN", "ar-SA"].map((t) => { const l = new Intl.Locale(t); return [t, l.hourCycles, l.numberingSystems, l.textInfo, l.timeZones, l.weekInfo] })`,
		`["en-US", "de-DE", "th-TH", "ja-JP", "zh-TW", "fa-IR", "und-u-ca-buddhist"].map((t) => new Intl.Locale(t).calendars)`,
		`["de-u-co-phonebk", "en-u-co-emoji"].map((t) => new Intl.Locale(t).collations)`,
		`(() => { const l = new Intl.Locale("en-US"); return [l.weekInfo !== l.weekInfo, l.timeZones.length] })()`,
		`new Intl.Locale("en-u-attr-ca-gregory-x-priv", {calendar: "buddhist", collation: "emoji"}).toString()`,
		`[new Intl.Locale("en-u-kn-false").numeric, new Intl.Locale("en-u-kn").numeric, new Intl.Locale("en").numeric, new Intl.Locale("en").script]`,
		`new Intl.Collator(new Intl.Locale("de", {collation: "phonebk"})).resolvedOptions().locale`,
		`(() => { const log = []; new Intl.Locale("en", new Proxy({}, {get(t, k) { log.push(k); return undefined }})); return log })()`,
		`[new Intl.Locale("cmn-TW").toString(), new Intl.Locale("en", {language: "IW"}).toString(), new Intl.Locale("sh").maximize().toString(), new Intl.Locale("en-SU").toString()]`,
		`(() => { try { Intl.Locale.prototype.toString.call({}) } catch (e) { return e.name } })()`,
		`[() => new Intl.Locale("en", null), () => new Intl.Collator("en", null)].map((f) => { try { f(); return "no error" } catch (e) { return e.name } })`,
		`(() => { class L extends Intl.Locale {}; const l = new L("de"); return [l instanceof L, l.maximize() instanceof L, l.language] })()`,
	})
}

// Intl.ListFormat: CLDR's list patterns in every type and style.
func TestIntlListFormatAgainstNode(t *testing.T) {
	differential(t, []string{
		`["en", "en-GB", "de", "fr", "es", "it", "pt-BR", "nl", "sv", "pl", "ru", "ja", "zh", "zh-TW", "ko", "ar", "he", "hi", "tr", "th", "uk", "cs"].map((l) => new Intl.ListFormat(l).format(["a", "b", "c"]))`,
		`["conjunction", "disjunction", "unit"].flatMap((type) => ["long", "short", "narrow"].map((style) => new Intl.ListFormat("en", {type, style}).format(["1", "2", "3", "4"])))`,
		`["conjunction", "disjunction", "unit"].flatMap((type) => ["long", "short", "narrow"].map((style) => new Intl.ListFormat("de", {type, style}).format(["x", "y"])))`,
		`new Intl.ListFormat("es").formatToParts(["x", "y", "iglesia"])`,
		`["iglesia", "hielo", "hiato", "Hilo", "hierba", "x", "IBM", "hi"].map((w) => new Intl.ListFormat("es").format(["a", w]))`,
		`["oso", "hora", "8", "80", "11", "11.5", "110", "11 x", "Ocho", "h"].map((w) => new Intl.ListFormat("es", {type: "disjunction"}).format(["a", w]))`,
		`["b", "שלום", "1", "ב"].map((w) => new Intl.ListFormat("he").format(["א", w]))`,
		`[new Intl.ListFormat("en").format([]), new Intl.ListFormat("en").format(["x"]), new Intl.ListFormat("en").format(), new Intl.ListFormat("en").format(new Set(["p", "q"]))]`,
		`new Intl.ListFormat("fr", {type: "disjunction", style: "short"}).resolvedOptions()`,
		`new Intl.ListFormat().resolvedOptions()`,
		`[() => Intl.ListFormat(), () => new Intl.ListFormat("en", {type: "x"}), () => new Intl.ListFormat("en", 5), () => new Intl.ListFormat("en").format([1]), () => new Intl.ListFormat("en").format("ab"), () => new Intl.ListFormat("en", null)].map((f) => { try { return f() } catch (e) { return e.name } })`,
		`(() => { const log = []; new Intl.ListFormat("en", new Proxy({}, {get(t, k) { log.push(k); return undefined }})); return log })()`,
		`[Intl.ListFormat.length, Object.prototype.toString.call(new Intl.ListFormat()), Intl.ListFormat.supportedLocalesOf(["es", "xx"]), Object.getOwnPropertyNames(Intl.ListFormat.prototype)]`,
	})
}

// Intl.DisplayNames: CLDR's names in every type.
func TestIntlDisplayNamesAgainstNode(t *testing.T) {
	differential(t, []string{
		`["en", "de", "ja", "fr-CA", "es", "ar", "zh-TW", "ru", "hi"].map((l) => new Intl.DisplayNames(l, {type: "region"}).of("US"))`,
		`["US", "GB", "419", "DE", "HK", "CI"].map((c) => [new Intl.DisplayNames("en", {type: "region"}).of(c), new Intl.DisplayNames("en", {type: "region", style: "short"}).of(c), new Intl.DisplayNames("en", {type: "region", style: "narrow"}).of(c)])`,
		`["en-US", "en-GB", "zh-Hant", "sr-Latn-RS", "de-CH", "xx", "pt-BR", "es-419", "fr-CA", "zh-Hans-SG", "en-XY", "nl-BE", "ca-ES-valencia"].map((t) => new Intl.DisplayNames("en", {type: "language"}).of(t))`,
		`["en-US", "zh-Hant", "pt-BR", "de-CH"].map((t) => new Intl.DisplayNames("en", {type: "language", languageDisplay: "standard"}).of(t))`,
		`["en-US", "en-GB", "de"].map((t) => new Intl.DisplayNames("de", {type: "language", style: "short"}).of(t))`,
		`["Latn", "Hans", "Zzzz", "Cyrl"].map((t) => new Intl.DisplayNames("de", {type: "script"}).of(t))`,
		`["gregory", "buddhist", "islamic-civil", "japanese", "ethioaa", "gregorian"].map((t) => new Intl.DisplayNames("en", {type: "calendar"}).of(t))`,
		`["USD", "eur", "JPY", "XYZ", "CHF"].flatMap((c) => ["en", "de", "ja"].flatMap((l) => ["long", "short", "narrow"].map((style) => new Intl.DisplayNames(l, {type: "currency", style}).of(c))))`,
		`[() => new Intl.DisplayNames("en", {type: "currency"}).of("US"), () => new Intl.DisplayNames("en", {type: "currency", fallback: "none"}).of("XYZ")].map((f) => { try { return f() } catch (e) { return e.name } })`,
		`["era", "year", "quarter", "month", "weekOfYear", "weekday", "day", "dayPeriod", "hour", "minute", "second", "timeZoneName"].map((t) => new Intl.DisplayNames("fr", {type: "dateTimeField"}).of(t))`,
		`["year", "month", "hour"].map((t) => [new Intl.DisplayNames("en", {type: "dateTimeField", style: "short"}).of(t), new Intl.DisplayNames("en", {type: "dateTimeField", style: "narrow"}).of(t)])`,
		`[new Intl.DisplayNames("en", {type: "region", fallback: "none"}).of("XX"), new Intl.DisplayNames("en", {type: "region"}).of("XX"), new Intl.DisplayNames("en", {type: "language", fallback: "none"}).of("xx")]`,
		`[new Intl.DisplayNames("en", {type: "region"}).resolvedOptions(), new Intl.DisplayNames("en-GB", {type: "language"}).resolvedOptions(), new Intl.DisplayNames("de-AT", {type: "script", style: "narrow", fallback: "none"}).resolvedOptions()]`,
		`[() => Intl.DisplayNames("en", {type: "region"}), () => new Intl.DisplayNames("en"), () => new Intl.DisplayNames("en", {type: "x"}), () => new Intl.DisplayNames("en", {type: "region"}).of("USA"), () => new Intl.DisplayNames("en", {type: "language"}).of("en_US"), () => new Intl.DisplayNames("en", {type: "script"}).of("Lat"), () => new Intl.DisplayNames("en", {type: "dateTimeField"}).of("week"), () => new Intl.DisplayNames("en", {type: "calendar"}).of("g"), () => new Intl.DisplayNames("en", 5)].map((f) => { try { return f() } catch (e) { return e.name } })`,
		`(() => { const log = []; new Intl.DisplayNames("en", new Proxy({type: "region"}, {get(t, k) { log.push(k); return t[k] }})); return log })()`,
		`[Intl.DisplayNames.length, Object.prototype.toString.call(new Intl.DisplayNames("en", {type: "region"})), Intl.DisplayNames.supportedLocalesOf(["fr", "xx"]), Object.getOwnPropertyNames(Intl.DisplayNames.prototype)]`,
	})
}

// BenchmarkIntlFirstUse is what a fresh runtime pays the first time a run
// reads Intl (every Intl library loads then), against a trivial run.
func BenchmarkIntlFirstUse(b *testing.B) {
	for _, tc := range []struct{ name, src string }{
		{"trivial", `export function main() { return 1 }`},
		{"intl", `export function main() { return typeof Intl }`},
		{"collator", `export function main() { return new Intl.Collator("de").compare("a", "b") }`},
		{"localeCompare", `export function main() { return "a".localeCompare("b", "de") }`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := New(Config{})
			tr, err := Transpile("b.js", tc.src)
			if err != nil {
				b.Fatal(err)
			}
			inv := &functions.Invocation{Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash, Timeout: time.Second, Data: []byte(`{}`), FreshRuntime: true}
			for i := 0; i < b.N; i++ {
				if _, err := e.Execute(context.Background(), inv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Intl.supportedValuesOf lists what this implementation supports; the
// lists differ from ICU's where the data do (ICU still lists some retired
// currencies), so the test checks what they must hold.
func TestIntlSupportedValuesOf(t *testing.T) {
	res, rerr := invoke(t, New(Config{}), functions.TypeApp, `export function main() {
		const v = (k) => Intl.supportedValuesOf(k);
		const sorted = (a) => a.every((x, i) => i === 0 || a[i - 1] < x);
		let bad;
		try { Intl.supportedValuesOf("nope") } catch (e) { bad = e.name }
		return {
			sorted: ["calendar", "collation", "currency", "numberingSystem", "timeZone", "unit"].every((k) => sorted(v(k))),
			calendar: v("calendar").includes("gregory"),
			currency: ["EUR", "USD", "JPY", "CHF"].every((c) => v("currency").includes(c)) && !v("currency").includes("DEM"),
			numberingSystem: ["latn", "arab", "arabext", "beng", "deva", "thai"].every((n) => v("numberingSystem").includes(n)),
			timeZone: ["Europe/Paris", "America/New_York", "Asia/Calcutta"].every((z) => v("timeZone").includes(z)) && v("timeZone").length > 400,
			unit: ["meter", "kilogram", "percent", "celsius"].every((u) => v("unit").includes(u)),
			collation: v("collation").includes("phonebk") && !v("collation").includes("standard"),
			fresh: v("currency") !== v("currency"),
			bad,
		};
	}`, "", `{}`, 5*time.Second)
	if rerr != nil {
		t.Fatal(rerr)
	}
	want := `{"sorted":true,"calendar":true,"currency":true,"numberingSystem":true,"timeZone":true,"unit":true,"collation":true,"fresh":true,"bad":"RangeError"}`
	if string(res.JSON) != want {
		t.Errorf("got  %s\nwant %s", res.JSON, want)
	}
}

// BigInt.prototype.toLocaleString is put in place only once a run can
// make a BigInt; every way to one must find it there.
func TestBigIntToLocaleStringEveryWay(t *testing.T) {
	e := New(Config{})
	for _, expr := range []string{
		`BigInt(1234567).toLocaleString("de")`,
		`new BigInt64Array([BigInt(1234567)])[0].toLocaleString("de")`,
		`(() => { const d = new DataView(new ArrayBuffer(8)); d.setBigUint64(0, BigInt(1234567)); return d.getBigUint64(0).toLocaleString("de") })()`,
		`Function("return " + "1234567" + "n")().toLocaleString("de")`,
		`eval("1234567" + "n").toLocaleString("de")`,
	} {
		src := "export function main() { return " + expr + " }"
		if usesBigInt(src) {
			t.Fatalf("%s: the case must not hold a literal", expr)
		}
		tr, err := Transpile("t.js", src)
		if err != nil {
			t.Fatal(err)
		}
		inv := &functions.Invocation{Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash, Timeout: 5 * time.Second, Data: []byte(`{}`), FreshRuntime: true}
		res, err := e.Execute(context.Background(), inv)
		if err != nil || string(res.JSON) != `"1.234.567"` {
			t.Errorf("%s: %v %v", expr, res, err)
		}
	}
	for code, want := range map[string]bool{"return 10n": true, "0xffn": true, "1_000n": true, "return x.n": false, "fn(1)": false, "let an = 2": false} {
		if usesBigInt(code) != want {
			t.Errorf("usesBigInt(%q) = %v", code, !want)
		}
	}
}

// Hostile inputs to the shared parts end in a clear error or an answer
// within the run's time limit: a huge tag, a long list of tags (a
// quadratic dedupe would run past the limit), a long list to join, a huge code
// to name.
func TestIntlHostile(t *testing.T) {
	e := New(Config{})
	for expr, want := range map[string]string{
		`(() => { try { new Intl.Locale("en-" + "a".repeat(1e6)) } catch (e) { return [e.name, e.message.length < 200] } })()`:                          `["RangeError",true]`,
		`Intl.getCanonicalLocales(Array.from({length: 1e5}, (_, i) => "en-x-" + i.toString(36))).length`:                                                `100000`,
		`new Intl.ListFormat("en").format(Array.from({length: 2e5}, () => "x")).length`:                                                                 `600002`,
		`(() => { try { new Intl.DisplayNames("en", {type: "region"}).of("x".repeat(1e6)) } catch (e) { return [e.name, e.message.length < 200] } })()`: `["RangeError",true]`,
		`(() => { try { "a".localeCompare("b", "x".repeat(1e6)) } catch (e) { return [e.name, e.message.length < 200] } })()`:                           `["RangeError",true]`,
	} {
		res, rerr := invoke(t, e, functions.TypeApp, "export function main() { return "+expr+" }", "", `{}`, 20*time.Second)
		if rerr != nil {
			t.Errorf("%s: %v", expr, rerr)
			continue
		}
		if string(res.JSON) != want {
			t.Errorf("%s\n got  %s\n want %s", expr, res.JSON, want)
		}
	}
}
