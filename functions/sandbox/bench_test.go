package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// BenchmarkPoolTrivial runs a trivial App through one sandbox from 32
// concurrent callers, as the gateway does under load, and reports the CPU
// each side spends per run: the gateway's half of the protocol (this
// process) and the sandbox's (its runtime, decoding and encoding).
func BenchmarkPoolTrivial(b *testing.B) {
	p := newPool(b, 1, 512)
	inv := invocation(b, "acme", `export function main(data) { return {ok: true, n: data.n} }`, 64, time.Second)
	measureSides(b, p, func() error {
		_, err := p.Execute(context.Background(), inv)
		return err
	})
}

// measureSides runs op once, then b.N times from 32 concurrent callers,
// and reports the CPU per op of this process and of p's one sandbox.
func measureSides(b *testing.B, p *Pool, op func() error) {
	if err := op(); err != nil {
		b.Fatal(err)
	}
	pid := p.slots[0].current().cmd.Process.Pid
	childBefore, selfBefore := cpuTicks(b, pid), selfCPU()
	b.SetParallelism(16) // × GOMAXPROCS callers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(); err != nil {
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

// routingStep is bench/routing.sh's script: it counts itself and adds a header.
const routingStep = `function main(d) { d.routing.steps = (d.routing.steps || 0) + 1; (d.headers = d.headers || []).push({key: "X-Step-" + d.routing.steps, value: d.routing.steps}); return d }`

// routingData is bench/routing.sh's call.
const routingData = `{"routing":{"call_id":"a84b4c76e66710","from":"+442079460000","to":"+15550100"},"egress_routing":[{"uri":"sip:+15550100@gw1.example.net"},{"uri":"sip:+15550100@gw2.example.net"}]}`

// BenchmarkPoolRouting is bench/routing.sh without HTTP: one run of the
// routing step, and a chain of three, each side's CPU per op.
func BenchmarkPoolRouting(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			p := newPool(b, 1, 512)
			protos := make([]functions.Invocation, n)
			for i := range protos {
				protos[i] = *invocation(b, "acme", routingStep, 64, time.Second)
				protos[i].Type = functions.TypeScript
				protos[i].Function.ID = fmt.Sprint("fn_", i)
				protos[i].Data = json.RawMessage(routingData)
			}
			steps := func() []*functions.Invocation { // fresh: a chain shares its first step's context into the rest
				out := make([]*functions.Invocation, n)
				for i := range out {
					inv := protos[i]
					out[i] = &inv
				}
				return out
			}
			measureSides(b, p, func() error {
				runs := p.ExecuteChain(context.Background(), functions.PassData, steps())
				return runs[len(runs)-1].Err
			})
		})
	}
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

// childProfileForEnv sets the test child's ChildOptions.CPUProfileFor.
const childProfileForEnv = "SCRIPTFORGE_SANDBOX_TEST_PROFILE_FOR"

// With Config.CPUProfileDir, a sandbox writes a CPU profile into a file
// the pool created and handed down: a gzipped profile once its time is up.
func TestSandboxCPUProfile(t *testing.T) {
	dir := t.TempDir()
	p := newPoolWith(t, 256, func(c *Config) {
		c.CPUProfileDir = dir
		c.Env = append(c.Env, childProfileForEnv+"=300ms")
	})
	inv := invocation(t, "acme", `export function main(data) { let s = 0; for (let i = 0; i < 1e5; i++) s += i; return s }`, 64, time.Second)
	for range 20 {
		if _, err := p.Execute(context.Background(), inv); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "sandbox-0-*.pprof"))
		if len(files) == 1 {
			if b, _ := os.ReadFile(files[0]); len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
				return // pprof's format: gzipped protobuf
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CPU profile in %s: %v", dir, files)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
