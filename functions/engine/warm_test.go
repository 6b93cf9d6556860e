package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/cache"
	"github.com/scriptforge/scriptforge/functions"
)

// counterSrc counts the calls its runtime served, in module state.
const counterSrc = `let n = 0; exports.main = (d) => { n++; return {n, v: process.env.SCRIPTFORGE_ID} }`

// fnInv is one call of a function: tenant, File ID and version name whose
// runtime the call may get.
func fnInv(t testing.TB, tenant, id string, version int, typ functions.Type, src, data string) *functions.Invocation {
	t.Helper()
	tr, err := Transpile(id+".js", src)
	if err != nil {
		t.Fatalf("transpile: %v", err)
	}
	return &functions.Invocation{
		RequestID: "req", Function: functions.FunctionInfo{ID: id, Tenant: tenant, Name: id, Version: version},
		Type: typ, Code: tr.Code, Hash: tr.Hash, Timeout: time.Second, MemoryMB: 64, Data: json.RawMessage(data),
	}
}

// call runs inv and returns its JSON result, or the error code.
func call(t testing.TB, e *Engine, inv *functions.Invocation) string {
	t.Helper()
	res, err := e.Execute(context.Background(), inv)
	if err != nil {
		var re *functions.RunError
		if !errors.As(err, &re) {
			t.Fatalf("execute: %T %v", err, err)
		}
		return "error:" + re.Code
	}
	if res.Response != nil {
		return string(res.Response.Body)
	}
	return string(res.JSON)
}

// count is the n of a counterSrc answer.
func count(t testing.TB, out string) int {
	t.Helper()
	var v struct{ N int }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("answer %q: %v", out, err)
	}
	return v.N
}

func TestWarmStatePersistsWithinOneVersion(t *testing.T) {
	e := New(Config{})
	inv := fnInv(t, "acme", "fn_a", 1, functions.TypeApp, counterSrc, `{}`)
	for want := 1; want <= 5; want++ {
		if got := count(t, call(t, e, inv)); got != want {
			t.Fatalf("call %d: n = %d; module state should persist in the warm runtime", want, got)
		}
	}
	// ctx and data are new every call.
	ctxInv := fnInv(t, "acme", "fn_ctx", 1, functions.TypeApp, `let seen = [];
		exports.main = (d, ctx) => { seen.push(ctx); d.mark = true; return {ids: seen.map(c => c.requestId), fresh: seen[0] !== ctx || seen.length === 1} }`, `{}`)
	for i, rid := range []string{"r1", "r2", "r3"} {
		inv := *ctxInv
		inv.RequestID = rid
		out := call(t, e, &inv)
		want := `{"ids":[` + strings.Join([]string{`"r1"`, `"r2"`, `"r3"`}[:i+1], ",") + `],"fresh":true}`
		if out != want {
			t.Fatalf("call %d: %s, want %s (a kept ctx keeps its own call's request id)", i+1, out, want)
		}
	}
}

func TestWarmRuntimeNeverCrossesVersionsFunctionsOrTenants(t *testing.T) {
	e := New(Config{})
	base := fnInv(t, "acme", "fn_a", 1, functions.TypeApp, counterSrc, `{}`)
	call(t, e, base)
	call(t, e, base)
	cases := []struct {
		name string
		edit func(inv *functions.Invocation)
	}{
		{"another function, same code", func(inv *functions.Invocation) { inv.Function.ID = "fn_b" }},
		{"another tenant, same id and code", func(inv *functions.Invocation) { inv.Function.Tenant = "globex" }},
		{"another version, same code", func(inv *functions.Invocation) { inv.Function.Version = 2 }},
	}
	for _, tc := range cases {
		inv := *base
		tc.edit(&inv)
		if got := count(t, call(t, e, &inv)); got != 1 {
			t.Fatalf("%s: n = %d, want 1 (a runtime of its own)", tc.name, got)
		}
	}
	// Version 2 was called: version 1 is no longer live, its runtimes are gone.
	if got := count(t, call(t, e, base)); got != 1 {
		t.Fatalf("back on version 1 (a rollback): n = %d, want 1 (its old runtime was dropped)", got)
	}
}

