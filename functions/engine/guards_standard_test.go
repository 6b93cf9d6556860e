package engine

import "testing"

// The guards are invisible to correct code: each wrapped built-in keeps
// its name, length and descriptor, and runs the observable operations
// (getters, valueOf, toString, proxy traps) of its arguments exactly once,
// in the specification's order, as Node.js does.
func TestGuardsInvisibleAgainstNode(t *testing.T) {
	differential(t, []string{
		`[String.prototype.repeat.length, String.prototype.repeat.name, String.prototype.padStart.length, String.prototype.padEnd.name, String.prototype.concat.length, Array.prototype.fill.length, Array.prototype.join.length, Array.prototype.concat.length, Array.from.length, Array.from.name, Function.prototype.apply.length, Function.prototype.apply.name, String.prototype.match.length, String.prototype.search.name]`,
		`Object.getOwnPropertyDescriptor(String.prototype, "repeat")`,
		`(() => { const d = Object.getOwnPropertyDescriptor(String.prototype, "repeat"); return [d.writable, d.enumerable, d.configurable] })()`,
		`(() => { let n = 0; const v = {valueOf() { n++; return 3 }}; "ab".repeat(v); return n })()`,
		`(() => { let n = 0; const v = {valueOf() { n++; return 5 }}; "ab".padEnd(v, "x"); return n })()`,
		`(() => { let n = 0; const f = {toString() { n++; return "-" }}; "ab".padStart(5, f); return n })()`,
		`(() => { let n = 0; const v = {valueOf() { n++; return 1 }}; [1, 2, 3].fill(0, v); return n })()`,
		`(() => { let n = 0; const s = {toString() { n++; return "," }}; [1, 2].join(s); return n })()`,
		`(() => { const log = []; const o = {get length() { log.push("length"); return 2 }, 0: "a", 1: "b"}; Array.prototype.join.call(o, "-"); return log })()`,
		`ArrayBuffer[Symbol.species] === ArrayBuffer`,
		`(() => { Function("this.x1 = 1").apply(); return globalThis.x1 })()`,
		`(() => { return (function () { return this })() === globalThis })()`,
		`JSON.stringify({b: 1, a: [1, {c: 2}]}, function (k, v) { return v }, 1)`,
		`(() => { const order = []; JSON.stringify({b: 1, a: {c: 2}}, function (k, v) { order.push(k); return v }); return order })()`,
		`(() => { try { new String.prototype.repeat() } catch (e) { return e.name } })()`,
		`"prototype" in String.prototype.repeat`,
		`typeof Array.from.call(function (n) { this.n = n }, [1, 2])`,
		`(() => { class A extends Array {}; return A.from([1]) instanceof A })()`,
		`Object.getOwnPropertyNames(String.prototype.padEnd).sort()`,
		`[].concat.call(1, 2).length`,
		`Reflect.apply.length`,
		`[ArrayBuffer.length, ArrayBuffer.name, Uint8Array.length, Object.getOwnPropertyDescriptor(ArrayBuffer, Symbol.species).get.name]`,
		`(() => { let n = 0; const v = {valueOf() { n++; return 1 }}; "ab".padEnd(1, {toString() { n += 10; return "x" }}); "ab".padStart(v); return n })()`,
		`(() => { const log = []; const o = {toString() { log.push("this"); return "s" }}; String.prototype.repeat.call(o, {valueOf() { log.push("count"); return 2 }}); return log })()`,
		`(() => { const log = []; String.prototype.concat.call({toString() { log.push("this"); return "" }}, {toString() { log.push("a"); return "" }}, {toString() { log.push("b"); return "" }}); return log })()`,
		`(() => { try { String.prototype.repeat.call(null, 2) } catch (e) { return e.name } })()`,
		`[Array.from({length: 3, 0: "a", 2: "c"}), Array.from({length: 2, 0: 1, 1: 2}, (v, i) => v * 10 + i), Array.from({length: -1}), Array.from("añ"), Array.from(new Set([1, 1, 2]))]`,
		`(() => { const log = []; const o = new Proxy({length: 2, 0: "a", 1: "b"}, {get(t, k) { log.push(String(k)); return t[k] }}); Array.from(o); return log })()`,
		`(() => { function C(n) { this.n = n } const a = Array.from.call(C, {length: 2, 0: 1}); return [a instanceof C, a.n, a.length, 0 in a, 1 in a] })()`,
		`(() => { try { Array.from({length: 1}, 5) } catch (e) { return e.name } })()`,
		`(() => { const log = []; const o = {get length() { log.push("length"); return 2 }, get 0() { log.push("0"); return 1 }, get 1() { log.push("1"); return 2 }}; Math.max.apply(null, o); Reflect.apply(Math.min, null, o); return log })()`,
		`(() => { const log = []; const p = new Proxy([1, 2, 3], {get(t, k) { log.push(String(k)); return t[k] }}); Array.prototype.fill.call(p, 0, 1); Array.prototype.join.call(p, "-"); return log })()`,
		`(() => { const a = [1, 2, 3]; return [a.fill(9, {valueOf() { return 1 }}, {valueOf() { return 2 }}), a.join({toString() { return "+" }})] })()`,
		`(() => { const s = {[Symbol.isConcatSpreadable]: true, length: 2, 0: "x", 1: "y"}; return [].concat(s, [1], 2) })()`,
		// Array-likes: fill and join run the standard's steps in Go.
		`[Array.prototype.join.call({length: 3, 0: "a", 2: null}, "-"), Array.prototype.join.call({length: 2, 0: {toString() { return "o" }}, 1: 1}), Array.prototype.join.call({}), Array.prototype.join.call({length: 2})]`,
		`[Array.prototype.fill.call({length: 3}, 7, -2), Array.prototype.fill.call({length: 3}, 7, 0.5, 2.9), Array.prototype.fill.call({length: "2"}, "x")]`,
		`(() => { const log = []; const p = new Proxy({length: 2, 0: "a", 1: "b"}, {get(t, k) { log.push("get " + String(k)); return t[k] }, set(t, k, v) { log.push("set " + k); t[k] = v; return true }}); Array.prototype.join.call(p, "+"); Array.prototype.fill.call(p, 0); return log })()`,
		// Found by test262: regexp methods on subjects that are not strings.
		`[/\d/.test(123), /a/.exec(null), /u/.test(undefined), /1/.exec(1n), "x".search.call(5, /5/), String.prototype.match.call(10203040506070809000, /0./), /b/[Symbol.replace](true, "c"), /,/[Symbol.split]([1, 2])]`,
		`[RegExp.prototype.exec.name, RegExp.prototype[Symbol.replace].name, RegExp.prototype[Symbol.split].length, eval.name, eval.length, Uint8Array.BYTES_PER_ELEMENT, Object.getOwnPropertyDescriptor(Float64Array, "BYTES_PER_ELEMENT")]`,
		`[Function.prototype.toString.call(String.prototype.repeat), Function.prototype.toString.call(eval), Function.prototype.toString.call(RegExp.prototype[Symbol.match])]`,
		`Reflect.apply(function () { return [...arguments] }, null, {length: 3, 1: "b"})`,
		// JSON.stringify with replacers, spaces and toJSON (its guard walks the value first).
		`JSON.stringify({a: 1, b: {c: 2}, d: [3]}, function (k, v) { return typeof v === "number" ? v * 10 : v })`,
		`(() => { const seen = []; JSON.stringify({a: {b: 1}}, function (k, v) { seen.push([k, Object.keys(this)]); return v }); return seen })()`,
		`[JSON.stringify({a: [1]}, null, 2), JSON.stringify({a: 1}, null, "--"), JSON.stringify({a: 1}, null, new String("ab")), JSON.stringify({a: 1}, null, new Number(3)), JSON.stringify({a: 1}, null, Symbol()), JSON.stringify({a: 1}, null, 20)]`,
		`[JSON.stringify({b: 1, a: 2, c: 3}, ["c", "a"]), JSON.stringify({d: new Date(0), x: {toJSON(k) { return "k=" + k }}}), JSON.stringify(undefined), JSON.stringify(() => 1), JSON.stringify([undefined, () => 1])]`,
		`(() => { const o = {}; o.self = o; try { JSON.stringify(o) } catch (e) { return e.name } })()`,
		// concat with objects runs the standard's steps: reads in order, proxies of arrays spread, the length limit a TypeError.
		`(() => { const log = []; const a = []; Object.defineProperty(a, "constructor", {get() { log.push("constructor"); return Array }}); const o = {}; Object.defineProperty(o, Symbol.isConcatSpreadable, {get() { log.push("spreadable"); return undefined }}); a.concat(o); return log })()`,
		`[[].concat(new Proxy([1, 2], {})).length, [].concat({length: 2, 0: "a", [Symbol.isConcatSpreadable]: true}), [0].concat({length: 3, 1: "b", [Symbol.isConcatSpreadable]: true}, [4, , 6])]`,
		`(() => { try { [1].concat({length: 2 ** 53 - 1, [Symbol.isConcatSpreadable]: true}) } catch (e) { return e.name } })()`,
		`(() => { class MyArray extends Array {}; const r = MyArray.from([1]).concat({x: 1}); return [r instanceof MyArray, r.length] })()`,
		`(() => { const p = new Proxy([], {}); const r = Array.prototype.concat.call(p, {a: 1}); return [Array.isArray(r), r.length] })()`,
		`(() => { const log = []; const o = new Proxy({length: 2, 0: "x", 1: "y", [Symbol.isConcatSpreadable]: true}, {has(t, k) { log.push("has " + String(k)); return k in t }, get(t, k) { log.push("get " + String(k)); return t[k] }}); [].concat(o); return log })()`,
		// JSON.stringify runs the standard's steps in Go: each getter once, keys taken when an object's turn comes.
		`(() => { const o = {a: 1, get b() { o.c = 3; delete o.d; return 2 }, d: 4}; return JSON.stringify(o) })()`,
		`(() => { let n = 0; const o = {get a() { n++; return 1 }}; JSON.stringify(o); JSON.stringify([o], null, 2); return n })()`,
		`[JSON.stringify({a: 1, b: 2, c: 3}, ["b", "a", "b", 1, new String("c"), new Number(1), {}]), JSON.stringify({1: "x", a: "y"}, [1, "a"])]`,
		`[JSON.stringify("\ud800"), JSON.stringify("\udc00\ud800"), JSON.stringify("\ud83d\ude00"), JSON.stringify("\u2028\u2029\u0000\u001f\u007f\b\f\n\r\t\"\\/")]`,
		`[JSON.stringify(new Number(3)), JSON.stringify(new String("s")), JSON.stringify(new Boolean(false)), JSON.stringify(Object(Symbol())), JSON.stringify([undefined, function () {}, Symbol()]), JSON.stringify({u: undefined, f() {}, s: Symbol()})]`,
		`[JSON.stringify(NaN), JSON.stringify(-0), JSON.stringify(1e21), JSON.stringify(-Infinity), JSON.stringify(5e-7), JSON.stringify(undefined), JSON.stringify(null), JSON.stringify(true)]`,
		`[() => JSON.stringify(1n), () => JSON.stringify({x: 0n}), () => JSON.stringify(Object(0n)), () => { const a = [1]; a.push(a); return JSON.stringify(a) }].map((f) => { try { return f() } catch (e) { return e.name } })`,
		`[JSON.stringify({a: [1, {b: 2}], c: {}}, null, "\t"), JSON.stringify([[], {}], null, 4), JSON.stringify({a: 1}, null, " ".repeat(20)), JSON.stringify({a: [1]}, null, 1.9), JSON.stringify([1], null, -1), JSON.stringify({a: 1}, null, "0123456789abc")]`,
		`(() => { const log = []; JSON.stringify({a: {b: 1}, c: [2]}, function (k, v) { log.push([k, typeof v, Array.isArray(this) ? "array" : typeof this]); return v }); return log })()`,
		`[JSON.stringify({toJSON(k) { return {key: k} }}), JSON.stringify({x: {toJSON(k) { return k + "!" }}}), JSON.stringify(new Date(0)), JSON.stringify({d: new Date(NaN)})]`,
		`(() => { const p = new Proxy({b: 1, a: 2}, {ownKeys() { return ["a", "b"] }}); return [JSON.stringify(p), JSON.stringify(new Proxy([1, 2], {}))] })()`,
		`(() => { Object.defineProperty(BigInt.prototype, "toJSON", {get() { "use strict"; return () => typeof this }, configurable: true}); try { return JSON.stringify([1n]) } finally { delete BigInt.prototype.toJSON } })()`,
		`(() => { let holder; JSON.stringify(5, function (k, v) { holder = this; return v }); return [Object.getOwnPropertyNames(holder), holder[""], Object.getPrototypeOf(holder) === Object.prototype] })()`,
		// Found by test262: ArrayBuffer and the typed arrays require new;
		// subclasses and Reflect.construct still reach them.
		`[ArrayBuffer, Uint8Array, Float64Array, BigInt64Array].map((C) => { try { C(1); return "no error" } catch (e) { return e.name } })`,
		`(() => { try { Uint8Array.call(new Uint8Array(1), 1) } catch (e) { return e.name } })()`,
		`(() => { class B extends Uint8Array {}; const b = new B(2); return [b instanceof B, b instanceof Uint8Array, b.length, Object.getPrototypeOf(b) === B.prototype] })()`,
		`(() => { function NT() {}; NT.prototype = Object.create(Int16Array.prototype); const a = Reflect.construct(Int16Array, [3], NT); return [a instanceof NT, a.length, a.constructor === Int16Array] })()`,
		`[new ArrayBuffer(8).byteLength, new Uint8Array([1, 2, 3]).join(), Uint8Array.prototype.constructor === Uint8Array, new Uint8Array(2).constructor === Uint8Array, Uint8Array.from([1]).constructor === Uint8Array]`,
		`[Uint8Array.name, Uint8Array.length, ArrayBuffer.length, Function.prototype.toString.call(Uint8Array), Function.prototype.toString.call(ArrayBuffer)]`,
		// The value properties of the global are own, and NaN, Infinity and
		// undefined cannot be assigned in strict code.
		`(() => { "use strict"; return ["NaN", "Infinity", "undefined"].map((n) => { try { globalThis[n] = 1; return "no error" } catch (e) { return e.name } }) })()`,
		`["NaN", "Infinity", "undefined", "globalThis"].map((n) => [Object.prototype.hasOwnProperty.call(globalThis, n), Object.getOwnPropertyDescriptor(globalThis, n).writable, Object.getOwnPropertyDescriptor(globalThis, n).configurable])`,
		// Intl's constructors and methods show as native code.
		`[Function.prototype.toString.call(Intl.Collator), Function.prototype.toString.call(Intl.getCanonicalLocales), String(Object.getOwnPropertyDescriptor(Intl.Collator.prototype, "compare").get)]`,
	})
}

