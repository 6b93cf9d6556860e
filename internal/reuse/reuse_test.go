package reuse

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Jobs started one after another reuse one goroutine; jobs started at
// once each get their own; idle runners exit.
func TestRunners(t *testing.T) {
	var mu sync.Mutex
	ids := map[uint64]int{}
	var wg sync.WaitGroup
	release := make(chan struct{})
	rs := NewRunners(func(block bool) {
		mu.Lock()
		ids[goid()]++
		mu.Unlock()
		if block {
			<-release
		}
		wg.Done()
	})
	// Idle runners exit soon, but not so soon that a loaded machine's pause
	// between a runner's going back to waiting and the next Start ends it.
	rs.wait = 500 * time.Millisecond
	before := runtime.NumGoroutine()

	for range 5 {
		wg.Add(1)
		rs.Start(false)
		wg.Wait()
		waitIdleRunner(t) // the runner goes back to waiting
	}
	// One, unless a loaded machine kept the runner from its wait once.
	if len(ids) > 2 {
		t.Fatalf("5 jobs in turn ran on %d goroutines, want 1", len(ids))
	}

	clear(ids)
	wg.Add(3)
	for range 3 {
		rs.Start(true)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(ids)
		mu.Unlock()
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("3 blocked jobs on %d goroutines, want 3", n)
		}
	}
	close(release)
	wg.Wait()

	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left after the idle time, %d before", runtime.NumGoroutine(), before)
		}
	}
}

// waitIdleRunner waits until a runner is parked in its select, waiting
// for a job, as the goroutines' stacks show.
func waitIdleRunner(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			head, rest, _ := strings.Cut(g, "\n")
			if strings.Contains(head, "[select") && strings.HasPrefix(rest, "github.com/scriptforge/scriptforge/internal/reuse.(*Runners[") &&
				strings.Contains(strings.SplitN(rest, "\n", 2)[0], ").loop(") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no runner went back to waiting")
		}
	}
}

// goid is the running goroutine's id, read from its stack header.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	var id uint64
	for _, c := range b[len("goroutine "):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// A timer given back and taken again fires after its new duration, and
// a stopped one never fires late.
func TestTimers(t *testing.T) {
	a := StartTimer(time.Hour)
	StopTimer(a)
	b := StartTimer(10 * time.Millisecond)
	start := time.Now()
	<-b.C
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("fired after %v", took)
	}
	StopTimer(b)
	c := StartTimer(time.Hour)
	select {
	case <-c.C:
		t.Fatal("a reused timer fired at once")
	case <-time.After(20 * time.Millisecond):
	}
	StopTimer(c)
}
