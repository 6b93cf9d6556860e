package engine

import (
	"fmt"
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

type estimator func(this goja.Value, args []goja.Value) float64

// guardPrototypes wraps the allocating methods reachable from any literal
// (strings, arrays, functions): they cannot wait for a global to be read.
func (r *run) guardPrototypes() {
	vm := r.vm
	// Prototypes are taken from instances: reading String.prototype through
	// the String constructor would build the constructor too, for nothing.
	str := vm.ToValue("").ToObject(vm).Prototype()
	r.wrapMethod(str, "repeat", func(this goja.Value, a []goja.Value) float64 {
		return float64(strLen(this)) * nonNeg(arg(a, 0)) * 2
	})
	pad := func(this goja.Value, a []goja.Value) float64 {
		if f := arg(a, 1); !goja.IsUndefined(f) && strLen(f) == 0 {
			return 0
		}
		return nonNeg(arg(a, 0)) * 2
	}
	r.wrapMethod(str, "padStart", pad)
	r.wrapMethod(str, "padEnd", pad)
	r.wrapMethod(str, "concat", func(this goja.Value, a []goja.Value) float64 {
		n := strLen(this)
		for _, v := range a {
			n += strLen(v)
		}
		return float64(n) * 2
	})

	array := vm.Get("Array").ToObject(vm)
	arr := array.Get("prototype").ToObject(vm)
	r.wrapMethod(arr, "fill", func(this goja.Value, a []goja.Value) float64 {
		n := r.lengthOf(this)
		return (relIndex(arg(a, 2), n, n) - relIndex(arg(a, 1), n, 0)) * elementBytes
	})
	r.wrapMethod(arr, "join", r.joinEstimate)
	r.wrapMethod(arr, "concat", func(this goja.Value, a []goja.Value) float64 {
		n := r.lengthOf(this)
		for _, v := range a {
			if o, ok := v.(*goja.Object); ok {
				n += r.lengthOf(o)
			} else {
				n++
			}
		}
		return n * elementBytes
	})
	// Array is reachable from any array literal ([].constructor), so its
	// static from is guarded here, not lazily with the global.
	r.wrapMethod(array, "from", func(_ goja.Value, a []goja.Value) float64 {
		if src := arg(a, 0); !goja.IsUndefined(src) && !goja.IsNull(src) {
			return r.lengthOf(src) * arrayFromBytes
		}
		return 0
	})

	fn := vm.ToValue(func(goja.FunctionCall) goja.Value { return nil }).ToObject(vm).Prototype()
	origApply, _ := goja.AssertFunction(fn.Get("apply"))
	r.define(fn, "apply", func(call goja.FunctionCall) goja.Value {
		r.checkArgCount(arg(call.Arguments, 1))
		return must(origApply(call.This, call.Arguments...))
	})

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
var functionKinds = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("scriptforge:kinds", "[(async function () {}).constructor, (function* () {}).constructor]", true)
})

// guardFunction guards the Function constructor (see guardPrototypes).
func (r *run) guardFunction(orig goja.Value) goja.Value {
	return r.guardConstructor("Function", orig, nil, r.checkSources)
}

// guardEval makes eval check its source's nesting. The wrapper makes every
// eval indirect (global scope), as a renamed eval is in any engine.
func (r *run) guardEval(orig goja.Value) goja.Value {
	eval, _ := goja.AssertFunction(orig)
	return r.vm.ToValue(func(call goja.FunctionCall) goja.Value {
		r.checkSources(call.Arguments)
		return must(eval(goja.Undefined(), call.Arguments...))
	})
}

// guardJSON checks nesting before JSON.parse (recursive, fatal when deep)
// and nesting and size before JSON.stringify (quadratic in depth, builds
// its whole text in one Go call, and no interrupt stops it).
func (r *run) guardJSON(v goja.Value) goja.Value {
	J := v.ToObject(r.vm)
	parse, _ := goja.AssertFunction(J.Get("parse"))
	stringify, _ := goja.AssertFunction(J.Get("stringify"))
	r.define(J, "parse", func(call goja.FunctionCall) goja.Value {
		r.checkSources(call.Arguments[:min(1, len(call.Arguments))])
		return must(parse(call.This, call.Arguments...))
	})
	r.define(J, "stringify", func(call goja.FunctionCall) goja.Value {
		if err := r.checkJSON(arg(call.Arguments, 0)); err != nil {
			panic(err)
		}
		return must(stringify(call.This, call.Arguments...))
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
			r.checkArgCount(arg(call.Arguments, at))
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
	wrapper = vm.ToValue(func(call goja.ConstructorCall) *goja.Object {
		if n := estimate(call.Arguments); n > r.budget() {
			panic(r.exceeded(name, n))
		}
		target := call.NewTarget
		if target == wrapper {
			target = orig
		}
		return must(construct(target, call.Arguments...))
	}).ToObject(vm)
	if proto == nil {
		proto = orig.Prototype()
	}
	_ = wrapper.SetPrototype(proto)
	for _, k := range orig.GetOwnPropertyNames() {
		switch k {
		case "prototype", "length", "name":
		default:
			_ = wrapper.DefineDataProperty(k, orig.Get(k), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		}
	}
	_ = wrapper.DefineDataProperty("name", vm.ToValue(name), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
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

// joinEstimate sums the separators and the string elements, stopping as
// soon as the budget is passed.
func (r *run) joinEstimate(this goja.Value, a []goja.Value) float64 {
	obj := this.ToObject(r.vm)
	n := r.lengthOf(obj)
	sepLen := 1
	if s := arg(a, 0); !goja.IsUndefined(s) {
		sepLen = strLen(s)
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
		if n := estimate(call.This, call.Arguments); n > r.budget() {
			panic(r.exceeded(name, n))
		}
		return must(orig(call.This, call.Arguments...))
	})
}

// define sets a native method the way built-in methods are set. (Its
// name and length stay those of a Go function: setting them costs a
// measurable share of a run, and nothing depends on them.)
func (r *run) define(obj *goja.Object, name string, f func(goja.FunctionCall) goja.Value) {
	_ = obj.DefineDataProperty(name, r.vm.ToValue(f), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

func (r *run) checkArgCount(list goja.Value) {
	if o, ok := list.(*goja.Object); ok {
		if n := r.lengthOf(o); n > maxArgs {
			panic(r.newError("RangeError", fmt.Sprintf("too many arguments (%.0f); the limit is %d", n, maxArgs)))
		}
	}
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

func strLen(v goja.Value) int {
	if s, ok := v.ToString().(goja.String); ok {
		return s.Length()
	}
	return len(v.String())
}

// relIndex resolves a relative start/end argument as Array.prototype.fill does.
func relIndex(v goja.Value, length, dflt float64) float64 {
	if goja.IsUndefined(v) {
		return dflt
	}
	n := v.ToFloat()
	if n < 0 {
		return max(length+n, 0)
	}
	return min(n, length)
}
