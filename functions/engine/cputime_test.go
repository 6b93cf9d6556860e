package engine

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scriptforge/scriptforge/functions"
)

// The CPU of a run is its thread's time: a run that computes uses about
// as much CPU as wall time, one that waits on a timer almost none, and a
// run that fails still reports what it burned.
//
// On a shared machine a computing thread is descheduled part of the time
// (seen here: 25 ms of CPU in 400 ms of wall time), which costs wall time
// but no CPU, so "about as much as wall time" is checked against the
// process's own CPU clock over the run: the run is all this process does
// meanwhile.
func TestRunCPUTime(t *testing.T) {
	e := New(Config{})
	const spin = `let x = 0; for (let i = 0; i < 1e5; i++) { x = (x + i * 7) % 1000003 }`
	for _, tc := range []struct {
		name, src string
		typ       functions.Type
		timeout   time.Duration
		wantErr   string
		busy      bool // the run computes all the time, or it waits
	}{
		{name: "busy script", typ: functions.TypeScript, timeout: 20 * time.Second, busy: true,
			src: `function main() { ` + spin + `; return x }`},
		{name: "app awaiting a timer", typ: functions.TypeApp, timeout: 5 * time.Second,
			src: `export async function main() { await new Promise(r => setTimeout(r, 200)); return 1 }`},
		{name: "timeout burns its limit", typ: functions.TypeScript, timeout: 300 * time.Millisecond, busy: true,
			src: `function main() { for (;;) {} }`, wantErr: functions.CodeTimeout},
		{name: "thrown after work", typ: functions.TypeScript, timeout: 20 * time.Second, busy: true,
			src: `function main() { ` + spin + `; throw new Error("x" + x) }`, wantErr: functions.CodeFunctionError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			procStart := processCPU(t)
			start := time.Now()
			res, re := invoke(t, e, tc.typ, tc.src, "", `{}`, tc.timeout)
			wall := time.Since(start)
			proc := processCPU(t) - procStart
			var cpu time.Duration
			switch {
			case tc.wantErr == "" && re != nil:
				t.Fatalf("run failed: %v", re)
			case tc.wantErr == "":
				cpu, wall = res.CPU, res.Duration
			case re == nil || re.Code != tc.wantErr:
				t.Fatalf("want error %s, got %v", tc.wantErr, re)
			default:
				cpu = re.CPU
			}
			t.Logf("CPU %v, wall %v, process CPU %v", cpu, wall, proc)
			// One thread cannot use more CPU than the time that passed, nor
			// more than the process did.
			if cpu <= 0 || cpu > wall+time.Millisecond || cpu > proc+time.Millisecond {
				t.Fatalf("CPU %v: want above 0 and at most wall %v and process CPU %v", cpu, wall, proc)
			}
			// (The process's CPU also holds the GC's background workers:
			// after earlier tests' garbage they have been seen to take as
			// much as the run itself.)
			if tc.busy && cpu < proc*4/10 {
				t.Fatalf("a computing run: CPU %v should be most of the process CPU %v (wall %v)", cpu, proc, wall)
			}
			if !tc.busy && (wall < 200*time.Millisecond || cpu > wall/10) {
				t.Fatalf("a waiting run: CPU %v should be far below wall %v (at least 200 ms)", cpu, wall)
			}
		})
	}
}

// processCPU is the CPU time (user and system) of this whole process.
func processCPU(t testing.TB) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// What locking the thread and reading its clock twice adds to every run.
func BenchmarkCPUClock(b *testing.B) {
	var res functions.Result
	var c cpuClock
	for b.Loop() {
		c.start(nil)
		c.charge(&res, nil)
	}
}

