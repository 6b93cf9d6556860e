package engine

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/dop251/goja"
)

// Allocation guards. goja has no heap limit, and some built-ins allocate
// their whole result in one Go call that Interrupt cannot stop: a single
// 'x'.repeat(2**40) ends the process with a fatal out-of-memory that no
// recover catches. Each guard estimates the bytes a call would allocate and
// throws a RangeError over the run's memory budget instead. They are written
// in Go and hold the originals in Go closures, so user code can neither
// reach an unguarded original nor tamper with how a guard calls it.

const (
	elementBytes   = 16      // a goja array slot is an interface value
	arrayFromBytes = 64      // Array.from builds each element in one Go loop; ~200 B each measured, 64 is the floor
	maxArgs        = 1 << 16 // a huge array-like spread into arguments is one Go slice; V8 refuses this order too
)

// An estimator tells the bytes a call would allocate. It reads the call's
// receiver and arguments the way the method's specification does, in its
// order, and writes what it converted back into the call (a string for an
// object's toString, a number for its valueOf), so that the original finds
// nothing left to convert: every observable operation (getters, valueOf,
// toString, proxy traps) runs once, as it would without the guard. Where
// reading would be observable and the specification reads later, or not
// at all, it does not read: array-likes and proxies are left to the time
// limit and the heap watcher.
type estimator func(c *goja.FunctionCall) float64

// guardPrototypes wraps the allocating methods reachable from any literal
// (strings, arrays, functions): they cannot wait for a global to be read.
func (r *run) guardPrototypes() {
	vm := r.vm
	// Prototypes are taken from instances: reading String.prototype through
	// the String constructor would build the constructor too, for nothing.
	str := vm.ToValue("").ToObject(vm).Prototype()
	// repeat: ToString(this), then ToIntegerOrInfinity(count).
	r.wrapMethod(str, "repeat", func(c *goja.FunctionCall) float64 {
		s, ok := r.thisString(c)
		if !ok {
			return 0
		}
		return float64(s.Length()) * nonNeg(toNumberArg(c, 0)) * 2
	})
	// padStart, padEnd: ToString(this), ToLength(maxLength); the filler is
	// converted only when there is something to fill.
	pad := func(c *goja.FunctionCall) float64 {
		s, ok := r.thisString(c)
		if !ok {
			return 0
		}
		n := nonNeg(toNumberArg(c, 0))
		if n <= float64(s.Length()) {
			return 0
		}
		if f := arg(c.Arguments, 1); !goja.IsUndefined(f) && r.toStringArg(c, 1).Length() == 0 {
			return 0
		}
		return n * 2
	}
	r.wrapMethod(str, "padStart", pad)
	r.wrapMethod(str, "padEnd", pad)
	// concat: ToString(this), then each argument in turn.
	r.wrapMethod(str, "concat", func(c *goja.FunctionCall) float64 {
		s, ok := r.thisString(c)
		if !ok {
			return 0
		}
		n := s.Length()
		for i := range c.Arguments {
			n += r.toStringArg(c, i).Length()
		}
		return float64(n) * 2
	})

	// The Array methods estimate for real arrays only: reading an array's
	// length is not observable, an array-like's or a proxy's is.
	array := vm.Get("Array").ToObject(vm)
	arr := array.Get("prototype").ToObject(vm)
	// fill: length, then ToIntegerOrInfinity(start), then end. An
	// array-like's fill is run here (goja's is a Go loop over whatever
	// length it claims, which no interrupt stops).
	origFill, _ := goja.AssertFunction(arr.Get("fill"))
	r.define(arr, "fill", func(c goja.FunctionCall) goja.Value {
		c.Arguments = append([]goja.Value(nil), c.Arguments...)
		o, isObj := c.This.(*goja.Object)
		_, real := realArray(c.This)
		if isObj && !real {
			return r.fillArrayLike(o, &c)
		}
		if real {
			n := r.lengthOf(o)
			start := relIndex(toNumberArgIfDefined(&c, 1), n, 0)
			end := relIndex(toNumberArgIfDefined(&c, 2), n, n)
			if bytes := (end - start) * elementBytes; bytes > r.budget() {
				panic(r.exceeded("fill", bytes))
			}
		}
		return must(origFill(c.This, c.Arguments...))
	})
	// join: the same, and an array-like's is run here too.
	origJoin, _ := goja.AssertFunction(arr.Get("join"))
	r.define(arr, "join", func(c goja.FunctionCall) goja.Value {
		c.Arguments = append([]goja.Value(nil), c.Arguments...)
		o, isObj := c.This.(*goja.Object)
		if _, real := realArray(c.This); isObj && !real {
			return r.joinArrayLike(o, &c)
		}
		if n := r.joinEstimate(&c); n > r.budget() {
			panic(r.exceeded("join", n))
		}
		return must(origJoin(c.This, c.Arguments...))
	})
	// toLocaleString passes its locales and options on to each element's
	// (ECMA-402 §19.5.1), which goja's does not.
	r.define(arr, "toLocaleString", r.arrayToLocaleString)
	// concat: when this and every argument is a real array or a
	// primitive, the original runs once the lengths are checked (they are
	// read unobserved). With any other object, which may claim to be
	// spreadable with a length of 2^53, the standard's steps run here,
	// within the budget and the run's time (concatObjects).
	origConcat, _ := goja.AssertFunction(arr.Get("concat"))
	r.define(arr, "concat", func(c goja.FunctionCall) goja.Value {
		n := 0.0
		for _, v := range append([]goja.Value{c.This}, c.Arguments...) {
			o, isObj := v.(*goja.Object)
			if _, real := realArray(v); real {
				n += r.lengthOf(o)
			} else if isObj {
				return r.concatObjects(c)
			} else {
				n++
			}
		}
		if bytes := n * elementBytes; bytes > r.budget() {
			panic(r.exceeded("concat", bytes))
		}
		return must(origConcat(c.This, c.Arguments...))
	})
	// Array is reachable from any array literal ([].constructor), so its
	// static from is guarded here, not lazily with the global. Strings and
	// real arrays tell their size unobserved, and iterables grow a step at
	// a time (the time limit and the heap watcher bound them): the
	// original does those. An array-like states a length it may not have,
	// so its path is run here, step by step as the standard has it, with
	// the length checked before anything is built.
	origFrom, _ := goja.AssertFunction(array.Get("from"))
	r.define(array, "from", func(c goja.FunctionCall) goja.Value {
		items, mapFn := arg(c.Arguments, 0), arg(c.Arguments, 1)
		switch src := items.(type) {
		case goja.String:
			r.checkFrom(float64(src.Length()))
		case *goja.Object:
			if a, ok := realArray(src); ok {
				r.checkFrom(r.lengthOf(a))
				break
			}
			if _, ok := goja.AssertFunction(mapFn); !ok && !goja.IsUndefined(mapFn) {
				break // the original throws its TypeError
			}
			if iter := src.GetSymbol(goja.SymIterator); iter == nil || goja.IsUndefined(iter) || goja.IsNull(iter) {
				return r.arrayFromArrayLike(c.This, src, mapFn, arg(c.Arguments, 2))
			}
		}
		return must(origFrom(c.This, c.Arguments...))
	})

	fn := vm.ToValue(func(goja.FunctionCall) goja.Value { return nil }).ToObject(vm).Prototype()
	origApply, _ := goja.AssertFunction(fn.Get("apply"))
	r.define(fn, "apply", func(call goja.FunctionCall) goja.Value {
		if list, ok := arg(call.Arguments, 1).(*goja.Object); ok {
			call.Arguments = append([]goja.Value{arg(call.Arguments, 0), r.argList(list)}, call.Arguments[min(2, len(call.Arguments)):]...)
		}
		return must(origApply(call.This, call.Arguments...))
	})

	r.guardLocaleCompare(str)
	r.guardLocaleCase(str)
	r.guardNumberLocale()

	// These three make a regexp of a string argument; the other ways to
	// one (a literal, the RegExp global, a library) guard RegExp.prototype
	// first (see guardRegExp).
	for _, name := range []string{"match", "matchAll", "search"} {
		orig, _ := goja.AssertFunction(str.Get(name))
		r.define(str, name, func(call goja.FunctionCall) goja.Value {
			r.guardRegExp()
			return must(orig(call.This, call.Arguments...))
		})
	}

	// Code built from strings is parsed by goja's recursive parser: every
	// function constructor checks its source's nesting first. Function is
	// reachable from any function literal's .constructor.
	r.global.resolve("Function")
}

