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
	for _, name := range npm.Names() {
		name := name
		registerModule(name, func(r *run) goja.Value { return r.npmModule(name) })
	}
}

var npmPrograms sync.Map // name → func() *goja.Program

func npmProgram(name string) *goja.Program {
	f, _ := npmPrograms.LoadOrStore(name, sync.OnceValue(func() *goja.Program {
		src, _ := npm.Source(name)
		// The bundle sees CommonJS's module and exports, a require for the
		// Node modules it may name but is not given, and our Intl (js/intl.js).
		return goja.MustCompile("npm:"+name, "(function (module, exports, require, Intl) {"+src+"\n})", true)
	}))
	return f.(func() *goja.Program)()
}

func (r *run) npmModule(name string) goja.Value {
	init, _ := goja.AssertFunction(must(r.vm.RunProgram(npmProgram(name))))
	module := r.vm.NewObject()
	exports := r.vm.NewObject()
	_ = module.Set("exports", exports)
	require := r.vm.ToValue(func(c goja.FunctionCall) goja.Value {
		panic(r.newError("Error", fmt.Sprintf("%s: module '%s' is not available to bundled libraries", name, c.Argument(0).String())))
	})
	must(init(goja.Undefined(), module, exports, require, r.libExport("intl", "Intl")))
	return module.Get("exports")
}