// String.prototype.localeCompare with locales and options, as ECMA-402
// has it, against Node.js (ICU): the CLDR collations of x/text agree on
// these.
func TestLocaleCompareAgainstNode(t *testing.T) {
	differential(t, []string{
		`["ä", "a", "z", "Z", "o", "ö"].sort((x, y) => x.localeCompare(y, "de"))`,
		`["ä", "a", "z", "o", "ö", "å"].sort((x, y) => x.localeCompare(y, "sv"))`,
		`["ñ", "n", "o", "N"].sort((x, y) => x.localeCompare(y, "es"))`,
		`["item10", "item2", "item1"].sort((x, y) => x.localeCompare(y, undefined, {numeric: true}))`,
		`["item10", "item2", "item1"].sort((x, y) => x.localeCompare(y, "en-u-kn-true"))`,
		`[["a", "á"], ["a", "A"], ["a", "b"]].map(([x, y]) => ["base", "accent", "case", "variant"].map((s) => Math.sign(x.localeCompare(y, "en", {sensitivity: s}))))`,
		`["a".localeCompare("A"), "a".localeCompare("b"), "b".localeCompare("a"), "a".localeCompare("a"), "".localeCompare("a")].map(Math.sign)`,
		`Math.sign("résumé".localeCompare("resume", "fr", {sensitivity: "base"}))`,
		`Math.sign("a".localeCompare("b", ["de", "en"]))`,
		`"a".localeCompare("b", "not a tag!")`,
		`"a".localeCompare("b", "en", {sensitivity: "bogus"})`,
		`(() => { const log = []; const o = new Proxy({}, {get(t, k) { log.push(k); return undefined }}); "a".localeCompare("b", "en", o); return log })()`,
		`String.prototype.localeCompare.length`,
		`[["A", "á"], ["Ab", "ab"], ["aB", "Ab"], ["é", "E"]].map(([x, y]) => Math.sign(x.localeCompare(y, "en", {sensitivity: "case"})))`,
		`["b", "a-c", "ac", "a c"].sort((x, y) => x.localeCompare(y, "en", {ignorePunctuation: true}) || (x < y ? -1 : 1))`,
		`["Émile", "eve", "Eve", "ève"].sort((x, y) => x.localeCompare(y, "fr"))`,
	})
}
