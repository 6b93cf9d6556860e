package npm

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/dop251/goja"
)

func TestLockfile(t *testing.T) {
	var lock struct {
		Packages []struct{ Name, Version, Resolved, Integrity, License string }
	}
	b, err := os.ReadFile("npm.lock.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	pinned := map[string]bool{}
	for _, p := range lock.Packages {
		pinned[p.Name] = true
		if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(p.Version) || !strings.HasPrefix(p.Integrity, "sha512-") ||
			!strings.HasPrefix(p.Resolved, "https://registry.npmjs.org/") || p.License == "" {
			t.Errorf("bad pin: %+v", p)
		}
		if !strings.Contains(Licenses(), "==== "+p.Name+"@"+p.Version+" ("+p.License+") ====") {
			t.Errorf("LICENSES.txt has no text for %s@%s", p.Name, p.Version)
		}
	}
	for name, m := range Modules() {
		if !pinned[m.Package] {
			t.Errorf("%s is bundled from %s, which the lockfile does not pin", name, m.Package)
		}
	}
}

// Every bundle loads on its own in a bare goja runtime, and works.
func TestBundlesRun(t *testing.T) {
	load := func(vm *goja.Runtime, name string) goja.Value {
		t.Helper()
		src, ok := Source(name)
		if !ok || src == "" {
			t.Fatalf("%s: no bundle", name)
		}
		prg, err := goja.Compile(name, "(function (module, exports, require) {"+src+"\n})", true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v, err := vm.RunProgram(prg)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := goja.AssertFunction(v)
		module := vm.NewObject()
		_ = module.Set("exports", vm.NewObject())
		noRequire := func(c goja.FunctionCall) goja.Value { panic(vm.NewGoError(nil)) }
		if _, err := f(goja.Undefined(), module, module.Get("exports"), vm.ToValue(noRequire)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return module.Get("exports")
	}
	for _, name := range Names() {
		vm := goja.New()
		exports := load(vm, name)
		if strings.HasPrefix(name, "dayjs") {
			if _, ok := goja.AssertFunction(exports); !ok {
				t.Errorf("%s does not export a function", name)
			}
		}
	}
	vm := goja.New()
	_ = vm.Set("dayjs", load(vm, "dayjs"))
	_ = vm.Set("utc", load(vm, "dayjs/plugin/utc"))
	_ = vm.Set("Papa", load(vm, "papaparse"))
	v, err := vm.RunString(`dayjs.extend(utc); [dayjs.utc(0).add(1, "day").format("YYYY-MM-DD"), Papa.parse("a,b\n1,2", {header: true}).data[0].b, Papa.unparse([{a: 1, b: 2}])]`)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(v.Export()); string(got) != `["1970-01-02","2","a,b\r\n1,2"]` {
		t.Fatalf("got %s", got)
	}
}
