package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// Each case is an App body that returns a value; want is its JSON, or the
// start of the error message when the run must fail.
type moduleCase struct {
	name, body, want string
	fails            bool
}

func runModuleCases(t *testing.T, e *Engine, typ functions.Type, cases []moduleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, rerr := invoke(t, e, typ, "exports.main = async () => { "+c.body+" }", "", `{}`, 5*time.Second)
			if typ == functions.TypeScript {
				res, rerr = invoke(t, e, typ, "function main() { "+c.body+" }", "", `{}`, 5*time.Second)
			}
			switch {
			case c.fails && rerr == nil:
				t.Fatalf("want an error starting %q, got %s", c.want, res.JSON)
			case c.fails && !strings.Contains(rerr.Message, c.want):
				t.Fatalf("want an error containing %q, got %q", c.want, rerr.Message)
			case !c.fails && rerr != nil:
				t.Fatalf("unexpected error: %s\n%s", rerr.Message, rerr.Stack)
			case !c.fails && string(res.JSON) != c.want:
				t.Fatalf("got  %s\nwant %s", res.JSON, c.want)
			}
		})
	}
}

func TestBuffer(t *testing.T) {
	runModuleCases(t, New(Config{}), functions.TypeApp, []moduleCase{
		{"utf8 round trip", `const b = Buffer.from("héllo ✓"); return [b.length, b.toString(), b.toString("utf8", 1, 3)]`, `[10,"héllo ✓","é"]`, false},
		{"hex", `return [Buffer.from("hi").toString("hex"), Buffer.from("6869zz41", "hex").toString()]`, `["6869","hi"]`, false},
		{"base64", `return [Buffer.from("hello?").toString("base64"), Buffer.from("aGVsbG8/", "base64").toString(), Buffer.from("aGVsbG8_", "base64url").toString(), Buffer.from("hello?").toString("base64url")]`,
			`["aGVsbG8/","hello?","hello?","aGVsbG8_"]`, false},
		{"base64 lenient", `return Buffer.from(" aGVs\nbG8 ", "base64").toString()`, `"hello"`, false},
		{"latin1 and utf16le", `return [Buffer.from("é", "latin1")[0], Buffer.from("ab", "utf16le").toString("hex"), Buffer.from([0xe9]).toString("latin1")]`, `[233,"61006200","é"]`, false},
		{"invalid utf8 is replaced", `return Buffer.from([0x61, 0xff, 0x62]).toString()`, `"a�b"`, false},
		{"alloc fill concat", `const b = Buffer.concat([Buffer.alloc(2, "a"), Buffer.from([1, 2])]); return [b.length, [...b], Buffer.alloc(5, "ab").toString()]`, `[4,[97,97,1,2],"ababa"]`, false},
		{"statics", `return [Buffer.isBuffer(Buffer.alloc(1)), Buffer.isBuffer(new Uint8Array(1)), Buffer.byteLength("✓"), Buffer.byteLength("aGk=", "base64"), Buffer.isEncoding("hex"), Buffer.isEncoding("nope")]`, `[true,false,3,2,true,false]`, false},
		{"slice is a view", `const b = Buffer.from("abc"); const s = b.slice(1); s[0] = 0x7a; return [b.toString(), s instanceof Buffer]`, `["azc",true]`, false},
		{"json", `return JSON.stringify(Buffer.from("hi"))`, `"{\"type\":\"Buffer\",\"data\":[104,105]}"`, false},
		{"numbers", `const b = Buffer.alloc(8); b.writeUInt32BE(0xdeadbeef, 0); b.writeInt16LE(-2, 4); return [b.readUInt32BE(0), b.readInt16LE(4), b.readUint8(0), b.toString("hex")]`,
			`[3735928559,-2,222,"deadbeeffeff0000"]`, false},
		{"out of range read", `return Buffer.alloc(2).readUInt32LE(0)`, `out of range`, true},
		{"equals compare indexOf", `const a = Buffer.from("abcabc"); return [a.equals(Buffer.from("abcabc")), Buffer.compare(Buffer.from("a"), Buffer.from("b")), a.indexOf("ca"), a.includes("x"), a.indexOf(0x63)]`, `[true,-1,2,false,2]`, false},
		{"write and copy", `const b = Buffer.alloc(6); const n = b.write("hey", 1); const c = Buffer.alloc(3); b.copy(c, 0, 1, 4); return [n, c.toString()]`, `[3,"hey"]`, false},
		{"from typed array truncates", `return [...Buffer.from(new Uint16Array([256, 257]))]`, `[0,1]`, false},
		{"unknown encoding", `return Buffer.from("x", "utf7")`, `Unknown encoding: utf7`, true},
		{"huge alloc is refused", `return Buffer.alloc(2 ** 31).length`, `over this function's memory limit`, true},
		{"require buffer", `const { Buffer: B } = require("buffer"); return B === Buffer`, `true`, false},
	})
}

