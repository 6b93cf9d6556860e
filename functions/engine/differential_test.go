package engine

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// differential evaluates each expression in our runtime (an App) and in
// Node.js, and compares what JSON.stringify makes of the results; an
// expression that throws compares as its error's name. It needs node
// (nodeOrSkip: skipped without it, failing under CI=true).
func differential(t *testing.T, exprs []string) {
	t.Helper()
	node := nodeOrSkip(t)
	var list strings.Builder
	for _, e := range exprs {
		list.WriteString("  () => (" + e + "),\n")
	}
	body := "const cases = [\n" + list.String() + "];\n" +
		`const probe = () => cases.map((f) => { try { const v = f(); return {value: v === undefined ? "undefined" : JSON.stringify(v)}; } catch (e) { return {throws: e && e.name}; } });` + "\n"
	inv := fnInv(t, "acme", "differential", 1, functions.TypeApp, body+"export function main() { return probe() }", `{}`)
	inv.Timeout = 20 * time.Second
	var ours []map[string]string
	if err := json.Unmarshal([]byte(call(t, New(Config{}), inv)), &ours); err != nil {
		t.Fatal(err)
	}
	theirs := nodeResults(t, node, body+"process.stdout.write(JSON.stringify(probe()))")
	compareWithNode(t, node, "expressions", exprs, ours, theirs)
}

// nodeResults runs a script in node, on the sandbox's clock (TZ=UTC), and
// decodes the JSON list of results it prints.
func nodeResults(t *testing.T, node, script string) []map[string]string {
	t.Helper()
	cmd := exec.Command(node, "-e", script)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var theirs []map[string]string
	if err := json.Unmarshal(out, &theirs); err != nil {
		t.Fatalf("node printed %.200q: %v", out, err)
	}
	return theirs
}

// compareWithNode reports each case whose result (value, or the name of
// the error thrown) differs between our runtime and node, and counts
// those that agree.
func compareWithNode(t *testing.T, node, noun string, cases []string, ours, theirs []map[string]string) {
	t.Helper()
	if len(ours) != len(cases) || len(theirs) != len(cases) {
		t.Fatalf("%d cases, %d results here, %d from node", len(cases), len(ours), len(theirs))
	}
	agree := 0
	for i, c := range cases {
		if ours[i]["value"] == theirs[i]["value"] && ours[i]["throws"] == theirs[i]["throws"] {
			agree++
			continue
		}
		t.Errorf("%s\n ours %v\n node %v", c, ours[i], theirs[i])
	}
	t.Logf("%d of %d %s agree with node %s", agree, len(cases), noun, nodeVersion(node))
}

func TestURLSearchParamsAgainstNode(t *testing.T) {
	differential(t, []string{
		`[...new URLSearchParams("?a=1&b=2&a=3")]`,
		`new URLSearchParams("a=b=c&d&=x&y=&&z").toString()`,
		`new URLSearchParams({"a b": "c+d", "é": "ü", "~*-._!'()": "/?#&="}).toString()`,
		`new URLSearchParams([["x", "1"], ["y", "2"]]).get("y")`,
		`[new URLSearchParams("a=%zz&b=%41+%42&c=%C3").get("a"), new URLSearchParams("b=%41+%42").get("b"), new URLSearchParams("c=%C3%28").get("c")]`,
		`(() => { const p = new URLSearchParams("z=1&a=2&\uD83D\uDE00=3&\uFFFD=4&a=0&\u00E9=5"); p.sort(); return [...p.keys()] })()`,
		`new URLSearchParams("a=1&a=2&b=3").size`,
		`(() => { const p = new URLSearchParams("a=1&a=2&b=3"); p.delete("a", "2"); return [p.toString(), p.has("a", "1"), p.has("a", "2"), p.has("b")] })()`,
		`String(new URLSearchParams("q=a%20b+c"))`,
		`(() => { const u = new URL("http://x/?a=1"); u.searchParams.append("b", "2 3"); const h1 = u.href; u.search = "c=4"; return [h1, u.href, [...u.searchParams]] })()`,
		`(() => { const u = new URL("http://x/?a=1#f"); u.searchParams.delete("a"); return [u.href, u.search] })()`,
		`new URLSearchParams("a\uD800=1").toString()`,
		`new URLSearchParams(new Map([["m", "1"], ["n", "2"]])).toString()`,
		`new URLSearchParams([["a"]])`,
		`Object.prototype.toString.call(new URLSearchParams())`,
		`(() => { const p = new URLSearchParams("a=1&b=2&a=3"); p.set("a", "x"); return p.toString() })()`,
		`(() => { const seen = []; new URLSearchParams("a=1&b=2").forEach((v, k) => seen.push(k + v)); return seen })()`,
		`[...new URLSearchParams("a=1&b=2").entries()]`,
		`new URLSearchParams(new URLSearchParams("a=1")).toString()`,
		`new URLSearchParams("  a = 1 ").get(" a ")`,
		`new URLSearchParams("+=+").toString()`,
		`(() => { const u = new URL("http://x/?%zz=%zz"); return [u.searchParams.get("%zz"), u.search] })()`,
	})
}