// guardFunctionKinds guards the AsyncFunction and GeneratorFunction
// constructors, reachable from an async or generator function's
// .constructor. Making them costs a fifth of a trivial run, so it happens
// only for code that can create such functions: code whose text has one
// (see makesFunctionKinds), or that builds code from strings.
func (r *run) guardFunctionKinds() {
	if r.kindsGuarded {
		return
	}
	r.kindsGuarded = true
	function := r.global.resolve("Function").ToObject(r.vm)
	ctors := must(r.vm.RunProgram(functionKinds())).ToObject(r.vm)
	for i, name := range []string{"AsyncFunction", "GeneratorFunction"} {
		r.guardConstructor(name, ctors.Get(strconv.Itoa(i)), function, r.checkSources)
	}
}

// makesFunctionKinds reports whether code may create async or generator
// functions. A false match only costs a little time.
func makesFunctionKinds(code string) bool {
	return strings.Contains(code, "async") || hasGenerator(code)
}

// hasGenerator finds generator syntax: function* and *method() in classes
// and object literals, i.e. what the pattern
//
//	function\s*\*|[{};,]\s*(?:static\s+)?\*\s*[A-Za-z_$\[]
//
// matches, scanning from each '*' instead: Go's regexp took ~2 ms on a
// 10 KB function (the leading class matches almost everywhere), most of
// a first call's cost.
func hasGenerator(code string) bool {
	for i := strings.IndexByte(code, '*'); i >= 0; {
		before := strings.TrimRight(code[:i], jsSpace)
		if strings.HasSuffix(before, "function") {
			return true
		}
		if rest, ok := strings.CutSuffix(before, "static"); ok && len(before) < i {
			before = strings.TrimRight(rest, jsSpace) // static needs a space before the *
		}
		after := strings.TrimLeft(code[i+1:], jsSpace)
		if before != "" && strings.IndexByte("{};,", before[len(before)-1]) >= 0 &&
			after != "" && isGeneratorNameStart(after[0]) {
			return true
		}
		next := strings.IndexByte(code[i+1:], '*')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}

// jsSpace is what the pattern's \s matched.
const jsSpace = " \t\n\f\r\v"

func isGeneratorNameStart(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == '$' || c == '['
}

// functionKinds evaluates to the constructors of the other function kinds
// (goja has no async generators).
// requiresNew makes the JavaScript side of a constructor that must be
// called with new: it hands new.target (undefined on a plain call) and
// its arguments object (read by index, which no user code can observe)
// to Go.
var requiresNew = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("scriptforge:ctor", `(function (build) {
  return function () { "use strict"; return build(new.target, arguments); };
})`, true)
})