func TestWebGlobals(t *testing.T) {
	runModuleCases(t, New(Config{}), functions.TypeApp, []moduleCase{
		{"TextEncoder", `return [...new TextEncoder().encode("é✓")]`, `[195,169,226,156,147]`, false},
		{"encodeInto", `const u = new Uint8Array(4); const r = new TextEncoder().encodeInto("a✓b", u); return [r.read, r.written]`, `[2,4]`, false},
		{"TextDecoder", `return new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0xc3, 0xa9]))`, `"hé"`, false},
		{"TextDecoder stream", `const d = new TextDecoder(); return d.decode(new Uint8Array([0x61, 0xe2, 0x9c]), {stream: true}) + d.decode(new Uint8Array([0x93]))`, `"a✓"`, false},
		{"TextDecoder fatal", `return new TextDecoder("utf-8", {fatal: true}).decode(new Uint8Array([0xff]))`, `not valid utf-8`, true},
		{"TextDecoder labels", `return [new TextDecoder("latin1").decode(new Uint8Array([0x80, 0xe9])), new TextDecoder("utf-16le").decode(new Uint8Array([0x61, 0, 0x62, 0]))]`, `["€é","ab"]`, false},
		{"TextDecoder unknown", `new TextDecoder("koi8-r")`, `not supported`, true},
		{"atob btoa", `return [btoa("hello"), atob("aGVs bG8="), atob("aGVsbG8")]`, `["aGVsbG8=","hello","hello"]`, false},
		{"btoa outside latin1", `btoa("✓")`, `InvalidCharacterError`, true},
		{"atob invalid", `try { atob("a") } catch (e) { return [e.name, e instanceof DOMException, e.code] }`, `["InvalidCharacterError",true,5]`, false},
		{"Headers", `const h = new Headers({"Content-Type": "text/plain", "X-A": "1"}); h.append("x-a", "2"); h.set("Set-Cookie", "a=1"); h.append("set-cookie", "b=2");
			return [h.get("content-type"), h.get("X-A"), h.has("x-b"), [...h.keys()], h.getSetCookie(), h.get("nope")]`,
			`["text/plain","1, 2",false,["content-type","set-cookie","set-cookie","x-a"],["a=1","b=2"],null]`, false},
		{"Headers rejects CRLF", `new Headers({"x": "a\r\nInjected: 1"})`, `invalid header value`, true},
		{"Headers rejects bad names", `new Headers([["bad name", "1"]])`, `invalid header name`, true},
		{"AbortController", `const c = new AbortController(); const seen = []; c.signal.addEventListener("abort", (e) => seen.push(e.type)); c.signal.onabort = () => seen.push("on");
			c.abort(); c.abort(); return [c.signal.aborted, c.signal.reason.name, seen]`, `[true,"AbortError",["on","abort"]]`, false},
		{"AbortSignal.timeout", `const s = AbortSignal.timeout(5); await new Promise((r) => setTimeout(r, 30)); return [s.aborted, s.reason.name]`, `[true,"TimeoutError"]`, false},
		{"AbortSignal.any", `const a = new AbortController(); const s = AbortSignal.any([a.signal, AbortSignal.timeout(10000)]); a.abort("why"); return [s.aborted, s.reason]`, `[true,"why"]`, false},
		{"AbortSignal cannot be constructed", `new AbortSignal()`, `cannot be constructed`, true},
		{"URL", `const u = new URL("https://user:pw@example.com:8443/a/b?x=1&y=2#h"); u.searchParams.append("z", "3 4");
			return [u.hostname, u.port, u.pathname, u.searchParams.get("y"), u.href, new URL("../c", "https://e.com/a/b/").href]`,
			`["example.com","8443","/a/b","2","https://user:pw@example.com:8443/a/b?x=1&y=2&z=3+4#h","https://e.com/a/c"]`, false},
		{"URL invalid", `new URL("not a url")`, `Invalid URL`, true},
		{"URLSearchParams", `const p = new URLSearchParams("a=1&b=2&a=3"); p.sort(); return [p.getAll("a"), p.toString(), [...new URLSearchParams({x: "1 2"})]]`, `[["1","3"],"a=1&a=3&b=2",[["x","1 2"]]]`, false},
		{"querystring", `const qs = require("querystring"); return [qs.parse("a=1&b=x%20y&a=2&c"), qs.stringify({a: [1, 2], b: "x y", c: true})]`,
			`[{"a":["1","2"],"b":"x y","c":""},"a=1&a=2&b=x%20y&c=true"]`, false},
		{"querystring maxKeys", `return Object.keys(require("querystring").parse("a=1&b=2&c=3", "&", "=", {maxKeys: 2}))`, `["a","b"]`, false},
		{"URL normalizes", `return [new URL("HTTP://EXAMPLE.com:80/a/./b/../c?q=a b#f").href, new URL("https://bücher.de/").hostname, new URL("http:\\\\x.org\\p").href, new URL("https://x.org").pathname]`,
			`["http://example.com/a/c?q=a%20b#f","xn--bcher-kva.de","http://x.org/p","/"]`, false},
		{"URL setters", `const u = new URL("https://x.org/p?a=1"); u.pathname = "q"; u.search = "b=2"; u.hash = "h"; u.port = "8080"; const s = u.searchParams.get("b"); u.searchParams.set("c", "3 4"); return [u.href, s, u.origin, URL.canParse("nope"), URL.canParse("/x", "http://y.org")]`,
			`["https://x.org:8080/q?b=2&c=3+4#h","2","https://x.org:8080",false,true]`, false},
		{"toLocaleString timeZone", `const d = new Date(Date.UTC(2026, 6, 1, 12, 0, 0)); return [d.toLocaleString("en-US", {timeZone: "America/New_York"}), d.toLocaleString("en-US", {timeZone: "Asia/Tokyo"}), new Date(d.toLocaleString("en-US", {timeZone: "UTC"})).getHours()]`,
			`["7/1/2026, 8:00:00 AM","7/1/2026, 9:00:00 PM",12]`, false},
		{"toLocaleString bad zone", `new Date().toLocaleString("en-US", {timeZone: "Mars/Base"})`, `Invalid time zone specified: Mars/Base`, true},
		{"toLocaleString no zone from the host", `new Date().toLocaleString("en-US", {timeZone: "Local"})`, `Invalid time zone specified: Local`, true},
		{"url module", `const url = require("url"); return new url.URL("http://x.org/p").pathname`, `"/p"`, false},
		// The URL Standard where the old net/url-based parser went wrong.
		{"URL keeps no empty password", `const u = new URL("https://test:@test"); return [u.href, u.username, u.password]`, `["https://test@test/","test",""]`, false},
		{"URL scheme-relative against a base", `return [new URL("http:foo.com", "http://ex.com/a/b").href, new URL("https:foo.com", "http://ex.com/a/b").href]`,
			`["http://ex.com/a/foo.com","https://foo.com/"]`, false},
		{"URL IPv6 host", `const u = new URL("http://[::1]:80/"); return [u.host, u.hostname, u.port, new URL("http://[0:0:0:0:0:ffff:c0a8:1]/").hostname]`, `["[::1]","[::1]","","[::ffff:c0a8:1]"]`, false},
		{"URL IPv4 past 255", `new URL("http://192.168.0.257")`, `Invalid URL`, true},
		{"URL IPv4 forms", `return ["http://0x7f.1/", "http://2130706433/", "http://0177.0.0.1/", "http://127.1/"].map((s) => new URL(s).hostname)`,
			`["127.0.0.1","127.0.0.1","127.0.0.1","127.0.0.1"]`, false},
		{"URL encodes userinfo", `const u = new URL("https://user:pa ss@ex.com/"); u.username = "a@b"; return [u.password, u.href]`, `["pa%20ss","https://a%40b:pa%20ss@ex.com/"]`, false},
		{"URL opaque paths", `const u = new URL("mailto:a@b.com"); u.pathname = "x"; u.host = "h"; return [u.pathname, u.host, u.origin, new URL("#f", "mailto:a@b").href]`,
			`["a@b.com","","null","mailto:a@b#f"]`, false},
		{"URL.parse", `return [URL.parse("nope"), URL.parse("/x", "http://y.org").href, URL.parse("x", "") === null]`, `[null,"http://y.org/x",true]`, false},
		{"URL origin of blob", `return [new URL("blob:https://ex.com:8443/id").origin, new URL("blob:foo://x").origin, new URL("file:///x").origin]`, `["https://ex.com:8443","null","null"]`, false},
		{"Request parses its URL", `return [new Request("HTTP://EX.com/a/../b?q=a b#h").url, new Request(new URL("https://x.org")).url]`, `["http://ex.com/b?q=a%20b#h","https://x.org/"]`, false},
		{"Request refuses an invalid URL", `new Request("http://192.168.0.257/")`, `is not a valid URL`, true},
	})
}