// Runs made one after another with a CPUMark each get their own CPU,
// nothing is lost between them, and the thread is let go at Release.
func TestCPUMarkSharesReadings(t *testing.T) {
	e := New(Config{})
	tr, err := Transpile("m.js", `export function main(d) { let x = 0; for (let i = 0; i < 2e5; i++) x += i; return x }`)
	if err != nil {
		t.Fatal(err)
	}
	inv := &functions.Invocation{Type: functions.TypeScript, Code: tr.Code, Hash: tr.Hash, Timeout: 5 * time.Second, Data: json.RawMessage(`{}`)}
	var mark CPUMark
	ctx := WithCPUMark(context.Background(), &mark)
	runtime.LockOSThread() // so that the test's own readings are of the runs' thread
	defer runtime.UnlockOSThread()
	before := threadCPUOf(t)
	var sum time.Duration
	for range 3 {
		res, err := e.Execute(ctx, inv)
		if err != nil {
			t.Fatal(err)
		}
		if res.CPU <= 0 {
			t.Fatalf("a run with a mark reported CPU %v", res.CPU)
		}
		sum += res.CPU
		if !mark.held {
			t.Fatal("the run did not hand its reading on")
		}
	}
	// Still on the thread the readings come from: they add up to its clock.
	if total := threadCPUOf(t) - before; sum > total || sum < total/2 {
		t.Fatalf("the runs' CPU %v against the thread's %v", sum, total)
	}
	mark.Release()
	if mark.held {
		t.Fatal("Release kept the mark")
	}
}

func threadCPUOf(t *testing.T) time.Duration {
	d, err := threadCPU()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// An App that waits 20 times: with its goroutine locked to a thread, each
// wake-up hands the processor to that thread. This measures what that costs.
func BenchmarkAwaitingRun(b *testing.B) {
	e := New(Config{})
	tr, err := Transpile("b.js", `export async function main() { for (let i = 0; i < 20; i++) await new Promise(r => setTimeout(r, 0)); return 1 }`)
	if err != nil {
		b.Fatal(err)
	}
	inv := &functions.Invocation{Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash, Timeout: time.Second, Data: json.RawMessage(`{}`)}
	b.ReportAllocs()
	// Wall time is at the mercy of a shared machine; the process's CPU
	// per run (the run, its timers, the scheduler's hand-offs) is less so.
	before := processCPU(b)
	for b.Loop() {
		if _, err := e.Execute(context.Background(), inv); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU(b)-before)/float64(b.N), "cpu-ns/op")
}

// Runs that wait do not hold an OS thread each: 64 Apps awaiting a timer
// at once leave the process with far fewer than 64 threads. (Runs that
// compute at the same moment do take a thread each, and Go keeps threads
// once made, so the runs start one after another.)
func TestWaitingRunsHoldNoThread(t *testing.T) {
	e := New(Config{})
	// The line says the run has set its timer and is about to await it.
	tr, err := Transpile("w.js", `export async function main() { const p = new Promise(r => setTimeout(r, 2000)); console.log("waiting"); await p; return 1 }`)
	if err != nil {
		t.Fatal(err)
	}
	const runs = 64
	before := osThreads(t)
	errs := make(chan error, runs)
	for i := 0; i < runs; i++ {
		waiting := make(chan struct{})
		var once sync.Once
		go func() {
			_, err := e.Execute(context.Background(), &functions.Invocation{Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash,
				Timeout: 5 * time.Second, Data: json.RawMessage(`{}`), OnLog: func(functions.LogLine) { once.Do(func() { close(waiting) }) }})
			errs <- err
		}()
		// Each run starts once the one before has reached its await (a
		// fixed pause can end, on a slow machine, while it still computes).
		select {
		case <-waiting:
		case <-time.After(10 * time.Second):
			t.Fatalf("run %d never reached its await", i)
		}
		time.Sleep(time.Millisecond) // from the line to the event loop
	}
	during := osThreads(t)
	for i := 0; i < runs; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("threads: %d before, %d while %d runs waited", before, during, runs)
	if during-before >= runs/2 {
		t.Fatalf("%d runs waiting made %d threads more", runs, during-before)
	}
}

// osThreads is the number of OS threads of this process.
func osThreads(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if n, ok := strings.CutPrefix(line, "Threads:"); ok {
			v, err := strconv.Atoi(strings.TrimSpace(n))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}