var functionKinds = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("scriptforge:kinds", "[(async function () {}).constructor, (function* () {}).constructor]", true)
})

// guardFunction guards the Function constructor (see guardPrototypes),
// and makes Function.prototype.toString show the built-ins written in
// JavaScript (markBuiltin) as native code, as their standards say.
func (r *run) guardFunction(orig goja.Value) goja.Value {
	proto := orig.ToObject(r.vm).Get("prototype").ToObject(r.vm)
	toString, _ := goja.AssertFunction(proto.Get("toString"))
	r.define(proto, "toString", func(c goja.FunctionCall) goja.Value {
		if o, ok := c.This.(*goja.Object); ok {
			r.walkBuiltins()
			if name, ok := r.builtins[o]; ok {
				return r.vm.ToValue("function " + name + "() { [native code] }")
			}
		}
		return must(toString(c.This, c.Arguments...))
	})
	return r.guardConstructor("Function", orig, nil, r.checkSources)
}

// markBuiltin records functions written in JavaScript that stand for
// built-ins (a guarded constructor; Intl's constructors and methods),
// with the name their native form shows: v itself if it is a function,
// and the functions among its own properties, their prototypes' and
// accessors', to any depth. The walk waits for the first toString of a
// function: it costs more than loading Intl, and few runs ever ask.
func (r *run) markBuiltin(v goja.Value, name string) {
	r.builtinRoots = append(r.builtinRoots, builtinRoot{v, name})
}

type builtinRoot struct {
	v    goja.Value
	name string
}

// walkBuiltins marks what markBuiltin recorded.
func (r *run) walkBuiltins() {
	roots := r.builtinRoots
	r.builtinRoots = nil
	for _, root := range roots {
		r.walkBuiltin(root.v, root.name)
	}
}

func (r *run) walkBuiltin(v goja.Value, name string) {
	o, ok := v.(*goja.Object)
	if !ok {
		return
	}
	if _, seen := r.builtins[o]; seen {
		return
	}
	if r.builtins == nil {
		r.builtins = map[*goja.Object]string{}
	}
	if _, isFn := goja.AssertFunction(o); isFn {
		r.builtins[o] = nativeName(name)
	} else {
		r.builtins[o] = "" // visited; never a function, so never shown
	}
	for _, k := range o.GetOwnPropertyNames() {
		r.markProperty(o, k)
	}
}

// markProperty marks a property's value or accessors (see markBuiltin).
func (r *run) markProperty(o *goja.Object, key string) {
	d, ok := must(r.global.ownDescriptor(o, key)).(*goja.Object)
	if !ok {
		return
	}
	if v := d.Get("value"); v != nil {
		r.walkBuiltin(v, key)
	}
	if g := d.Get("get"); g != nil {
		r.walkBuiltin(g, "get "+key)
	}
	if s := d.Get("set"); s != nil {
		r.walkBuiltin(s, "set "+key)
	}
}

// nativeName is what NativeFunction syntax can show of a function's name:
// an identifier, optionally after get or set; nothing otherwise.
func nativeName(name string) string {
	if !nativeNameRE.MatchString(name) {
		return ""
	}
	return name
}

var nativeNameRE = regexp.MustCompile(`^((get|set) )?[A-Za-z_$][A-Za-z0-9_$]*$`)

// guardEval makes eval check its source's nesting. The wrapper makes every
// eval indirect (global scope), as a renamed eval is in any engine.
func (r *run) guardEval(orig goja.Value) goja.Value {
	eval, _ := goja.AssertFunction(orig)
	return r.native("eval", 1, func(call goja.FunctionCall) (v goja.Value) {
		r.checkSources(call.Arguments)
		defer r.parserPanic()
		return must(eval(goja.Undefined(), call.Arguments...))
	})
}

// parserPanic turns a panic of goja's parser (it panics with an error on
// some valid code) into the SyntaxError a failed parse would throw;
// deferred around what parses code a run built (eval, the Function
// constructors). Exceptions and interrupts go on as they are.
func (r *run) parserPanic() {
	p := recover()
	if p == nil {
		return
	}
	switch p.(type) {
	case *goja.Exception, *goja.InterruptedError, runtime.Error:
		panic(p) // not the parser's: a binding's failure stays one
	case error:
		panic(r.newError("SyntaxError", fmt.Sprintf("the JavaScript engine (goja) could not parse this code: %v", p)))
	}
	panic(p)
}

