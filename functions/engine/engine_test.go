package engine

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// invoke transpiles src and runs it once with data.
func invoke(t *testing.T, e *Engine, typ functions.Type, src, export, data string, timeout time.Duration) (*functions.Result, *functions.RunError) {
	t.Helper()
	tr, err := Transpile("test.js", src)
	if err != nil {
		t.Fatalf("transpile: %v", err)
	}
	inv := &functions.Invocation{
		RequestID: "req-1",
		Function:  functions.FunctionInfo{ID: "fn_test", UUID: "0b6c7f9e-5a7f-4a31-9d55-1f6b0c0f0a11", Name: "test", Tenant: "default", Version: 1},
		Type:      typ, Code: tr.Code, Hash: tr.Hash, Export: export,
		Env:     []functions.EnvVar{{Name: "GREETING", Value: "hi", Flag: functions.EnvPlain}, {Name: "TOKEN", Value: "s3cr3t-token", Flag: functions.EnvPrivate}},
		Timeout: timeout, MemoryMB: 64, Data: json.RawMessage(data),
		Request: functions.RequestInfo{Method: "POST", Path: "/v1/fn/x", Headers: map[string]string{"x-test": "1"}},
	}
	res, err := e.Execute(context.Background(), inv)
	if err != nil {
		var re *functions.RunError
		if !errors.As(err, &re) {
			t.Fatalf("execute: unexpected error type %T: %v", err, err)
		}
		return nil, re
	}
	return res, nil
}

