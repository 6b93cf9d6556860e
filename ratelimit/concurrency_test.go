package ratelimit

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newTestConcurrency(t *testing.T, maxKeys int) *Concurrency {
	t.Helper()
	c, err := NewConcurrency(maxKeys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustAcquire(t *testing.T, c *Concurrency, key string, limit int) func() {
	t.Helper()
	release, err := c.Acquire(context.Background(), key, limit, 0, 0)
	if err != nil {
		t.Fatalf("Acquire(%q): %v", key, err)
	}
	return release
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func TestNewConcurrencyRejectsBadSize(t *testing.T) {
	if _, err := NewConcurrency(0); err == nil {
		t.Fatal("NewConcurrency(0) succeeded")
	}
}

func TestConcurrencyLimitHolds(t *testing.T) {
	tests := []struct {
		limit, goroutines, rounds int
	}{
		{1, 20, 20},
		{3, 50, 20},
		{10, 50, 10},
	}
	for _, tt := range tests {
		t.Run("limit"+strconv.Itoa(tt.limit), func(t *testing.T) {
			c := newTestConcurrency(t, 10)
			var running, peak atomic.Int64
			var wg sync.WaitGroup
			for range tt.goroutines {
				wg.Go(func() {
					for range tt.rounds {
						release, err := c.Acquire(context.Background(), "fn", tt.limit, tt.goroutines, 10*time.Second)
						if err != nil {
							t.Error(err)
							return
						}
						n := running.Add(1)
						for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
						}
						if got := c.InFlight("fn"); got > tt.limit {
							t.Errorf("InFlight = %d > limit %d", got, tt.limit)
						}
						time.Sleep(50 * time.Microsecond)
						running.Add(-1)
						release()
					}
				})
			}
			wg.Wait()
			if p := peak.Load(); p > int64(tt.limit) || p < 1 {
				t.Fatalf("peak concurrency %d, limit %d", p, tt.limit)
			}
			if n := c.Len(); n != 0 {
				t.Fatalf("Len = %d after all released, want 0", n)
			}
		})
	}
}

func TestConcurrencyQueueFull(t *testing.T) {
	c := newTestConcurrency(t, 10)
	hold := mustAcquire(t, c, "k", 1)

	got := make(chan error, 1)
	go func() {
		release, err := c.Acquire(context.Background(), "k", 1, 1, 10*time.Second)
		if err == nil {
			release()
		}
		got <- err
	}()
	waitFor(t, "one waiter", func() bool { return c.waiting("k") == 1 })

	start := time.Now()
	_, err := c.Acquire(context.Background(), "k", 1, 1, 10*time.Second)
	if !errors.Is(err, ErrQueueFull) || !errors.Is(err, ErrConcurrency) {
		t.Fatalf("err = %v, want ErrQueueFull wrapping ErrConcurrency", err)
	}
	if el := time.Since(start); el > 100*time.Millisecond {
		t.Fatalf("ErrQueueFull took %v, want immediate", el)
	}
	// No queue at all (queue 0, or no wait) refuses at once too.
	for _, q := range []struct {
		queue int
		wait  time.Duration
	}{{0, time.Second}, {5, 0}} {
		if _, err := c.Acquire(context.Background(), "k", 1, q.queue, q.wait); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("queue %d wait %v: err = %v, want ErrQueueFull", q.queue, q.wait, err)
		}
	}

	hold()
	if err := <-got; err != nil {
		t.Fatalf("queued waiter: %v", err)
	}
	if n := c.Len(); n != 0 {
		t.Fatalf("Len = %d, want 0", n)
	}
}

func TestConcurrencyQueueTimeout(t *testing.T) {
	c := newTestConcurrency(t, 10)
	hold := mustAcquire(t, c, "k", 1)
	defer hold()

	const wait = 50 * time.Millisecond
	start := time.Now()
	_, err := c.Acquire(context.Background(), "k", 1, 5, wait)
	if !errors.Is(err, ErrQueueTimeout) || !errors.Is(err, ErrConcurrency) {
		t.Fatalf("err = %v, want ErrQueueTimeout wrapping ErrConcurrency", err)
	}
	if el := time.Since(start); el < wait {
		t.Fatalf("gave up after %v, before wait %v", el, wait)
	}
	if w, f := c.waiting("k"), c.InFlight("k"); w != 0 || f != 1 {
		t.Fatalf("after timeout: waiting %d in flight %d, want 0 and 1", w, f)
	}
}

func TestConcurrencyContext(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
	}{
		{"cancel while waiting", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline before wait", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 30*time.Millisecond)
		}, context.DeadlineExceeded},
		{"already cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestConcurrency(t, 10)
			hold := mustAcquire(t, c, "k", 1)
			ctx, cancel := tt.ctx()
			defer cancel()

			start := time.Now()
			_, err := c.Acquire(ctx, "k", 1, 5, 10*time.Second)
			if !errors.Is(err, tt.wantErr) || errors.Is(err, ErrConcurrency) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Fatalf("returned after %v: ctx not honoured", el)
			}
			if w := c.waiting("k"); w != 0 {
				t.Fatalf("waiting = %d after ctx ended, want 0", w)
			}
			hold()
			if n := c.Len(); n != 0 {
				t.Fatalf("Len = %d, want 0", n)
			}
		})
	}
}

