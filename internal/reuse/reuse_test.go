package reuse

import (
	"runtime"
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
	rs.wait = 50 * time.Millisecond
	before := runtime.NumGoroutine()

	for range 5 {
		wg.Add(1)
		rs.Start(false)
		wg.Wait()
		time.Sleep(10 * time.Millisecond) // the runner goes back to waiting
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
