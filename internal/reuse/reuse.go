// Package reuse keeps what every run would otherwise make anew and
// throw away: the goroutines runs execute on, and the timers that watch
// them. The gateway's streamed runs and the sandbox's child share it.
package reuse

import (
	"sync"
	"time"
)

// Timers are reused: a new one per run is three allocations. Since Go
// 1.23 a stopped timer delivers nothing stale, so a timer taken from the
// pool behaves as a new one.
var timers sync.Pool

// StartTimer returns a timer that fires after d; give it back with
// StopTimer.
func StartTimer(d time.Duration) *time.Timer {
	if t, ok := timers.Get().(*time.Timer); ok {
		t.Reset(d)
		return t
	}
	return time.NewTimer(d)
}

// StopTimer stops t and keeps it for the next StartTimer. The caller
// must not use t afterwards.
func StopTimer(t *time.Timer) {
	t.Stop()
	timers.Put(t)
}

// RunnerIdle is how long a runner waits for its next job before it exits.
const RunnerIdle = 10 * time.Second

// Runners does jobs on goroutines it keeps. A goja run grows its
// goroutine's stack to tens of KiB; a new goroutine per run would pay for
// that growth, copying the stack several times, on every run (~8% of a
// trivial run's CPU in the sandbox's BenchmarkPoolTrivial). There is no
// cap: every job gets a runner at once; idle runners beyond the load
// exit after RunnerIdle.
type Runners[J any] struct {
	do   func(J)
	idle chan J // unbuffered: a send succeeds only into a waiting runner
	wait time.Duration
}

// NewRunners returns Runners that do each job with do.
func NewRunners[J any](do func(J)) *Runners[J] {
	return &Runners[J]{do: do, idle: make(chan J), wait: RunnerIdle}
}

// Start hands j to an idle runner, or to a new one if none waits.
func (rs *Runners[J]) Start(j J) {
	select {
	case rs.idle <- j:
	default:
		go rs.loop(j)
	}
}

func (rs *Runners[J]) loop(j J) {
	wait := time.NewTimer(rs.wait)
	defer wait.Stop()
	for {
		rs.do(j)
		wait.Reset(rs.wait)
		select {
		case j = <-rs.idle:
		case <-wait.C:
			return
		}
	}
}
