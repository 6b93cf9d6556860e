package engine

import (
	"fmt"
	"sync"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions/engine/npm"
)

// The bundled npm libraries (dayjs and its plugins, papaparse), embedded
// by package npm. Each is compiled once per process and run in a run the
// first time it is required there; require returns the same exports
// after that, so plugins extend the one dayjs a run has.
func init() {
	for name, m := range npm.Modules() {
		if m.Internal {
			continue // the runtime's own (mod_streams.go), never require-able
		}
		name, intl := name, m.Intl
		src, _ := npm.Source(name)
		npmPrograms[name] = sync.OnceValue(func() *goja.Program {
			// The bundle sees CommonJS's module and exports, a require for the
			// Node modules it may name but is not given, and our Intl (js/intl.js).
			return goja.MustCompile("npm:"+name, "(function (module, exports, require, Intl) {"+src+"\n})", true)
		})
		registerModule(name, func(r *run) goja.Value { return r.npmModule(name, intl) })
	}
}

// npmPrograms compile each bundle on first use, once per process.
var npmPrograms = map[string]func() *goja.Program{}

func (r *run) npmModule(name string, intl bool) goja.Value {
	r.guardRegExp() // the bundles match user data with regexps
	init, _ := goja.AssertFunction(must(r.vm.RunProgram(npmPrograms[name]())))
	module := r.vm.NewObject()
	exports := r.vm.NewObject()
	_ = module.Set("exports", exports)
	require := r.vm.ToValue(func(c goja.FunctionCall) goja.Value {
		panic(r.newError("Error", fmt.Sprintf("%s: module '%s' is not available to bundled libraries", name, c.Argument(0).String())))
	})
	Intl := goja.Undefined()
	if intl { // only then: the library costs a run something to load
		Intl = r.libExport("intl_global", "Intl")
	}
	must(init(goja.Undefined(), module, exports, require, Intl))
	return module.Get("exports")
}
