package engine

import (
	"context"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/scriptforge/scriptforge/functions"
)

// cpuClock measures the CPU time of one run: the CPU clock of the OS
// thread that runs it. Go moves goroutines between threads at will, so
// the run's goroutine is locked to its thread while it computes. While
// it waits in its event loop (timers, fetch, kv) the clock is paused and
// the thread let go: waiting costs no CPU, and a sandbox with a thousand
// Apps awaiting a fetch must not hold a thousand threads (under cgo each
// reserves a stack of its own, and the address-space cap runs out).
//
// What the run makes other goroutines do (a fetch's I/O, the heap
// watcher) is not its thread's time and is not counted; GC assists are.
type cpuClock struct {
	used    time.Duration // counted in the parts that are over
	since   time.Duration // the thread's clock when the current part began
	running bool          // locked to a thread and counting
	broken  bool          // the clock could not be read: report nothing
	mark    *CPUMark      // shared with the runs before and after, if any
}

// CPUMark lets runs made one after another on one goroutine share the
// readings of the thread's clock: the reading that ends a run starts the
// next, so a chain of n steps reads the clock n+1 times instead of 2n
// (each read is a system call, ~6 µs of a trivial step's ~60 where
// system calls are paravirtualised). A run that ends with a mark keeps
// its goroutine locked to the thread until the next run takes the
// reading over, so that the reading stays the thread's; what the caller
// does in between (a chain's handoff) counts toward the next run. The
// caller calls Release when it makes no more runs.
type CPUMark struct {
	at   time.Duration
	held bool // a reading is there, and the goroutine is locked to its thread
}

// Release unlocks the thread a run left locked for the next.
func (m *CPUMark) Release() {
	if m.held {
		m.held = false
		runtime.UnlockOSThread()
	}
}

type cpuMarkKey struct{}

// WithCPUMark returns ctx carrying m, for the runs made with it (see CPUMark).
func WithCPUMark(ctx context.Context, m *CPUMark) context.Context {
	return context.WithValue(ctx, cpuMarkKey{}, m)
}

// start begins a run's count on the calling goroutine. Each start must be
// followed by one charge on the same goroutine. Locks nest, so a caller
// that holds a lock of its own keeps it. With a mark held from the run
// before, it starts from that reading, on the thread still locked.
func (c *cpuClock) start(mark *CPUMark) {
	*c = cpuClock{mark: mark}
	if mark != nil && mark.held {
		mark.held = false // its lock is this run's now
		c.since, c.running = mark.at, true
		return
	}
	c.resume()
}

// resume counts again after a wait.
func (c *cpuClock) resume() {
	if c.running {
		return
	}
	runtime.LockOSThread()
	t, err := threadCPU()
	c.since, c.running, c.broken = t, true, c.broken || err != nil
}

// pause adds the part that ends now and lets the thread go.
func (c *cpuClock) pause() { c.stop(false) }

// stop is pause; with handOn, a run's last stop, the reading and the
// thread go to the mark, if any, instead (see CPUMark).
func (c *cpuClock) stop(handOn bool) {
	if !c.running {
		return
	}
	t, err := threadCPU()
	c.used += max(0, t-c.since)
	c.running, c.broken = false, c.broken || err != nil
	if handOn && c.mark != nil && err == nil {
		c.mark.at, c.mark.held = t, true
		return
	}
	runtime.UnlockOSThread()
}

// charge ends the count and records the CPU used on the run's outcome: res
// on success, the RunError otherwise, so that a failed run (a timeout that
// burned its whole limit) counts too.
func (c *cpuClock) charge(res *functions.Result, err error) {
	c.stop(true)
	if c.broken {
		return // the run reports 0 rather than a made-up figure
	}
	// guard's errors are RunErrors themselves (r.fail), never wrapped; a
	// type switch instead of errors.As keeps a run free of an allocation.
	switch e := err.(type) {
	case nil:
		if res != nil {
			res.CPU = c.used
		}
	case *functions.RunError:
		e.CPU = c.used
	}
}

// threadCPU is the calling thread's CPU time (user and system).
func threadCPU() (time.Duration, error) {
	var ts unix.Timespec
	// clock_gettime never blocks: a raw system call spares the scheduler's
	// bookkeeping around it (unix.ClockGettime pays it), twice a run.
	if _, _, errno := unix.RawSyscall(unix.SYS_CLOCK_GETTIME, unix.CLOCK_THREAD_CPUTIME_ID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, errno
	}
	return time.Duration(ts.Nano()), nil
}