func TestFreshRuntimeOptsOut(t *testing.T) {
	e := New(Config{})
	inv := fnInv(t, "acme", "fn_a", 1, functions.TypeApp, counterSrc, `{}`)
	inv.FreshRuntime = true
	for i := 0; i < 3; i++ {
		if got := count(t, call(t, e, inv)); got != 1 {
			t.Fatalf("call %d with fresh_runtime: n = %d, want 1", i+1, got)
		}
	}
	if st := e.WarmStats(); st.Idle != 0 {
		t.Fatalf("fresh runs were kept warm: %+v", st)
	}
}

// After a call that was interrupted or hit a limit, the next call gets a
// new runtime (n starts again at 1).
func TestWarmRuntimeDiscardedAfterLimits(t *testing.T) {
	src := `let n = 0;
exports.main = async (d) => {
  n++;
  if (d.spin) for (;;) {}
  if (d.bomb) { try { "x".repeat(2 ** 30) } catch (e) { return "caught: " + e.name } }
  if (d.deep) { const f = (i) => f(i + 1) + 1; try { f(0) } catch (e) { return "caught: " + e.name } }
  if (d.logs) { for (let i = 0; i < 2000; i++) console.log("line", i) }
  if (d.big) return "y".repeat(7 << 20);
  if (d.throws) throw new Error("own error");
  if (d.sip) throw new Error("480 Temporarily Unavailable");
  return {n};
}`
	cases := []struct {
		name, data string
		want       string // the limited call's answer
		reused     bool   // whether the next call finds the same runtime
	}{
		{"timeout", `{"spin":true}`, "error:timeout", false},
		{"memory guard, even when caught", `{"bomb":true}`, `"caught: RangeError"`, false},
		{"call stack cap (goja's is uncatchable)", `{"deep":true}`, "error:function_error", false},
		{"console output cap", `{"logs":true}`, "", false},
		{"result size cap", `{"big":true}`, "error:bad_result", false},
		{"its own error keeps the runtime", `{"throws":true}`, "error:function_error", true},
		{"a SIP rejection keeps the runtime", `{"sip":true}`, "error:480", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := New(Config{})
			inv := fnInv(t, "acme", "fn_limits", 1, functions.TypeApp, src, `{}`)
			inv.Timeout = 10 * time.Second // -race on a busy machine: only the spin should time out
			if got := count(t, call(t, e, inv)); got != 1 {
				t.Fatalf("first call: n = %d", got)
			}
			limited := *inv
			limited.Data = json.RawMessage(tc.data)
			if tc.want == "error:timeout" {
				limited.Timeout = 200 * time.Millisecond
			}
			if out := call(t, e, &limited); tc.want != "" && out != tc.want {
				t.Fatalf("limited call: %s, want %s", out, tc.want)
			}
			want := 1
			if tc.reused {
				want = 3
			}
			if got := count(t, call(t, e, inv)); got != want {
				t.Fatalf("after the call: n = %d, want %d", got, want)
			}
		})
	}
}

func TestWarmRuntimeDiscardedAfterCancel(t *testing.T) {
	e := New(Config{})
	inv := fnInv(t, "acme", "fn_c", 1, functions.TypeApp, `let n = 0; exports.main = async (d) => { n++; if (d.wait) await new Promise(() => setTimeout(() => {}, 5000)); return {n} }`, `{}`)
	call(t, e, inv)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	wait := *inv
	wait.Data = json.RawMessage(`{"wait":true}`)
	wait.Timeout = 10 * time.Second
	_, err := e.Execute(ctx, &wait)
	var re *functions.RunError
	if !errors.As(err, &re) || re.Code != functions.CodeCancelled {
		t.Fatalf("want canceled, got %v", err)
	}
	if got := count(t, call(t, e, inv)); got != 1 {
		t.Fatalf("after a cancelled call: n = %d, want 1 (a new runtime)", got)
	}
}