func TestCrypto(t *testing.T) {
	runModuleCases(t, New(Config{}), functions.TypeApp, []moduleCase{
		{"hashes", `const c = require("crypto"); return ["md5", "sha1", "sha256", "sha512"].map((a) => c.createHash(a).update("abc").digest("hex").slice(0, 16))`,
			`["900150983cd24fb0","a9993e364706816a","ba7816bf8f01cfea","ddaf35a193617aba"]`, false},
		{"update in parts and encodings", `const c = require("crypto"); return [c.createHash("sha256").update("a").update(Buffer.from("bc")).digest("base64"), c.createHash("sha256").update("616263", "hex").digest().length]`,
			`["ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",32]`, false},
		{"hmac", `return require("crypto").createHmac("sha256", "key").update("The quick brown fox jumps over the lazy dog").digest("hex")`,
			`"f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"`, false},
		{"digest twice", `const h = require("crypto").createHash("sha1"); h.digest(); h.digest()`, `Digest already called`, true},
		{"unknown hash", `require("crypto").createHash("whirlpool")`, `Digest method not supported`, true},
		{"random", `const c = require("crypto"); const a = c.randomBytes(16), b = c.randomBytes(16); const n = c.randomInt(10);
			return [a.length, a.equals(b), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(c.randomUUID()), n >= 0 && n < 10]`, `[16,false,true,true]`, false},
		{"randomBytes bound", `require("crypto").randomBytes(1e9)`, `randomBytes: the size must be`, true},
		{"timingSafeEqual", `const c = require("crypto"); return [c.timingSafeEqual(Buffer.from("ab"), Buffer.from("ab")), c.timingSafeEqual(Buffer.from("ab"), Buffer.from("ac"))]`, `[true,false]`, false},
		{"timingSafeEqual lengths", `require("crypto").timingSafeEqual(Buffer.from("a"), Buffer.from("ab"))`, `same byte length`, true},
		{"getRandomValues", `const a = crypto.getRandomValues(new Uint32Array(8)); return [a.length, a.some((x) => x !== 0), typeof crypto.randomUUID()]`, `[8,true,"string"]`, false},
		{"getRandomValues quota", `crypto.getRandomValues(new Uint8Array(65537))`, `QuotaExceededError`, true},
		{"subtle.digest", `const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc")); return Buffer.from(d).toString("hex").slice(0, 16)`, `"ba7816bf8f01cfea"`, false},
		{"subtle HMAC", `const enc = new TextEncoder(); const key = await crypto.subtle.importKey("raw", enc.encode("key"), {name: "HMAC", hash: "SHA-256"}, false, ["sign", "verify"]);
			const sig = await crypto.subtle.sign("HMAC", key, enc.encode("The quick brown fox jumps over the lazy dog"));
			return [Buffer.from(sig).toString("hex"), await crypto.subtle.verify("HMAC", key, sig, enc.encode("The quick brown fox jumps over the lazy dog")),
				await crypto.subtle.verify("HMAC", key, sig, enc.encode("tampered")), key.algorithm.hash.name, key.type, key.extractable]`,
			`["f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",true,false,"SHA-256","secret",false]`, false},
		{"subtle key usage", `const key = await crypto.subtle.importKey("raw", new Uint8Array(4), {name: "HMAC", hash: {name: "SHA-1"}}, false, ["verify"]); await crypto.subtle.sign("HMAC", key, new Uint8Array(1))`, `may not be used to sign`, true},
		{"subtle no export", `const key = await crypto.subtle.importKey("raw", new Uint8Array(4), {name: "HMAC", hash: "SHA-256"}, false, ["sign"]); await crypto.subtle.exportKey("raw", key)`, `not extractable`, true},
		{"subtle.digest unknown", `await crypto.subtle.digest("MD5", new Uint8Array(1))`, `Unrecognized algorithm name`, true},
	})
}

