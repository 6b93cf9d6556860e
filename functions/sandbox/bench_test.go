package sandbox

import (
	"context"
	"os"
	"runtime/pprof"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkPoolTrivial runs a trivial App through one sandbox from 32
// concurrent callers, as the gateway does under load, and reports the CPU
// each side spends per run: the gateway's half of the protocol (this
// process) and the sandbox's (its runtime, decoding and encoding).
func BenchmarkPoolTrivial(b *testing.B) {
	p := newPool(b, 1, 512)
	inv := invocation(b, "acme", `export function main(data) { return {ok: true, n: data.n} }`, 64, time.Second)
	if _, err := p.Execute(context.Background(), inv); err != nil {
		b.Fatal(err)
	}
	pid := p.slots[0].current().cmd.Process.Pid
	childBefore, selfBefore := cpuTicks(b, pid), selfCPU()
	b.SetParallelism(16) // × GOMAXPROCS callers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Execute(context.Background(), inv); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	child := time.Duration(cpuTicks(b, pid)-childBefore) * 10 * time.Millisecond
	self := selfCPU() - selfBefore
	b.ReportMetric(float64(child.Microseconds())/float64(b.N), "sandbox-µs/op")
	b.ReportMetric(float64(self.Microseconds())/float64(b.N), "caller-µs/op")
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childProfileEnv, set when running benchmarks, names a file where a
// sandbox of the test writes the CPU profile of its first 4 seconds (the
// pool kills its sandboxes at the end, so the profile cannot wait for exit).
const childProfileEnv = "SCRIPTFORGE_SANDBOX_CPUPROFILE"

func profileEnv() []string {
	if path := os.Getenv(childProfileEnv); path != "" {
		return []string{childProfileEnv + "=" + path}
	}
	return nil
}

func startCPUProfile(path string) (stop func()) {
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	stop = sync.OnceFunc(func() { pprof.StopCPUProfile(); f.Close() })
	time.AfterFunc(4*time.Second, stop)
	return stop
}
