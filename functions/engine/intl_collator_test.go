package engine

import (
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

// Where Node (V8) departs from ECMA-402 in locale resolution, test262 has
// the standard's answer: an option that is supported and differs from a
// -u- keyword replaces it, and the keyword leaves the resolved locale.
func TestIntlCollatorResolvesAsTheStandard(t *testing.T) {
	res, rerr := invoke(t, New(Config{}), functions.TypeApp, `export function main() { return [
		new Intl.Collator("en-u-kn-true", {numeric: false}).resolvedOptions(),
		new Intl.Collator("de-u-co-phonebk", {collation: "pinyin"}).resolvedOptions(),
		new Intl.Collator("de-u-co-phonebk").resolvedOptions().collation,
		new Intl.Collator("en-u-kn-false", {numeric: true}).resolvedOptions().locale,
	] }`, "", `{}`, 5*time.Second)
	if rerr != nil {
		t.Fatal(rerr)
	}
	want := `[{"locale":"en","usage":"sort","sensitivity":"variant","ignorePunctuation":false,"collation":"default","numeric":false,"caseFirst":"false"},` +
		`{"locale":"de-u-co-phonebk","usage":"sort","sensitivity":"variant","ignorePunctuation":false,"collation":"phonebk","numeric":false,"caseFirst":"false"},"phonebk","en"]`
	if string(res.JSON) != want {
		t.Errorf("got  %s\nwant %s", res.JSON, want)
	}
}
