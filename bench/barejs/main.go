// Command barejs is the baseline of bench/run's CPU-heavy row: the same
// JavaScript the gateway runs, in a bare goja runtime on one goroutine,
// with none of the gateway's work around it (no HTTP, no sandbox, no
// guards, no fresh runtime).
//
//	barejs --file heavy.js --body '{"n":42}' --duration 3s
//
// It compiles the file once (a plain script defining main(data)), runs it
// once in one runtime, then calls main(data) back to back: unmeasured for
// --warmup, measured for --duration. It prints one JSON line:
//
//	{"calls":64,"p50_ms":46.2,"mean_ms":46.9,"min_ms":45.1,"cpu_ms":47.3,"result":"{\"h\":…}"}
//
// cpu_ms is the process's CPU time (user+system, the garbage collector
// included) over the measured calls, per call: on a busy machine it moves
// far less than the wall-clock figures. result is the last call's answer as
// JSON, for checking that both sides computed the same thing.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/dop251/goja"
)

type report struct {
	Calls  int     `json:"calls"`
	P50ms  float64 `json:"p50_ms"`
	Meanms float64 `json:"mean_ms"`
	Minms  float64 `json:"min_ms"`
	CPUms  float64 `json:"cpu_ms"`
	Result string  `json:"result"`
}

func main() {
	file := flag.String("file", "", "JavaScript file defining function main(data)")
	body := flag.String("body", "{}", "JSON passed as data on every call")
	duration := flag.Duration("duration", 3*time.Second, "measured time")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "unmeasured calls first")
	flag.Parse()
	src, err := os.ReadFile(*file)
	if err == nil {
		var r report
		if r, err = run(string(src), *body, *warmup, *duration); err == nil {
			err = json.NewEncoder(os.Stdout).Encode(r)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "barejs:", err)
		os.Exit(1)
	}
}

func run(src, body string, warmup, duration time.Duration) (report, error) {
	prg, err := goja.Compile("main.js", src, false)
	if err != nil {
		return report{}, err
	}
	rt := goja.New()
	if _, err := rt.RunProgram(prg); err != nil {
		return report{}, err
	}
	main, ok := goja.AssertFunction(rt.Get("main"))
	if !ok {
		return report{}, errors.New("the script defines no function main")
	}
	var data any
	if err := json.Unmarshal([]byte(body), &data); err != nil {
		return report{}, fmt.Errorf("--body: %w", err)
	}
	var lat []time.Duration
	var last goja.Value
	start := time.Now()
	measureFrom, stopAt := start.Add(warmup), start.Add(warmup+duration)
	var cpu0 time.Duration
	measuring := false
	// At least one measured call, however long a call takes.
	for t0 := start; t0.Before(stopAt) || len(lat) == 0; t0 = time.Now() {
		if !measuring && !t0.Before(measureFrom) {
			measuring, cpu0 = true, cpuTime()
		}
		if last, err = main(goja.Undefined(), rt.ToValue(data)); err != nil {
			return report{}, err
		}
		if measuring {
			lat = append(lat, time.Since(t0))
		}
	}
	cpu := cpuTime() - cpu0
	out, err := json.Marshal(last.Export())
	if err != nil {
		return report{}, err
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	return report{
		Calls:  len(lat),
		P50ms:  ms(lat[(len(lat)-1)/2]),
		Meanms: ms(sum / time.Duration(len(lat))),
		Minms:  ms(lat[0]),
		CPUms:  ms(cpu / time.Duration(len(lat))),
		Result: string(out),
	}, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuTime is the user+system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
