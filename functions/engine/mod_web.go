package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"reflect"

	"github.com/dop251/goja"
)

// The web-platform globals and the buffer, url and querystring modules.
// Their classes are JavaScript (js/web.js, js/buffer.js, js/url.js); the
// natives here do the encoding. None of them is asynchronous, so Scripts
// have them too.
func init() {
	for _, name := range []string{"DOMException", "Headers", "TextEncoder", "TextDecoder", "atob", "btoa"} {
		libGlobal(name, "web", false)
	}
	for _, name := range []string{"AbortController", "AbortSignal"} {
		libGlobal(name, "web", true) // they exist for fetch and timers
	}
	libGlobal("Buffer", "buffer", false)
	libGlobal("Blob", "blob", false)
	libGlobal("File", "blob", false)
	libGlobal("FormData", "formdata", false)
	libHosts["formdata"] = func(r *run, host *goja.Object) {
		_ = host.Set("boundary", func(goja.FunctionCall) goja.Value {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			return r.vm.ToValue(hex.EncodeToString(b))
		})
		_ = host.Set("parse", func(c goja.FunctionCall) goja.Value {
			parts, err := parseFormBody(r.bytes(c.Argument(0)), c.Argument(1).String(), r.budget())
			if err != nil {
				panic(r.newError("TypeError", "formData: "+err.Error()))
			}
			out := make([]any, len(parts))
			for i, p := range parts {
				var value any = p.value
				filename, typ := goja.Value(goja.Null()), ""
				if p.file {
					value, filename, typ = r.vm.NewArrayBuffer(p.data), r.vm.ToValue(p.filename), p.contentType
				}
				out[i] = r.vm.NewArray(p.name, value, filename, typ)
			}
			return r.vm.NewArray(out...)
		})
	}
	libGlobal("structuredClone", "clone", false)
	libHosts["clone"] = func(r *run, host *goja.Object) {
		_ = host.Set("budget", func(goja.FunctionCall) goja.Value { return r.vm.ToValue(r.budget()) })
		_ = host.Set("kind", func(c goja.FunctionCall) goja.Value { return r.vm.ToValue(cloneKind(c.Argument(0))) })
		// detach ends a transferred ArrayBuffer: its bytes now belong to the copy.
		_ = host.Set("detach", func(c goja.FunctionCall) goja.Value {
			if ab, ok := c.Argument(0).Export().(goja.ArrayBuffer); ok {
				ab.Detach()
			}
			return goja.Undefined()
		})
	}
	libGlobal("URL", "url", false)
	libGlobal("URLSearchParams", "url", false)
	registerModule("buffer", func(r *run) goja.Value {
		m := r.vm.NewObject()
		_ = m.Set("Buffer", r.global.resolve("Buffer"))
		_ = m.Set("atob", r.global.resolve("atob"))
		_ = m.Set("btoa", r.global.resolve("btoa"))
		return m
	})
	registerModule("url", func(r *run) goja.Value { return r.libExport("url", "url") })
	registerModule("querystring", func(r *run) goja.Value { return r.libExport("url", "querystring") })

	libHosts["web"] = func(r *run, host *goja.Object) {
		vm := r.vm
		_ = host.Set("encode", r.encode)
		_ = host.Set("encodeInto", func(c goja.FunctionCall) goja.Value {
			read, written := encodeInto(jsString(c.Argument(0)), r.bytes(c.Argument(1)))
			return vm.NewArray(read, written)
		})
		_ = host.Set("decode", func(c goja.FunctionCall) goja.Value {
			text, used, ok := decodeText(r.bytes(c.Argument(0)), c.Argument(1).String(),
				c.Argument(2).ToBoolean(), c.Argument(3).ToBoolean(), c.Argument(4).ToBoolean())
			if !ok {
				return vm.NewArray(goja.Null(), 0)
			}
			return vm.NewArray(text, used)
		})
		_ = host.Set("atob", func(c goja.FunctionCall) goja.Value {
			if s, ok := atob(c.Argument(0).String()); ok {
				return vm.ToValue(s)
			}
			return goja.Null()
		})
		_ = host.Set("btoa", func(c goja.FunctionCall) goja.Value {
			if s, ok := btoa(jsString(c.Argument(0))); ok {
				return vm.ToValue(s)
			}
			return goja.Null()
		})
	}
	libHosts["buffer"] = func(r *run, host *goja.Object) {
		vm := r.vm
		_ = host.Set("encode", r.encode)
		_ = host.Set("byteLength", func(c goja.FunctionCall) goja.Value {
			return vm.ToValue(len(encodeString(jsString(c.Argument(0)), c.Argument(1).String())))
		})
		_ = host.Set("decode", func(c goja.FunctionCall) goja.Value {
			return vm.ToValue(decodeBytes(r.bytes(c.Argument(0)), c.Argument(1).String()))
		})
	}
	libHosts["url"] = func(r *run, host *goja.Object) {
		vm := r.vm
		// The parser runs in Go, where a time limit cannot stop it: a URL
		// is capped, as browsers cap theirs (parsing is ~60 ms per MB).
		tooLong := func(n int) {
			if n > maxURLBytes {
				panic(r.newError("RangeError", fmt.Sprintf("URL: %d bytes is longer than the %d a URL may have", n, maxURLBytes)))
			}
		}
		_ = host.Set("parseURL", func(c goja.FunctionCall) goja.Value {
			var base *string
			if b := c.Argument(1); !goja.IsUndefined(b) {
				s := b.String()
				base = &s
			}
			input := c.Argument(0).String()
			if base != nil {
				tooLong(len(input) + len(*base))
			} else {
				tooLong(len(input))
			}
			p, ok := parseWebURL(input, base)
			if !ok {
				return goja.Null()
			}
			return vm.ToValue(p)
		})
		_ = host.Set("setURL", func(c goja.FunctionCall) goja.Value {
			href, value := c.Argument(0).String(), c.Argument(2).String()
			tooLong(len(href) + len(value))
			p, ok := setWebURL(href, c.Argument(1).String(), value)
			if !ok {
				return goja.Null()
			}
			return vm.ToValue(p)
		})
		_ = host.Set("parseForm", func(c goja.FunctionCall) goja.Value {
			pairs := parseForm(c.Argument(0).String())
			out := make([]any, len(pairs))
			for i, p := range pairs {
				out[i] = vm.NewArray(p[0], p[1])
			}
			return vm.NewArray(out...)
		})
	}
}

