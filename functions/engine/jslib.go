package engine

import (
	"embed"
	"strings"
	"sync"

	"github.com/dop251/goja"
)

// The parts of the runtime written in JavaScript (console, Response,
// Headers, Buffer, fetch, …) live in js/, one library a file. Each file
// evaluates to a function (host, lib) that returns the library's exports:
// host holds the Go natives the library may call, lib(name) loads another
// library. Nothing of either is a global, so user code reaches them only
// through what a library chooses to export.
//
// The files are compiled once per process and run in a run the first time
// it needs them: most runs never touch most libraries.

//go:embed js/*.js
var jsFiles embed.FS

var jsPrograms = sync.OnceValue(func() map[string]*goja.Program {
	entries, err := jsFiles.ReadDir("js")
	if err != nil {
		panic(err)
	}
	progs := make(map[string]*goja.Program, len(entries))
	for _, e := range entries {
		src, err := jsFiles.ReadFile("js/" + e.Name())
		if err != nil {
			panic(err)
		}
		name := strings.TrimSuffix(e.Name(), ".js")
		progs[name] = goja.MustCompile("scriptforge:"+name, string(src), true)
	}
	return progs
})

// libHosts fill the host object of a library with its Go natives.
var libHosts = map[string]func(r *run, host *goja.Object){}

// lib returns the exports of a JavaScript library, running it on first use in this run.
func (r *run) lib(name string) *goja.Object {
	if o, ok := r.libs[name]; ok {
		return o
	}
	prg, ok := jsPrograms()[name]
	if !ok {
		panic("engine: no JavaScript library " + name)
	}
	r.guardRegExp() // libraries match user data with regexps
	init, _ := goja.AssertFunction(must(r.vm.RunProgram(prg)))
	host := r.vm.NewObject()
	if fill := libHosts[name]; fill != nil {
		fill(r, host)
	}
	load := r.vm.ToValue(func(c goja.FunctionCall) goja.Value { return r.lib(c.Argument(0).String()) })
	// lib.loaded(name): whether a library has run, so that one can tell
	// its objects apart without loading it (no stream exists before streams).
	_ = load.ToObject(r.vm).Set("loaded", func(c goja.FunctionCall) goja.Value {
		_, ok := r.libs[c.Argument(0).String()]
		return r.vm.ToValue(ok)
	})
	o := must(init(goja.Undefined(), host, load)).ToObject(r.vm)
	if r.libs == nil {
		r.libs = map[string]*goja.Object{}
	}
	r.libs[name] = o
	return o
}

// libExport is one export of a library.
func (r *run) libExport(lib, name string) goja.Value {
	return r.lib(lib).Get(name)
}

// libGlobal registers a global that is an export of a library.
func libGlobal(name, lib string, appsOnly bool) {
	registerGlobal(name, appsOnly, func(r *run) goja.Value { return r.libExport(lib, name) })
}

func init() {
	libHosts["console"] = func(r *run, host *goja.Object) { _ = host.Set("emit", r.emit) }
}
