package engine

import (
	"context"
	"testing"

	"github.com/scriptforge/scriptforge/functions"
)

// BenchmarkWarmDayjsTZ is the dayjs time-zone App of bench/run in a warm
// runtime: what a call costs once the library is loaded.
func BenchmarkWarmDayjsTZ(b *testing.B) {
	e := New(Config{})
	inv := fnInv(b, "acme", "f", 1, functions.TypeApp, `const dayjs = require("dayjs");
const utc = require("dayjs/plugin/utc");
const timezone = require("dayjs/plugin/timezone");
dayjs.extend(utc);
dayjs.extend(timezone);
export function main(data) {
  return {ok: true, n: data.n, at: dayjs.tz(1795546991000, "Europe/Paris").format("YYYY-MM-DD HH:mm")};
}`, `{"n":1}`)
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
