package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
)

// The test binary doubles as the sandbox: started with this variable set,
// it serves requests instead of running tests.
const childEnv = "SCRIPTFORGE_SANDBOX_TEST_CHILD"

func TestMain(m *testing.M) {
	if mb := os.Getenv(childEnv); mb != "" {
		n, _ := strconv.Atoi(mb)
		o := ChildOptions{MemoryMB: n, Host: "sandbox-test", Handoffs: []functions.Handoff{testHandoff}}
		if last := os.Args[len(os.Args)-1]; strings.HasPrefix(last, "worker=") {
			o.Worker = true
			o.MemoryMB, _ = strconv.Atoi(strings.TrimPrefix(last, "worker="))
		}
		if d, err := time.ParseDuration(os.Getenv(childProfileForEnv)); err == nil {
			o.CPUProfileFor = d // the file comes from the pool (Config.CPUProfileDir)
		}
		if path := os.Getenv(childProfileEnv); path != "" {
			stop := startCPUProfile(path)
			defer stop()
		}
		run := func() error { return RunChild(o) }
		if os.Getenv(constChildEnv) != "" {
			run = runConstChild
		}
		if os.Getenv(garbageChildEnv) != "" {
			run = runGarbageChild
		}
		if os.Getenv(threadsChildEnv) != "" {
			run = func() error { return runThreadsChild(n) }
		}
		if err := run(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

func newPool(t testing.TB, size, memoryMB int) *Pool {
	t.Helper()
	p := New(Config{
		Size:     size,
		MemoryMB: memoryMB,
		Grace:    300 * time.Millisecond,
		Env:      append([]string{childEnv + "=" + strconv.Itoa(memoryMB)}, profileEnv()...),
		Command:  testChildCommand,
	})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// testChildCommand starts this test binary as a sandbox.
func testChildCommand() *exec.Cmd { return exec.Command(os.Args[0], "-test.run=^$") }

func invocation(t testing.TB, tenant, src string, memoryMB int, timeout time.Duration) *functions.Invocation {
	t.Helper()
	tr, err := engine.Transpile("f.js", src)
	if err != nil {
		t.Fatal(err)
	}
	return &functions.Invocation{
		RequestID: "r", Function: functions.FunctionInfo{ID: "fn_" + tenant, Name: "f", Tenant: tenant},
		Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash, Timeout: timeout, MemoryMB: memoryMB,
		Data: json.RawMessage(`{"n":2}`),
	}
}

func TestPoolRuns(t *testing.T) {
	p := newPool(t, 2, 256)
	inv := invocation(t, "acme", `exports.main = (d) => ({twice: d.n * 2, home: process.env.HOME || null, host: process.env.EXEC_HOST})`, 64, time.Second)
	for i := 0; i < 3; i++ { // the second call sends no code: the sandbox has it
		res, err := p.Execute(context.Background(), inv)
		if err != nil || string(res.JSON) != `{"twice":4,"home":null,"host":"sandbox-test"}` {
			t.Fatalf("run %d: %v %v", i, res, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			inv := invocation(t, fmt.Sprint("t", i%5), fmt.Sprintf(`exports.main = () => %d`, i), 64, time.Second)
			res, err := p.Execute(context.Background(), inv)
			if err != nil || string(res.JSON) != fmt.Sprint(i) {
				errs <- fmt.Errorf("run %d: %v %v", i, res, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A sandbox that dies fails only the runs it held; the pool starts it again.
func TestSandboxDeathIsContained(t *testing.T) {
	p := newPool(t, 2, 64)
	// Within the function's own 1 GB budget, but far past the sandbox's cap.
	bomb := invocation(t, "evil", `exports.main = () => "x".repeat(450e6).length`, 1024, 5*time.Second)
	_, err := p.Execute(context.Background(), bomb)
	var re *functions.RunError
	if !errors.As(err, &re) || re.Code != functions.CodeMemoryLimit || !strings.Contains(re.Message, "ran out of memory") {
		t.Fatalf("bomb: %v", err)
	}
	ok := invocation(t, "evil", `exports.main = () => "alive"`, 64, time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := p.Execute(context.Background(), ok)
		if err == nil && string(res.JSON) == `"alive"` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox not back: %v %v", res, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if p.Restarts() == 0 {
		t.Fatal("no restart counted")
	}
}

// A run that ignores its interrupt (a built-in that never checks it) has
// its sandbox killed by the gateway's watchdog.
func TestWatchdogKillsOverstay(t *testing.T) {
	p := newPool(t, 1, 256)
	// A catastrophic regex runs in Go with no interrupt check; its match
	// timeout (1 s) outlasts this run's 100 ms + 300 ms grace.
	slow := invocation(t, "slow", `exports.main = () => /^(?=(a+)+b)/.test("a".repeat(40) + "!")`, 64, 100*time.Millisecond)
	start := time.Now()
	_, err := p.Execute(context.Background(), slow)
	var re *functions.RunError
	if !errors.As(err, &re) || re.Code != functions.CodeTimeout || !strings.Contains(re.Message, "sandbox was killed") {
		t.Fatalf("overstay: %v", err)
	}
	if took := time.Since(start); took > 900*time.Millisecond {
		t.Fatalf("the watchdog took %v", took)
	}
	// Its CPU could not be read; it is charged the time it held its thread.
	if re.CPU != 400*time.Millisecond {
		t.Fatalf("overstay charged CPU %v, want its limit plus the grace, 400ms", re.CPU)
	}
}

// A caller that goes away stops its run in the sandbox, which is free at
// once for the next run.
func TestCancelReachesTheSandbox(t *testing.T) {
	p := newPool(t, 1, 256)
	spin := invocation(t, "c", `exports.main = () => { for (;;) {} }`, 64, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := p.Execute(ctx, spin)
	var re *functions.RunError
	if !errors.As(err, &re) || re.Code != functions.CodeCancelled {
		t.Fatalf("want canceled, got %v", err)
	}
	// Had the cancel not reached the sandbox, the loop would keep a CPU
	// busy for 30 s: measure the sandbox's CPU time over a second, again
	// until a second is quiet, as a slow machine may take a while to get
	// the cancel there; but never for as long as the loop would run.
	pid := p.slots[0].current().cmd.Process.Pid
	time.Sleep(200 * time.Millisecond)
	for deadline := time.Now().Add(10 * time.Second); ; {
		before := cpuTicks(t, pid)
		time.Sleep(time.Second)
		used := cpuTicks(t, pid) - before
		if used <= 30 { // clock ticks, 100 a second
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox still used %d ticks of CPU in a second, 10 s after the cancel", used)
		}
	}
	start := time.Now()
	res, err := p.Execute(context.Background(), invocation(t, "c", `exports.main = () => "next"`, 64, time.Second))
	if err != nil || string(res.JSON) != `"next"` {
		t.Fatalf("after cancel: %v %v", res, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the next run took %v", took)
	}
}

// cpuTicks is a process's user+system CPU time in clock ticks.
func cpuTicks(t testing.TB, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return u + s
}

// The memory error that ends a sandbox is found however long the
// goroutine dump after it.
func TestTailFindsTheMemoryError(t *testing.T) {
	tl := &tail{log: slog.New(slog.DiscardHandler)}
	fmt.Fprint(tl, "fatal error: runtime: out of mem")
	fmt.Fprint(tl, "ory\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(tl, "goroutine %d [running]:\n\tsome/frame.go:12 +0x1f\n", i)
	}
	if !tl.sawMemoryError() {
		t.Fatal("memory error lost")
	}
	// A thread whose stack no longer fits the address-space cap.
	thread := &tail{log: slog.New(slog.DiscardHandler)}
	fmt.Fprint(thread, "runtime: failed to create new OS thread (have 9 already; errno=12)\nfatal error: newosproc\n")
	if !thread.sawMemoryError() {
		t.Fatal("a thread that could not get its stack not taken for a memory error")
	}
	other := &tail{log: slog.New(slog.DiscardHandler)}
	fmt.Fprint(other, "panic: boom\n")
	if other.sawMemoryError() {
		t.Fatal("a panic taken for a memory error")
	}
}

// A prepared version is compiled in its sandbox before its first call,
// which then travels without the code; nothing runs at prepare.
func TestPoolPrepare(t *testing.T) {
	p := newPool(t, 1, 256)
	inv := invocation(t, "acme", `throw new Error("top level ran"); export function main() {}`, 64, time.Second)
	prep := *inv
	prep.Prepare = true
	if _, err := p.Execute(context.Background(), &prep); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	proc := p.slots[0].current()
	if !proc.hasCode.Contains(inv.Hash) {
		t.Fatal("after prepare the gateway still thinks the sandbox lacks the code")
	}
	_, err := p.Execute(context.Background(), inv)
	var re *functions.RunError
	if !errors.As(err, &re) || re.Code != functions.CodeFunctionError || !strings.Contains(re.Message, "top level ran") {
		t.Fatalf("the first call: %v, want the module's own error (it ran only now)", err)
	}
}
