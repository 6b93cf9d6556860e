package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions"
)

// defaultMemoryMB applies when an invocation names no memory budget.
const defaultMemoryMB = 128

// maxLogLine caps one console line; longer lines are cut with a marker.
const maxLogLine = 8 << 10

// typedArrays are guarded on first use: their constructors allocate.
var typedArrays = []string{"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
	"Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"}

// setup prepares the fresh runtime before user code runs: allocation
// guards, CommonJS globals, and the lazily resolved extras (console,
// Response, process, require, the Script restrictions; see lazyGlobal).
// Nothing of the host is reachable.
func (r *run) setup() {
	vm := r.vm
	// Captured before user code can replace them; guardJSON wraps the
	// object's own methods later, not these.
	j := vm.Get("JSON").ToObject(vm)
	r.parse, _ = goja.AssertFunction(j.Get("parse"))
	r.stringify, _ = goja.AssertFunction(j.Get("stringify"))
	r.objectProto = vm.NewObject().Prototype() // %Object.prototype%, whatever Object becomes
	r.toJSON, _ = goja.AssertFunction(vm.ToValue(func(call goja.FunctionCall) goja.Value {
		r.resultJSON(arg(call.Arguments, 0))
		return goja.Undefined()
	}))
	r.captureDateNatives()
	g := newLazyGlobal(vm)
	r.global = g
	for _, name := range typedArrays {
		name := name
		g.guards[name] = func(orig goja.Value) goja.Value {
			if strings.HasPrefix(name, "Big") {
				r.guardBigIntLocale()
			}
			return r.guardTypedArray(name, orig)
		}
	}
	// BigInt.prototype is guarded once a BigInt can be made: the BigInt
	// global, DataView's getBigInt64, the BigInt arrays, or a literal
	// (usesBigInt).
	for _, name := range []string{"BigInt", "DataView"} {
		g.guards[name] = func(orig goja.Value) goja.Value { r.guardBigIntLocale(); return orig }
	}
	g.guards["ArrayBuffer"] = r.guardArrayBuffer
	g.guards["Reflect"] = r.guardReflect
	g.guards["JSON"] = r.guardJSON
	g.guards["eval"] = r.guardEval
	g.guards["Date"] = r.guardDate
	g.guards["Symbol"] = r.addAsyncIterator
	g.guards["Function"] = r.guardFunction
	g.guards["RegExp"] = func(v goja.Value) goja.Value { r.guardRegExp(); return v }
	g.extras["console"] = r.consoleObject
	g.extras["Response"] = func() goja.Value {
		lib := r.lib("response")
		r.unwrap, _ = goja.AssertFunction(lib.Get("unwrap"))
		return lib.Get("Response")
	}
	g.extras["process"] = r.process
	g.registered = extraGlobals // for Scripts, restrictScript overrides the appsOnly ones
	g.build = func(d globalDef) goja.Value { return d.make(r) }
	if r.inv.Type == functions.TypeScript {
		r.restrictScript(g)
	} else {
		g.extras["require"] = func() goja.Value { return vm.ToValue(r.require) }
	}
	r.guardPrototypes() // after the guards above: it resolves Function
	g.install()

	module := vm.NewObject()
	exports := vm.NewObject()
	_ = module.Set("exports", exports)
	_ = g.global.Set("module", module)
	_ = g.global.Set("exports", exports)
}

// consoleObject creates the run's console once; require('console') and
// ctx.log share it.
func (r *run) consoleObject() goja.Value {
	if r.console == nil {
		makeConsole, _ := goja.AssertFunction(r.lib("console").Get("makeConsole"))
		r.console = must(makeConsole(goja.Undefined()))
	}
	return r.console
}

// process is the run's process object: env and nothing of the host.
func (r *run) process() goja.Value {
	vm := r.vm
	process := vm.NewObject()
	_ = process.Set("env", r.envObject())
	_ = process.Set("exit", func(goja.FunctionCall) goja.Value {
		panic(r.newError("Error", "process.exit is not available: return from main, or throw an error to fail the run"))
	})
	return process
}

func (r *run) envObject() *goja.Object {
	if r.env != nil {
		return r.env
	}
	r.env = r.vm.NewObject()
	for _, v := range r.inv.Env {
		_ = r.env.Set(v.Name, v.Value)
	}
	f := r.inv.Function
	for _, kv := range [...][2]string{
		{"SCRIPTFORGE_ID", f.ID}, {"SCRIPTFORGE_UUID", f.UUID}, {"SCRIPTFORGE_NAME", f.Name},
		{"APP_ID", f.ID}, {"EXEC_HOST", r.e.cfg.Host},
	} {
		_ = r.env.Set(kv[0], kv[1])
	}
	r.setCorrelationID()
	return r.env
}

