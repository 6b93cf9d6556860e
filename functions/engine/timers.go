package engine

import (
	"container/heap"
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions"
)

// Timers and the event loop of an App. A run's JavaScript is single
// threaded: timer callbacks run on the run's goroutine, between the other
// work, when the function's own code has returned a Promise still pending.
// The loop ends when that Promise settles (pending timers are cancelled
// with the run), when nothing is left that could settle it, or when the
// run is interrupted (time limit, cancellation, heap limit): waiting for a
// timer does not outlive the run.

// Bounds: a flood of timers is a RangeError, not a memory leak.
const (
	maxPendingTimers = 1000   // set at once
	maxTimerFires    = 100000 // callbacks in one run
	minInterval      = time.Millisecond
)

type timer struct {
	id       int64
	at       time.Time
	every    time.Duration // > 0 for setInterval
	fn       goja.Callable
	args     []goja.Value
	index    int // in the heap; -1 once removed
	canceled bool
}

// timers is a run's pending timers, earliest first.
type timers struct {
	mu     sync.Mutex // cancelAll may come from the guard's defer
	heap   timerHeap
	byID   map[int64]*timer
	nextID int64
	fires  int
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].id < h[j].id // same deadline: in the order they were set
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *timerHeap) Push(x any)   { t := x.(*timer); t.index = len(*h); *h = append(*h, t) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

func (ts *timers) add(t *timer) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if len(ts.heap) >= maxPendingTimers {
		return fmt.Errorf("too many timers: %d are pending, the limit", maxPendingTimers)
	}
	if ts.byID == nil {
		ts.byID = map[int64]*timer{}
	}
	ts.nextID++
	t.id = ts.nextID
	heap.Push(&ts.heap, t)
	ts.byID[t.id] = t
	return nil
}

func (ts *timers) clear(id int64) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t := ts.byID[id]; t != nil {
		t.canceled = true
		if t.index >= 0 {
			heap.Remove(&ts.heap, t.index)
		}
		delete(ts.byID, id)
	}
}

// next returns the earliest timer, or nil.
func (ts *timers) next() *timer {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if len(ts.heap) == 0 {
		return nil
	}
	return ts.heap[0]
}

// take removes t for firing; an interval goes back in at its next time.
func (ts *timers) take(t *timer, now time.Time) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.fires++
	if ts.fires > maxTimerFires {
		return fmt.Errorf("too many timer callbacks: the limit is %d per run", maxTimerFires)
	}
	if t.index >= 0 {
		heap.Remove(&ts.heap, t.index)
	}
	if t.every > 0 {
		t.at = now.Add(t.every)
		heap.Push(&ts.heap, t)
	} else {
		delete(ts.byID, t.id)
	}
	return nil
}

func (ts *timers) cancelAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, t := range ts.heap {
		t.canceled = true
	}
	ts.heap, ts.byID, ts.fires = nil, nil, 0
}

// runLoop fires timers, and finishes asynchronous operations (see
// startAsync), until p settles.
func (r *run) runLoop(p *goja.Promise) error {
	for p.State() == goja.PromiseStatePending {
		t := r.timers.next()
		if t == nil && r.async.inFlight() == 0 {
			return nil // nothing can settle it: settle reports that
		}
		var due <-chan time.Time
		var w *time.Timer
		if t != nil {
			w = time.NewTimer(max(0, time.Until(t.at)))
			due = w.C
		}
		r.cpu.pause() // waiting uses no CPU, and need not hold a thread
		select {
		case <-r.stopped:
			r.cpu.resume()
			stopTimer(w)
			return r.interruptedError()
		case done := <-r.async.done:
			r.cpu.resume()
			stopTimer(w)
			// goja runs the microtasks the completion queued before it returns.
			if err := done(); err != nil {
				return err
			}
			continue
		case <-due:
			r.cpu.resume()
		}
		if err := r.timers.take(t, time.Now()); err != nil {
			return &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeFunctionError, Message: "RangeError: " + err.Error()}
		}
		if _, err := t.fn(goja.Undefined(), t.args...); err != nil {
			return err
		}
	}
	return nil
}

func stopTimer(w *time.Timer) {
	if w != nil {
		w.Stop()
	}
}

// asyncOps are a run's operations in progress outside JavaScript (a fetch,
// a kv call): Go goroutines that hand their completion to the loop, which
// runs it on the run's goroutine, the only one that may touch the runtime.
type asyncOps struct {
	mu    sync.Mutex
	n     int
	total int
	done  chan func() error
}

// Bounds on a run's asynchronous operations.
const (
	maxAsyncInFlight = 64
	maxAsyncPerRun   = 10000
)

