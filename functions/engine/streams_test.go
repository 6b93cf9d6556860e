package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// differentialAsync is differential for asynchronous code: each case is
// an async function, awaited in turn, in our runtime (an App) and in
// Node.js; what JSON.stringify makes of each result (or the name and
// message of what it threw) is compared. prelude is shared helper code.
func differentialAsync(t *testing.T, prelude string, cases []string) {
	t.Helper()
	node := nodeOrSkip(t)
	var list strings.Builder
	for _, c := range cases {
		list.WriteString("  " + c + ",\n")
	}
	body := prelude + "\nconst cases = [\n" + list.String() + "];\n" +
		`const probe = async () => {
  const out = [];
  for (const f of cases) {
    try { const v = await f(); out.push({value: v === undefined ? "undefined" : JSON.stringify(v)}); }
    catch (e) { out.push({throws: e && e.name}); }
  }
  return out;
};
`
	inv := fnInv(t, "acme", "differential-async", 1, functions.TypeApp, body+"export function main() { return probe() }", `{}`)
	inv.Timeout = 20 * time.Second
	var ours []map[string]string
	res, err := New(Config{}).Execute(context.Background(), inv)
	if err != nil {
		t.Fatalf("our runtime: %v", err)
	}
	if json.Unmarshal(res.JSON, &ours) != nil {
		t.Fatalf("our runtime: %s", res.JSON)
	}
	theirs := nodeResults(t, node, body+"probe().then((v) => process.stdout.write(JSON.stringify(v)))")
	compareWithNode(t, node, "async cases", cases, ours, theirs)
}

const streamsPrelude = `
const enc = (s) => new TextEncoder().encode(s);
const bytes = (u) => Array.from(u);
const of = (...chunks) => new ReadableStream({ start(c) { for (const x of chunks) c.enqueue(x); c.close(); } });
const readAll = async (s) => { const out = []; for await (const x of s) out.push(x); return out; };
const textOf = async (s) => (await readAll(s.pipeThrough(new TextDecoderStream()))).join("");
const tick = () => new Promise((r) => setTimeout(r, 1));
`