// setCorrelationID makes process.env.CORRELATION_ID this call's id in a
// voice webhook, and absent otherwise: a warm runtime keeps its env
// object from call to call.
func (r *run) setCorrelationID() {
	if r.env == nil {
		return
	}
	if r.inv.Call != nil {
		_ = r.env.Set("CORRELATION_ID", r.inv.Call.ID)
	} else {
		_ = r.env.Delete("CORRELATION_ID")
	}
}

// restrictScript leaves Scripts the synchronous language only, with errors
// that say what to do instead of a bare ReferenceError.
func (r *run) restrictScript(g *lazyGlobal) {
	vm := r.vm
	deny := func(what string) string {
		return what + " is not available in Script functions; deploy the function as type 'app' to use it"
	}
	denied := []string{"require", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "queueMicrotask"}
	for name, d := range extraGlobals {
		if d.appsOnly && !slices.Contains(denied, name) {
			denied = append(denied, name)
		}
	}
	for _, name := range denied {
		msg := deny(name)
		g.extras[name] = func() goja.Value {
			// A constructor, so that new ReadableStream() says it too.
			return vm.ToValue(func(goja.ConstructorCall) *goja.Object { panic(r.newError("Error", msg)) })
		}
	}
	msg := deny("Promise")
	g.guards["Promise"] = func(orig goja.Value) goja.Value {
		throw := func() { panic(r.newError("Error", msg)) }
		return vm.ToValue(vm.NewProxy(orig.ToObject(vm), &goja.ProxyTrapConfig{
			Get:       func(*goja.Object, string, goja.Value) goja.Value { throw(); return nil },
			Construct: func(*goja.Object, []goja.Value, *goja.Object) *goja.Object { throw(); return nil },
			Apply:     func(*goja.Object, goja.Value, []goja.Value) goja.Value { throw(); return nil },
		}))
	}
}

// modules is the registry of what an App may require. It never falls back
// to the host file system. Each module's file adds itself with
// registerModule from an init function.
var modules = map[string]func(r *run) goja.Value{
	"console": (*run).consoleObject,
}

// registerModule makes name require-able by Apps (and importable: esbuild
// turns imports into require). load builds the module's exports for one run.
func registerModule(name string, load func(r *run) goja.Value) {
	if _, dup := modules[name]; dup {
		panic("engine: module " + name + " registered twice")
	}
	modules[name] = load
}

// globalDef is a global the engine adds to the language's own, built the
// first time a run reads it (see lazyGlobal).
type globalDef struct {
	make     func(r *run) goja.Value
	appsOnly bool // Scripts get an error that says to deploy as an App
}

var extraGlobals = map[string]globalDef{}

// registerGlobal adds a global. appsOnly globals are for Apps alone:
// asynchronous APIs (timers, fetch) that Scripts, synchronous by design,
// must not reach.
func registerGlobal(name string, appsOnly bool, make func(r *run) goja.Value) {
	if _, dup := extraGlobals[name]; dup {
		panic("engine: global " + name + " registered twice")
	}
	extraGlobals[name] = globalDef{make: make, appsOnly: appsOnly}
}

