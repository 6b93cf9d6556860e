package engine

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/sqlite"
)

func kvEngine(t *testing.T, quota functions.KVQuota) (*Engine, *sqlite.Store) {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return New(Config{KV: LocalKV{Store: store, Quota: quota}}), store
}

func TestKVModule(t *testing.T) {
	e, store := kvEngine(t, functions.KVQuota{})
	for _, tc := range []struct{ name, src, want string }{
		{"set and get", `const kv = require("kv");
			export async function main() { await kv.set("user:1", {name: "Ada", tags: ["x"]}); return await kv.get("user:1") }`,
			`{"name":"Ada","tags":["x"]}`},
		{"missing is null", `const kv = require("kv"); export async function main() { return await kv.get("nope") }`, `null`},
		{"incr", `const kv = require("kv");
			export async function main() { await kv.incr("n"); await kv.incr("n", 4); return await kv.incr("n", -2) }`, `3`},
		{"delete", `const kv = require("kv");
			export async function main() { await kv.set("d", 1); return [await kv.delete("d"), await kv.delete("d"), await kv.get("d")] }`, `[true,false,null]`},
		{"list with a cursor", `const kv = require("kv");
			export async function main() {
				for (let i = 0; i < 5; i++) await kv.set("page:" + i, i, {ttl: 3600});
				const a = await kv.list({prefix: "page:", limit: 3});
				const b = await kv.list({prefix: "page:", limit: 3, cursor: a.cursor});
				return [a.keys.map(k => k.name), a.list_complete, b.keys.map(k => k.name), b.list_complete, a.keys[0].expiration > Date.now() / 1000]
			}`, `[["page:0","page:1","page:2"],false,["page:3","page:4"],true,true]`},
		{"import form", `import kv from "kv"; export async function main() { await kv.set("esm", "yes"); return kv.get("esm") }`, `"yes"`},
		{"errors are catchable with a code", `const kv = require("kv");
			export async function main() { await kv.set("s", "text"); try { await kv.incr("s") } catch (e) { return [e.code, e.message] } }`,
			`["not_number","kv.incr: kv key \"s\" does not hold a number"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, rerr := invoke(t, e, functions.TypeApp, tc.src, "", `{}`, 2*time.Second)
			if rerr != nil || string(res.JSON) != tc.want {
				t.Fatalf("got %v %+v; want %s", res, rerr, tc.want)
			}
		})
	}
	// It all went to the invocation's tenant ("default" in invoke), durably.
	if v, ok, _ := store.KVGet(context.Background(), "default", "n"); !ok || string(v) != "3" {
		t.Fatalf("stored: %s %v", v, ok)
	}
}

func TestKVModuleAbuse(t *testing.T) {
	e, _ := kvEngine(t, functions.KVQuota{MaxKeys: 5, MaxBytes: 4096})
	for _, tc := range []struct{ name, src, msg string }{
		{"quota overrun", `const kv = require("kv"); export async function main() { for (let i = 0; ; i++) await kv.set("k" + i, i) }`, "quota exceeded"},
		{"value too large", `const kv = require("kv"); export async function main() { await kv.set("big", "x".repeat(70000)) }`, "at most 65536 bytes"},
		{"non-string key", `const kv = require("kv"); export async function main() { await kv.get({}) }`, "must be a string"},
		{"empty key", `const kv = require("kv"); export async function main() { await kv.get("") }`, "1 to 512 bytes"},
		{"undefined value", `const kv = require("kv"); export async function main() { await kv.set("u") }`, "a value is required"},
		{"function value", `const kv = require("kv"); export async function main() { await kv.set("f", () => 1) }`, "not JSON-serializable"},
		{"circular value", `const kv = require("kv"); export async function main() { const a = {}; a.a = a; await kv.set("c", a) }`, "circular"},
		{"bad ttl", `const kv = require("kv"); export async function main() { await kv.set("t", 1, {ttl: -5}) }`, "ttl is a number of seconds"},
		{"a flood of calls", `const kv = require("kv"); export async function main() { for (let i = 0; i < 1000; i++) kv.get("x") }`, "too many asynchronous operations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rerr := invoke(t, e, functions.TypeApp, tc.src, "", `{}`, 5*time.Second)
			if rerr == nil || !strings.Contains(rerr.Message, tc.msg) {
				t.Fatalf("got %+v; want %q", rerr, tc.msg)
			}
		})
	}
	// Scripts have no require at all.
	_, rerr := invoke(t, e, functions.TypeScript, `function main() { return require("kv") }`, "", `{}`, time.Second)
	if rerr == nil || !strings.Contains(rerr.Message, "not available in Script functions") {
		t.Fatalf("kv from a Script: %+v", rerr)
	}
	// Without a store the module still loads, and says why calls fail.
	bare := New(Config{})
	_, rerr = invoke(t, bare, functions.TypeApp, `const kv = require("kv"); export async function main() { await kv.get("x") }`, "", `{}`, time.Second)
	if rerr == nil || !strings.Contains(rerr.Message, "not available on this gateway") {
		t.Fatalf("no store: %+v", rerr)
	}
}