// cloneKind is what structuredClone (js/clone.js) makes of an object, from
// goja's internal class or the Go type it exports as; "" when neither
// tells (DataView, WeakMap, WeakSet, Symbol wrappers, plain objects).
func cloneKind(v goja.Value) string {
	o, ok := v.(*goja.Object)
	if !ok {
		return ""
	}
	switch c := o.ClassName(); c {
	case "Number", "String", "Boolean", "Error", "RegExp", "Date", "Array":
		return c
	case "Object":
	default:
		return "" // functions, arguments, iterators: ordinary objects or errors, as js/clone.js decides
	}
	switch o.ExportType() {
	case reflect.TypeFor[[][2]any](): // goja exports a Map as its entries
		return "Map"
	case reflect.TypeFor[[]any](): // and a Set as its values (an Array is told by its class)
		return "Set"
	case reflect.TypeFor[goja.ArrayBuffer]():
		return "ArrayBuffer"
	case reflect.TypeFor[*big.Int]():
		return "BigInt"
	case reflect.TypeFor[*goja.Promise]():
		return "Promise"
	}
	return ""
}

// encode(string, encoding) returns the bytes as an ArrayBuffer.
func (r *run) encode(c goja.FunctionCall) goja.Value {
	return r.vm.ToValue(r.vm.NewArrayBuffer(encodeString(jsString(c.Argument(0)), c.Argument(1).String())))
}

// jsString is v as a JS string, whose UTF-16 units the codecs read.
func jsString(v goja.Value) goja.String {
	if s, ok := v.ToString().(goja.String); ok {
		return s
	}
	return nil
}

// bytes is the content of a Uint8Array that a library passed (the JS side
// turns every other view into one). It shares the array's memory: natives
// that keep bytes past the call copy them.
func (r *run) bytes(v goja.Value) []byte {
	if b, ok := v.Export().([]byte); ok {
		return b
	}
	if ab, ok := v.Export().(goja.ArrayBuffer); ok {
		return ab.Bytes()
	}
	panic(r.newError("TypeError", "expected bytes (a Uint8Array)"))
}