// Nothing of one call's event loop reaches the next: its timers are
// cancelled and its asynchronous work's completions are dropped.
func TestWarmCallLeavesNothingPending(t *testing.T) {
	kv := &slowKV{delay: 60 * time.Millisecond}
	e := New(Config{KV: kv})
	inv := fnInv(t, "acme", "fn_t", 1, functions.TypeApp, `
const kv = require("kv");
let fired = [];
exports.main = async (d) => {
  if (d.leave) {
    setTimeout(() => fired.push("timer"), 20);
    setInterval(() => fired.push("interval"), 5);
    kv.get("k").then(() => fired.push("kv"));
    Promise.resolve().then(() => fired.push("microtask")); // runs before main's promise settles
    return "left";
  }
  await new Promise((r) => setTimeout(r, 150));
  return fired;
}`, `{"leave":true}`)
	if out := call(t, e, inv); out != `"left"` {
		t.Fatalf("first call: %s", out)
	}
	next := *inv
	next.Data = json.RawMessage(`{}`)
	if out := call(t, e, &next); out != `["microtask"]` {
		t.Fatalf("second call saw %s; the first call's timers and kv completion must not fire in it", out)
	}
	if st := e.WarmStats(); st.Hits != 1 {
		t.Fatalf("the second call should have reused the runtime: %+v", st)
	}
}

// slowKV answers every kv call after a delay, unless the run ends first.
type slowKV struct{ delay time.Duration }

func (s *slowKV) KV(ctx context.Context, _ *functions.Invocation, _ functions.KVOp) functions.KVReply {
	select {
	case <-time.After(s.delay):
		return functions.KVReply{OK: true, Value: json.RawMessage(`1`)}
	case <-ctx.Done():
		return functions.KVReply{Code: "unavailable", Error: "cancelled"}
	}
}

// One function's tampering with the built-ins stays in its own runtimes;
// and the guards survive whatever a warm runtime's earlier calls did.
func TestWarmTamperingStaysInsideAndGuardsStay(t *testing.T) {
	e := New(Config{})
	tamper := fnInv(t, "acme", "fn_evil", 1, functions.TypeApp, `
exports.main = (d) => {
  if (d.step === 1) {
    Array.prototype.push = function () { return "hacked" };
    JSON.parse = () => ({hacked: true});
    String.prototype.repeat = function () { return "no guard" };
    delete globalThis.ArrayBuffer;
    try { delete String.prototype.padEnd } catch (e) {}
    Object.defineProperty(globalThis, "Uint8Array", {value: function () { return [] }, configurable: true});
    return "tampered";
  }
  // Step 2: reach for the originals every way we know.
  const out = {};
  const tries = {
    buffer: () => new ArrayBuffer(2 ** 40),
    viaProto: () => new (Object.getPrototypeOf(globalThis).ArrayBuffer)(2 ** 40),
    viaDescriptor: () => new (Object.getOwnPropertyDescriptor(Object.getPrototypeOf(globalThis), "ArrayBuffer").value)(2 ** 40),
    viaReflect: () => Reflect.construct(Reflect.get(Object.getPrototypeOf(globalThis), "ArrayBuffer"), [2 ** 40]),
    viaFunction: () => new (Function("return this")().Float64Array)(2 ** 37),
    pad: () => "x".padStart(2 ** 31),
    fill: () => new Array(2 ** 32 - 1).fill(0),
  };
  for (const [k, f] of Object.entries(tries)) {
    try { f(); out[k] = "allocated?!" } catch (e) { out[k] = e.name }
  }
  return out;
}`, `{"step":1}`)
	if out := call(t, e, tamper); out != `"tampered"` {
		t.Fatalf("step 1: %s", out)
	}
	step2 := *tamper
	step2.Data = json.RawMessage(`{"step":2}`)
	out := call(t, e, &step2)
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("step 2: %s (memory_limit is fine too, a crash is not)", out)
	}
	for k, v := range got {
		if v != "RangeError" && v != "TypeError" {
			t.Errorf("%s after tampering: %s, want a RangeError from the guard", k, v)
		}
	}
	if st := e.WarmStats(); st.Hits == 0 {
		t.Fatalf("step 2 should have run in step 1's runtime: %+v", st)
	}
	// Another function in the same engine sees pristine built-ins.
	clean := fnInv(t, "acme", "fn_clean", 1, functions.TypeApp, `exports.main = (d) => { const a = []; a.push(1); return [a.length, JSON.parse("[2]")[0], "ab".repeat(2)] }`, `{}`)
	if out := call(t, e, clean); out != `[1,2,"abab"]` {
		t.Fatalf("another function saw the tampering: %s", out)
	}
}

