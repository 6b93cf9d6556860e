package engine

import (
	"github.com/dop251/goja"
)

// A fresh goja runtime is cheap because goja builds each builtin only when
// it is first read. Guarding builtins (and adding console, Response,
// process) eagerly in every run would build them all and cost ~0.5 ms a run.
// So each run gets a new, empty global object whose prototype is a proxy of
// goja's original global: a name read for the first time resolves through
// the proxy, which builds it, guards it if it needs guarding, and caches it
// as an own property of the new global. Later reads hit the cache.
//
// The proxy is reachable (Object.getPrototypeOf(globalThis)), so every trap
// that could hand out a value answers with the resolved, guarded one: the
// original of a guarded builtin never reaches user code.

// lazyGlobal is the per-run global object and its resolvers.
type lazyGlobal struct {
	vm     *goja.Runtime
	global *goja.Object // what user code sees as globalThis
	orig   *goja.Object // goja's own global, never exposed
	// guards wrap a builtin of orig on first use; extras create names orig
	// does not have (console, process, Response, …).
	guards map[string]func(orig goja.Value) goja.Value
	extras map[string]func() goja.Value
	// registered are the engine's shared globals (extraGlobals), built by
	// build; an entry of extras of the same name takes precedence. They
	// are not copied into extras: that would cost every run a closure each.
	registered map[string]globalDef
	build      func(globalDef) goja.Value
	// describe reads a property descriptor of orig (Object.getOwnPropertyDescriptor).
	describe goja.Callable
}

func newLazyGlobal(vm *goja.Runtime) *lazyGlobal {
	g := &lazyGlobal{
		vm:     vm,
		global: vm.NewObject(),
		orig:   vm.GlobalObject(),
		guards: map[string]func(goja.Value) goja.Value{},
		extras: map[string]func() goja.Value{},
	}
	return g
}

// install makes the lazy global the runtime's global object.
func (g *lazyGlobal) install() {
	proxy := g.vm.NewProxy(g.orig, &goja.ProxyTrapConfig{
		Get: func(_ *goja.Object, prop string, _ goja.Value) goja.Value {
			return g.resolve(prop)
		},
		Has: func(_ *goja.Object, prop string) bool {
			if g.isExtra(prop) {
				return true
			}
			if hiddenGlobals[prop] {
				return false
			}
			return g.orig.Get(prop) != nil
		},
		GetOwnPropertyDescriptor: func(_ *goja.Object, prop string) goja.PropertyDescriptor {
			return g.descriptor(prop)
		},
		// Enumeration lists the extras too, so what exists can be seen.
		OwnKeys: func(target *goja.Object) *goja.Object {
			keys := make([]any, 0, 64)
			for _, k := range target.GetOwnPropertyNames() {
				if !hiddenGlobals[k] {
					keys = append(keys, k)
				}
			}
			for _, s := range target.Symbols() {
				keys = append(keys, s)
			}
			for k := range g.extras {
				keys = append(keys, k)
			}
			for k := range g.registered {
				if _, dup := g.extras[k]; !dup {
					keys = append(keys, k)
				}
			}
			return g.vm.NewArray(keys...)
		},
	})
	_ = g.global.SetPrototype(g.vm.ToValue(proxy).ToObject(g.vm))
	// The value properties are own ones from the start, as the standard
	// has them: NaN, Infinity and undefined cannot be written (a strict
	// assignment throws a TypeError), and globalThis costs nothing to set.
	for name := range fixedGlobals {
		_ = g.global.DefineDataProperty(name, g.orig.Get(name), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	}
	_ = g.global.DefineDataProperty("globalThis", g.global, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	g.vm.SetGlobalObject(g.global)
}

// isExtra reports whether prop is a name the engine adds to goja's globals.
func (g *lazyGlobal) isExtra(prop string) bool {
	if _, ok := g.extras[prop]; ok {
		return true
	}
	_, ok := g.registered[prop]
	return ok
}

// resolve returns the value user code sees for a global name not yet cached.
func (g *lazyGlobal) resolve(prop string) goja.Value {
	var v goja.Value
	if hiddenGlobals[prop] {
		return nil
	}
	if make, ok := g.extras[prop]; ok {
		v = make()
	} else if d, ok := g.registered[prop]; ok {
		v = g.build(d)
	} else {
		v = g.orig.Get(prop)
		if v == nil {
			return nil
		}
		if guard, ok := g.guards[prop]; ok {
			v = guard(v)
		}
	}
	// Cached like a builtin: writable, configurable, not enumerable. The
	// non-configurable ones (NaN, undefined) are own from the start.
	if !fixedGlobals[prop] {
		_ = g.global.DefineDataProperty(prop, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	return v
}

// descriptor answers Object.getOwnPropertyDescriptor on the proxy with the
// resolved value, so that it cannot reveal an unguarded original.
func (g *lazyGlobal) descriptor(prop string) goja.PropertyDescriptor {
	_, guarded := g.guards[prop]
	if hiddenGlobals[prop] {
		return goja.PropertyDescriptor{}
	}
	if guarded || g.isExtra(prop) {
		v := g.resolve(prop)
		if v == nil {
			return goja.PropertyDescriptor{}
		}
		return goja.PropertyDescriptor{Value: v, Writable: goja.FLAG_TRUE, Configurable: goja.FLAG_TRUE, Enumerable: goja.FLAG_FALSE}
	}
	d, err := g.ownDescriptor(g.orig, prop)
	if err != nil || goja.IsUndefined(d) {
		return goja.PropertyDescriptor{}
	}
	obj := d.ToObject(g.vm)
	desc := goja.PropertyDescriptor{
		Configurable: flag(obj.Get("configurable")),
		Enumerable:   flag(obj.Get("enumerable")),
	}
	if get, set := obj.Get("get"), obj.Get("set"); get != nil || set != nil {
		desc.Getter, desc.Setter = get, set
	} else {
		desc.Value, desc.Writable = obj.Get("value"), flag(obj.Get("writable"))
	}
	return desc
}

func flag(v goja.Value) goja.Flag {
	if v != nil && v.ToBoolean() {
		return goja.FLAG_TRUE
	}
	return goja.FLAG_FALSE
}

// hiddenGlobals are goja's own additions to the standard globals.
// GoError wraps Go errors for embedders; functions have no use for it.
var hiddenGlobals = map[string]bool{"GoError": true}

// fixedGlobals are the non-configurable builtins: never shadowed.
var fixedGlobals = map[string]bool{"NaN": true, "Infinity": true, "undefined": true}

// ownDescriptor is Object.getOwnPropertyDescriptor(o, key), by the
// original function.
func (g *lazyGlobal) ownDescriptor(o *goja.Object, key string) (goja.Value, error) {
	if g.describe == nil { // built on first use: most runs never ask
		g.describe, _ = goja.AssertFunction(g.orig.Get("Object").ToObject(g.vm).Get("getOwnPropertyDescriptor"))
	}
	return g.describe(goja.Undefined(), o, g.vm.ToValue(key))
}
