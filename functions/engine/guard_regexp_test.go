package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// Inputs that make regexp2 give up: catastrophic backtracking (the time
// limit) and a lookahead over a long input (the backtracking stack).
const (
	slowInput = `const s = "a".repeat(32) + "!";`
	deepInput = `const s = "ab".repeat(120000) + "c";`
	// Past the stack limit; under -race its check can run into the time
	// limit first, which is as clear an answer.
	stackLimit = "was stopped a"
	timeLimit  = "time limit of 1000 ms"
)

func TestRegExpLimitsThrow(t *testing.T) {
	e := New(Config{})
	cases := []struct {
		name, src, want string
	}{
		{"test times out", slowInput + `return /(?=a)^(a+)+$/.test(s)`, timeLimit},
		{"exec times out", slowInput + `return /(?=a)^(a+)+$/.exec(s)`, timeLimit},
		{"exec from lastIndex times out", slowInput + `const r = /(a+)+$/g; r.lastIndex = 1; return r.exec(s)`, timeLimit},
		{"match times out", slowInput + `return s.match(/(?=a)^(a+)+$/)`, timeLimit},
		{"global match times out", slowInput + `return s.match(/(?=a)^(a+)+$/g)`, timeLimit},
		{"matchAll times out", slowInput + `return [...s.matchAll(/(?=a)^(a+)+$/g)]`, timeLimit},
		{"replace times out", slowInput + `return s.replace(/(?=a)^(a+)+$/, "x")`, timeLimit},
		{"replaceAll times out", slowInput + `return s.replaceAll(/(?=a)^(a+)+$/g, "x")`, timeLimit},
		{"search times out", slowInput + `return s.search(/(?=a)^(a+)+$/)`, timeLimit},
		{"split times out", slowInput + `return s.split(/(?=a)^(a+)+$/)`, timeLimit},
		{"string pattern times out", slowInput + `return s.match("(?=a)^(a+)+$")`, timeLimit},
		{"test at the stack limit", deepInput + `return /(a|b)*(?=c)/.test(s)`, stackLimit},
		{"exec at the stack limit", deepInput + `return /(a|b)*(?=c)/.exec(s)`, stackLimit},
		{"match at the stack limit", deepInput + `return s.match(/(a|b)*(?=c)/)`, stackLimit},
		{"global match at the stack limit", deepInput + `return s.match(/(a|b)*(?=c)/g)`, stackLimit},
		{"matchAll at the stack limit", deepInput + `return [...s.matchAll(/(a|b)*(?=c)/g)].length`, stackLimit},
		{"replace at the stack limit", deepInput + `return s.replace(/(a|b)*(?=c)/, "x")`, stackLimit},
		{"replace with a function at the stack limit", deepInput + `return s.replace(/(a|b)*(?=c)/g, (m) => m)`, stackLimit},
		{"search at the stack limit", deepInput + `return s.search(/(a|b)*(?=c)/)`, stackLimit},
		{"split at the stack limit", deepInput + `return s.split(/(a|b)*(?=c)/).length`, stackLimit},
		{"sticky at the stack limit", deepInput + `const r = /(a|b)*(?=c)/y; return r.test(s)`, stackLimit},
		{"caught as a RangeError", slowInput + `try { /(?=a)^(a+)+$/.test(s) } catch (e) { return e instanceof RangeError && e.message } return "no error"`, timeLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res, rerr := invoke(t, e, functions.TypeScript, "function main() {"+c.src+"}", "", `{}`, 5*time.Second)
			took := time.Since(start)
			var got string
			if rerr != nil {
				got = rerr.Message
			} else {
				got = string(res.JSON)
			}
			if !strings.Contains(got, c.want) || (rerr != nil && !strings.HasPrefix(got, "RangeError: the regular expression")) {
				t.Fatalf("got %q, want an error with %q", got, c.want)
			}
			if took > 3*time.Second {
				t.Fatalf("took %v", took)
			}
		})
	}
}