func TestWarmPoolBounds(t *testing.T) {
	t.Run("count, least recently used out", func(t *testing.T) {
		e := New(Config{Warm: WarmConfig{MaxRuntimes: 2}})
		invs := []*functions.Invocation{}
		for _, id := range []string{"f1", "f2", "f3"} {
			inv := fnInv(t, "acme", id, 1, functions.TypeApp, counterSrc, `{}`)
			invs = append(invs, inv)
			call(t, e, inv)
		}
		if st := e.WarmStats(); st.Idle != 2 {
			t.Fatalf("idle %d, want 2", st.Idle)
		}
		// f3 was called no more often than f1: the pool kept f1. Called
		// again, f3 is the more frequent and takes f1's place.
		if got := count(t, call(t, e, invs[2])); got != 1 {
			t.Fatalf("f3 should not have been admitted over f1, called as often: n = %d", got)
		}
		if got := count(t, call(t, e, invs[0])); got != 1 {
			t.Fatalf("f1, the least recently used, should have been evicted: n = %d", got)
		}
		if got := count(t, call(t, e, invs[2])); got != 2 {
			t.Fatalf("f3 should still be warm: n = %d", got)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		e := New(Config{Warm: WarmConfig{MaxBytes: runtimeBaseBytes * 3}})
		for i := range 10 {
			call(t, e, fnInv(t, "acme", "f"+string(rune('a'+i)), 1, functions.TypeApp, counterSrc, `{}`))
		}
		if st := e.WarmStats(); st.IdleBytes > runtimeBaseBytes*3 || st.Idle == 0 || st.Idle > 3 {
			t.Fatalf("over the byte bound: %+v", st)
		}
	})
	t.Run("calls per runtime", func(t *testing.T) {
		e := New(Config{Warm: WarmConfig{MaxCalls: 3}})
		inv := fnInv(t, "acme", "f", 1, functions.TypeApp, counterSrc, `{}`)
		var ns []int
		for range 7 {
			ns = append(ns, count(t, call(t, e, inv)))
		}
		if want := []int{1, 2, 3, 1, 2, 3, 1}; !equalInts(ns, want) {
			t.Fatalf("n over 7 calls: %v, want %v", ns, want)
		}
	})
	t.Run("age", func(t *testing.T) {
		e := New(Config{Warm: WarmConfig{MaxAge: 50 * time.Millisecond}})
		inv := fnInv(t, "acme", "f", 1, functions.TypeApp, counterSrc, `{}`)
		call(t, e, inv)
		time.Sleep(60 * time.Millisecond)
		if got := count(t, call(t, e, inv)); got != 1 {
			t.Fatalf("a runtime past its age served again: n = %d", got)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		e := New(Config{Warm: WarmConfig{MaxRuntimes: -1}})
		inv := fnInv(t, "acme", "f", 1, functions.TypeApp, counterSrc, `{}`)
		call(t, e, inv)
		if got := count(t, call(t, e, inv)); got != 1 {
			t.Fatalf("warm runtimes disabled, yet n = %d", got)
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Concurrent calls of one version each get a runtime of their own: the
// pool grows to the calls in flight, and no runtime runs two calls at once
// (goja would corrupt it; -race would see it).
func TestWarmConcurrentCalls(t *testing.T) {
	e := New(Config{})
	inv := fnInv(t, "acme", "f", 1, functions.TypeApp, `let busy = false;
exports.main = async (d) => { if (busy) throw new Error("two calls in one runtime"); busy = true; await new Promise(r => setTimeout(r, 5)); busy = false; return "ok" }`, `{}`)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 8 {
				if out := call(t, e, inv); out != `"ok"` {
					errs <- out
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for out := range errs {
		t.Fatal(out)
	}
	if st := e.WarmStats(); st.Idle < 2 || st.Idle > 8 {
		t.Fatalf("idle runtimes after 8 concurrent callers: %+v", st)
	}
}

// TestWarmRuntimeFootprint checks the estimate of an idle runtime's
// memory (runtimeBaseBytes, libBytes) against the heap that idle
// runtimes of a trivial App really hold, with and without a library.
func TestWarmRuntimeFootprint(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	for _, tc := range []struct{ name, body string }{
		{"bare", `return {ok: true, n: d.n}`},
		{"console", `console.log("hi"); return {ok: true, n: d.n}`},
		{"streams", `new ReadableStream(); return {ok: true, n: d.n}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 300
			e := New(Config{Warm: WarmConfig{MaxRuntimes: n * 2, MaxBytes: 1 << 40}})
			invs := make([]*functions.Invocation, n)
			for i := range invs {
				invs[i] = fnInv(t, "acme", fmt.Sprint("f", i), 1, functions.TypeApp,
					`exports.main = (d, ctx) => { `+tc.body+` }`, `{"n":1}`)
			}
			call(t, e, invs[0]) // the program, compiled once for all
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for _, inv := range invs[1:] {
				call(t, e, inv)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			per := int64(after.HeapAlloc-before.HeapAlloc) / (n - 1)
			st := e.WarmStats()
			estimate := st.IdleBytes / int64(st.Idle)
			t.Logf("an idle warm runtime holds about %d KiB (estimate %d KiB)", per>>10, estimate>>10)
			if st.Idle != n {
				t.Fatalf("idle %d, want %d", st.Idle, n)
			}
			if per > estimate*3/2 || per < estimate*2/3 {
				t.Fatalf("a runtime holds %d bytes, the estimate is %d: adjust runtimeBaseBytes or libBytes", per, estimate)
			}
		})
	}
}

// BenchmarkWarmRun is a trivial App's call in a warm runtime, against a
// fresh runtime per call.
func BenchmarkWarmRun(b *testing.B) {
	for _, fresh := range []bool{false, true} {
		name := "warm"
		if fresh {
			name = "fresh"
		}
		b.Run(name, func(b *testing.B) {
			e := New(Config{})
			inv := fnInv(b, "acme", "f", 1, functions.TypeApp, `export function main(d) { return {ok: true, n: d.n} }`, `{"n":1}`)
			inv.FreshRuntime = fresh
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Execute(context.Background(), inv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The proxy behind the global answers descriptor queries for builtins it
// does not guard with the builtin itself.
func TestGlobalProxyDescriptors(t *testing.T) {
	e := New(Config{})
	inv := fnInv(t, "acme", "f", 1, functions.TypeScript, `function main() {
  const proto = Object.getPrototypeOf(globalThis);
  const d = Object.getOwnPropertyDescriptor(proto, "Array");
  const g = Object.getOwnPropertyDescriptor(proto, "ArrayBuffer");
  return [d.value === Array, typeof d.writable, g.value === ArrayBuffer]
}`, `{}`)
	if out := call(t, e, inv); out != `[true,"boolean",true]` {
		t.Fatalf("descriptors through the global's prototype: %s", out)
	}
}

// Prepare compiles into the program cache and runs nothing: a module
// that throws at its top level prepares fine and fails only when called;
// code that does not compile fails to prepare.
func TestPrepareCompilesOnly(t *testing.T) {
	programs := cache.New[*Program](1 << 20)
	e := New(Config{Programs: programs})
	inv := fnInv(t, "acme", "f", 1, functions.TypeApp, `throw new Error("top level ran"); export function main() {}`, `{}`)
	prep := *inv
	prep.Prepare = true
	if _, err := e.Execute(context.Background(), &prep); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if st := programs.Stats(); st.Entries != 1 || st.Misses != 1 {
		t.Fatalf("after prepare: %+v, want the program cached", st)
	}
	if st := e.WarmStats(); st.Idle != 0 || st.Misses != 0 {
		t.Fatalf("prepare made a runtime: %+v", st)
	}
	noCode := *inv
	noCode.Code = "" // as a sandbox gets it once the gateway knows it has the program
	if out := call(t, e, &noCode); out != "error:function_error" {
		t.Fatalf("the call after prepare: %s, want the top level's error", out)
	}
	if st := programs.Stats(); st.Misses != 1 || st.Hits == 0 {
		t.Fatalf("the call compiled again: %+v", st)
	}
	bad := fnInv(t, "acme", "g", 1, functions.TypeApp, `exports.main = () => 1`, `{}`)
	bad.Code, bad.Hash, bad.Prepare = "function (", "other", true
	if _, err := e.Execute(context.Background(), bad); err == nil {
		t.Fatal("code that does not compile prepared")
	}
}

// An idle runtime keeps nothing of its last call's request or output.
func TestIdleRuntimeReleasesItsCall(t *testing.T) {
	e := New(Config{})
	inv := fnInv(t, "acme", "f", 1, functions.TypeApp, `exports.main = (d) => { console.log("x".repeat(1000)); return d.big.length }`,
		`{"big":"`+strings.Repeat("y", 1<<20)+`"}`)
	if out := call(t, e, inv); out != "1048576" {
		t.Fatalf("call: %s", out)
	}
	e.warm.mu.Lock()
	idle := e.warm.idle[warmKeyOf(inv)]
	e.warm.mu.Unlock()
	if len(idle) != 1 {
		t.Fatalf("idle runtimes: %d", len(idle))
	}
	r := idle[0].r
	if r.inv.Data != nil || r.inv.Code != "" || r.logs != nil || r.runCtx != nil {
		t.Fatalf("the idle runtime holds its last call: data %d bytes, code %d, %d log lines", len(r.inv.Data), len(r.inv.Code), len(r.logs))
	}
	if r.inv.Function != inv.Function || !slices.Equal(r.inv.Env, inv.Env) {
		t.Fatal("the idle runtime forgot whose it is")
	}
	next := *inv
	next.Data = json.RawMessage(`{"big":"abc"}`)
	if out := call(t, e, &next); out != "3" {
		t.Fatalf("the next call: %s", out)
	}
}

// TestWarmAdmission: when calls cycle over more functions than the pool
// holds, plain LRU would evict each runtime just before its next call
// and never hit; admission keeps the ones it holds. A function that turns
// hot still gets in, in place of one called less often.
func TestWarmAdmission(t *testing.T) {
	const size = 10
	e := New(Config{Warm: WarmConfig{MaxRuntimes: size, MaxBytes: 1 << 40}})
	invs := make([]*functions.Invocation, 2*size)
	for i := range invs {
		invs[i] = fnInv(t, "acme", fmt.Sprint("f", i), 1, functions.TypeApp, `exports.main = (d) => ({n: d.n})`, `{"n":1}`)
	}
	const cycles = 5
	for range cycles {
		for _, inv := range invs {
			call(t, e, inv)
		}
	}
	st := e.WarmStats()
	if want := uint64((cycles - 1) * size); st.Hits != want || st.Idle != size {
		t.Fatalf("round robin over %d functions with room for %d: %d hits, %d idle; want %d hits (the first %d kept warm)",
			len(invs), size, st.Hits, st.Idle, want, size)
	}

	hot := fnInv(t, "acme", "hot", 1, functions.TypeApp, `exports.main = (d) => ({n: d.n})`, `{"n":1}`)
	call(t, e, hot) // as often as the others lately: not admitted (they were called more)
	for range 2 * cycles {
		call(t, e, hot)
	}
	if st2 := e.WarmStats(); st2.Hits < st.Hits+uint64(cycles) {
		t.Fatalf("a function called %d times in a row got %d warm calls; want it admitted", 2*cycles+1, st2.Hits-st.Hits)
	}
}

// TestAdmissionAges: the call counts halve every sampleSize calls, so
// old popularity fades.
func TestAdmissionAges(t *testing.T) {
	a := newAdmission(10)
	old := a.hash(warmKey{tenant: "t", function: "old"})
	for range 40 {
		a.called(old)
	}
	if f := a.frequency(old); f != 40 {
		t.Fatalf("frequency %d after 40 calls", f)
	}
	other := a.hash(warmKey{tenant: "t", function: "other"})
	for range a.sampleSize {
		a.called(other)
	}
	if f := a.frequency(old); f > 20 {
		t.Fatalf("frequency %d after a sample's worth of other calls; want it halved", f)
	}
	if a.frequency(a.hash(warmKey{tenant: "t", function: "never"})) != 0 {
		t.Fatal("a key never called has a frequency")
	}
}

// TestProgramFootprint checks programBytes, the compiled-program cache's
// estimate, against the heap compiled programs really hold, small and large.
func TestProgramFootprint(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	for _, body := range []string{
		`return {ok: true, n: d.n}`,
		strings.Repeat("if (d.n === 7) { d.x = [1, 2, 3].map((v) => v * d.n).join(\",\"); }\n", 150) + `return {ok: true}`,
	} {
		const n = 200
		invs := make([]*functions.Invocation, n)
		for i := range invs {
			invs[i] = fnInv(t, "acme", fmt.Sprint("f", i), 1, functions.TypeApp,
				fmt.Sprintf("const seed = %d;\n", i)+`exports.main = (d, ctx) => { `+body+` }`, `{"n":1}`)
		}
		// The heap is the whole test binary's: another test running at
		// the same time allocates or frees between the two readings. The
		// median of three measurements is the programs' own.
		var pers []int64
		for range 3 {
			e := New(Config{})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for _, inv := range invs {
				if _, err := e.program(inv); err != nil {
					t.Fatal(err)
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(e)
			pers = append(pers, (int64(after.HeapAlloc)-int64(before.HeapAlloc))/n)
		}
		slices.Sort(pers)
		per, estimate := pers[1], programBytes(len(invs[0].Code))
		t.Logf("%d bytes of code: a program holds %d bytes (estimate %d; measured %v)", len(invs[0].Code), per, estimate, pers)
		if per > estimate*2 || per < estimate/2 {
			t.Fatalf("a program of %d bytes holds %d bytes, the estimate is %d: adjust programBytes", len(invs[0].Code), per, estimate)
		}
	}
}

// BenchmarkRoutingStep is one step of bench/routing.sh's chain in a warm
// runtime: the routing data in, one header added, the data out.
func BenchmarkRoutingStep(b *testing.B) {
	e := New(Config{})
	inv := fnInv(b, "acme", "f", 1, functions.TypeScript,
		`function main(d) { d.routing.steps = (d.routing.steps || 0) + 1; (d.headers = d.headers || []).push({key: "X-Step-" + d.routing.steps, value: d.routing.steps}); return d }`,
		`{"routing":{"call_id":"a84b4c76e66710","from":"+442079460000","to":"+15550100","steps":1},"headers":[{"key":"X-Step-1","value":1}],"egress_routing":[{"uri":"sip:+15550100@gw1.example.net"},{"uri":"sip:+15550100@gw2.example.net"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Execute(context.Background(), inv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChainAcrossRuntimes is the measurement behind the issue-13
// proposal for routing chains: bench/routing.sh's three steps as a chain
// runs them now, one warm runtime per function version with the data
// written to JSON after each step and parsed again before the next, and
// the same three steps' work in one runtime, where the data object goes
// from step to step as it is (which DESIGN.md's rule of one runtime per
// function version does not allow).
func BenchmarkChainAcrossRuntimes(b *testing.B) {
	const data = `{"routing":{"call_id":"a84b4c76e66710","from":"+442079460000","to":"+15550100"},"egress_routing":[{"uri":"sip:+15550100@gw1.example.net"},{"uri":"sip:+15550100@gw2.example.net"}]}`
	const step = `d.routing.steps = (d.routing.steps || 0) + 1; (d.headers = d.headers || []).push({key: "X-Step-" + d.routing.steps, value: d.routing.steps}); return d`
	b.Run("three-runtimes", func(b *testing.B) {
		e := New(Config{})
		invs := make([]*functions.Invocation, 3)
		for i := range invs {
			invs[i] = fnInv(b, "acme", fmt.Sprint("f", i), 1, functions.TypeScript, "function main(d) { "+step+" }", data)
		}
		b.ReportAllocs()
		for b.Loop() {
			in := json.RawMessage(data)
			for _, inv := range invs {
				inv.Data = in
				res, err := e.Execute(context.Background(), inv)
				if err != nil {
					b.Fatal(err)
				}
				in = res.JSON
			}
		}
	})
	b.Run("one-runtime", func(b *testing.B) {
		e := New(Config{})
		inv := fnInv(b, "acme", "f", 1, functions.TypeScript, "function step(d) { "+step+" }\nfunction main(d) { return step(step(step(d))) }", data)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Execute(context.Background(), inv); err != nil {
				b.Fatal(err)
			}
		}
	})
}