// guardJSON checks nesting before JSON.parse (recursive, fatal when deep)
// and nesting and size before JSON.stringify (quadratic in depth, builds
// its whole text in one Go call, and no interrupt stops it).
func (r *run) guardJSON(v goja.Value) goja.Value {
	J := v.ToObject(r.vm)
	parse, _ := goja.AssertFunction(J.Get("parse"))
	r.define(J, "parse", func(call goja.FunctionCall) goja.Value {
		r.checkSources(call.Arguments[:min(1, len(call.Arguments))])
		return must(parse(call.This, call.Arguments...))
	})
	r.define(J, "stringify", func(call goja.FunctionCall) goja.Value {
		return r.jsonStringify(arg(call.Arguments, 0), arg(call.Arguments, 1), arg(call.Arguments, 2))
	})
	return J
}

// checkSources throws a SyntaxError when a string argument nests too deep.
func (r *run) checkSources(args []goja.Value) float64 {
	r.guardFunctionKinds() // the code may create async or generator functions
	for _, a := range args {
		if s, ok := a.(goja.String); ok {
			if usesRegExp(s.String()) {
				r.guardRegExp()
			}
			if usesBigInt(s.String()) {
				r.guardBigIntLocale()
			}
			if _, deep := tooDeep(s.String()); deep {
				panic(r.newError("SyntaxError", fmt.Sprintf("brackets nest more than %d levels deep", maxNesting)))
			}
		}
	}
	return 0
}

// checkJSON walks a value as JSON.stringify would and fails past
// maxNesting levels or when the text would not fit the memory budget.
// A shared object is walked once but counted each time it appears, as
// stringify writes it out each time; a cycle counts nothing (stringify
// rejects cycles itself).
func (r *run) checkJSON(v goja.Value) *goja.Object {
	budget := r.budget()
	sizes := map[*goja.Object]float64{}
	var walk func(v goja.Value, depth int) (float64, *goja.Object)
	walk = func(v goja.Value, depth int) (float64, *goja.Object) {
		switch x := v.(type) {
		case goja.String:
			return float64(x.Length()) + 2, nil
		case *goja.Object:
			if n, ok := sizes[x]; ok {
				return n, nil
			}
			if depth > maxNesting {
				return 0, r.newError("RangeError", fmt.Sprintf("the value nests more than %d levels deep", maxNesting))
			}
			sizes[x] = 0 // in progress
			total := 2.0
			for _, k := range x.Keys() {
				n, err := walk(x.Get(k), depth+1)
				if err != nil {
					return 0, err
				}
				if total += n + float64(len(k)) + 4; total > budget {
					return total, nil // enough: it does not fit
				}
			}
			sizes[x] = total
			return total, nil
		}
		return 8, nil
	}
	n, err := walk(v, 1)
	if err != nil {
		return err
	}
	if n > budget {
		return r.exceeded("JSON.stringify", n)
	}
	return nil
}

// guardReflect wraps Reflect.apply and Reflect.construct, which spread an
// array-like into arguments like Function.prototype.apply.
func (r *run) guardReflect(v goja.Value) goja.Value {
	R := v.ToObject(r.vm)
	for name, at := range map[string]int{"apply": 2, "construct": 1} {
		orig, _ := goja.AssertFunction(R.Get(name))
		at := at
		r.define(R, name, func(call goja.FunctionCall) goja.Value {
			if list, ok := arg(call.Arguments, at).(*goja.Object); ok {
				call.Arguments = append([]goja.Value(nil), call.Arguments...)
				call.Arguments[at] = r.argList(list)
			}
			return must(orig(call.This, call.Arguments...))
		})
	}
	return R
}

