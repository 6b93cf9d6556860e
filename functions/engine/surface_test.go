package engine

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// The global names a function can see. A change here changes the sandbox's
// surface: review it as a security change, then update the list.
var ecmaGlobals = []string{
	"AggregateError", "Array", "ArrayBuffer", "BigInt", "BigInt64Array", "BigUint64Array", "Boolean", "DataView",
	"Date", "Error", "EvalError", "Float32Array", "Float64Array", "Function", "Infinity", "Int16Array", "Int32Array",
	"Int8Array", "Intl", "JSON", "Map", "Math", "NaN", "Number", "Object", "Promise", "Proxy", "RangeError", "ReferenceError",
	"Reflect", "RegExp", "Set", "String", "Symbol", "SyntaxError", "TypeError", "URIError", "Uint16Array",
	"Uint32Array", "Uint8Array", "Uint8ClampedArray", "WeakMap", "WeakSet", "decodeURI",
	"decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "eval", "globalThis", "isFinite", "isNaN",
	"parseFloat", "parseInt", "undefined", "unescape",
}

func TestGlobalSurface(t *testing.T) {
	ours := []string{"AbortController", "AbortSignal", "Blob", "Buffer", "DOMException", "File", "FormData", "Headers", "Request", "Response", "TextDecoder", "TextEncoder",
		"ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest",
		"ReadableStreamDefaultController", "ReadableByteStreamController", "WritableStream", "WritableStreamDefaultWriter",
		"WritableStreamDefaultController", "TransformStream", "TransformStreamDefaultController",
		"ByteLengthQueuingStrategy", "CountQueuingStrategy", "TextEncoderStream", "TextDecoderStream",
		"URL", "URLSearchParams", "atob", "btoa", "clearImmediate", "clearInterval", "clearTimeout", "console", "crypto",
		"exports", "fetch", "module", "process", "queueMicrotask", "require", "setImmediate", "setInterval", "setTimeout", "structuredClone"}
	byType := map[functions.Type][]string{
		functions.TypeApp: ours,
		// Scripts get the App-only names too, as functions that say to deploy as an App.
		functions.TypeScript: ours,
	}
	e := New(Config{})
	for typ, extra := range byType {
		res, rerr := invoke(t, e, typ, `module.exports.main = function () {
			const names = new Set(Object.getOwnPropertyNames(globalThis));
			for (const n of Object.getOwnPropertyNames(Object.getPrototypeOf(globalThis))) names.add(n);
			names.delete("main");
			return [...names].sort();
		}`, "", `{}`, time.Second)
		if rerr != nil {
			t.Fatal(rerr)
		}
		var got []string
		if err := json.Unmarshal(res.JSON, &got); err != nil {
			t.Fatal(err)
		}
		want := append(append([]string{}, ecmaGlobals...), extra...)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s globals changed:\n got  %v\n want %v", typ, got, want)
		}
	}
	res, rerr := invoke(t, e, functions.TypeScript, `function main() { return [typeof GoError, "GoError" in globalThis, Object.getOwnPropertyDescriptor(Object.getPrototypeOf(globalThis), "GoError") === undefined] }`, "", `{}`, time.Second)
	if rerr != nil || string(res.JSON) != `["undefined",false,true]` {
		t.Fatalf("GoError reachable: %v %v", res, rerr)
	}
}

// What each binding exposes, likewise.
func TestBindingSurface(t *testing.T) {
	e := New(Config{})
	res, rerr := invoke(t, e, functions.TypeApp, `exports.main = (data, ctx) => ({
		process: Object.getOwnPropertyNames(process).sort(),
		console: Object.getOwnPropertyNames(console).sort(),
		ctx: Object.getOwnPropertyNames(ctx).sort(),
		request: Object.keys(ctx.request).sort(),
		fn: Object.keys(ctx.function).sort(),
		response: Object.getOwnPropertyNames(Response.prototype).sort(),
		responseStatic: Object.getOwnPropertyNames(Response).sort(),
	})`, "", `{}`, time.Second)
	if rerr != nil {
		t.Fatal(rerr)
	}
	want := `{"process":["env","exit"],"console":["assert","debug","dir","error","info","log","trace","warn"],` +
		`"ctx":["auth","env","function","log","request","requestId"],"request":["formData","headers","ip","method","path","query","url"],` +
		`"fn":["id","name","tenant","uuid","version"],"response":["arrayBuffer","blob","body","bodyUsed","bytes","clone","constructor","formData","headers",` +
		`"json","ok","redirected","status","statusText","text","type","url"],"responseStatic":["json","length","name","prototype","redirect"]}`
	if string(res.JSON) != want {
		t.Fatalf("binding surface changed:\n got  %s\n want %s", res.JSON, want)
	}
}
