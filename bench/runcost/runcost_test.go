// Package runcost measures what a bundled library adds to one run: the
// engine runs each variant in a fresh runtime, as the gateway does, and
// the variants are timed in interleaved rounds so that a noisy machine
// slows them alike. Run it with
//
//	go test -run '^$' -bench DayjsCost ./bench/runcost/
package runcost

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
)

type variant struct{ name, src string }

var variants = []variant{
	{"baseline", `exports.main = (d) => new Date(d.t).toISOString().slice(0, 16).replace("T", " ")`},
	{"dayjs", `const dayjs = require("dayjs"); exports.main = (d) => dayjs(d.t).format("YYYY-MM-DD HH:mm")`},
	{"dayjs+tz", `const dayjs = require("dayjs"); dayjs.extend(require("dayjs/plugin/utc")); dayjs.extend(require("dayjs/plugin/timezone"));
		exports.main = (d) => dayjs(d.t).tz("Europe/Paris").format("YYYY-MM-DD HH:mm")`},
	{"papaparse", `const Papa = require("papaparse"); exports.main = (d) => Papa.parse("a,b\n1,2\n3,4", {header: true}).data.length`},
}

func BenchmarkDayjsCost(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(400)) // as serve runs (--gc-percent)
	e := engine.New(engine.Config{})
	defer e.Close()
	invs := make([]*functions.Invocation, len(variants))
	for i, v := range variants {
		tr, err := engine.Transpile(v.name+".js", v.src)
		if err != nil {
			b.Fatal(err)
		}
		invs[i] = &functions.Invocation{Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash,
			Function: functions.FunctionInfo{Name: v.name}, Timeout: time.Second, Data: json.RawMessage(`{"t":1795546991000}`)}
		if _, err := e.Execute(context.Background(), invs[i]); err != nil {
			b.Fatalf("%s: %v", v.name, err)
		}
	}
	// testing.Benchmark cannot nest in a benchmark, so each round times a
	// fixed slice of wall time per variant itself.
	const rounds = 3
	const slice = 700 * time.Millisecond
	perRun := make([]float64, len(variants)) // ns, summed over rounds
	for round := 0; round < rounds; round++ {
		for i, inv := range invs {
			n, start := 0, time.Now()
			for time.Since(start) < slice {
				if _, err := e.Execute(context.Background(), inv); err != nil {
					b.Fatal(err)
				}
				n++
			}
			perRun[i] += float64(time.Since(start).Nanoseconds()) / float64(n)
		}
	}
	for i, v := range variants {
		ns := perRun[i] / rounds
		ratio := ns / (perRun[0] / rounds)
		b.ReportMetric(ns/1000, v.name+"-µs/run")
		if i > 0 {
			b.ReportMetric(ratio, v.name+"/baseline")
		}
		fmt.Printf("%-10s %8.1f µs/run  %5.2f× baseline\n", v.name, ns/1000, ratio)
	}
}