func moduleNames() string {
	names := make([]string, 0, len(modules))
	for n := range modules {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (r *run) require(call goja.FunctionCall) goja.Value {
	name := strings.TrimPrefix(call.Argument(0).String(), "node:")
	if v, ok := r.required[name]; ok {
		return v
	}
	load, ok := modules[name]
	if !ok {
		panic(r.newError("Error", fmt.Sprintf("module '%s' is not allowed; allowed modules: %s", name, moduleNames())))
	}
	v := load(r)
	if r.required == nil {
		r.required = map[string]goja.Value{}
	}
	r.required[name] = v // one instance a run, as Node caches modules
	return v
}

// context builds ctx, the second argument of main.
func (r *run) context() goja.Value {
	c := &ctxObject{r: r, inv: r.inv, values: map[string]goja.Value{}}
	r.ctx = c
	return r.vm.NewDynamicObject(c)
}

// ctxObject is ctx as a dynamic object: its parts are built on first read
// (most functions never look at most of them), and making it costs one
// object instead of an accessor function per part. It behaves as a plain
// object otherwise: properties can be added, replaced and deleted.
type ctxObject struct {
	r       *run
	inv     *functions.Invocation // this call's: a ctx kept in a global never shows a later call's request
	values  map[string]goja.Value // parts built so far, and what the function set
	deleted map[string]bool       // parts the function deleted
}

var ctxParts = []string{"requestId", "request", "auth", "function", "env", "log"}

// voiceParts are ctx's parts in a voice webhook: ctx.call as well;
// ctxPartsDeadline those of a call that has a deadline (a routing
// chain's): ctx.deadline exists only there.
var (
	voiceParts         = append(slices.Clone(ctxParts), "call")
	ctxPartsDeadline   = append(slices.Clone(ctxParts), "deadline")
	voicePartsDeadline = append(slices.Clone(voiceParts), "deadline")
)

func (c *ctxObject) parts() []string {
	if c.inv.Trigger != "" {
		// ctx.trigger exists on runs that say what started them (a
		// schedule's); rare enough to build the list each time.
		return append(slices.Clone(c.baseParts()), "trigger")
	}
	return c.baseParts()
}

func (c *ctxObject) baseParts() []string {
	switch call, deadline := c.inv.Call != nil, !c.inv.Deadline.IsZero(); {
	case call && deadline:
		return voicePartsDeadline
	case call:
		return voiceParts
	case deadline:
		return ctxPartsDeadline
	}
	return ctxParts
}

func (c *ctxObject) build(key string) goja.Value {
	r := c.r
	fromJSON := func(x any) goja.Value {
		b, err := json.Marshal(x)
		if err != nil { // plain data only: cannot happen
			panic(err)
		}
		return must(r.parse(goja.Undefined(), r.vm.ToValue(string(b))))
	}
	switch key {
	case "requestId":
		return r.vm.ToValue(c.inv.RequestID)
	case "trigger":
		if c.inv.Trigger == "" {
			return nil
		}
		return r.vm.ToValue(string(c.inv.Trigger))
	case "request":
		req := fromJSON(c.inv.Request).ToObject(r.vm)
		if c.inv.Type != functions.TypeScript { // a Promise: Apps only
			body, inv := c.inv.Request.Body, c.inv
			_ = req.Set("formData", func(goja.FunctionCall) goja.Value {
				// The request's form, as Request.formData() reads one: a
				// rejected promise for a request that is not a form.
				decode, _ := goja.AssertFunction(r.lib("formdata").Get("decode"))
				p, resolve, reject := r.vm.NewPromise()
				if body == nil {
					_ = reject(r.newError("TypeError", "ctx.request.formData(): the request is not a form (multipart/form-data or application/x-www-form-urlencoded)"))
					return r.vm.ToValue(p)
				}
				fd, err := decode(goja.Undefined(), r.vm.ToValue(r.vm.NewArrayBuffer(bytes.Clone(body))), r.vm.ToValue(inv.Request.Headers["content-type"]))
				var ex *goja.Exception
				if errors.As(err, &ex) {
					_ = reject(ex.Value())
				} else if err != nil {
					panic(err) // an interrupt: the run ends
				} else {
					_ = resolve(fd)
				}
				return r.vm.ToValue(p)
			})
		}
		return req
	case "auth":
		return fromJSON(c.inv.Auth)
	case "function":
		return fromJSON(c.inv.Function)
	case "env":
		return r.envObject()
	case "log":
		return r.consoleObject().ToObject(r.vm).Get("log")
	case "call":
		if c.inv.Call == nil {
			return nil
		}
		call := r.vm.NewObject()
		_ = call.Set("id", c.inv.Call.ID)
		state := goja.Value(r.vm.NewObject())
		if len(c.inv.Call.State) > 0 {
			state = must(r.parse(goja.Undefined(), r.vm.ToValue(string(c.inv.Call.State))))
		}
		_ = call.Set("state", state)
		return call
	case "deadline":
		// Milliseconds left, read anew each time: a script can check it
		// between steps of its own work.
		if c.inv.Deadline.IsZero() {
			return nil
		}
		return r.vm.ToValue(max(0, time.Until(c.inv.Deadline).Milliseconds()))
	}
	return nil
}

func (c *ctxObject) Get(key string) goja.Value {
	if v, ok := c.values[key]; ok || c.deleted[key] {
		return v
	}
	if key == "deadline" { // not kept: it changes as time passes
		return c.build(key)
	}
	v := c.build(key)
	if v != nil {
		c.values[key] = v
	}
	return v
}

func (c *ctxObject) Set(key string, v goja.Value) bool {
	c.values[key] = v
	delete(c.deleted, key)
	return true
}

func (c *ctxObject) Has(key string) bool {
	_, ok := c.values[key]
	return ok || (!c.deleted[key] && slices.Contains(c.parts(), key))
}

func (c *ctxObject) Delete(key string) bool {
	delete(c.values, key)
	if slices.Contains(c.parts(), key) {
		if c.deleted == nil {
			c.deleted = map[string]bool{}
		}
		c.deleted[key] = true
	}
	return true
}

func (c *ctxObject) Keys() []string {
	parts := c.parts()
	keys := make([]string, 0, len(parts)+len(c.values))
	for _, k := range parts {
		if !c.deleted[k] {
			keys = append(keys, k)
		}
	}
	for k := range c.values {
		if !slices.Contains(parts, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// addAsyncIterator gives Symbol the well-known Symbol.asyncIterator that
// goja lacks, which async iteration (for await over a stream) looks up.
// It is the symbol that esbuild's lowered for await and the streams
// polyfill fall back to when Symbol has none: Symbol.for("Symbol.asyncIterator").
func (r *run) addAsyncIterator(orig goja.Value) goja.Value {
	sym := orig.ToObject(r.vm)
	if sym.Get("asyncIterator") == nil {
		key, _ := goja.AssertFunction(sym.Get("for"))
		_ = sym.DefineDataProperty("asyncIterator", must(key(orig, r.vm.ToValue("Symbol.asyncIterator"))), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	}
	return orig
}

// newError builds an error with a constructor of goja's own global, which
// user code cannot replace.
func (r *run) newError(ctor string, msg string) *goja.Object {
	obj, err := r.vm.New(r.global.orig.Get(ctor), r.vm.ToValue(msg))
	if err != nil {
		panic(err)
	}
	return obj
}

// exceeded is called by the prelude's allocation guards: it records the
// breach and returns the RangeError to throw.
func (r *run) exceeded(what string, bytes float64) *goja.Object {
	r.overMem = true
	r.overMemWhy = fmt.Sprintf("%s would allocate %s, over this function's memory limit of %d MB", what, humanBytes(bytes), r.memoryMB())
	return r.newError("RangeError", r.overMemWhy)
}

func (r *run) memoryMB() int {
	if r.inv.MemoryMB <= 0 {
		return defaultMemoryMB
	}
	return r.inv.MemoryMB
}

func humanBytes(b float64) string {
	switch {
	case math.IsInf(b, 0) || math.IsNaN(b):
		return "an unbounded amount"
	case b >= 1<<40:
		return fmt.Sprintf("%.0f TiB", b/(1<<40))
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", b/(1<<30))
	default:
		return fmt.Sprintf("%.0f MiB", b/(1<<20))
	}
}

// emit keeps one console line: timestamped, masked, and capped per line and per run.
func (r *run) emit(level, msg string) {
	if r.logCut {
		return
	}
	if len(r.logs) >= r.e.cfg.MaxLogLines || r.logBytes+len(msg) > r.e.cfg.MaxLogBytes {
		r.logCut = true
		r.keep(functions.LogLine{Time: time.Now().UTC(), Level: "warn",
			Message: fmt.Sprintf("console output truncated: the limit is %d lines or %d bytes per run", r.e.cfg.MaxLogLines, r.e.cfg.MaxLogBytes)})
		return
	}
	if len(msg) > maxLogLine {
		msg = msg[:maxLogLine] + "… (line truncated)"
	}
	for _, p := range r.private {
		msg = strings.ReplaceAll(msg, p, "[private]")
	}
	r.logBytes += len(msg)
	r.keep(functions.LogLine{Time: time.Now().UTC(), Level: level, Message: msg})
}

// keep adds a line to the run's logs and hands it to the invocation's
// live listener, if any: only lines within the per-run limits go live.
func (r *run) keep(l functions.LogLine) {
	r.logs = append(r.logs, l)
	if on := r.inv.OnLog; on != nil {
		on(l)
	}
}

// sipPattern matches "480 Temporarily Unavailable": a SIP-style status
// code (1xx–6xx) at the start of an error message.
var sipPattern = regexp.MustCompile(`^([1-6][0-9][0-9])(?:\s+(.*))?$`)

// rejection maps a thrown or rejected value to a RunError. SIP-style codes
// (an Error whose message starts with one, or [code, "message"]) are kept.
func rejection(v goja.Value) *functions.RunError {
	if obj, ok := v.(*goja.Object); ok && obj.ClassName() == "Array" {
		code := obj.Get("0")
		if n, ok := code.Export().(int64); ok && n >= 100 && n <= 699 {
			return functions.SIPError(int(n), safeString(obj.Get("1")))
		}
	}
	msg := safeString(v)
	if obj, ok := v.(*goja.Object); ok && obj.ClassName() == "Error" {
		if m := sipPattern.FindStringSubmatch(safeString(obj.Get("message"))); m != nil {
			code, _ := strconv.Atoi(m[1])
			return functions.SIPError(code, m[2])
		}
	} else if m := sipPattern.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.Atoi(m[1])
		return functions.SIPError(code, m[2])
	}
	return &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeFunctionError, Message: msg}
}

// safeString converts a JS value for an error message.
func safeString(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	s := safeText(v.String)
	if len(s) > 4096 {
		s = s[:4096] + "…"
	}
	return s
}

// safeText calls a conversion that may run user JS (a hostile toString may
// throw or be interrupted): that must not escape as a Go panic.
func safeText(f func() string) (s string) {
	defer func() {
		if recover() != nil {
			s = "[value that cannot be converted to a string]"
		}
	}()
	return f()
}
