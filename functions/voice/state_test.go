package voice

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestLocksSerialiseOneCall(t *testing.T) {
	var l Locks
	ctx := context.Background()
	// Read-modify-write of one counter by 50 events at once: with the
	// lock, none is lost.
	counter := 0
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			unlock, err := l.Lock(ctx, "acme", "CA1")
			if err != nil {
				t.Error(err)
				return
			}
			n := counter
			time.Sleep(100 * time.Microsecond)
			counter = n + 1
			unlock()
		})
	}
	wg.Wait()
	if counter != 50 {
		t.Fatalf("counter %d: writes were lost", counter)
	}
	if len(l.calls) != 0 {
		t.Fatalf("%d locks left behind", len(l.calls))
	}
	// Another call, or another tenant's call of the same id, does not wait.
	unlock, _ := l.Lock(ctx, "acme", "CA1")
	done := make(chan struct{})
	go func() {
		u1, _ := l.Lock(ctx, "acme", "CA2")
		u2, _ := l.Lock(ctx, "globex", "CA1")
		u1()
		u2()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("an unrelated call waited")
	}
	// A waiter gives up when its context ends.
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := l.Lock(tctx, "acme", "CA1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter: %v", err)
	}
	unlock()
	if len(l.calls) != 0 {
		t.Fatalf("%d locks left behind", len(l.calls))
	}
}