// guardConstructor returns a constructor that checks its arguments, then
// constructs the original. It shares the original's prototype (instanceof
// holds, subclasses work) and static members, but does not inherit from
// the original, so the original is unreachable from user code.
//
// proto is the wrapper's [[Prototype]]: the original's own when nil. It is
// given where the original's would lead back to an unguarded constructor.
// estimate returns the bytes a call would allocate; it may also throw.
func (r *run) guardConstructor(name string, origV goja.Value, proto *goja.Object, estimate func(args []goja.Value) float64) goja.Value {
	vm := r.vm
	orig := origV.ToObject(vm)
	construct, _ := goja.AssertConstructor(orig)
	var wrapper *goja.Object
	parses := name == "Function" || name == "AsyncFunction" || name == "GeneratorFunction"
	build := func(args []goja.Value, newTarget *goja.Object) *goja.Object {
		if n := estimate(args); n > r.budget() {
			panic(r.exceeded(name, n))
		}
		if parses {
			defer r.parserPanic()
		}
		if newTarget == nil || newTarget == wrapper {
			newTarget = orig
		}
		return must(construct(newTarget, args...))
	}
	if parses {
		// The function constructors construct when called without new too.
		wrapper = vm.ToValue(func(call goja.ConstructorCall) *goja.Object { return build(call.Arguments, call.NewTarget) }).ToObject(vm)
	} else {
		// ArrayBuffer and the typed arrays throw when called without new.
		// goja gives a Go constructor no new.target on a plain call, so
		// these are JavaScript functions that pass theirs to Go.
		mk, _ := goja.AssertFunction(must(vm.RunProgram(requiresNew())))
		wrapper = must(mk(goja.Undefined(), vm.ToValue(func(c goja.FunctionCall) goja.Value {
			newTarget, ok := c.Argument(0).(*goja.Object)
			if !ok {
				panic(r.newError("TypeError", "Constructor "+name+" requires 'new'"))
			}
			argsObj := c.Argument(1).ToObject(vm)
			args := make([]goja.Value, int(argsObj.Get("length").ToInteger()))
			for i := range args {
				args[i] = argsObj.Get(strconv.Itoa(i))
			}
			return build(args, newTarget)
		}))).ToObject(vm)
		r.markBuiltin(wrapper, name)
	}
	if proto == nil {
		proto = orig.Prototype()
	}
	_ = wrapper.SetPrototype(proto)
	for _, k := range orig.GetOwnPropertyNames() {
		switch k {
		case "prototype", "length", "name":
		case "BYTES_PER_ELEMENT": // a constant: neither writable nor configurable
			_ = wrapper.DefineDataProperty(k, orig.Get(k), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
		default:
			_ = wrapper.DefineDataProperty(k, orig.Get(k), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		}
	}
	_ = wrapper.DefineDataProperty("name", vm.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = wrapper.DefineDataProperty("length", orig.Get("length"), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	// get [Symbol.species]() { return this }, as the original has it: the
	// wrapper is what code sees as the constructor.
	if orig.GetSymbol(goja.SymSpecies) != nil {
		species := vm.ToValue(func(c goja.FunctionCall) goja.Value { return c.This }).(*goja.Object)
		_ = species.DefineDataProperty("name", vm.ToValue("get [Symbol.species]"), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		_ = wrapper.DefineAccessorPropertySymbol(goja.SymSpecies, species, nil, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	instances := orig.Get("prototype").ToObject(vm)
	_ = wrapper.DefineDataProperty("prototype", instances, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = instances.DefineDataProperty("constructor", wrapper, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return wrapper
}

func (r *run) guardTypedArray(name string, orig goja.Value) goja.Value {
	bpe := orig.ToObject(r.vm).Get("BYTES_PER_ELEMENT").ToFloat()
	buffer := r.global.resolve("ArrayBuffer").ToObject(r.vm)
	return r.guardConstructor(name, orig, nil, func(a []goja.Value) float64 {
		switch v := arg(a, 0).(type) {
		case *goja.Object:
			// A buffer is shared, not copied; anything else is copied element by element.
			if v.Get("byteLength") != nil && r.vm.InstanceOf(v, buffer) {
				return 0
			}
			return r.lengthOf(v) * bpe
		default:
			if goja.IsUndefined(v) {
				return 0
			}
			return nonNeg(v) * bpe
		}
	})
}

func (r *run) guardArrayBuffer(orig goja.Value) goja.Value {
	return r.guardConstructor("ArrayBuffer", orig, nil, func(a []goja.Value) float64 { return nonNeg(arg(a, 0)) })
}

// fillArrayLike is Array.prototype.fill on an object that is not an
// Array (ECMA-262 23.1.3.7): length, start, end, then each Set in order,
// with the count checked against the budget first and the run's stop
// honoured as it goes.
func (r *run) fillArrayLike(o *goja.Object, c *goja.FunctionCall) goja.Value {
	value := arg(c.Arguments, 0)
	n := toLength(o.Get("length"))
	start := relIndex(toNumberArgIfDefined(c, 1), n, 0)
	end := relIndex(toNumberArgIfDefined(c, 2), n, n)
	if bytes := (end - start) * elementBytes; bytes > r.budget() {
		panic(r.exceeded("fill", bytes))
	}
	for k := int64(start); k < int64(end); k++ {
		r.checkStopped(k, "fill")
		if err := o.Set(strconv.FormatInt(k, 10), value); err != nil {
			panic(err)
		}
	}
	return o
}

// joinArrayLike is Array.prototype.join on an object that is not an Array
// (ECMA-262 23.1.3.18): length, the separator, then each element in
// order, within the budget and the run's time.
func (r *run) joinArrayLike(o *goja.Object, c *goja.FunctionCall) goja.Value {
	n := toLength(o.Get("length"))
	sep := ","
	if s := arg(c.Arguments, 0); !goja.IsUndefined(s) {
		sep = r.toJSString(s).String()
	}
	budget := r.budget()
	if bytes := max(n-1, 0) * float64(len(sep)) * 2; bytes > budget {
		panic(r.exceeded("join", bytes))
	}
	var b strings.Builder
	for k := int64(0); k < int64(n); k++ {
		r.checkStopped(k, "join")
		if k > 0 {
			b.WriteString(sep)
		}
		if v := o.Get(strconv.FormatInt(k, 10)); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
			b.WriteString(r.toJSString(v).String())
		}
		if bytes := float64(b.Len()) * 2; bytes > budget {
			panic(r.exceeded("join", bytes))
		}
	}
	return r.vm.ToValue(b.String())
}

// arrayToLocaleString is Array.prototype.toLocaleString as ECMA-402 has
// it: each element's toLocaleString(locales, options), joined by ",",
// within the budget and the run's time. An array that contains itself
// shows as "" where it recurs, as in every engine.
func (r *run) arrayToLocaleString(c goja.FunctionCall) goja.Value {
	o := c.This.ToObject(r.vm) // a TypeError for undefined and null
	if r.toLocaleStack[o] {
		return r.vm.ToValue("")
	}
	if r.toLocaleStack == nil {
		r.toLocaleStack = map[*goja.Object]bool{}
	}
	r.toLocaleStack[o] = true
	defer delete(r.toLocaleStack, o)
	n := toLength(o.Get("length"))
	locales, options := arg(c.Arguments, 0), arg(c.Arguments, 1)
	budget := r.budget()
	if bytes := max(n-1, 0) * 2; bytes > budget { // the separators alone
		panic(r.exceeded("toLocaleString", bytes))
	}
	var b strings.Builder
	for k := int64(0); k < int64(n); k++ {
		r.checkStopped(k, "toLocaleString")
		if k > 0 {
			b.WriteString(",")
		}
		v := o.Get(strconv.FormatInt(k, 10))
		if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
			continue
		}
		elem := v.ToObject(r.vm)
		f, ok := goja.AssertFunction(elem.Get("toLocaleString"))
		if !ok {
			panic(r.newError("TypeError", "toLocaleString is not a function"))
		}
		b.WriteString(r.toJSString(must(f(v, locales, options))).String())
		if bytes := float64(b.Len()) * 2; bytes > budget {
			panic(r.exceeded("toLocaleString", bytes))
		}
	}
	return r.vm.ToValue(b.String())
}

// concatObjects is Array.prototype.concat (ECMA-262 23.1.3.2) step by
// step: ArraySpeciesCreate, then each of this and the arguments, spread
// when IsConcatSpreadable says so, every observable read once and in
// order, the elements made counted against the budget and the loop
// stopped with the run.
func (r *run) concatObjects(c goja.FunctionCall) goja.Value {
	vm := r.vm
	o := c.This.ToObject(vm) // a TypeError for undefined and null
	a, plain := r.arraySpeciesCreate(o)
	const maxLength = 1<<53 - 1
	// A plain Array's elements are gathered in Go and made into the
	// array at the end (goja would keep them one by one as properties,
	// at several times the cost); another species gets each defined as
	// the standard says. Each element made counts against the budget.
	perElement := 3.0 * elementBytes
	if !plain {
		perElement = 16.0 * elementBytes
	}
	budget := r.budget()
	var vals []goja.Value
	var at []int64
	n := int64(0)
	put := func(v goja.Value) {
		if bytes := float64(len(vals)+1) * perElement; bytes > budget {
			panic(r.exceeded("concat", bytes))
		}
		if plain {
			vals, at = append(vals, v), append(at, n)
			return
		}
		vals = append(vals, nil) // counted, not kept
		if err := a.DefineDataProperty(strconv.FormatInt(n, 10), v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
			panic(r.newError("TypeError", "concat: "+err.Error()))
		}
	}
	for _, v := range append([]goja.Value{o}, c.Arguments...) {
		e, isObj := v.(*goja.Object)
		spreadable := false
		if isObj {
			if s := e.GetSymbol(goja.SymIsConcatSpreadable); s != nil && !goja.IsUndefined(s) {
				spreadable = s.ToBoolean()
			} else {
				spreadable = r.isArray(e)
			}
		}
		if !spreadable {
			if n >= maxLength {
				panic(r.newError("TypeError", "concat: the result would be longer than 2^53-1"))
			}
			put(v)
			n++
			continue
		}
		length := int64(toLength(e.Get("length")))
		if n+length > maxLength {
			panic(r.newError("TypeError", "concat: the result would be longer than 2^53-1"))
		}
		for k := int64(0); k < length; k, n = k+1, n+1 {
			r.checkStopped(k, "concat")
			key := strconv.FormatInt(k, 10)
			if r.has(e, key) {
				put(e.Get(key))
			}
		}
	}
	if plain && int64(len(vals)) == n { // no holes: one dense array
		items := make([]any, len(vals))
		for i, v := range vals {
			items[i] = v
		}
		return vm.NewArray(items...)
	}
	if plain {
		for i, v := range vals {
			if err := a.DefineDataProperty(strconv.FormatInt(at[i], 10), v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
				panic(err)
			}
		}
	}
	if err := a.Set("length", n); err != nil {
		panic(err)
	}
	return a
}

// arraySpeciesCreate is ArraySpeciesCreate(original, 0) (ECMA-262
// 10.4.2.3): an Array (plain), unless original is an array whose
// constructor's [Symbol.species] names another constructor.
func (r *run) arraySpeciesCreate(original *goja.Object) (a *goja.Object, plain bool) {
	vm := r.vm
	if !r.isArray(original) {
		return vm.NewArray(), true
	}
	ctor := original.Get("constructor")
	if co, ok := ctor.(*goja.Object); ok {
		ctor = co.GetSymbol(goja.SymSpecies)
		if ctor != nil && goja.IsNull(ctor) {
			ctor = goja.Undefined()
		}
	}
	if ctor == nil || goja.IsUndefined(ctor) {
		return vm.NewArray(), true
	}
	construct, ok := goja.AssertConstructor(ctor)
	if !ok {
		panic(r.newError("TypeError", "concat: the array's species is not a constructor"))
	}
	return must(construct(nil, vm.ToValue(0))), false
}

// isArray is IsArray: true for an Array, and for a proxy of one.
func (r *run) isArray(o *goja.Object) bool {
	if o.ClassName() == "Array" {
		return true
	}
	if o.ExportType() != proxyType {
		return false
	}
	if r.isArrayFn == nil {
		r.isArrayFn, _ = goja.AssertFunction(r.global.orig.Get("Array").ToObject(r.vm).Get("isArray"))
	}
	return must(r.isArrayFn(goja.Undefined(), o)).ToBoolean()
}

// has is HasProperty(o, key), a proxy's has trap included: goja's Go API
// has none, so it asks JavaScript's in operator.
func (r *run) has(o *goja.Object, key string) bool {
	if r.hasFn == nil {
		r.hasFn, _ = goja.AssertFunction(must(r.vm.RunProgram(hasProgram())))
	}
	return must(r.hasFn(goja.Undefined(), o, r.vm.ToValue(key))).ToBoolean()
}

var proxyType = reflect.TypeOf(goja.Proxy{})

var hasProgram = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("scriptforge:has", "(function (o, k) { return k in o; })", true)
})

// checkStopped ends a Go loop of a guard every so often once the run has
// been stopped (time limit, cancel, heap watcher).
func (r *run) checkStopped(k int64, what string) {
	if k&1023 != 0 {
		return
	}
	select {
	case <-r.stopped:
		panic(r.newError("Error", what+" was stopped: the run is ending"))
	default:
	}
}

// joinEstimate sums the separators and the string elements of a real
// array, stopping as soon as the budget is passed: length, then
// ToString(separator), as join reads them.
func (r *run) joinEstimate(c *goja.FunctionCall) float64 {
	obj, ok := realArray(c.This)
	if !ok {
		return 0
	}
	n := r.lengthOf(obj)
	sepLen := 1
	if s := arg(c.Arguments, 0); !goja.IsUndefined(s) {
		sepLen = r.toStringArg(c, 0).Length()
	}
	budget := r.budget()
	bytes := max(n-1, 0) * float64(sepLen) * 2
	if bytes > budget || n*2 > budget {
		return max(bytes, n*2)
	}
	for i := 0; i < int(n) && bytes <= budget; i++ {
		if s, ok := obj.Get(strconv.Itoa(i)).(goja.String); ok {
			bytes += float64(s.Length()) * 2
		} else {
			bytes += 24
		}
	}
	return bytes
}

// wrapMethod replaces obj[name] with a guarded version of itself.
func (r *run) wrapMethod(obj *goja.Object, name string, estimate estimator) {
	orig, _ := goja.AssertFunction(obj.Get(name))
	r.define(obj, name, func(call goja.FunctionCall) goja.Value {
		// A copy: the estimator writes converted values into it.
		call.Arguments = append([]goja.Value(nil), call.Arguments...)
		if n := estimate(&call); n > r.budget() {
			panic(r.exceeded(name, n))
		}
		return must(orig(call.This, call.Arguments...))
	})
}

// define replaces a built-in method of obj with f, set as built-in
// methods are (writable, configurable, not enumerable) and with the name
// and length of the method it replaces: code that reads them, or
// test262, sees the built-in.
func (r *run) define(obj *goja.Object, name string, f func(goja.FunctionCall) goja.Value) {
	length := goja.Value(r.vm.ToValue(0))
	if old, ok := obj.Get(name).(*goja.Object); ok {
		length = old.Get("length")
	}
	_ = obj.DefineDataProperty(name, r.native(name, length, f), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// native makes a Go function into a JavaScript one with a built-in's name
// and length (a number or a goja value).
func (r *run) native(name string, length any, f func(goja.FunctionCall) goja.Value) *goja.Object {
	fn := r.vm.ToValue(f).(*goja.Object)
	_ = fn.DefineDataProperty("length", r.vm.ToValue(length), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	_ = fn.DefineDataProperty("name", r.vm.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return fn
}

func (r *run) checkFrom(n float64) {
	if bytes := n * arrayFromBytes; bytes > r.budget() {
		panic(r.exceeded("from", bytes))
	}
}

// arrayFromArrayLike is Array.from's array-like path (ECMA-262, 23.1.2.1,
// from step 5 on), with the length checked against the budget before the
// result is made: each observable read (length, then each index) once, in
// order, as the original would make them.
func (r *run) arrayFromArrayLike(this goja.Value, items *goja.Object, mapFn, thisArg goja.Value) goja.Value {
	vm := r.vm
	n := toLength(items.Get("length"))
	r.checkFrom(n)
	var out *goja.Object
	if ctor, ok := goja.AssertConstructor(this); ok {
		out = must(ctor(nil, vm.ToValue(n)))
	} else {
		out = vm.NewArray() // ArrayCreate(0): the length is set below
	}
	mapping, _ := goja.AssertFunction(mapFn)
	for k := 0; k < int(n); k++ {
		key := strconv.Itoa(k)
		v := items.Get(key)
		if v == nil {
			v = goja.Undefined()
		}
		if mapping != nil {
			v = must(mapping(thisArg, v, vm.ToValue(k)))
		}
		if err := out.DefineDataProperty(key, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
			panic(err)
		}
	}
	if err := out.Set("length", n); err != nil {
		panic(err)
	}
	return out
}

// toLength is ToLength: an integer in [0, 2^53-1].
func toLength(v goja.Value) float64 {
	if v == nil {
		return 0
	}
	n := v.ToNumber().ToFloat()
	if n != n || n <= 0 {
		return 0
	}
	return min(float64(int64(n)), 1<<53-1)
}

// argList is CreateListFromArrayLike for apply, done here so that its
// observable reads (length, then each index, in order) happen once: the
// length is checked against maxArgs first, and the original gets a real
// array, whose reads are not observable.
func (r *run) argList(list *goja.Object) goja.Value {
	if _, ok := realArray(list); ok {
		if n := r.lengthOf(list); n > maxArgs {
			panic(r.tooManyArgs(n))
		}
		return list
	}
	n := toLength(list.Get("length"))
	if n > maxArgs {
		panic(r.tooManyArgs(n))
	}
	items := make([]any, int(n))
	for i := range items {
		if v := list.Get(strconv.Itoa(i)); v != nil {
			items[i] = v
		} else {
			items[i] = goja.Undefined()
		}
	}
	return r.vm.NewArray(items...)
}

func (r *run) tooManyArgs(n float64) *goja.Object {
	return r.newError("RangeError", fmt.Sprintf("too many arguments (%.0f); the limit is %d", n, maxArgs))
}

// thisString is ToString(RequireObjectCoercible(this)) for a String
// method, written back; false for null and undefined, where the original
// throws its own TypeError.
func (r *run) thisString(c *goja.FunctionCall) (goja.String, bool) {
	if goja.IsUndefined(c.This) || goja.IsNull(c.This) {
		return nil, false
	}
	s := r.toJSString(c.This)
	c.This = s
	return s, true
}

// toJSString is ECMAScript's ToString. (goja's Value.ToString leaves a
// primitive as it is; an object's runs its toString or valueOf, once.)
func (r *run) toJSString(v goja.Value) goja.String {
	switch p := v.ToString().(type) {
	case goja.String:
		return p
	case *goja.Symbol:
		panic(r.newError("TypeError", "Cannot convert a Symbol value to a string"))
	default:
		s, _ := r.vm.ToValue(p.String()).(goja.String)
		return s
	}
}

// toNumberArg converts argument i with ToNumber (valueOf runs here), and
// writes the number back.
func toNumberArg(c *goja.FunctionCall, i int) goja.Value {
	if i >= len(c.Arguments) {
		return goja.Undefined()
	}
	n := c.Arguments[i].ToNumber()
	c.Arguments[i] = n
	return n
}

// toNumberArgIfDefined is toNumberArg where undefined has a meaning of its own.
func toNumberArgIfDefined(c *goja.FunctionCall, i int) goja.Value {
	if goja.IsUndefined(arg(c.Arguments, i)) {
		return goja.Undefined()
	}
	return toNumberArg(c, i)
}

// toStringArg converts argument i with ToString and writes the string back.
func (r *run) toStringArg(c *goja.FunctionCall, i int) goja.String {
	if i >= len(c.Arguments) {
		return r.toJSString(goja.Undefined())
	}
	s := r.toJSString(c.Arguments[i])
	c.Arguments[i] = s
	return s
}

// realArray is v as an Array exotic object, not a proxy nor an array-like:
// its length is a data property, read without running user code.
func realArray(v goja.Value) (*goja.Object, bool) {
	o, ok := v.(*goja.Object)
	return o, ok && o.ClassName() == "Array"
}

func (r *run) budget() float64 { return float64(r.memoryMB()) * (1 << 20) }

func (r *run) lengthOf(v goja.Value) float64 {
	return nonNeg(v.ToObject(r.vm).Get("length"))
}

// must passes a JS exception (or an interrupt) from a wrapped original on
// to the caller, as if the original had been called directly.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func arg(a []goja.Value, i int) goja.Value {
	if i < len(a) {
		return a[i]
	}
	return goja.Undefined()
}

func nonNeg(v goja.Value) float64 {
	if v == nil {
		return 0
	}
	if n := v.ToFloat(); n > 0 {
		return n
	}
	return 0
}

// relIndex resolves a relative start/end argument as Array.prototype.fill
// does: ToIntegerOrInfinity (NaN is 0), then from the end if negative.
func relIndex(v goja.Value, length, dflt float64) float64 {
	if goja.IsUndefined(v) {
		return dflt
	}
	n := math.Trunc(v.ToFloat())
	if n != n {
		n = 0
	}
	if n < 0 {
		return max(length+n, 0)
	}
	return min(n, length)
}