func TestConcurrencyReleaseIdempotent(t *testing.T) {
	c := newTestConcurrency(t, 10)
	r1 := mustAcquire(t, c, "k", 2)
	r2 := mustAcquire(t, c, "k", 2)
	r1()
	r1()
	r1()
	if n := c.InFlight("k"); n != 1 {
		t.Fatalf("InFlight = %d after releasing one slot thrice, want 1", n)
	}
	r2()
	r2()
	if n, k := c.InFlight("k"), c.Len(); n != 0 || k != 0 {
		t.Fatalf("InFlight %d Len %d, want 0 and 0", n, k)
	}
}

func TestConcurrencyUnlimited(t *testing.T) {
	c := newTestConcurrency(t, 1)
	for range 100 {
		release, err := c.Acquire(context.Background(), "k", 0, 0, 0)
		if err != nil || release == nil {
			t.Fatalf("unlimited Acquire: %v", err)
		}
		defer release()
	}
	if n, k := c.InFlight("k"), c.Len(); n != 0 || k != 0 {
		t.Fatalf("unlimited keys tracked: InFlight %d Len %d", n, k)
	}
}

func TestConcurrencyKeysIndependentAndShrink(t *testing.T) {
	c := newTestConcurrency(t, 1000)
	hot := mustAcquire(t, c, "hot", 1)
	if _, err := c.Acquire(context.Background(), "hot", 1, 0, 0); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("hot key not limited: %v", err)
	}

	var wg sync.WaitGroup
	var releases sync.Map
	for i := range 500 {
		wg.Go(func() {
			key := "k" + strconv.Itoa(i)
			r, err := c.Acquire(context.Background(), key, 1, 0, 0)
			if err != nil {
				t.Errorf("%s: %v", key, err)
				return
			}
			releases.Store(key, r)
		})
	}
	wg.Wait()
	if n := c.Len(); n != 501 {
		t.Fatalf("Len = %d, want 501", n)
	}
	releases.Range(func(_, r any) bool { r.(func())(); return true })
	hot()
	if n := c.Len(); n != 0 {
		t.Fatalf("Len = %d after all released, want 0", n)
	}
}

func TestConcurrencyMaxKeys(t *testing.T) {
	c := newTestConcurrency(t, 2)
	ra := mustAcquire(t, c, "a", 2)
	rb := mustAcquire(t, c, "b", 2)
	_, err := c.Acquire(context.Background(), "c", 2, 0, 0)
	if !errors.Is(err, ErrTooManyKeys) || !errors.Is(err, ErrConcurrency) {
		t.Fatalf("third key: err = %v, want ErrTooManyKeys", err)
	}
	// Active keys keep working.
	ra2 := mustAcquire(t, c, "a", 2)
	ra2()
	ra()
	// Once a key goes idle, a new one fits.
	rc := mustAcquire(t, c, "c", 2)
	rc()
	rb()
	if n := c.Len(); n != 0 {
		t.Fatalf("Len = %d, want 0", n)
	}
}

func TestConcurrencyFIFO(t *testing.T) {
	c := newTestConcurrency(t, 10)
	hold := mustAcquire(t, c, "k", 1)

	const n = 10
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
	)
	for i := range n {
		wg.Go(func() {
			release, err := c.Acquire(context.Background(), "k", 1, n, 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			release()
		})
		// Queue them one at a time so arrival order is known.
		waitFor(t, "waiter "+strconv.Itoa(i), func() bool { return c.waiting("k") == i+1 })
	}
	// With the queue full a newcomer is refused, not queued.
	if _, err := c.Acquire(context.Background(), "k", 1, n, time.Second); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("newcomer: err = %v, want ErrQueueFull", err)
	}
	hold()
	wg.Wait()
	for i, got := range order {
		if got != i {
			t.Fatalf("admission order %v, want 0..%d", order, n-1)
		}
	}
	if len(order) != n {
		t.Fatalf("admitted %d, want %d", len(order), n)
	}
}

// TestConcurrencyChurn mixes timeouts, cancellations and releases on a few
// keys and checks that no slot or key leaks.
func TestConcurrencyChurn(t *testing.T) {
	c := newTestConcurrency(t, 100)
	const limit = 2
	var running [4]atomic.Int64
	var wg sync.WaitGroup
	for g := range 40 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 30 {
				k := rng.IntN(len(running))
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(3000))*time.Microsecond)
				release, err := c.Acquire(ctx, "k"+strconv.Itoa(k), limit, 5, time.Duration(rng.IntN(3000))*time.Microsecond)
				if err == nil {
					if n := running[k].Add(1); n > limit {
						t.Errorf("key %d: %d running, limit %d", k, n, limit)
					}
					time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
					running[k].Add(-1)
					release()
					release()
				} else if !errors.Is(err, ErrConcurrency) && ctx.Err() == nil {
					t.Errorf("unexpected error %v", err)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	if n := c.Len(); n != 0 {
		t.Fatalf("Len = %d after churn, want 0", n)
	}
}
