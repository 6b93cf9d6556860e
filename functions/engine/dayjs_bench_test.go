package engine

import (
	"context"
	"testing"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine/npm"
)

const dayjsTZApp = `const dayjs = require("dayjs");
const utc = require("dayjs/plugin/utc");
const timezone = require("dayjs/plugin/timezone");
dayjs.extend(utc);
dayjs.extend(timezone);
export function main(data) {
  return {ok: true, n: data.n, at: dayjs.tz(1795546991000, "Europe/Paris").format("YYYY-MM-DD HH:mm")};
}`

// BenchmarkWarmDayjsTZ is the dayjs time-zone App of bench/run in a warm
// runtime: what a call costs once the library is loaded.
func BenchmarkWarmDayjsTZ(b *testing.B) {
	e := New(Config{})
	inv := fnInv(b, "acme", "f", 1, functions.TypeApp, dayjsTZApp, `{"n":1}`)
	if out := call(b, e, inv); out != `{"ok":true,"n":1,"at":"2026-11-24 20:03"}` {
		b.Fatalf("answer %s", out)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Execute(context.Background(), inv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareGojaDayjsTZ is the same library call in a bare goja
// runtime: no guards, no sandbox, no JSON in or out, and an Intl and a
// toLocaleString that answer constants of the right shape (the same
// parts array every time: no work at all). It is what
// dayjs's own JavaScript costs in goja, a floor for BenchmarkWarmDayjsTZ
// (bench/run's dayjs row cannot fall below it, whatever the gateway does).
func BenchmarkBareGojaDayjsTZ(b *testing.B) {
	vm := goja.New()
	intl := must(vm.RunString(`const parts = [["month", "11"], ["literal", "/"], ["day", "24"], ["literal", "/"], ["year", "2026"], ["literal", ", "],
		["hour", "20"], ["literal", ":"], ["minute", "03"], ["literal", ":"], ["second", "11"]].map(([type, value]) => ({type, value}));
	({DateTimeFormat: function () { return {
		formatToParts: () => parts,
		resolvedOptions: () => ({timeZone: "UTC"})} }})`))
	load := func(name string) goja.Value {
		src, ok := npm.Source(name)
		if !ok {
			b.Fatalf("no bundle %s", name)
		}
		init, _ := goja.AssertFunction(must(vm.RunString("(function (module, exports, require, Intl) {" + src + "\n})")))
		module := vm.NewObject()
		_ = module.Set("exports", vm.NewObject())
		must(init(goja.Undefined(), module, module.Get("exports"), goja.Undefined(), intl))
		return module.Get("exports")
	}
	_ = vm.Set("dayjs", load("dayjs"))
	_ = vm.Set("utc", load("dayjs/plugin/utc"))
	_ = vm.Set("timezone", load("dayjs/plugin/timezone"))
	must(vm.RunString(`Date.prototype.toLocaleString = function () { return "11/24/2026, 8:03:11 PM" };
		dayjs.extend(utc); dayjs.extend(timezone);
		function main(n) { return {ok: true, n, at: dayjs.tz(1795546991000, "Europe/Paris").format("YYYY-MM-DD HH:mm")} }`))
	main, _ := goja.AssertFunction(vm.Get("main"))
	if at := must(main(goja.Undefined(), vm.ToValue(1))).ToObject(vm).Get("at").String(); at != "2026-11-24 20:03" {
		b.Fatalf("answer %s", at)
	}
	b.ReportAllocs()
	for b.Loop() {
		must(main(goja.Undefined(), vm.ToValue(1)))
	}
}
