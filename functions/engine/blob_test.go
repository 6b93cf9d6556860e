package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// Blob and File against Node.js, case by case (the promise-returning
// methods are read in the same App, whose answer waits for them).
func TestBlobAgainstNode(t *testing.T) {
	differential(t, []string{
		`(() => { const b = new Blob(["añ", new Uint8Array([1, 2]), new ArrayBuffer(2), new Blob(["z"])], {type: "Text/Plain"}); return [b.size, b.type, Object.prototype.toString.call(b)] })()`,
		`[new Blob().size, new Blob([]).type, new Blob(["x"], {type: "a\u00e9"}).type, new Blob(["x"], {type: "A/B"}).type]`,
		`(() => { const b = new Blob(["abcdef"]); return [b.slice(1, 3).size, b.slice(-2).size, b.slice(4, 2).size, b.slice(0, 100).size, b.slice(1, 2, "X/Y").type, b.slice().type] })()`,
		`(() => { try { new Blob("abc") } catch (e) { return e.name } })()`,
		`(() => { try { new Blob(["a"], {endings: "wrong"}) } catch (e) { return e.name } })()`,
		`new Blob(["a\r\nb\rc"], {endings: "native"}).size`,
		`new Blob(["\uD800"]).size`,
		`(() => { const f = new File(["hello"], "a.txt", {type: "text/plain", lastModified: 42}); return [f.name, f.size, f.type, f.lastModified, f instanceof Blob, Object.prototype.toString.call(f)] })()`,
		`(() => { try { new File(["x"]) } catch (e) { return e.name } })()`,
		`typeof new File([], "n").lastModified`,
		`[Blob.length, File.length, Blob.name, File.name, typeof Blob.prototype.text, typeof Blob.prototype.arrayBuffer, typeof Blob.prototype.bytes]`,
	})
}

// The asynchronous readers, Response bodies made of blobs, and
// Response.blob().
func TestBlobReaders(t *testing.T) {
	runModuleCases(t, New(Config{}), functions.TypeApp, []moduleCase{
		{"text, arrayBuffer, bytes", `const b = new Blob(["añ", new Uint8Array([33])]); return [await b.text(), [...new Uint8Array(await b.arrayBuffer())], [...await b.bytes()], await b.slice(1).text(), await b.slice(2).text()]`,
			`["añ!",[97,195,177,33],[97,195,177,33],"ñ!","` + "\ufffd" + `!"]`, false},
		{"Response from a Blob", `const r = new Response(new Blob(["<b/>"], {type: "text/html"})); return [r.headers.get("content-type"), await r.text()]`, `["text/html","<b/>"]`, false},
		{"Response.blob", `const b = await new Response("hi", {headers: {"Content-Type": "text/x"}}).blob(); return [b.size, b.type, await b.text(), b instanceof Blob]`, `[2,"text/x","hi",true]`, false},
		{"Request from a Blob", `const q = new Request("https://x.org/", {method: "POST", body: new Blob(["{}"], {type: "application/json"})}); const b = await q.blob(); return [q.headers.get("content-type"), b.type, await b.text()]`,
			`["application/json","application/json","{}"]`, false},
		{"a huge blob meets the budget", `return new Blob([new Uint8Array(100 << 20), new Uint8Array(100 << 20)]).size`, `over this function's memory limit`, true},
	})
}

// A blob made and sliced in a loop stays within the time limit and the memory budget.
func TestBlobHostile(t *testing.T) {
	e := New(Config{})
	inv := fnInv(t, "acme", "blobs", 1, functions.TypeApp, `export function main() { let b = new Blob(["x".repeat(1 << 20)]); for (;;) b = new Blob([b, b]) }`, `{}`)
	inv.Timeout = 5 * time.Second
	_, err := e.Execute(t.Context(), inv)
	if err == nil || !strings.Contains(err.Error(), "memory limit") {
		t.Fatalf("a doubling blob: %v, want the memory budget's RangeError", err)
	}
}