// Calls within the limits give the language's answers, including the "no
// match" the check looks at again.
func TestRegExpAnswersKept(t *testing.T) {
	e := New(Config{})
	cases := []struct{ name, src, want string }{
		{"RE2 no match on a catastrophic pattern", slowInput + `return [/^(a+)+$/.test(s), s.match(/^(a+)+$/), s.search(/(a+)+b/), s.replace(/^(a+)+$/, "x") === s]`, `[false,null,-1,true]`},
		{"lookahead over a long input", `const s = "ab".repeat(2000) + "c"; return [/(a|b)*(?=c)/.test(s), s.search(/(?=c)/), s.split(/(?=c)/).length]`, `[true,4000,2]`},
		{"long input, no match", `const s = "ab".repeat(100000); return [/(a|b)+(?=c)/.test(s.slice(0, 100)), /x(?=y)/.exec(s), s.search(/(?<=b)c/), s.split(/(?=c)/).length, s.replace(/(?=c)/g, "!") === s, s.match(/(?!a)c/g)]`, `[false,null,-1,1,true,null]`},
		{"identity replacement", `const s = "x".repeat(100000) + "ab"; return [s.replace(/(?<=x)a/, "$&") === s, s.replace(/(?<=x)a/g, (m) => m) === s]`, `[true,true]`},
		{"split with empty matches at the ends", `const s = "q".repeat(5000); return [s.split(/(?=$)/).length, s.split(/(?<=^)/).length, s.split(/(?:)/).length]`, `[1,1,5000]`},
		{"exec loop", `const r = /(\d+)(?=;)/g, s = "1;22;333;4"; const out = []; let m; while ((m = r.exec(s))) out.push(m[1]); return [out, r.lastIndex]`, `[["1","22","333"],0]`},
		{"sticky tokenizer", `const s = "ab".repeat(30000); const r = /b(?=a|$)/y; let n = 0; for (let i = 0; i < 200; i++) { r.lastIndex = i; if (r.test(s)) n++ } return n`, `100`},
		{"matchAll", `return [..."a1b22c333".matchAll(/(?<=[a-z])(\d+)/g)].map((m) => m[1] + "@" + m.index)`, `["1@1","22@3","333@6"]`},
		{"unicode", `const s = "😀".repeat(50000) + "x"; return [/(?<=😀)x/u.test(s), s.search(/(?<=😀)x/u), /(?<=😀)y/u.test(s)]`, `[true,100000,false]`},
		{"named groups and replace patterns", `return "2024-01-02".replace(/(?<y>\d+)-(?<m>\d+)-(?<d>\d+)(?!\d)/, "$<d>.$<m>.$<y> [$&] $$")`, `"02.01.2024 [2024-01-02] $"`},
		{"lastIndex after a failed global exec", `const r = /a(?=b)/g; r.lastIndex = 3; const m = r.exec("xxab"); const n = r.exec("xxab"); return [m, n && n.index, r.lastIndex]`, `[null,2,3]`},
		{"subclass with its own exec", `class R extends RegExp { exec(s) { return null } } const r = new R("(a|b)*(?=c)"); const s = "ab".repeat(100000) + "c"; return [s.match(r), s.search(r), s.replace(r, "x") === s]`, `[null,-1,true]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, rerr := invoke(t, e, functions.TypeScript, "function main() {"+c.src+"}", "", `{}`, 5*time.Second)
			if rerr != nil {
				t.Fatalf("run failed: %v", rerr.Message)
			}
			if string(res.JSON) != c.want {
				t.Fatalf("got %s, want %s", res.JSON, c.want)
			}
		})
	}
}

// The guards cannot be taken off or gone around: every way to the
// matching methods leads to a guarded one, before any code runs (no
// literal in the code) and in code built from strings.
func TestRegExpGuardsUnreachable(t *testing.T) {
	e := New(Config{})
	cases := []struct{ name, src string }{
		{"descriptor of exec", `const s = "ab".repeat(200000) + "c"; const r = new RegExp("(a|b)*(?=c)"); return Object.getOwnPropertyDescriptor(Object.getPrototypeOf(r), "exec").value.call(r, s)`},
		{"Reflect.apply on test", `const s = "ab".repeat(200000) + "c"; const r = RegExp("(a|b)*(?=c)"); return Reflect.apply(RegExp.prototype.test, r, [s])`},
		{"string pattern, no literal, no RegExp global", `const s = "ab".repeat(200000) + "c"; return s.search("(a|b)*(?=c)")`},
		{"matchAll with a string pattern", `const s = "ab".repeat(200000) + "c"; return [...s.matchAll("(a|b)*(?=c)")].length`},
		{"literal inside eval", `const s = "ab".repeat(200000) + "c"; return eval("/(a|b)*(?=c)/").test(s)`},
		{"constructor of a match result's regexp", `const s = "ab".repeat(200000) + "c"; const r = "x".match("x") && new (Object.getPrototypeOf(Object("x").match.call("x", "x")).constructor)(); return String.prototype.match.call(s, RegExp.prototype.constructor("(a|b)*(?=c)"))`},
		{"lying source and flags", `const s = "ab".repeat(120000) + "c"; Object.defineProperty(RegExp.prototype, "source", {get() { return "zzz" }}); Object.defineProperty(RegExp.prototype, "flags", {get() { return "y" }}); return /(a|b)*(?=c)/.test(s)`},
		{"prototype taken off the instance", `const s = "ab".repeat(200000) + "c"; const r = RegExp("(a|b)*(?=c)"); const test = Object.getPrototypeOf(r).test; Object.setPrototypeOf(r, null); return test.call(r, s)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, rerr := invoke(t, e, functions.TypeScript, "function main() {"+c.src+"}", "", `{}`, 5*time.Second)
			if rerr == nil || !strings.Contains(rerr.Message, stackLimit) {
				t.Fatalf("got %v %v", res, rerr)
			}
		})
	}
}

// Guarding exec keeps goja's fast path for plain regexps: it never reads
// the flags property (its slow path does, and splits in quadratic time:
// a 200 KB split took 256 s when exec was set the plain way).
func TestRegExpFastPathKept(t *testing.T) {
	e := New(Config{})
	res, rerr := invoke(t, e, functions.TypeScript, `function main() {
		const d = Object.getOwnPropertyDescriptor(RegExp.prototype, "flags");
		let reads = 0;
		Object.defineProperty(RegExp.prototype, "flags", { get() { reads++; return d.get.call(this) }, configurable: true });
		const s = "a,b;".repeat(1000);
		const out = [s.split(/[,;]/).length, s.replace(/,/g, "").length, s.match(/;/g).length, /b(?=;)/.exec(s).index, s.search(/(?<=b);/)];
		return [reads, out];
	}`, "", `{}`, 5*time.Second)
	if rerr != nil || string(res.JSON) != `[0,[2001,3000,1000,2,3]]` {
		t.Fatalf("got %v %v", res, rerr)
	}
}

// A date that is not one is not shown as the epoch in a time zone.
func TestInvalidDateInTimeZone(t *testing.T) {
	e := New(Config{})
	res, rerr := invoke(t, e, functions.TypeScript, `function main() {
		return [new Date(NaN).toLocaleString("en-US", {timeZone: "Europe/Berlin"}), new Date(0).toLocaleString("en-US", {timeZone: "Europe/Berlin"})]
	}`, "", `{}`, time.Second)
	if rerr != nil || string(res.JSON) != `["Invalid Date","1/1/1970, 1:00:00 AM"]` {
		t.Fatalf("got %v %v", res, rerr)
	}
}
