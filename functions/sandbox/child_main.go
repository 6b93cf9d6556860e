package sandbox

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/scriptforge/scriptforge/cache"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
)

// ChildOptions configure a sandbox process.
type ChildOptions struct {
	// MemoryMB caps the process's address space (RLIMIT_AS). Past it, an
	// allocation fails and the Go runtime ends the process: the gateway
	// sees the death and fails the runs it held.
	MemoryMB int
	// CacheBytes bounds the sandbox's compiled-program cache.
	CacheBytes int64
	// Host is EXEC_HOST as functions see it.
	Host string
	// Worker makes this the dedicated process of one Worker function: one
	// runtime whose module state persists between invocations.
	Worker bool
	// Fetch bounds the fetch of the functions it runs.
	Fetch engine.FetchConfig
	// Handoffs are the chain handoffs the gateway may name (see
	// chain.go), by name; functions.PassData is always there.
	Handoffs []functions.Handoff
	// CPUProfileFor, if positive, writes a CPU profile of this long (or
	// until the process ends cleanly, if sooner) to the file the gateway
	// handed down as descriptor 4 (Config.CPUProfileDir).
	CPUProfileFor time.Duration
}

// profileFD is the descriptor of the CPU profile's file, when there is one.
const profileFD = 4

// startProfile starts the CPU profile the gateway asked for, if it handed
// a file down; stop ends it (at once, or after d, whichever is first).
func startProfile(d time.Duration) (stop func()) {
	if d <= 0 {
		return func() {}
	}
	f := os.NewFile(profileFD, "cpuprofile")
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	stop = sync.OnceFunc(func() { pprof.StopCPUProfile(); f.Close() })
	time.AfterFunc(d, stop)
	return stop
}

// RunChild is the body of "scriptforge sandbox": cap the process, then
// serve requests from stdin until the gateway closes it.
func RunChild(o ChildOptions) error {
	b := openChildBoard() // the chain board the gateway handed down, if any
	defer startProfile(o.CPUProfileFor)()
	if o.MemoryMB <= 0 {
		o.MemoryMB = 1024
	}
	limit := uint64(o.MemoryMB) << 20
	// A gateway with cgroup v2 started this process in a capped cgroup.
	// Otherwise it caps itself with RLIMIT_AS: the Go runtime reserves
	// address space it never touches (~1.5 GiB on linux/amd64 at start),
	// so the cap is what is reserved now plus the budget plus room for the
	// runtime's own bookkeeping as the heap grows.
	if err := capAddressSpace(limit); err != nil {
		return err
	}
	// GOGC 400 keeps the GC cheap while the live heap is small, but with
	// warm runtimes and compiled programs held, five times the live heap
	// can pass the cap itself: the soft limit at half the cap makes the GC
	// work harder long before the heap watcher (3/4) or the cap (1/1).
	debug.SetMemoryLimit(int64(limit / 2))
	debug.SetGCPercent(400)
	if o.CacheBytes <= 0 {
		o.CacheBytes = 128 << 20
	}
	kv := newKVClient()
	eng := engine.New(engine.Config{
		Programs:  cache.New[*engine.Program](o.CacheBytes),
		Host:      o.Host,
		HeapLimit: limit * 3 / 4, // stop runs before the hard cap kills the process
		KV:        kv,
		Fetch:     o.Fetch,
		// Idle warm runtimes take at most an eighth of the budget; the
		// heap watcher drops them first when the heap nears its limit.
		Warm: engine.WarmConfig{MaxBytes: min(256<<20, int64(limit/8))},
	})
	defer eng.Close()
	in, out := pollable(0, "stdin"), pollable(1, "stdout")
	if o.Worker {
		return serve(in, out, eng.NewPersistent(), kv, nil, nil, nil) // its figures are not the pool's
	}
	handoffs := map[string]functions.Handoff{functions.PassData.Name: functions.PassData}
	for _, h := range o.Handoffs {
		handoffs[h.Name] = h
	}
	return serve(in, out, eng, kv, handoffs, b, eng.Stats)
}

// pollable reopens one of the pipes to the gateway in non-blocking mode,
// so that Go waits on it with epoll. The gateway's os/exec hands the pipes
// over blocking, and a blocking read parks an OS thread in the kernel
// between calls: the scheduler then hands its P to another thread and
// back for every frame (measured: a quarter of the CPU of a warm trivial
// call went to context switches).
func pollable(fd int, name string) *os.File {
	if err := syscall.SetNonblock(fd, true); err != nil {
		return os.NewFile(uintptr(fd), name) // blocking, but working
	}
	return os.NewFile(uintptr(fd), name)
}

// capAddressSpace caps the process with RLIMIT_AS unless a cgroup caps it
// already: what is reserved now, plus the budget, plus the slack.
func capAddressSpace(limit uint64) error {
	if cappedByCgroup(limit) {
		return nil
	}
	asCap := reservedAddressSpace() + limit + cgroupSlack
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: asCap, Max: asCap}); err != nil {
		return fmt.Errorf("sandbox: capping memory: %w", err)
	}
	return nil
}

// mallocArenas is in every sandbox's environment. Built with cgo (go run
// and go build do that where a C compiler is installed), the threads are
// the C library's, and glibc gives each thread that mallocs an arena of
// its own, up to eight per CPU, each reserving 64 MiB of address space:
// not memory, but the RLIMIT_AS cap counts it. A run holds its OS thread
// while it computes (engine/cputime.go), so a sandbox under load runs on
// as many threads as runs wait for a lock at once, and 32 parallel runs
// of BenchmarkPoolRouting killed it with "pthread_create failed". Two
// arenas are plenty for what C does in a sandbox.
const mallocArenas = "MALLOC_ARENA_MAX=2"

// reservedAddressSpace reads VmSize, the process's current address space.
func reservedAddressSpace() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 2 << 30
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmSize:"); ok {
			if kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 2 << 30
}
