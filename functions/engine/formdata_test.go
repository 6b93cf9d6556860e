package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scriptforge/scriptforge/functions"
)

// FormData against Node.js: the list's methods, and bodies that go out as
// multipart/form-data and come back through formData().
func TestFormDataAgainstNode(t *testing.T) {
	differential(t, []string{
		`(() => { const f = new FormData(); f.append("a", "1"); f.append("b", 2); f.append("a", "3"); f.set("b", "x"); return [[...f], f.get("a"), f.getAll("a"), f.has("b"), f.get("nope"), Object.prototype.toString.call(f)] })()`,
		`(() => { const f = new FormData(); f.append("a", "1"); f.append("a", "2"); f.append("c", "3"); f.set("a", "z"); f.delete("c"); return [...f.keys()].concat([...f.values()]) })()`,
		`(() => { const f = new FormData(); f.append("f", new Blob(["hi"], {type: "text/x"})); f.append("g", new Blob(["yo"]), "g.txt"); f.append("h", new File(["x"], "h.bin")); return [...f].map(([k, v]) => [k, v.name, v.type, v.size, v instanceof File]) })()`,
		`(() => { try { new FormData().append("a") } catch (e) { return e.name } })()`,
		`(() => { try { new FormData().append("a", "b", "c") } catch (e) { return e.name } })()`,
		`[FormData.prototype.append.length, FormData.prototype.set.length, FormData.prototype.get.length]`,
	})
}

func TestFormDataBodies(t *testing.T) {
	runModuleCases(t, New(Config{}), functions.TypeApp, []moduleCase{
		{"round trip", `const f = new FormData(); f.append("a", "1\n2"); f.append("name\"q", "é"); f.append("file", new File(["<b/>"], "a \"b\".html", {type: "text/html"}));
			const r = new Response(f); const type = r.headers.get("content-type"); const back = await r.formData();
			return [type.startsWith("multipart/form-data; boundary="), [...back].map(([k, v]) => typeof v === "string" ? [k, v] : [k, v.name, v.type, v.size])]`,
			`[true,[["a","1\r\n2"],["name\"q","é"],["file","a \"b\".html","text/html",4]]]`, false},
		{"urlencoded", `const r = new Response("a=1&b=x+y&a=%C3%A9", {headers: {"content-type": "application/x-www-form-urlencoded"}}); return [...await r.formData()]`,
			`[["a","1"],["b","x y"],["a","é"]]`, false},
		{"not form data", `await new Response("{}", {headers: {"content-type": "application/json"}}).formData()`, `is not form data`, true},
		{"no boundary", `await new Response("x", {headers: {"content-type": "multipart/form-data"}}).formData()`, `has no boundary`, true},
		{"malformed", `await new Response("--b\r\nnope", {headers: {"content-type": "multipart/form-data; boundary=b"}}).formData()`, `malformed`, true},
		{"request body", `const q = new Request("https://x.org/", {method: "POST", body: (() => { const f = new FormData(); f.append("k", "v"); return f })()}); return [...await q.formData()]`, `[["k","v"]]`, false},
	})
}

// A multipart body of 100,000 parts is refused with a clear error.
func TestFormDataManyParts(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 100_000; i++ {
		fmt.Fprintf(&b, "--x\r\nContent-Disposition: form-data; name=\"p%d\"\r\n\r\nv\r\n", i)
	}
	b.WriteString("--x--\r\n")
	_, err := parseFormBody([]byte(b.String()), "multipart/form-data; boundary=x", 1<<30)
	if err == nil || !strings.Contains(err.Error(), "more than 10000 parts") {
		t.Fatalf("100,000 parts: %v", err)
	}
	runModuleCases(t, New(Config{}), functions.TypeApp, []moduleCase{
		{"in a function", `const s = new Array(100000).fill("--x\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n").join("") + "--x--\r\n";
			await new Response(s, {headers: {"content-type": "multipart/form-data; boundary=x"}}).formData()`, `more than 10000 parts`, true},
	})
}
