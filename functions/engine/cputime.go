package engine

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scriptforge/scriptforge/functions"
)

// cpuClock measures the CPU time of one run: the CPU clock of the OS
// thread the run's goroutine is locked to for the run. Wall time would
// charge an App for the time it waits on a timer or a fetch; the thread's
// clock does not advance while the goroutine is parked, because a locked
// thread then sleeps instead of running other goroutines.
//
// What the run makes other goroutines do (a fetch's I/O, the heap
// watcher) is not its thread's time and is not counted; GC assists are.
type cpuClock struct {
	start time.Duration
	ok    bool // the clock could be read at the start
}

// startCPU locks the calling goroutine to its thread and reads the
// thread's clock. Each startCPU must be followed by one charge on the same
// goroutine. Locks nest, so a caller that holds its own lock keeps it.
func startCPU() cpuClock {
	runtime.LockOSThread()
	start, err := threadCPU()
	return cpuClock{start: start, ok: err == nil}
}

// charge reads the clock again, unlocks the thread and records the CPU
// used on the run's outcome: res on success, the RunError otherwise, so
// that a failed run (a timeout that burned its whole limit) counts too.
func (c cpuClock) charge(res *functions.Result, err error) {
	end, cerr := threadCPU()
	runtime.UnlockOSThread()
	if !c.ok || cerr != nil {
		return // no clock: the run reports 0 rather than a made-up figure
	}
	used := max(0, end-c.start)
	// guard's errors are RunErrors themselves (r.fail), never wrapped; a
	// type switch instead of errors.As keeps a run free of an allocation.
	switch e := err.(type) {
	case nil:
		if res != nil {
			res.CPU = used
		}
	case *functions.RunError:
		e.CPU = used
	}
}

// threadCPU is the calling thread's CPU time (user and system).
func threadCPU() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, err
	}
	return time.Duration(ts.Nano()), nil
}
