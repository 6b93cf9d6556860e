package engine

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions"
)

// sameAsParse is a JavaScript check that a and b are the same JSON value
// as JSON.parse makes it: types, -0, array lengths, own keys in order
// with their property flags, and Object.prototype as the prototype.
const sameAsParse = `(function same(a, b) {
  if (typeof a !== typeof b) return "typeof " + typeof a + " vs " + typeof b;
  if (a === null || typeof a !== "object") return Object.is(a, b) ? "" : "value " + String(a) + " vs " + String(b);
  if (b === null) return "null";
  if (Array.isArray(a) !== Array.isArray(b)) return "array vs object";
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return "prototype";
  const ka = Reflect.ownKeys(a), kb = Reflect.ownKeys(b);
  if (ka.join("\u0000") !== kb.join("\u0000")) return "keys " + JSON.stringify(ka) + " vs " + JSON.stringify(kb);
  for (const k of ka) {
    const da = Object.getOwnPropertyDescriptor(a, k), db = Object.getOwnPropertyDescriptor(b, k);
    if (da.writable !== db.writable || da.enumerable !== db.enumerable || da.configurable !== db.configurable) return "flags of " + String(k);
    if (k === "length" && Array.isArray(a)) continue;
    const d = same(da.value, db.value);
    if (d) return String(k) + ": " + d;
  }
  return "";
})`

// parseChecker is a runtime set up as for a call, and sameAsParse in it.
func parseChecker(t testing.TB) (*run, goja.Callable) {
	t.Helper()
	r := newRun(New(Config{}), &functions.Invocation{Type: functions.TypeApp})
	r.setup()
	same, err := r.vm.RunString(sameAsParse)
	if err != nil {
		t.Fatal(err)
	}
	check, _ := goja.AssertFunction(same)
	return r, check
}

// parseData gives what JSON.parse gives, on corner cases and on random
// documents; what it refuses falls back to JSON.parse and its errors.
func TestParseDataMatchesJSONParse(t *testing.T) {
	r, check := parseChecker(t)
	compare := func(doc string) {
		t.Helper()
		want, werr := r.parse(goja.Undefined(), r.vm.ToValue(doc))
		got, gerr := r.parseData([]byte(doc))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: JSON.parse error %v, parseData error %v", doc, werr, gerr)
		}
		if werr != nil {
			if werr.Error() != gerr.Error() {
				t.Fatalf("%q: errors differ: %v vs %v", doc, werr, gerr)
			}
			return
		}
		d, err := check(goja.Undefined(), got, want)
		if err != nil || d.String() != "" {
			t.Fatalf("%q: %v %v", doc, d, err)
		}
	}
	for _, doc := range []string{
		`{}`, `[]`, `0`, `-0`, `-0.0`, `1e-7`, `1E+2`, `123456789012345678901234567890`, `1e400`, `-1e400`, `0.1`, `01`, `-`, `1.`, `.5`,
		`"plain"`, `"é ü 中文 🎉"`, `"\ud83c\udf89"`, `"\ud800"`, `"\udc00x"`, `"a\nb\t\"c\"\\\/\u0000\u001f"`, "\"raw\tcontrol\"", "\"bad \xff byte\"",
		`{"__proto__": {"x": 1}}`, `{"a": 1, "b": 2, "a": 3}`, `{"2": "b", "1": "a", "x": 0}`, `{"": ""}`,
		`[1, [2, [3, []]], {"k": [null, true, false]}]`, ` { "a" : [ 1 , 2 ] } `, "\n\t{}\r\n",
		`{"a":1,}`, `[1,]`, `{"a" 1}`, `[1 2]`, `{"a":1}x`, `tru`, `nul`, `"unterminated`, `{"a":`, ``, `   `,
		strings.Repeat("[", 200) + strings.Repeat("]", 200), strings.Repeat(`{"a":`, 150) + "1" + strings.Repeat("}", 150),
	} {
		compare(doc)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for range 3000 {
		compare(randomJSON(rng, 0))
	}
	// A warm runtime's code may have changed Object.prototype: a setter,
	// read-only properties. JSON.parse defines; so must parseData.
	if _, err := r.vm.RunString(`Object.defineProperty(Object.prototype, "a", {set(v) { globalThis.hit = v }, get() { return 1 }});
		Object.defineProperty(Object.prototype, "__proto__", {value: null, writable: false});
		Object.freeze(Object.prototype)`); err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{`{"a": 1, "constructor": 2, "toString": {"a": [3]}}`, `{"__proto__": {"a": 1}, "hasOwnProperty": null}`} {
		compare(doc)
	}
	if hit := r.vm.Get("hit"); hit != nil && !goja.IsUndefined(hit) {
		t.Fatalf("parseData ran a setter of Object.prototype with %v", hit)
	}
}

func randomJSON(rng *rand.Rand, depth int) string {
	pick := rng.IntN(10)
	if depth > 4 {
		pick = rng.IntN(6)
	}
	strs := []string{`""`, `"a"`, `"__proto__"`, `"1"`, `"0"`, `"ü"`, `"\u00e9"`, `"\n"`, `"k"`, `"constructor"`}
	switch pick {
	case 0:
		return "null"
	case 1:
		return []string{"true", "false"}[rng.IntN(2)]
	case 2:
		return strconv.FormatFloat(rng.NormFloat64()*1e6, 'g', -1, 64)
	case 3:
		return strconv.Itoa(rng.IntN(1000) - 500)
	case 4, 5:
		return strs[rng.IntN(len(strs))]
	case 6, 7:
		n := rng.IntN(5)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = randomJSON(rng, depth+1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	n := rng.IntN(5)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strs[rng.IntN(len(strs))] + ":" + randomJSON(rng, depth+1)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// FuzzParseData: on any input, parseData and JSON.parse agree (value, or
// error).
func FuzzParseData(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"\ud800"`, `-0`, `{"__proto__":1}`, `[1e400]`} {
		f.Add(s)
	}
	r, check := parseChecker(f)
	f.Fuzz(func(t *testing.T, doc string) {
		want, werr := r.parse(goja.Undefined(), r.vm.ToValue(doc))
		got, gerr := r.parseData([]byte(doc))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: JSON.parse error %v, parseData error %v", doc, werr, gerr)
		}
		if werr == nil {
			if d, err := check(goja.Undefined(), got, want); err != nil || d.String() != "" {
				t.Fatalf("%q: %v %v", doc, d, err)
			}
		}
	})
}