// The cases are written from the Streams and Encoding standards' rules;
// Node.js 20 (whose streams follow the same reference implementation) is
// the oracle.
var streamCases = []string{
	// Reading
	`async () => { const r = of("a", "b").getReader(); return [await r.read(), await r.read(), await r.read()]; }`,
	`async () => readAll(of(1, 2, 3))`,
	`async () => { const s = of(1, 2, 3, 4); const got = []; for await (const x of s.values({ preventCancel: true })) { got.push(x); if (x === 2) break; } return [got, s.locked, await readAll(s)]; }`,
	`async () => { let why = "none"; const s = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); }, cancel(r) { why = String(r); } }); for await (const x of s) break; return [why, s.locked]; }`,
	`async () => { const s = of(1); const r = s.getReader(); return [s.locked, (r.releaseLock(), s.locked)]; }`,
	`async () => { const s = of(1); s.getReader(); return s.getReader(); }`,
	`async () => { const r = of().getReader(); return [await r.read(), await r.closed]; }`,
	`async () => readAll(ReadableStream.from([1, "two", { three: 3 }]))`,
	`async () => readAll(ReadableStream.from((function* () { yield "x"; yield "y"; })()))`,
	`async () => readAll(ReadableStream.from({ async *[Symbol.asyncIterator]() { yield 1; await tick(); yield 2; } }))`,
	`async () => Object.prototype.toString.call(new ReadableStream())`,
	`async () => { const it = of("i")[Symbol.asyncIterator](); return [await it.next(), await it.next(), typeof Symbol.asyncIterator]; }`,
	`async () => [typeof ReadableStream.prototype.getReader, ReadableStream.prototype.pipeTo.length, ReadableStream.name, new ReadableStream().locked]`,
	// tee
	`async () => { const [a, b] = of("x", "y").tee(); return [await readAll(a), await readAll(b)]; }`,
	`async () => { let why; const s = new ReadableStream({ start(c) { c.enqueue(1); c.close(); }, cancel(r) { why = r; } }); const [a, b] = s.tee(); a.cancel("no"); return [await readAll(b), why]; }`,
	`async () => { const [a, b] = of(1, 2).tee(); await Promise.all([a.cancel("p"), b.cancel("q")]); return "both cancelled"; }`,
	// pipeThrough and pipeTo
	`async () => readAll(of("a", "bc").pipeThrough(new TransformStream({ transform(ch, c) { c.enqueue(ch.toUpperCase()); c.enqueue(ch.length); } })))`,
	`async () => readAll(of(1, 2, 3).pipeThrough(new TransformStream({ transform(ch, c) { if (ch !== 2) c.enqueue(ch * 10); }, flush(c) { c.enqueue("end"); } })))`,
	`async () => { const got = []; await of("p", "q").pipeTo(new WritableStream({ write(x) { got.push(x); }, close() { got.push("closed"); } })); return got; }`,
	`async () => { const got = []; await of("p").pipeTo(new WritableStream({ write(x) { got.push(x); }, close() { got.push("closed"); } }), { preventClose: true }); return got; }`,
	`async () => { const w = new WritableStream({ write() { throw new RangeError("sink"); } }); try { await of(1).pipeTo(w); } catch (e) { return [e.name, e.message]; } }`,
	`async () => { let why; const s = new ReadableStream({ start(c) { c.enqueue(1); }, cancel(r) { why = r.message; } }); const ac = new AbortController(); const p = s.pipeTo(new WritableStream(), { signal: ac.signal }); ac.abort(new Error("stop")); try { await p; } catch (e) { return [e.message, why]; } }`,
	`async () => readAll(of(1).pipeThrough(new TransformStream()))`,
	`async () => { const t = new TransformStream({ transform() { throw new TypeError("bad chunk"); } }); try { await readAll(of(1).pipeThrough(t)); } catch (e) { return [e.name, e.message]; } }`,
	// Text streams
	`async () => { const b = enc("héllo €😀"); return textOf(new ReadableStream({ start(c) { for (const x of b) c.enqueue(new Uint8Array([x])); c.close(); } })); }`,
	`async () => textOf(of(new Uint8Array([0xe2, 0x82]), new Uint8Array([0xac, 0xf0, 0x9f]), new Uint8Array([0x98, 0x80, 0x41])))`,
	`async () => textOf(of(new Uint8Array([0xe2, 0x82])))`,
	`async () => readAll(of(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])).pipeThrough(new TextDecoderStream()))`,
	`async () => readAll(of(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])).pipeThrough(new TextDecoderStream("utf-8", { ignoreBOM: true })))`,
	`async () => { try { await readAll(of(new Uint8Array([0xff])).pipeThrough(new TextDecoderStream("utf-8", { fatal: true }))); } catch (e) { return e.name; } }`,
	`async () => { const d = new TextDecoderStream("utf-16le"); return [d.encoding, d.fatal, d.ignoreBOM, await readAll(of(new Uint8Array([0x61, 0x00, 0x3d])).pipeThrough(d))]; }`,
	`async () => { try { await readAll(of("not bytes").pipeThrough(new TextDecoderStream())); } catch (e) { return e.name; } }`,
	`async () => (await readAll(of("a", "\ud83d", "\ude00b", "").pipeThrough(new TextEncoderStream()))).map(bytes)`,
	`async () => (await readAll(of("x\ud83d").pipeThrough(new TextEncoderStream()))).map(bytes)`,
	`async () => [new TextEncoderStream().encoding, TextEncoderStream.name, new TextDecoderStream().encoding, typeof new TextDecoderStream().readable.getReader]`,
	`async () => [[0xe2, 0x82], [0xe2, 0x82, 0x41], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x80, 0x41], [0xf1, 0x80, 0x80, 0xe1, 0x80, 0xc2]].map((b) => new TextDecoder().decode(new Uint8Array(b)))`,
	`async () => { try { new TextDecoderStream("no-such-encoding"); } catch (e) { return e.name; } }`,
	// Errors and cancellation
	`async () => { const r = new ReadableStream({ pull() { throw new Error("pull failed"); } }).getReader(); try { await r.read(); } catch (e) { return [e.message, await r.closed.catch((x) => x.message)]; } }`,
	`async () => { try { new ReadableStream({ start() { throw new SyntaxError("start failed"); } }); } catch (e) { return e.name; } }`,
	`async () => { let c; const s = new ReadableStream({ start(x) { c = x; } }); const r = s.getReader(); const p = r.read(); c.error(new Error("boom")); try { await p; } catch (e) { return e.message; } }`,
	`async () => { let why; const s = new ReadableStream({ start(c) { c.enqueue(1); }, cancel(r) { why = r; } }); await s.cancel("enough"); return [why, await s.getReader().read()]; }`,
	`async () => { const s = new ReadableStream({ pull(c) {} }); const r = s.getReader(); const p = r.read(); r.releaseLock(); try { await p; } catch (e) { return [e.name, s.locked]; } }`,
	`async () => { const r = of(1).getReader(); r.releaseLock(); try { await r.read(); } catch (e) { return e.name; } }`,
	`async () => { let c; new ReadableStream({ start(x) { c = x; } }); c.close(); try { c.enqueue(1); } catch (e) { return e.name; } }`,
	`async () => { const s = of(1); s.getReader(); try { await s.cancel(); } catch (e) { return e.name; } }`,
	`async () => { const w = new WritableStream({ write() { throw new Error("w"); } }).getWriter(); await w.write(1).catch(() => {}); try { await w.write(2); } catch (e) { return e.message; } }`,
	// Backpressure
	`async () => { const seen = []; new ReadableStream({ start(c) { seen.push(c.desiredSize); c.enqueue(1); seen.push(c.desiredSize); c.enqueue(2); seen.push(c.desiredSize); } }); return seen; }`,
	`async () => { const seen = []; new ReadableStream({ start(c) { for (let i = 0; i < 4; i++) { seen.push(c.desiredSize); c.enqueue(i); } } }, new CountQueuingStrategy({ highWaterMark: 3 })); return seen; }`,
	`async () => { const seen = []; new ReadableStream({ start(c) { c.enqueue(new Uint8Array(4)); seen.push(c.desiredSize); c.enqueue(new Uint8Array(8)); seen.push(c.desiredSize); } }, new ByteLengthQueuingStrategy({ highWaterMark: 10 })); return seen; }`,
	`async () => { let pulls = 0; const s = new ReadableStream({ pull(c) { pulls++; c.enqueue(pulls); } }, { highWaterMark: 0 }); await tick(); const before = pulls; const r = s.getReader(); await r.read(); await r.read(); return [before, pulls]; }`,
	`async () => { const w = new WritableStream({ write() { return new Promise((r) => setTimeout(r, 5)); } }, { highWaterMark: 2 }).getWriter(); const seen = [w.desiredSize]; w.write(1); seen.push(w.desiredSize); w.write(2); seen.push(w.desiredSize); w.write(3); seen.push(w.desiredSize); await w.ready; seen.push(w.desiredSize); await w.close(); return seen; }`,
	`async () => { const q = new CountQueuingStrategy({ highWaterMark: 5 }); const b = new ByteLengthQueuingStrategy({ highWaterMark: 7 }); return [q.highWaterMark, q.size(), b.highWaterMark, b.size(new Uint8Array(3))]; }`,
	// Byte streams and BYOB
	`async () => { const s = new ReadableStream({ type: "bytes", start(c) { c.enqueue(new Uint8Array([1, 2, 3, 4, 5])); c.close(); } }); const r = s.getReader({ mode: "byob" }); const a = await r.read(new Uint8Array(2)); const b = await r.read(new Uint8Array(8)); const c = await r.read(new Uint8Array(1)); return [bytes(a.value), bytes(b.value), c.done]; }`,
	`async () => { const u = new Uint8Array([9, 8]); const s = new ReadableStream({ type: "bytes", start(c) { c.enqueue(u); c.close(); } }); return [u.byteLength, (await readAll(s)).map(bytes)]; }`,
	// Response and Request bodies
	`async () => { const r = new Response("hello"); const x = await r.body.getReader().read(); return [x.value.constructor.name, bytes(x.value), r.bodyUsed]; }`,
	`async () => { const r = new Response(); return [r.body, r.bodyUsed, await r.text(), r.bodyUsed]; }`,
	`async () => { const r = new Response(""); return [typeof r.body, await r.text(), r.bodyUsed]; }`,
	`async () => { const r = new Response(of(enc("a"), enc("bc"))); return [r.bodyUsed, await r.text(), r.bodyUsed]; }`,
	`async () => { const r = new Response(of(enc('{"a":'), enc("[1,2]}"))); return r.json(); }`,
	`async () => { const r = new Response(of(enc("x"))); await r.text(); try { await r.text(); } catch (e) { return e.name; } }`,
	`async () => { const r = new Response(of(enc("ab"))); return bytes(new Uint8Array(await r.arrayBuffer())); }`,
	`async () => { const r = new Response(of(enc("blob!"))); const b = await r.blob(); return [b.size, await b.text()]; }`,
	`async () => { const r = new Response(of("not bytes")); try { await r.text(); } catch (e) { return e.name; } }`,
	`async () => { const r = new Response(of(enc("tee"))); const c = r.clone(); return [await r.text(), await c.text()]; }`,
	`async () => { const r = new Response("abc"); r.body.getReader(); try { await r.text(); } catch (e) { return [e.name, r.bodyUsed]; } }`,
	`async () => { const r = new Response("abc"); await r.body.getReader().read(); return r.bodyUsed; }`,
	`async () => { const s = of(enc("x")); s.getReader(); try { new Response(s); } catch (e) { return e.name; } }`,
	`async () => { const q = new Request("http://example.com/", { method: "POST", body: "abc" }); return [q.body.constructor.name, q.bodyUsed, await q.text(), q.bodyUsed]; }`,
	`async () => { try { new Request("http://example.com/", { method: "POST", body: of(enc("a")) }); } catch (e) { return e.name; } }`,
	`async () => { const q = new Request("http://example.com/", { method: "POST", body: of(enc("st"), enc("ream")), duplex: "half" }); return [await q.text(), q.bodyUsed]; }`,
	`async () => [new Request("http://example.com/").body, new Request("http://example.com/").bodyUsed]`,
	`async () => { const q = new Request("http://example.com/", { method: "PUT", body: "once" }); await q.text(); try { await q.text(); } catch (e) { return e.name; } }`,
	`async () => (await readAll(new Response("piped").body.pipeThrough(new TextDecoderStream()))).join("")`,
	`async () => { const r = new Response("x"); return [r.body === r.body, new Response(of(enc("y"))).headers.get("content-type"), r.headers.get("content-type")]; }`,
	`async () => { const s = of(enc("same")); return new Response(s).body === s; }`,
	`async () => { const r = new Response("used"); await r.text(); try { r.clone(); } catch (e) { return e.name; } }`,
	`async () => { const q = new Request("http://example.com/", { method: "POST", body: of(enc("a"), enc("b")), duplex: "half" }); const c = q.clone(); return [await q.text(), await c.text()]; }`,
	`async () => { const r = new Response(of(enc("partly"), enc(" read"))); const rd = r.body.getReader(); await rd.read(); rd.releaseLock(); return [r.bodyUsed, await r.text().catch((e) => e.name)]; }`,
	`async () => { const r = new Response(new Uint8Array([1, 2, 3])); return [(await readAll(r.body)).map(bytes), r.bodyUsed]; }`,
	`async () => { try { new Response("x", { status: 204 }); } catch (e) { return e.name; } }`,
	// Blob.stream
	`async () => { const chunks = await readAll(new Blob(["ab", "c"]).stream()); return [chunks.every((c) => c instanceof Uint8Array), bytes(new Uint8Array(await new Blob(chunks).arrayBuffer()))]; }`,
	`async () => readAll(new Blob([]).stream())`,
	`async () => textOf(new Blob(["€uro"]).slice(0, 3).stream())`,
	`async () => new Response(new Blob(["round trip"]).stream()).text()`,
}