func TestScriptsGetSyncModulesOnly(t *testing.T) {
	runModuleCases(t, New(Config{}), functions.TypeScript, []moduleCase{
		{"sync globals work", `return [Buffer.from("hi").toString("hex"), btoa("a"), new URL("http://x/").host, new TextEncoder().encode("a").length, typeof crypto.randomUUID()]`, `["6869","YQ==","x",1,"string"]`, false},
		{"no fetch", `fetch("https://example.com")`, `fetch is not available in Script functions`, true},
		{"no subtle digest", `crypto.subtle.digest("SHA-256", new Uint8Array(1))`, `Promise is not available in Script functions`, true},
		{"no require", `require("crypto")`, `require is not available in Script functions`, true},
	})
}

func TestConsoleFormatting(t *testing.T) {
	e := New(Config{})
	res, rerr := invoke(t, e, functions.TypeApp, `exports.main = () => {
		const o = {a: 1, s: "x'y", n: null, nested: {deep: {deeper: {deepest: 1}}}, list: [1, "two"], get g() { throw new Error("never called") }};
		o.self = o;
		console.log(o);
		console.info("%s is %d years and %i%% sure: %j %o", "Ada", 36.5, 99.9, {k: [1]}, [1]);
		console.log(new Map([["k", 1]]), new Set([1, 2]), Buffer.from("hi"), new Uint8Array(2), new Date(0), /re/g, Symbol("s"), () => 1, class Foo {});
		console.log(Object.create(null), [undefined, , 3], Array.from({length: 120}, (_, i) => i).length, Array.from({length: 120}, (_, i) => i));
		class Point { constructor() { this.x = 1 } }
		console.debug(new Point(), -0, 10n, "plain string");
		console.assert(1 === 2, "math is %s", "broken");
		console.assert(true, "never shown");
		return 1;
	}`, "", `{}`, time.Second)
	if rerr != nil {
		t.Fatal(rerr.Message, rerr.Stack)
	}
	want := []struct{ level, text string }{
		{"info", "{\n  a: 1,\n  s: 'x\\'y',\n  n: null,\n  nested: { deep: { deeper: [Object] } },\n  list: [ 1, 'two' ],\n  g: [Getter],\n  self: [Circular]\n}"},
		{"info", `Ada is 36.5 years and 99% sure: {"k":[1]} [ 1 ]`},
		{"info", "Map(1) { 'k' => 1 } Set(2) { 1, 2 } <Buffer 68 69> Uint8Array(2) [ 0, 0 ] 1970-01-01T00:00:00.000Z /re/g Symbol(s) [Function: (anonymous)] [class Foo]"},
		{"debug", "Point { x: 1 } -0 10n plain string"},
		{"error", "Assertion failed: math is broken"},
	}
	var got []string
	for _, l := range res.Logs {
		got = append(got, l.Level+": "+l.Message)
	}
	if len(res.Logs) != 6 {
		t.Fatalf("want 6 lines, got %d:\n%s", len(res.Logs), strings.Join(got, "\n"))
	}
	lines := []int{0, 1, 2, 4, 5}
	for i, w := range want {
		l := res.Logs[lines[i]]
		if l.Level != w.level || l.Message != w.text {
			t.Errorf("line %d:\n got  %s: %s\n want %s: %s", lines[i], l.Level, l.Message, w.level, w.text)
		}
	}
	if l := res.Logs[3].Message; !strings.HasPrefix(l, "[Object: null prototype] {} [ undefined, <empty>, 3 ] 120 [\n  0,") || !strings.Contains(l, "... 20 more items") {
		t.Errorf("line 3: %s", l)
	}
}