func (a *asyncOps) inFlight() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// startAsync runs work on its own goroutine and, when it ends, complete on
// the run's goroutine (from the event loop). ctx ends with the run, so work
// that outlives it is cancelled; its completion is then dropped. It throws
// a RangeError past the bounds.
func (r *run) startAsync(work func(ctx context.Context) func() error) {
	a := r.async
	a.mu.Lock()
	if a.done == nil {
		a.done = make(chan func() error, maxAsyncInFlight)
	}
	if a.n >= maxAsyncInFlight || a.total >= maxAsyncPerRun {
		a.mu.Unlock()
		panic(r.newError("RangeError", fmt.Sprintf("too many asynchronous operations: %d may be in flight, %d per run", maxAsyncInFlight, maxAsyncPerRun)))
	}
	a.n++
	a.total++
	done := a.done
	a.mu.Unlock()
	ctx := r.runCtx
	go func() {
		complete := work(ctx)
		finish := func() error {
			a.mu.Lock()
			a.n--
			a.mu.Unlock()
			return complete()
		}
		select {
		case done <- finish:
		case <-ctx.Done(): // the run is over: nobody will take it
		}
	}()
}

// interruptedError is the error of a run stopped while it waited in Go.
func (r *run) interruptedError() error {
	r.imu.Lock()
	i := r.stopWith
	r.imu.Unlock()
	if i == nil {
		return &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeFunctionError, Message: "the run was stopped"}
	}
	return &functions.RunError{Status: interruptStatus(i.code), Code: i.code, Message: i.message}
}

// setTimer is setTimeout and setInterval.
func (r *run) setTimer(call goja.FunctionCall, repeat bool) goja.Value {
	fn, ok := goja.AssertFunction(call.Argument(0))
	if !ok {
		panic(r.newError("TypeError", "the callback must be a function (code strings are not evaluated)"))
	}
	delay := time.Duration(call.Argument(1).ToFloat() * float64(time.Millisecond))
	if delay < 0 || delay != delay { // NaN or negative: as browsers and Node do, no delay
		delay = 0
	}
	t := &timer{at: time.Now().Add(delay), fn: fn}
	if repeat {
		t.every = max(delay, minInterval)
	}
	if len(call.Arguments) > 2 {
		t.args = append([]goja.Value(nil), call.Arguments[2:]...)
	}
	if err := r.timers.add(t); err != nil {
		panic(r.newError("RangeError", err.Error()))
	}
	return r.vm.ToValue(t.id)
}

func (r *run) clearTimer(call goja.FunctionCall) goja.Value {
	if id := call.Argument(0); !goja.IsUndefined(id) && !goja.IsNull(id) {
		r.timers.clear(id.ToInteger())
	}
	return goja.Undefined()
}

// queueMicrotask is compiled once: a JS function that schedules its
// argument on the run's microtask queue through a resolved Promise.
var microtaskFactory = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("scriptforge:microtask", `(function (P) {
  "use strict";
  const resolved = P.resolve();
  const then = P.prototype.then;
  return function queueMicrotask(fn) {
    if (typeof fn !== "function") throw new TypeError("queueMicrotask needs a function");
    then.call(resolved, () => fn());
  };
})`, true)
})

func init() {
	native := func(name string, f func(r *run, c goja.FunctionCall) goja.Value) {
		registerGlobal(name, true, func(r *run) goja.Value {
			return r.vm.ToValue(func(c goja.FunctionCall) goja.Value { return f(r, c) })
		})
	}
	native("setTimeout", func(r *run, c goja.FunctionCall) goja.Value { return r.setTimer(c, false) })
	native("setInterval", func(r *run, c goja.FunctionCall) goja.Value { return r.setTimer(c, true) })
	native("setImmediate", func(r *run, c goja.FunctionCall) goja.Value {
		args := []goja.Value{c.Argument(0), r.vm.ToValue(0)}
		if len(c.Arguments) > 1 {
			args = append(args, c.Arguments[1:]...)
		}
		return r.setTimer(goja.FunctionCall{This: c.This, Arguments: args}, false)
	})
	for _, name := range []string{"clearTimeout", "clearInterval", "clearImmediate"} {
		native(name, (*run).clearTimer)
	}
	registerGlobal("queueMicrotask", true, func(r *run) goja.Value {
		factory, _ := goja.AssertFunction(must(r.vm.RunProgram(microtaskFactory())))
		return must(factory(goja.Undefined(), r.global.orig.Get("Promise")))
	})
	registerModule("timers", func(r *run) goja.Value {
		m := r.vm.NewObject()
		for _, name := range []string{"setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "clearImmediate"} {
			_ = m.Set(name, r.global.resolve(name))
		}
		return m
	})
}
