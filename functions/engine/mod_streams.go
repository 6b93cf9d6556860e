package engine

import (
	"sync"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions/engine/npm"
)

// The WHATWG Streams globals of Apps (ReadableStream, WritableStream,
// TransformStream and their readers, writers, controllers and queuing
// strategies), and TextEncoderStream and TextDecoderStream on them. The
// streams are web-streams-polyfill, a port of the standard's reference
// implementation, pinned and bundled by package npm; js/streams.js bounds
// its queues by the run's memory budget and adds what bodies need. They
// need promises, so Scripts do not have them. The bundle (~68 KB) is run
// only by a run that touches a stream: reading one of these globals, or a
// body's stream (Response.body, Blob.stream()).
var streamGlobals = []string{
	"ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest",
	"ReadableStreamDefaultController", "ReadableByteStreamController",
	"WritableStream", "WritableStreamDefaultWriter", "WritableStreamDefaultController",
	"TransformStream", "TransformStreamDefaultController",
	"ByteLengthQueuingStrategy", "CountQueuingStrategy",
	"TextEncoderStream", "TextDecoderStream",
}

// streamsPolyfill is the bundle as a function of what it would otherwise
// read from the global object, which user code may have replaced:
// queueMicrotask, structuredClone (only to transfer a byte stream's buffers),
// and globalThis itself, where it looks for DOMException.
var streamsPolyfill = sync.OnceValue(func() *goja.Program {
	src, ok := npm.Source("web-streams-polyfill")
	if !ok {
		panic("engine: the web-streams-polyfill bundle is missing")
	}
	return goja.MustCompile("npm:web-streams-polyfill",
		"(function (module, exports, globalThis, queueMicrotask, structuredClone) {"+src+"\n})", true)
})

func init() {
	for _, name := range streamGlobals {
		libGlobal(name, "streams", true)
	}
	libHosts["streams"] = func(r *run, host *goja.Object) {
		_ = host.Set("polyfill", func(goja.FunctionCall) goja.Value { return r.streamsPolyfill() })
		_ = host.Set("budget", func(goja.FunctionCall) goja.Value { return r.vm.ToValue(r.budget()) })
		_ = host.Set("exceeded", func(c goja.FunctionCall) goja.Value {
			return r.exceeded(c.Argument(0).String(), c.Argument(1).ToFloat())
		})
	}
}

func (r *run) streamsPolyfill() goja.Value {
	vm := r.vm
	init, _ := goja.AssertFunction(must(vm.RunProgram(streamsPolyfill())))
	module, exports := vm.NewObject(), vm.NewObject()
	_ = module.Set("exports", exports)
	global := vm.NewObject()
	_ = global.Set("DOMException", r.libExport("web", "DOMException"))
	factory, _ := goja.AssertFunction(must(vm.RunProgram(microtaskFactory())))
	microtask := must(factory(goja.Undefined(), r.global.orig.Get("Promise")))
	// A byte stream transfers each buffer it is given (the standard's
	// TransferArrayBuffer), which goja lacks: the polyfill's fallback is
	// structuredClone(buffer, {transfer: [buffer]}), done here by moving
	// the bytes to a new ArrayBuffer and detaching the old one.
	clone := vm.ToValue(func(c goja.FunctionCall) goja.Value {
		ab, ok := c.Argument(0).Export().(goja.ArrayBuffer)
		if !ok || ab.Detached() {
			panic(r.newError("TypeError", "ReadableStream: only an ArrayBuffer that is not detached can be transferred"))
		}
		moved := vm.NewArrayBuffer(ab.Bytes())
		ab.Detach()
		return vm.ToValue(moved)
	})
	must(init(goja.Undefined(), module, exports, global, microtask, clone))
	return module.Get("exports")
}