func TestBundledLibraries(t *testing.T) {
	e := New(Config{})
	runModuleCases(t, e, functions.TypeApp, []moduleCase{
		{"dayjs", `const dayjs = require("dayjs"); return [dayjs("2026-03-01T10:00:00Z").isValid(), dayjs(0).year() >= 1969, require("dayjs") === dayjs]`, `[true,true,true]`, false},
		{"dayjs utc", `const dayjs = require("dayjs"); dayjs.extend(require("dayjs/plugin/utc"));
			return [dayjs.utc("2026-02-28T23:30:00Z").add(1, "hour").format("YYYY-MM-DD HH:mm"), dayjs.utc(0).startOf("month").toISOString()]`,
			`["2026-03-01 00:30","1970-01-01T00:00:00.000Z"]`, false},
		{"dayjs timezone", `const dayjs = require("dayjs"); dayjs.extend(require("dayjs/plugin/utc")); dayjs.extend(require("dayjs/plugin/timezone"));
			const t = dayjs.utc("2026-07-01T12:00:00Z");
			return [t.tz("America/New_York").format("YYYY-MM-DD HH:mm Z"), t.tz("Asia/Kolkata").format("HH:mm Z"), dayjs.tz("2026-01-15 09:00", "Europe/Paris").toISOString(), dayjs.tz.guess()]`,
			`["2026-07-01 08:00 -04:00","17:30 +05:30","2026-01-15T08:00:00.000Z","UTC"]`, false},
		// Across both of Paris's 2026 changes (as Node.js formats them):
		// the skipped hour, and the repeated one told apart by its offset.
		{"dayjs timezone across daylight saving", `const dayjs = require("dayjs"); dayjs.extend(require("dayjs/plugin/utc")); dayjs.extend(require("dayjs/plugin/timezone"));
			return ["2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"].map((t) => dayjs.utc(t).tz("Europe/Paris").format("YYYY-MM-DD HH:mm:ss Z"))
				.concat(new Date(Date.UTC(2026, 0, 1, 0, 5, 7)).toLocaleString("en-US", {timeZone: "UTC"}))`,
			`["2026-03-29 01:59:59 +01:00","2026-03-29 03:00:00 +02:00","2026-10-25 02:30:00 +02:00","2026-10-25 02:30:00 +01:00","1/1/2026, 12:05:07 AM"]`, false},
		{"dayjs plugins", `const dayjs = require("dayjs"); for (const p of ["customParseFormat", "duration", "relativeTime", "isBetween", "advancedFormat", "utc"]) dayjs.extend(require("dayjs/plugin/" + p));
			return [dayjs.utc("24/11/2026", "DD/MM/YYYY").format("YYYY-MM-DD"), dayjs.duration(90, "minutes").asHours(), dayjs.utc(0).from(dayjs.utc(0).add(3, "day")),
				dayjs.utc("2026-05-05").isBetween("2026-05-01", "2026-05-10"), dayjs.utc("2026-05-05").format("Do Q")]`,
			`["2026-11-24",1.5,"3 days ago",true,"5th 2"]`, false},
		{"papaparse", `const Papa = require("papaparse"); const r = Papa.parse("name,qty\nwidget,2\n\"a, b\",3", {header: true, dynamicTyping: true});
			return [r.data, r.errors.length, Papa.unparse([{a: "x,y", b: 1}, {a: "z", b: 2}])]`,
			`[[{"name":"widget","qty":2},{"name":"a, b","qty":3}],0,"a,b\r\n\"x,y\",1\r\nz,2"]`, false},
		{"papaparse node streams are not given", `require("papaparse").parse(require("papaparse").NODE_STREAM_INPUT)`, `module 'stream' is not available to bundled libraries`, true},
	})
	// ES module syntax, transpiled at deploy, resolves through the same registry.
	res, rerr := invoke(t, e, functions.TypeApp, `import dayjs from "dayjs"; import utc from "dayjs/plugin/utc"; import Papa from "papaparse";
		dayjs.extend(utc);
		export default () => [dayjs.utc(86400000).format("YYYY-MM-DD"), Papa.parse("1,2").data]`, "", `{}`, time.Second)
	if rerr != nil || string(res.JSON) != `["1970-01-02",[["1","2"]]]` {
		t.Fatalf("ESM imports: %v %v", res, rerr)
	}
}
