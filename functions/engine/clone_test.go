package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// structuredClone against Node.js, case by case.
func TestStructuredCloneAgainstNode(t *testing.T) {
	differential(t, []string{
		`(() => { const o = {a: 1, d: new Date(0), r: /x/gi, m: new Map([[1, {z: 2}]]), s: new Set([1, "a"])}; o.self = o; const c = structuredClone(o);
			return [c !== o, c.self === c, c.d instanceof Date, +c.d, c.r.source, c.r.flags, c.r instanceof RegExp, c.m.get(1).z, c.m.get(1) !== o.m.get(1), [...c.s]] })()`,
		`(() => { const x = {}; const c = structuredClone([x, x, {x}]); return [c[0] === c[1], c[2].x === c[0]] })()`,
		`(() => { const b = new ArrayBuffer(8); const a = new Uint8Array(b, 2, 4); const d = new DataView(b); a[0] = 7; const c = structuredClone({a, d});
			return [c.a.byteOffset, c.a.length, c.a[0], c.a.buffer === c.d.buffer, c.a.buffer !== b, c.d.byteLength, c.a.constructor.name] })()`,
		`(() => { const c = structuredClone([new Float64Array([1.5, -0]), new BigInt64Array([5n]), new Uint8ClampedArray([300])]); return [c[0][0], Object.is(c[0][1], -0), c[1][0].toString(), c[2][0]] })()`,
		`(() => { const e = new TypeError("bad"); e.extra = 1; const c = structuredClone(e); return [c instanceof TypeError, c.name, c.message, "extra" in c, c.stack === e.stack, Object.keys(c)] })()`,
		`(() => { const e = new Error("m"); e.name = "MyError"; const c = structuredClone(e); return [c.name, c.constructor.name, c.message] })()`,
		`(() => { const c = structuredClone(new RangeError()); return [c.name, "message" in c, Object.getOwnPropertyNames(c).includes("message")] })()`,
		`(() => { try { structuredClone({f() {}}) } catch (e) { return [e.name, e instanceof DOMException, e.code] } })()`,
		`structuredClone(Symbol("x"))`,
		`structuredClone({s: Symbol("x")})`,
		`(() => { const a = [1, , 3]; a.x = "y"; const c = structuredClone(a); return [c.length, 1 in c, c.x, Array.isArray(c)] })()`,
		`(() => { class P { constructor() { this.v = 1 } get g() { return 2 } }; const c = structuredClone(new P()); return [c.v, c.g, Object.getPrototypeOf(c) === Object.prototype] })()`,
		`(() => { let n = 0; const o = { get a() { return ++n } }; const c = structuredClone(o); return [c.a, n, Object.getOwnPropertyDescriptor(c, "a").get === undefined] })()`,
		`(() => { const o = {}; Object.defineProperty(o, "h", {value: 1, enumerable: false}); o[Symbol("s")] = 2; o.v = 3; const c = structuredClone(o); return [Object.keys(c), Object.getOwnPropertySymbols(c).length] })()`,
		`structuredClone([Object(1), Object("s"), Object(true), Object(10n)]).map((x) => [typeof x, x.valueOf().toString()])`,
		`[structuredClone(10n).toString(), structuredClone(null), structuredClone("s"), structuredClone(-0) === 0, Object.is(structuredClone(-0), -0), structuredClone(NaN)]`,
		`(() => { const b = new ArrayBuffer(4); new Uint8Array(b)[0] = 9; const c = structuredClone(b, {transfer: [b]}); return [b.byteLength, c.byteLength, new Uint8Array(c)[0]] })()`,
		`(() => { const b = new ArrayBuffer(4); try { structuredClone(1, {transfer: [b, b]}) } catch (e) { return e.name } })()`,
		`structuredClone(new WeakMap())`,
		`structuredClone(Promise.resolve())`,
		`structuredClone()`,
		`structuredClone(new Date(NaN)).getTime()`,
		`(() => { const r = /a/g; r.lastIndex = 3; return structuredClone(r).lastIndex })()`,
		`(() => { const k = {}; const m = new Map([[k, k]]); const c = structuredClone(m); const [[a, b]] = c; return [a === b, a !== k] })()`,
		`(() => { const c = structuredClone(new Set([new Set([1])])); return [...[...c][0]] })()`,
		`structuredClone({a: [{b: {c: [1, {d: "e"}]}}]})`,
		`(() => { const o = {b: 1, a: 2, 1: 3, 0: 4}; return Object.keys(structuredClone(o)) })()`,
		`Object.prototype.toString.call(structuredClone(new Map()))`,
		`structuredClone({[Symbol.toStringTag]: "Map", a: 1})`,
		`structuredClone({[Symbol.toStringTag]: "Date", b: 2})`,
		`structuredClone(Object(Symbol("s")))`,
		`(() => { const c = structuredClone(new (class extends Map {})([[1, 2]])); return [c instanceof Map, c.get(1), c.constructor === Map] })()`,
	})
}

// DOMException is serializable in the WebIDL standard, so its clone is a
// DOMException (Node.js 20 makes a plain object of it).
func TestStructuredCloneDOMException(t *testing.T) {
	runModuleCases(t, New(Config{}), functions.TypeApp, []moduleCase{
		{"DOMException", `const c = structuredClone(new DOMException("gone", "AbortError")); return [c instanceof DOMException, c.name, c.message, c.code]`,
			`[true,"AbortError","gone",20]`, false},
	})
}

// A clone past the memory budget, or of a graph too deep, ends in a clear
// RangeError, and the runtime goes on.
func TestStructuredCloneLimits(t *testing.T) {
	e := New(Config{})
	for _, c := range []struct{ name, body, want string }{
		{"huge buffers", `const b = new ArrayBuffer(12 << 20); return structuredClone([b, b.slice(0)])`, "structuredClone: the copy would take more than this function's memory limit"},
		{"huge graph", `return structuredClone(new Array(6e5).fill(0)).length`, "structuredClone: the copy would take more than this function's memory limit"},
		{"deep graph", `let o = {}; for (let i = 0; i < 1e4; i++) o = {o}; return structuredClone(o) !== null`, "maximum call stack size exceeded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			inv := fnInv(t, "acme", "clone", 1, functions.TypeApp, "export function main() { "+c.body+" }", `{}`)
			// The time limit is not under test: a large one lets the huge
			// graph reach the memory limit under -race on a loaded machine.
			inv.MemoryMB, inv.Timeout = 16, 2*time.Minute
			res, err := e.Execute(t.Context(), inv)
			if err == nil {
				t.Fatalf("answer %s", res.JSON)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	ok := fnInv(t, "acme", "clone-ok", 1, functions.TypeApp, `export function main() { return structuredClone({a: [1, 2]}) }`, `{}`)
	if got := call(t, e, ok); got != `{"a":[1,2]}` {
		t.Fatalf("after the limits: %s", got)
	}
}