func TestRunResults(t *testing.T) {
	e := New(Config{Host: "test-host"})
	cases := []struct {
		name, typ, src, export, data string
		want                         string // JSON result
	}{
		{"commonjs main", "script", `module.exports.main = (d) => ({sum: d.a + d.b})`, "", `{"a":1,"b":2}`, `{"sum":3}`},
		{"exports shorthand", "script", `exports.main = function (d) { return d.routing }`, "", `{"routing":{"x":1}}`, `{"x":1}`},
		{"top-level function main", "script", `function main(data) { data.routing.ok = true; return data }`, "", `{"routing":{}}`, `{"routing":{"ok":true}}`},
		{"module.exports is the function", "script", `module.exports = (d) => d * 2`, "", `21`, `42`},
		{"esm named export", "app", `export function main(d) { return {esm: d.v} }`, "", `{"v":"yes"}`, `{"esm":"yes"}`},
		{"esm default export", "app", `export default async function (d) { return "default" }`, "", `{}`, `"default"`},
		{"named export chosen", "app", `export const a = () => "A"; export const b = () => "B";`, "b", `{}`, `"B"`},
		{"async app", "app", `exports.main = async (d) => { const x = await Promise.resolve(d.n); return x + 1 }`, "", `{"n":1}`, `2`},
		{"undefined becomes null", "script", `function main() {}`, "", `{}`, `null`},
		{"env and identity", "script", `function main() { return [process.env.GREETING, process.env.SCRIPTFORGE_ID, process.env.SCRIPTFORGE_NAME, process.env.APP_ID, process.env.EXEC_HOST, process.env.SCRIPTFORGE_UUID] }`, "", `{}`,
			`["hi","fn_test","test","fn_test","test-host","0b6c7f9e-5a7f-4a31-9d55-1f6b0c0f0a11"]`},
		{"no host environment", "script", `function main() { return {home: process.env.HOME, path: process.env.PATH, keys: Object.keys(process.env).sort()} }`, "", `{}`,
			`{"keys":["APP_ID","EXEC_HOST","GREETING","SCRIPTFORGE_ID","SCRIPTFORGE_NAME","SCRIPTFORGE_UUID","TOKEN"]}`},
		{"ctx acts as a plain object", "app", `exports.main = (d, ctx) => { ctx.mine = 1; delete ctx.auth; ctx.env = "replaced"; return [Object.keys(ctx).sort().join(), "auth" in ctx, "request" in ctx, ctx.env, ctx.mine, typeof ctx.log] }`, "", `{}`, `["env,function,log,mine,request,requestId",false,true,"replaced",1,"function"]`},
		{"ctx", "script", `function main(d, ctx) { return [ctx.requestId, ctx.request.method, ctx.request.headers["x-test"], ctx.env.GREETING, ctx.function.version] }`, "", `{}`, `["req-1","POST","1","hi",1]`},
		{"modern syntax", "app", `class A { #x = 2; get x() { return this.#x } }; export const main = (d) => d?.a?.b ?? new A().x`, "", `{}`, `2`},
		{"catchable allocation guard", "script", `function main() { try { "x".repeat(2**40) } catch (e) { return e instanceof RangeError } }`, "", `{}`, `true`},
		{"typed arrays still work", "app", `export function main() { const a = new Uint8Array(4); a[0] = 7; return [a[0], a instanceof Uint8Array, new ArrayBuffer(8).byteLength, Array(3).length, [1,2].concat([3]).join("-")] }`, "", `{}`, `[7,true,8,3,"1-2-3"]`},
		{"lazy globals behave like builtins", "app", `export function main() {
			class Bytes extends Uint8Array {}
			return ["console" in globalThis, typeof Response, typeof nope, globalThis.NaN !== globalThis.NaN, new Float64Array(1).constructor === Float64Array,
				new Bytes(2).length, Object.keys(globalThis).includes("main"), typeof globalThis.process.env, Reflect.apply(Math.max, null, [1, 5])]
		}`, "", `{}`, `[true,"function","undefined",true,true,2,true,"object",5]`},
		{"cycles and shared objects", "script", `function main() { const s = {v: 1}; const c = {}; c.self = c; let err = ""; try { JSON.stringify(c) } catch (e) { err = e.name } return [JSON.stringify([s, s]), err] }`, "", `{}`, `["[{\"v\":1},{\"v\":1}]","TypeError"]`},
		{"code from strings still works", "script", `function main() { return [eval("1 + 1"), new Function("a", "return a * 3")(2), JSON.parse("[[1]]")[0][0], (function () {}).constructor === Function] }`, "", `{}`, `[2,6,1,true]`},
		{"json semantics", "script", `function main() { return {d: new Date(0), n: NaN} }`, "", `{}`, `{"d":"1970-01-01T00:00:00.000Z","n":null}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, rerr := invoke(t, e, functions.Type(c.typ), c.src, c.export, c.data, 2*time.Second)
			if rerr != nil {
				t.Fatalf("run failed: %v (stack %s)", rerr, rerr.Stack)
			}
			if string(res.JSON) != c.want {
				t.Fatalf("got %s, want %s", res.JSON, c.want)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	e := New(Config{MaxResultBytes: 1 << 20})
	cases := []struct {
		name, typ, src, export string
		status                 int
		code                   string
		sip                    int
		msg                    string // substring of the message
	}{
		{"thrown error", "script", `function main() { throw new Error("boom") }`, "", 500, "function_error", 0, "Error: boom"},
		{"sip error", "script", `function main() { throw new Error("480 Temporarily Unavailable") }`, "", 422, "480", 480, "Temporarily Unavailable"},
		{"sip code that is http", "script", `function main() { throw new Error("503 Service Unavailable") }`, "", 503, "503", 503, "Service Unavailable"},
		{"sip rejection array", "app", `exports.main = async () => Promise.reject([604, "Does Not Exist Anywhere"])`, "", 422, "604", 604, "Does Not Exist Anywhere"},
		{"rejected error", "app", `exports.main = async () => { throw new TypeError("bad") }`, "", 500, "function_error", 0, "TypeError: bad"},
		{"missing export", "app", `exports.a = () => 1`, "nope", 404, "export_not_found", 0, `no export "nope" (exports: a)`},
		{"infinite loop", "script", `function main() { while (true) {} }`, "", 504, "timeout", 0, "time limit of 1000 ms"},
		{"infinite async loop", "app", `exports.main = async () => { for (;;) { await null } }`, "", 504, "timeout", 0, "time limit"},
		{"promise chain loop", "app", `exports.main = () => { const f = () => Promise.resolve().then(f); return f() }`, "", 504, "timeout", 0, "time limit"},
		{"never settles", "app", `exports.main = () => new Promise(() => {})`, "", 500, "function_error", 0, "never settles"},
		{"recursion", "script", `function main() { const f = (n) => f(n + 1) + 1; return f(0) }`, "", 500, "function_error", 0, "maximum call stack size exceeded"},
		{"repeat bomb", "script", `function main() { return "x".repeat(2**40).length }`, "", 500, "memory_limit", 0, "repeat would allocate 2 TiB, over this function's memory limit of 64 MB"},
		{"padEnd bomb", "script", `function main() { return "".padEnd(2**30, "y").length }`, "", 500, "memory_limit", 0, "padEnd"},
		{"arraybuffer bomb", "script", `function main() { return new ArrayBuffer(2**40).byteLength }`, "", 500, "memory_limit", 0, "ArrayBuffer"},
		{"typed array bomb", "script", `function main() { return new Float64Array(2**31).length }`, "", 500, "memory_limit", 0, "Float64Array"},
		{"array fill bomb", "script", `function main() { return new Array(2**32-1).fill(0).length }`, "", 500, "memory_limit", 0, "fill would allocate 64.0 GiB"},
		{"array from bomb", "script", `function main() { return [].constructor.from({length: 2**32-1}).length }`, "", 500, "memory_limit", 0, "from"},
		{"bomb through the global's prototype", "script", `function main() { const F = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(globalThis), "Float64Array").value; return new F(2**31).length }`, "", 500, "memory_limit", 0, "Float64Array"},
		{"bomb through the wrapper's prototype", "script", `function main() { const F = Object.getPrototypeOf(Uint8Array); return new F(2**40).length }`, "", 500, "function_error", 0, "TypeError"},
		{"bomb through an instance", "script", `function main() { const B = new Uint8Array(1).buffer.constructor; return new B(2**40).byteLength }`, "", 500, "memory_limit", 0, "ArrayBuffer"},
		{"deep JSON.parse", "script", `function main() { return JSON.parse("[".repeat(2e4)) }`, "", 500, "function_error", 0, "SyntaxError: brackets nest more than 1000 levels deep"},
		{"deep JSON.stringify", "script", `function main() { let a = []; for (let i = 0; i < 1e4; i++) a = [a]; return JSON.stringify(a).length }`, "", 500, "function_error", 0, "RangeError: the value nests more than 1000"},
		{"deep result", "script", `function main() { let a = []; for (let i = 0; i < 1e4; i++) a = [a]; return a }`, "", 500, "bad_result", 0, "nests more than 1000"},
		{"stringify of a shared string", "script", `function main() { const x = "x".repeat(1e6); return JSON.stringify(new Array(100).fill(x)).length }`, "", 500, "memory_limit", 0, "JSON.stringify would allocate"},
		// A DAG written out whole (2^60 leaves): the text grows until the time
		// limit, as stringify visits every node as the standard says.
		{"stringify of a DAG", "script", `function main() { let a = [1]; for (let i = 0; i < 60; i++) a = [a, a]; return JSON.stringify(a).length }`, "", 504, "timeout", 0, "time limit"},
		{"huge result by sharing", "script", `function main() { const x = {s: "x".repeat(1e6)}; return new Array(100).fill(x) }`, "", 500, "bad_result", 0, "bytes of JSON; the limit is"},
		{"deep eval", "script", `function main() { return eval("[".repeat(2e4)) }`, "", 500, "function_error", 0, "SyntaxError: brackets nest"},
		{"deep new Function", "script", `function main() { return new Function("return " + "[".repeat(2e4))() }`, "", 500, "function_error", 0, "SyntaxError: brackets nest"},
		{"deep Function via a literal", "script", `function main() { return (function () {}).constructor("[".repeat(2e4))() }`, "", 500, "function_error", 0, "SyntaxError: brackets nest"},
		{"deep AsyncFunction", "app", `exports.main = async () => (async function () {}).constructor("[".repeat(2e4))`, "", 500, "function_error", 0, "SyntaxError: brackets nest"},
		{"deep GeneratorFunction", "script", `function main() { return (function* () {}).constructor("[".repeat(2e4)) }`, "", 500, "function_error", 0, "SyntaxError: brackets nest"},
		{"AsyncFunction made by eval", "script", `function main() { return eval("(async function () {})").constructor("[".repeat(2e4)) }`, "", 500, "function_error", 0, "SyntaxError: brackets nest"},
		{"Function behind the AsyncFunction wrapper", "script", `function main() { const F = Object.getPrototypeOf((async function () {}).constructor); return F("[".repeat(2e4)) }`, "", 500, "function_error", 0, "SyntaxError: brackets nest"},
		{"reflect bomb", "script", `function main() { return Reflect.apply(Math.max, null, {length: 2**32-1}) }`, "", 500, "function_error", 0, "too many arguments"},
		{"sparse array fill bomb", "script", `function main() { const a = []; a.length = 2**32-1; return a.fill(0).length }`, "", 500, "memory_limit", 0, "fill"},
		{"join bomb", "script", `function main() { const a = []; a.length = 2**28; return a.join("abcd").length }`, "", 500, "memory_limit", 0, "join"},
		{"apply bomb", "script", `function main() { return Array.apply(null, {length: 2**32-1}).length }`, "", 500, "function_error", 0, "too many arguments"},
		{"require in script", "script", `function main() { return require("fs") }`, "", 500, "function_error", 0, "require is not available in Script functions"},
		{"require fs in app", "app", `exports.main = () => require("fs")`, "", 500, "function_error", 0, "module 'fs' is not allowed; allowed modules: buffer, console, crypto, "},
		{"esm import of fs", "app", `import fs from "fs"; export const main = () => fs.readFileSync("/etc/passwd")`, "", 500, "function_error", 0, "module 'fs' is not allowed"},
		{"timers in script", "script", `function main() { setTimeout(() => {}, 1) }`, "", 500, "function_error", 0, "setTimeout is not available in Script functions"},
		{"promise in script", "script", `function main() { return new Promise(() => {}) }`, "", 500, "function_error", 0, "Promise is not available in Script functions"},
		{"async main in script", "script", `async function main() { return 1 }`, "", 500, "function_error", 0, "Script functions are synchronous"},
		{"process.exit", "script", `function main() { process.exit(1) }`, "", 500, "function_error", 0, "process.exit is not available"},
		{"huge result", "script", `function main() { return "x".repeat(2 << 20) }`, "", 500, "bad_result", 0, "limit is 1048576"},
		{"unserializable result", "script", `function main() { const a = {}; a.a = a; return a }`, "", 500, "bad_result", 0, "not JSON-serializable"},
		{"hostile toString", "script", `function main() { throw { toString() { throw 1 } } }`, "", 500, "function_error", 0, "cannot be converted"},
		{"bad Response status", "app", `exports.main = () => new Response("x", {status: 99})`, "", 500, "function_error", 0, "RangeError: Response status"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			timeout := time.Second
			if raceOn && c.code != "timeout" { // a limit, not the clock, must stop these
				timeout = 5 * time.Second
			}
			_, rerr := invoke(t, e, functions.Type(c.typ), c.src, c.export, `{}`, timeout)
			if rerr == nil {
				t.Fatal("run succeeded; want an error")
			}
			if rerr.Status != c.status || rerr.Code != c.code || rerr.SIPCode != c.sip || !strings.Contains(rerr.Message, c.msg) {
				t.Fatalf("got status %d code %q sip %d message %q; want %d %q %d containing %q", rerr.Status, rerr.Code, rerr.SIPCode, rerr.Message, c.status, c.code, c.sip, c.msg)
			}
		})
	}
}

// Nesting that would exhaust the goroutine stack in goja's parsers (a
// fatal error, not a panic) ends as a SyntaxError instead.
func TestParserStackBombs(t *testing.T) {
	e := New(Config{})
	for _, src := range []string{
		`function main() { return JSON.parse("[".repeat(1e7)) }`,
		`function main() { return eval("[".repeat(1e7)) }`,
		`function main() { return new Function("return " + "[".repeat(1e7))() }`,
	} {
		_, rerr := invoke(t, e, functions.TypeScript, src, "", `{}`, 20*time.Second)
		if rerr == nil || !strings.Contains(rerr.Message, "SyntaxError: brackets nest more than 1000 levels deep") {
			t.Fatalf("%s: %+v", src, rerr)
		}
	}
}

func TestResponse(t *testing.T) {
	e := New(Config{})
	res, rerr := invoke(t, e, functions.TypeApp, `export function main(d) {
		return new Response("<ok/>", {status: 201, headers: {"Content-Type": "application/xml", "X-A": 1}})
	}`, "", `{}`, time.Second)
	if rerr != nil {
		t.Fatal(rerr)
	}
	r := res.Response
	if r == nil || r.Status != 201 || string(r.Body) != "<ok/>" || r.Headers["content-type"] != "application/xml" || r.Headers["x-a"] != "1" {
		t.Fatalf("unexpected response %+v", r)
	}
	res, rerr = invoke(t, e, functions.TypeScript, `function main() { return Response.json({a: 1}, {status: 202}) }`, "", `{}`, time.Second)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if r := res.Response; r.Status != 202 || string(r.Body) != `{"a":1}` || r.Headers["content-type"] != "application/json" {
		t.Fatalf("unexpected json response %+v", r)
	}
	res, rerr = invoke(t, e, functions.TypeScript, `function main() { return new Response(new Uint8Array([1, 2, 3])) }`, "", `{}`, time.Second)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if r := res.Response; r.Status != 200 || string(r.Body) != "\x01\x02\x03" {
		t.Fatalf("unexpected binary response %+v", r)
	}
	res, rerr = invoke(t, e, functions.TypeApp, `export async function main() {
		const r = new Response(new Uint8Array([104, 105]), {status: 203});
		return [await r.text(), r.status, r.ok, await new Response('{"a":2}').json()];
	}`, "", `{}`, time.Second)
	if rerr != nil || string(res.JSON) != `["hi",203,true,{"a":2}]` {
		t.Fatalf("Response methods: %v %v", res, rerr)
	}
	// A look-alike object is plain data, not a Response.
	res, rerr = invoke(t, e, functions.TypeScript, `function main() { return {status: 500, body: "x"} }`, "", `{}`, time.Second)
	if rerr != nil || res.Response != nil || string(res.JSON) != `{"status":500,"body":"x"}` {
		t.Fatalf("forged response handled as real: %+v %v", res, rerr)
	}
}

func TestConsole(t *testing.T) {
	e := New(Config{MaxLogLines: 5})
	res, rerr := invoke(t, e, functions.TypeScript, `function main() {
		console.log("hello", {a: 1}, [1, 2], undefined, 3n);
		console.error(new Error("bad"));
		console.warn("token is", process.env.TOKEN);
		for (let i = 0; i < 100; i++) console.debug("spam", i);
		return 1;
	}`, "", `{}`, time.Second)
	if rerr != nil {
		t.Fatal(rerr)
	}
	logs := res.Logs
	if len(logs) != 6 {
		t.Fatalf("want 5 lines plus a truncation notice, got %d: %+v", len(logs), logs)
	}
	if logs[0].Level != "info" || logs[0].Message != `hello { a: 1 } [ 1, 2 ] undefined 3n` {
		t.Errorf("line 0: %+v", logs[0])
	}
	if logs[1].Level != "error" || !strings.HasPrefix(logs[1].Message, "Error: bad") {
		t.Errorf("line 1: %+v", logs[1])
	}
	if logs[2].Message != "token is [private]" {
		t.Errorf("private value not masked: %q", logs[2].Message)
	}
	if !strings.Contains(logs[5].Message, "console output truncated") || logs[0].Time.IsZero() {
		t.Errorf("no truncation notice or timestamp: %+v", logs[5])
	}
	// Logs survive a failed run too.
	_, rerr = invoke(t, e, functions.TypeScript, `function main() { console.log("before"); throw new Error("x") }`, "", `{}`, time.Second)
	if rerr == nil || len(rerr.Logs) != 1 || rerr.Logs[0].Message != "before" {
		t.Fatalf("logs of a failed run lost: %+v", rerr)
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"syntax", "function main() {\n  return 1 +;\n}", 2, 13, "Unexpected"},
		{"unclosed", "function main() {\n", 2, 1, "Unexpected end of file"},
		{"empty", "  \n", 0, 0, "source is empty"},
		{"await outside async", "const x = 1;\nfunction main() { await x }", 2, 19, "await"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Transpile("f.js", c.src)
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("want CompileError, got %v", err)
			}
			if ce.Line != c.line || ce.Column != c.col || !strings.Contains(ce.Message, c.msg) {
				t.Fatalf("got %d:%d %q; want %d:%d containing %q", ce.Line, ce.Column, ce.Message, c.line, c.col, c.msg)
			}
		})
	}
}

// A sourceMappingURL naming a host file must never be read: neither at
// compile time nor through eval or new Function at run time. The map file
// here is valid and would rename the source to "leaked.js" if it were read.
func TestSourceMapsNeverReadHostFiles(t *testing.T) {
	dir := t.TempDir()
	mapPath := filepath.Join(dir, "evil.map")
	if err := os.WriteFile(mapPath, []byte(`{"version":3,"sources":["leaked.js"],"names":[],"mappings":"AAAA;AACA;AACA"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e := New(Config{})
	srcs := []string{
		"function main() {\n  throw new Error('where')\n}\n//# sourceMappingURL=file://" + mapPath + "\n",
		"function main() { return eval(\"(function(){ throw new Error('where') })()\\n//# sourceMappingURL=file://" + mapPath + "\") }",
		"function main() { return new Function(\"throw new Error('where')\\n//# sourceMappingURL=" + mapPath + "\")() }",
		"function main() { throw new Error('x') }\n//# sourceMappingURL=file:///etc/passwd\n",
	}
	for i, src := range srcs {
		_, rerr := invoke(t, e, functions.TypeScript, src, "", `{}`, time.Second)
		if rerr == nil {
			t.Fatalf("case %d: want an error", i)
		}
		if strings.Contains(rerr.Stack, "leaked.js") || strings.Contains(rerr.Stack, "root:") {
			t.Fatalf("case %d: a host source map was read: %s", i, rerr.Stack)
		}
	}
}

// Runtime errors point at the user's own lines even though esbuild rewrote the code.
func TestStackPointsAtUserSource(t *testing.T) {
	e := New(Config{})
	_, rerr := invoke(t, e, functions.TypeApp, "import x from 'console';\n\n\nexport function main() {\n  null.boom;\n}\n", "", `{}`, time.Second)
	if rerr == nil || !strings.Contains(rerr.Stack, "test.js:5:") {
		t.Fatalf("stack does not point at line 5 of test.js: %+v", rerr)
	}
}

// ES modules run with our cheaper export helpers (see esmHelpers), with
// the semantics of esbuild's: named, default and const exports, live
// bindings, and an __esModule marker that is not enumerable.
func TestESMHelpersReplaced(t *testing.T) {
	src := `export let n = 1;
export const label = "count";
export function bump() { n++; return n; }
export default function main() {
  bump();
  return { n, label, keys: Object.keys(module.exports).sort(), esm: module.exports.__esModule };
}
`
	tr, err := Transpile("test.js", src)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tr.Code, "Object.keys(all)") || strings.Contains(tr.Code, "__copyProps(__defProp") {
		t.Fatalf("esbuild's helpers changed; update esmHelpers:\n%s", tr.Code)
	}
	e := New(Config{})
	res, rerr := invoke(t, e, functions.TypeApp, src, "", `{}`, time.Second)
	if rerr != nil || string(res.JSON) != `{"n":2,"label":"count","keys":["bump","default","label","n"],"esm":true}` {
		t.Fatalf("got %v %v", res, rerr)
	}
}

// Globals changed by one run are gone in the next: each run has a fresh runtime.
func TestRunsAreIsolated(t *testing.T) {
	e := New(Config{})
	src := `Array.prototype.evil = 1; globalThis.counter = (globalThis.counter || 0) + 1; JSON.stringify = () => "hacked";
		function main() { return counter }`
	for i := 0; i < 3; i++ {
		res, rerr := invoke(t, e, functions.TypeScript, src, "", `{}`, time.Second)
		if rerr != nil || string(res.JSON) != "1" {
			t.Fatalf("run %d: got %v %v, want 1", i, res, rerr)
		}
	}
	res, rerr := invoke(t, e, functions.TypeScript, `function main() { return [].evil === undefined }`, "", `{}`, time.Second)
	if rerr != nil || string(res.JSON) != "true" {
		t.Fatalf("prototype change leaked: %v %v", res, rerr)
	}
}

func TestCancel(t *testing.T) {
	e := New(Config{})
	tr, err := Transpile("c.js", `function main() { for (;;) {} }`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = e.Execute(ctx, &functions.Invocation{Type: functions.TypeScript, Code: tr.Code, Hash: tr.Hash, Timeout: 10 * time.Second, Data: json.RawMessage(`{}`)})
	var re *functions.RunError
	if !errors.As(err, &re) || re.Code != functions.CodeCancelled {
		t.Fatalf("want canceled, got %v", err)
	}
}

// TestCancelledBeforeItRuns: a call cancelled before its run starts (the
// runtime still being built, our own setup code running) is cancelled,
// never an internal error, whenever the cancel lands.
func TestCancelledBeforeItRuns(t *testing.T) {
	e := New(Config{})
	tr, err := Transpile("c.js", `exports.main = async () => { await new Promise((r) => setTimeout(r, 1)); return 1 }`)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		ctx, cancel := context.WithCancel(context.Background())
		if i%2 == 0 {
			cancel() // before: the interrupt comes at the first instruction
		} else {
			time.AfterFunc(time.Duration(i)*20*time.Microsecond, cancel) // somewhere in the setup
		}
		inv := &functions.Invocation{Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash, Timeout: 10 * time.Second,
			Data: json.RawMessage(`{}`), FreshRuntime: true}
		_, err := e.Execute(ctx, inv)
		cancel()
		var re *functions.RunError
		if err != nil && (!errors.As(err, &re) || re.Code != functions.CodeCancelled) {
			t.Fatalf("call %d: want cancelled (or done before the cancel), got %v", i, err)
		}
	}
}

func BenchmarkTrivialRun(b *testing.B) {
	for _, tc := range []struct{ name, src string }{
		{"commonjs", `exports.main = function (d) { return {ok: true, n: d.n} }`},
		{"esm", `export function main(d) { return {ok: true, n: d.n} }`},
		{"script", `function main(d) { return {ok: true, n: d.n} }`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := New(Config{})
			tr, err := Transpile("b.js", tc.src)
			if err != nil {
				b.Fatal(err)
			}
			inv := &functions.Invocation{Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash, Timeout: time.Second, Data: json.RawMessage(`{"n":1}`)}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := e.Execute(context.Background(), inv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A backtracking regex (lookahead forces goja onto regexp2) stops at the
// match timeout instead of running for as long as the pattern allows, and
// says so instead of answering "no match".
func TestCatastrophicRegexStops(t *testing.T) {
	e := New(Config{})
	start := time.Now()
	res, rerr := invoke(t, e, functions.TypeScript, `function main() {
		return /^(?=(a+)+b)/.test("a".repeat(40) + "!")
	}`, "", `{}`, 10*time.Second)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("regex ran for %v", took)
	}
	if rerr == nil || !strings.Contains(rerr.Message, "RangeError: the regular expression /^(?=(a+)+b)/ was stopped after its time limit") {
		t.Fatalf("got %v %v", res, rerr)
	}
}

// String doubling calls no built-in a guard could wrap; the heap watcher
// stops it (and every other run in progress) before the process dies.
func TestHeapWatchStopsUnguardedGrowth(t *testing.T) {
	e := New(Config{HeapLimit: 256 << 20, HeapCheckEvery: 2 * time.Millisecond})
	defer e.Close()
	_, rerr := invoke(t, e, functions.TypeScript, `function main() { let s = "x"; for (;;) s += s + "y"; }`, "", `{}`, 30*time.Second)
	if rerr == nil || rerr.Code != functions.CodeMemoryLimit || rerr.Status != 503 || !strings.Contains(rerr.Message, "limit of 256 MiB") {
		t.Fatalf("got %+v", rerr)
	}
	if e.HeapTrips() == 0 {
		t.Fatal("no trip counted")
	}
	// The engine keeps working afterwards.
	runtime.GC()
	res, rerr := invoke(t, e, functions.TypeScript, `function main() { return 1 }`, "", `{}`, time.Second)
	if rerr != nil || string(res.JSON) != "1" {
		t.Fatalf("after the trip: %v %v", res, rerr)
	}
}

// for await and async generators, which goja cannot parse, are lowered at
// deploy; Symbol.asyncIterator, which goja lacks, is the symbol they use.
func TestAsyncIteration(t *testing.T) {
	res, rerr := invoke(t, New(Config{}), functions.TypeApp, `
		async function* gen() { yield 1; await null; yield 2; }
		const custom = { [Symbol.asyncIterator]() { let i = 0; return { next: async () => ({ value: i, done: i++ > 1 }) }; } };
		exports.main = async () => {
			const out = [];
			for await (const x of gen()) out.push(x);
			for await (const x of custom) out.push(x);
			for await (const x of [Promise.resolve("p"), "q"]) out.push(x);
			return [out, typeof Symbol.asyncIterator, Symbol.asyncIterator === Symbol.asyncIterator, typeof gen()[Symbol.asyncIterator]];
		}`, "", `{}`, time.Second)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if want := `[[1,2,0,1,"p","q"],"symbol",true,"function"]`; string(res.JSON) != want {
		t.Fatalf("got %s, want %s", res.JSON, want)
	}
}

// ctx.trigger says what started a run that names it (a schedule's); a
// call that names none has no such part, as before.
func TestContextTrigger(t *testing.T) {
	e := New(Config{Host: "test-host"})
	src := `exports.main = (d, ctx) => [ctx.trigger ?? null, "trigger" in ctx, Object.keys(ctx).includes("trigger"), d.scheduled_at ?? null]`
	tr, err := Transpile("t.js", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		trigger functions.Trigger
		data    string
		want    string
	}{
		{"", `{}`, `[null,false,false,null]`},
		{functions.TriggerSchedule, `{"scheduled_at":"2026-12-06T12:00:00+01:00"}`, `["schedule",true,true,"2026-12-06T12:00:00+01:00"]`},
	} {
		for _, fresh := range []bool{false, true} {
			inv := &functions.Invocation{RequestID: "r", Function: functions.FunctionInfo{ID: "fn_t", Name: "t", Version: 1},
				Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash, Timeout: time.Second, MemoryMB: 64,
				Data: json.RawMessage(tc.data), Trigger: tc.trigger, FreshRuntime: fresh}
			res, err := e.Execute(context.Background(), inv)
			if err != nil || string(res.JSON) != tc.want {
				t.Fatalf("trigger %q (fresh %v): %s %v, want %s", tc.trigger, fresh, res.JSON, err, tc.want)
			}
		}
	}
}
