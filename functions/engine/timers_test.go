package engine

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions"
)

func TestTimers(t *testing.T) {
	e := New(Config{})
	for _, tc := range []struct {
		name, src, want string
	}{
		{"setTimeout resolves an awaited promise",
			`export async function main() { await new Promise(r => setTimeout(r, 20)); return "waited" }`, `"waited"`},
		{"order by deadline, then by creation",
			`export function main() { const out = []; return new Promise(done => {
				setTimeout(() => out.push("b"), 10); setTimeout(() => out.push("a"), 0); setTimeout(() => out.push("a2"), 0);
				setTimeout(() => done(out), 30); }) }`, `["a","a2","b"]`},
		{"arguments are passed",
			`export function main() { return new Promise(r => setTimeout((x, y) => r(x + y), 1, 2, 3)) }`, `5`},
		{"clearTimeout",
			`export function main() { return new Promise(r => { const id = setTimeout(() => r("fired"), 5); clearTimeout(id); setTimeout(() => r("cleared"), 20) }) }`, `"cleared"`},
		{"setInterval ticks until cleared",
			`export function main() { return new Promise(r => { let n = 0; const id = setInterval(() => { if (++n === 3) { clearInterval(id); r(n) } }, 2) }) }`, `3`},
		{"setImmediate and queueMicrotask",
			`export function main() { const out = []; return new Promise(r => { setImmediate(() => { out.push("immediate"); r(out) }); queueMicrotask(() => out.push("micro")) }) }`, `["micro","immediate"]`},
		{"a plain return does not wait for timers",
			`export function main() { setTimeout(() => { throw new Error("never") }, 5); return "now" }`, `"now"`},
		{"require('timers')",
			`const t = require("timers"); export function main() { return new Promise(r => t.setTimeout(() => r(typeof t.clearInterval), 1)) }`, `"function"`},
		{"a rejection from a timer",
			`export function main() { return new Promise((_, rej) => setTimeout(() => rej(new Error("480 Temporarily Unavailable")), 1)).catch(e => e.message) }`, `"480 Temporarily Unavailable"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, rerr := invoke(t, e, functions.TypeApp, tc.src, "", `{}`, 2*time.Second)
			if rerr != nil || string(res.JSON) != tc.want {
				t.Fatalf("got %v %+v; want %s", res, rerr, tc.want)
			}
		})
	}
}

func TestTimerAbuse(t *testing.T) {
	e := New(Config{})
	for _, tc := range []struct {
		name, src  string
		code, msg  string
		maxElapsed time.Duration
	}{
		{"a promise nothing can settle", `export function main() { return new Promise(() => {}) }`,
			functions.CodeFunctionError, "never settles", time.Second},
		{"a timer past the time limit is interrupted while waiting", `export function main() { return new Promise(r => setTimeout(r, 60000)) }`,
			functions.CodeTimeout, "time limit of 300 ms", 2 * time.Second},
		{"an interval that never settles anything", `export function main() { setInterval(() => {}, 0); return new Promise(() => {}) }`,
			functions.CodeTimeout, "time limit", 2 * time.Second},
		{"a setInterval flood", `export function main() { for (;;) setInterval(() => {}, 1000) }`,
			functions.CodeFunctionError, "too many timers", time.Second},
		{"a busy callback", `export function main() { return new Promise(() => setTimeout(() => { for (;;) {} }, 1)) }`,
			functions.CodeTimeout, "time limit", 2 * time.Second},
		{"a string callback is not evaluated", `export function main() { setTimeout("globalThis.x = 1", 1) }`,
			functions.CodeFunctionError, "must be a function", time.Second},
		{"Scripts have no timers", `function main() { setTimeout(() => {}, 1) }`,
			functions.CodeFunctionError, "not available in Script functions", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ := functions.TypeApp
			if strings.HasPrefix(tc.src, "function main") {
				typ = functions.TypeScript
			}
			start := time.Now()
			_, rerr := invoke(t, e, typ, tc.src, "", `{}`, 300*time.Millisecond)
			if rerr == nil || rerr.Code != tc.code || !strings.Contains(rerr.Message, tc.msg) {
				t.Fatalf("got %+v; want %s containing %q", rerr, tc.code, tc.msg)
			}
			if took := time.Since(start); took > tc.maxElapsed {
				t.Fatalf("took %v", took)
			}
		})
	}
	// The engine is fine afterwards, and no timer of a finished run fires later.
	res, rerr := invoke(t, e, functions.TypeApp, `export function main() { return new Promise(r => setTimeout(() => r("ok"), 1)) }`, "", `{}`, time.Second)
	if rerr != nil || string(res.JSON) != `"ok"` {
		t.Fatalf("after the abuse: %v %v", res, rerr)
	}
}

// A run cancelled while its loop waits for a timer stops at once.
func TestTimerWaitIsCancellable(t *testing.T) {
	e := New(Config{})
	start := time.Now()
	_, rerr := invokeCtx(t, e, 100*time.Millisecond, `export function main() { return new Promise(r => setTimeout(r, 30000)) }`)
	if rerr == nil || rerr.Code != functions.CodeCancelled {
		t.Fatalf("got %+v", rerr)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("the cancel took %v", took)
	}
}

// invokeCtx runs an App whose context is cancelled after cancelAfter.
func invokeCtx(t *testing.T, e *Engine, cancelAfter time.Duration, src string) (*functions.Result, *functions.RunError) {
	t.Helper()
	tr, err := Transpile("test.js", src)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cancelAfter)
	defer cancel()
	res, err := e.Execute(ctx, &functions.Invocation{Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash,
		Timeout: time.Minute, Data: json.RawMessage(`{}`)})
	var re *functions.RunError
	if err != nil && !errors.As(err, &re) {
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
	return res, re
}

// A test-only module whose sleep(ms) resolves from another goroutine,
// as a fetch does.
func init() {
	registerModule("test:async", func(r *run) goja.Value {
		m := r.vm.NewObject()
		_ = m.Set("sleep", func(c goja.FunctionCall) goja.Value {
			ms := c.Argument(0).ToInteger()
			p, resolve, _ := r.vm.NewPromise()
			r.startAsync(func(ctx context.Context) func() error {
				select {
				case <-time.After(time.Duration(ms) * time.Millisecond):
				case <-ctx.Done():
				}
				return func() error { return resolve(ms) }
			})
			return r.vm.ToValue(p)
		})
		return m
	})
}

func TestAsyncOperations(t *testing.T) {
	e := New(Config{})
	res, rerr := invoke(t, e, functions.TypeApp, `const {sleep} = require("test:async");
		export async function main() { const got = await Promise.all([sleep(30), sleep(10), new Promise(r => setTimeout(() => r("t"), 20))]); return got }`, "", `{}`, 2*time.Second)
	if rerr != nil || string(res.JSON) != `[30,10,"t"]` {
		t.Fatalf("got %v %+v", res, rerr)
	}
	start := time.Now()
	_, rerr = invoke(t, e, functions.TypeApp, `const {sleep} = require("test:async"); export async function main() { await sleep(60000) }`, "", `{}`, 200*time.Millisecond)
	if rerr == nil || rerr.Code != functions.CodeTimeout || time.Since(start) > 2*time.Second {
		t.Fatalf("a slow operation past the time limit: %+v after %v", rerr, time.Since(start))
	}
	_, rerr = invoke(t, e, functions.TypeApp, `const {sleep} = require("test:async"); export async function main() { for (let i = 0; i < 100; i++) sleep(1000) }`, "", `{}`, 2*time.Second)
	if rerr == nil || !strings.Contains(rerr.Message, "too many asynchronous operations") {
		t.Fatalf("a flood of operations: %+v", rerr)
	}
}