func TestStreamsAgainstNode(t *testing.T) {
	differentialAsync(t, streamsPrelude, streamCases)
}

// BenchmarkStreamsFirstUse: what a run pays to use ReadableStream, in a
// fresh runtime (the polyfill runs: compare with fresh/none) and in a warm
// one that loaded it on an earlier call (compare with warm/none).
func BenchmarkStreamsFirstUse(b *testing.B) {
	for _, fresh := range []bool{true, false} {
		for _, tc := range []struct{ name, src string }{
			{"none", `exports.main = () => 1`},
			{"ReadableStream", `exports.main = () => { new ReadableStream(); return 1 }`},
			{"Response.body", `exports.main = () => { new Response("x").body; return 1 }`},
		} {
			name := "warm/" + tc.name
			if fresh {
				name = "fresh/" + tc.name
			}
			b.Run(name, func(b *testing.B) {
				e := New(Config{})
				inv := fnInv(b, "acme", "bench", 1, functions.TypeApp, tc.src, `{}`)
				inv.FreshRuntime = fresh
				call(b, e, inv)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := e.Execute(context.Background(), inv); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// Hostile streams: each ends in a clear error, and the engine (and the
// function's next call) goes on.
func TestStreamsHostile(t *testing.T) {
	e := New(Config{})
	cases := []struct {
		name, src string
		code, msg string // the error; code "" for a result containing msg
	}{
		{"enqueue new chunks in a loop", `exports.main = () => { new ReadableStream({ start(c) { for (;;) c.enqueue(new Uint8Array(1 << 20)); } }); }`,
			functions.CodeMemoryLimit, "ReadableStream: the queued chunks would allocate"},
		{"enqueue one chunk again and again", `exports.main = () => { const u = new Uint8Array(1 << 16); new ReadableStream({ start(c) { for (;;) c.enqueue(u); } }); }`,
			functions.CodeMemoryLimit, "over this function's memory limit of 8 MB"},
		{"enqueue small values in a loop", `exports.main = () => { new ReadableStream({ start(c) { for (let i = 0; ; i++) c.enqueue(i); } }, { highWaterMark: Infinity }); }`,
			functions.CodeMemoryLimit, "ReadableStream: the queued chunks"},
		{"a size of 0 queues nothing, says the strategy", `exports.main = () => { new ReadableStream({ start(c) { for (;;) c.enqueue("chunk"); } }, { size: () => 0 }); }`,
			functions.CodeMemoryLimit, "ReadableStream: the queued chunks"},
		{"enqueue in a transform", `exports.main = async () => { const s = new ReadableStream({ start(c) { c.enqueue(1); c.close(); } }).pipeThrough(new TransformStream({ transform(x, c) { for (;;) c.enqueue(new Uint8Array(1 << 20)); } })); const r = s.getReader(); await r.read(); await r.read(); }`,
			functions.CodeMemoryLimit, "TransformStream: the queued chunks"},
		{"write without waiting", `exports.main = async () => { const w = new WritableStream({ write() { return new Promise(() => {}); } }).getWriter(); for (;;) await Promise.race([w.write(new Uint8Array(1 << 20)), null]); }`,
			functions.CodeMemoryLimit, "WritableStream: the queued chunks"},
		{"read requests in a loop", `exports.main = () => { const r = new ReadableStream().getReader(); for (;;) r.read(); }`,
			functions.CodeMemoryLimit, "A stream's queue would allocate"},
		{"byte stream", `exports.main = () => { new ReadableStream({ type: "bytes", start(c) { for (;;) c.enqueue(new Uint8Array(1 << 20)); } }); }`,
			functions.CodeMemoryLimit, "ReadableStream: the queued chunks"},
		{"a tee's branch that no one reads", `exports.main = async () => { const [a, b] = new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1 << 16)); } }).tee(); for await (const x of a) {} }`,
			functions.CodeMemoryLimit, "A stream's queue would allocate"},
		{"read an endless body whole", `exports.main = async () => new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1 << 20)); } })).arrayBuffer()`,
			functions.CodeMemoryLimit, "Response: the body would allocate"},
		{"read an endless request body whole", `exports.main = async () => new Request("http://example.com/", { method: "POST", duplex: "half", body: new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1 << 20)); } }) }).text()`,
			functions.CodeMemoryLimit, "Request: the body would allocate"},
		{"pull throws", `exports.main = async () => new Response(new ReadableStream({ pull() { throw new RangeError("pull failed"); } })).text()`,
			functions.CodeFunctionError, "RangeError: pull failed"},
		{"reader released mid-read", `exports.main = async () => { const s = new ReadableStream({ pull() { return new Promise(() => {}); } }); const r = s.getReader(); const p = r.read(); r.releaseLock(); try { await p; } catch (e) { return [e.name, s.locked, s.getReader() instanceof ReadableStreamDefaultReader]; } }`,
			"", `["TypeError",false,true]`},
		{"returned body stream that fails", `exports.main = () => new Response(new ReadableStream({ pull() { throw new Error("pull failed"); } }))`,
			functions.CodeFunctionError, "Error: pull failed"},
		{"returned body stream of strings", `exports.main = () => new Response(new ReadableStream({ start(c) { c.enqueue("text"); c.close(); } }))`,
			functions.CodeFunctionError, "not a Uint8Array"},
		{"returned body stream over the output cap", `exports.main = () => new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1 << 20)); } }))`,
			functions.CodeBadResult, "the limit is 6291456"},
		{"returned body stream that never ends, with a timer", `exports.main = () => new Response(new ReadableStream({ start(c) { setInterval(() => c.enqueue(new Uint8Array([1])), 5); } }))`,
			functions.CodeTimeout, "time limit of 300 ms"},
		{"returned body stream that nothing can end", `exports.main = () => new Response(new ReadableStream({ pull() { return new Promise(() => {}); } }))`,
			functions.CodeFunctionError, "body stream never ends"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := fnInv(t, "acme", fmt.Sprint("hostile", i), 1, functions.TypeApp, c.src, `{}`)
			inv.Timeout = 300 * time.Millisecond
			inv.MemoryMB = 8 // the bounds come sooner (4,096 read requests), as they must under -race too
			if c.code == functions.CodeMemoryLimit {
				inv.Timeout = 10 * time.Second // the guard, not the clock, must stop it
			}
			res, err := e.Execute(context.Background(), inv)
			var re *functions.RunError
			switch {
			case c.code == "" && (err != nil || !strings.Contains(string(res.JSON), c.msg)):
				t.Fatalf("got %v %v, want %s", res, err, c.msg)
			case c.code != "" && (!errors.As(err, &re) || re.Code != c.code || !strings.Contains(re.Message, c.msg)):
				t.Fatalf("got %v %v, want %s: %s", res, err, c.code, c.msg)
			}
			// The function's next call is served.
			next := fnInv(t, "acme", fmt.Sprint("hostile", i), 1, functions.TypeApp, `exports.main = async () => new Response(new Blob(["ok"]).stream()).text()`, `{}`)
			if got := call(t, e, next); got != `"ok"` {
				t.Fatalf("next call: %s", got)
			}
		})
	}
}

// Nothing of a call's streams reaches the next call of a warm runtime: a
// read left pending when the call ended is never fulfilled by that call's
// timers, which die with it.
func TestStreamsWarmIsolation(t *testing.T) {
	e := New(Config{})
	src := `exports.main = (d) => {
		if (d.start) {
			globalThis.got = "nothing";
			const s = new ReadableStream({ pull(c) { return new Promise((r) => setTimeout(() => { c.enqueue("late"); r(); }, 20)); } });
			s.getReader().read().then((x) => { globalThis.got = x.value; });
			return "started";
		}
		return globalThis.got;
	}`
	if got := call(t, e, fnInv(t, "acme", "iso", 1, functions.TypeApp, src, `{"start":true}`)); got != `"started"` {
		t.Fatal(got)
	}
	time.Sleep(60 * time.Millisecond)
	if got := call(t, e, fnInv(t, "acme", "iso", 1, functions.TypeApp, src, `{}`)); got != `"nothing"` {
		t.Fatalf("the first call's pending read reached the second: %s", got)
	}
	if st := e.WarmStats(); st.Hits == 0 {
		t.Fatalf("the second call did not get the warm runtime: %+v", st)
	}
}

// A user loop that keeps every chunk of an endless stream grows the heap
// without calling a guard; the heap watcher stops it, and the engine goes on.
func TestStreamsHeapWatch(t *testing.T) {
	e := New(Config{HeapLimit: 256 << 20, HeapCheckEvery: 2 * time.Millisecond})
	defer e.Close()
	_, rerr := invoke(t, e, functions.TypeApp, `exports.main = async () => {
		const s = new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1 << 20)); } });
		const kept = [];
		for await (const chunk of s) kept.push(chunk);
	}`, "", `{}`, 30*time.Second)
	if rerr == nil || rerr.Code != functions.CodeMemoryLimit {
		t.Fatalf("got %+v", rerr)
	}
	runtime.GC()
	if res, rerr := invoke(t, e, functions.TypeApp, `exports.main = () => 1`, "", `{}`, time.Second); rerr != nil || string(res.JSON) != "1" {
		t.Fatalf("after the trip: %v %v", res, rerr)
	}
}

// Scripts have no streams: the globals and a body's stream say to deploy an App.
func TestStreamsScriptsHaveNone(t *testing.T) {
	e := New(Config{})
	for _, src := range []string{
		`function main() { return new ReadableStream() }`,
		`function main() { return new Response("x").body }`,
	} {
		_, rerr := invoke(t, e, functions.TypeScript, src, "", `{}`, time.Second)
		if rerr == nil || !strings.Contains(rerr.Message, "deploy the function as type 'app'") {
			t.Errorf("%s: got %+v", src, rerr)
		}
	}
}
