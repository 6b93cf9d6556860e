package sandbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/sqlite"
)

// kv calls from a sandbox reach the gateway's store, in the tenant of the
// run that made them.
func TestKVThroughTheSandbox(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p := New(Config{Size: 1, MemoryMB: 256, Grace: 300 * time.Millisecond, KV: store,
		KVQuota: functions.KVQuota{MaxKeys: 10},
		Env:     []string{childEnv + "=" + strconv.Itoa(256)},
		Command: func() *exec.Cmd { return exec.Command(os.Args[0], "-test.run=^$") }})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	run := func(tenant, src string) string {
		t.Helper()
		res, err := p.Execute(context.Background(), invocation(t, tenant, src, 64, 2*time.Second))
		if err != nil {
			t.Fatalf("%s: %v", tenant, err)
		}
		return string(res.JSON)
	}
	if got := run("acme", `const kv = require("kv"); export async function main() { await kv.set("k", {v: 1}); return kv.incr("n", 5) }`); got != "5" {
		t.Fatalf("acme set: %s", got)
	}
	// Same sandbox (one slot), another tenant: its own store.
	if got := run("globex", `const kv = require("kv"); export async function main() { return [await kv.get("k"), await kv.incr("n")] }`); got != "[null,1]" {
		t.Fatalf("globex sees: %s", got)
	}
	if got := run("acme", `const kv = require("kv"); export async function main() { return kv.get("k") }`); got != `{"v":1}` {
		t.Fatalf("acme get: %s", got)
	}
	if v, ok, _ := store.KVGet(context.Background(), "acme", "n"); !ok || string(v) != "5" {
		t.Fatalf("in the store: %s %v", v, ok)
	}
	// Many calls in flight at once, from several runs.
	done := make(chan string, 8)
	for i := 0; i < 8; i++ {
		go func() {
			res, err := p.Execute(context.Background(), invocation(t, "acme",
				`const kv = require("kv"); export async function main() { await Promise.all([1,2,3,4,5].map(() => kv.incr("c"))); return "ok" }`, 64, 5*time.Second))
			if err != nil {
				done <- err.Error()
				return
			}
			done <- string(res.JSON)
		}()
	}
	for i := 0; i < 8; i++ {
		if got := <-done; got != `"ok"` {
			t.Fatalf("concurrent run: %s", got)
		}
	}
	if v, _, _ := store.KVGet(context.Background(), "acme", "c"); string(v) != "40" {
		t.Fatalf("40 increments made %s", v)
	}
}
