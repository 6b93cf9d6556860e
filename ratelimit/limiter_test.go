package ratelimit

import (
	"context"
	"errors"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a manually advanced clock for deterministic bucket tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestLocal(t *testing.T, maxKeys int) (*Local, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	l, err := NewLocal(maxKeys, WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	return l, clk
}

func mustAllow(t *testing.T, l Limiter, key string, p Policy) Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key, p)
	if err != nil {
		t.Fatalf("Allow(%q, %+v): %v", key, p, err)
	}
	return d
}

// near reports whether got is within tol of want (durations computed in
// floating point may be off by a nanosecond).
func near(got, want time.Duration) bool {
	return math.Abs(float64(got-want)) <= float64(time.Microsecond)
}

func TestNewLocalRejectsBadSize(t *testing.T) {
	if _, err := NewLocal(0); err == nil {
		t.Fatal("NewLocal(0) succeeded")
	}
}

func TestLocalSimulatedRate(t *testing.T) {
	tests := []struct {
		name    string
		rate    float64
		burst   int
		offered int // requests per second
		seconds int
	}{
		{"50/s offered 200/s", 50, 10, 200, 5},
		{"5/s burst 1 offered 100/s", 5, 1, 100, 3},
		{"100/s burst 100 offered 400/s", 100, 100, 400, 2},
		{"0.5/s offered 5/s", 0.5, 2, 5, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, clk := newTestLocal(t, 10)
			p := Policy{Name: "t", Rate: tt.rate, Burst: tt.burst}
			step := time.Second / time.Duration(tt.offered)
			allowed := 0
			for range tt.offered * tt.seconds {
				if mustAllow(t, l, "k", p).Allowed {
					allowed++
				}
				clk.Advance(step)
			}
			want := tt.rate*float64(tt.seconds) + float64(tt.burst)
			if math.Abs(float64(allowed)-want) > 0.1*want {
				t.Fatalf("allowed %d, want %.0f ±10%%", allowed, want)
			}
		})
	}
}

func TestLocalBurstAndRemaining(t *testing.T) {
	l, _ := newTestLocal(t, 10)
	p := Policy{Name: "b", Rate: 10, Burst: 5}
	for i := range 5 {
		d := mustAllow(t, l, "k", p)
		if !d.Allowed || d.Remaining != 4-i || d.RetryAfter != 0 {
			t.Fatalf("request %d: %+v, want allowed with remaining %d", i, d, 4-i)
		}
		// Full bucket needs i+1 tokens back; an empty one needs one.
		wantReset := time.Duration(i+1) * 100 * time.Millisecond
		if d.Remaining == 0 {
			wantReset = 100 * time.Millisecond
		}
		if !near(d.Reset, wantReset) {
			t.Fatalf("request %d: Reset %v, want %v", i, d.Reset, wantReset)
		}
	}
	d := mustAllow(t, l, "k", p)
	if d.Allowed || d.Remaining != 0 {
		t.Fatalf("after burst: %+v, want denied", d)
	}
	if d.Policy != p {
		t.Fatalf("Decision.Policy = %+v, want %+v", d.Policy, p)
	}
}

func TestLocalDeniedDoesNotConsume(t *testing.T) {
	l, clk := newTestLocal(t, 10)
	p := Policy{Name: "d", Rate: 10, Burst: 2}
	mustAllow(t, l, "k", p)
	mustAllow(t, l, "k", p)
	for i := range 100 {
		d := mustAllow(t, l, "k", p)
		if d.Allowed {
			t.Fatalf("denial %d allowed", i)
		}
		if !near(d.RetryAfter, 100*time.Millisecond) || d.Reset != d.RetryAfter {
			t.Fatalf("denial %d: RetryAfter %v Reset %v, want 100ms", i, d.RetryAfter, d.Reset)
		}
	}
	clk.Advance(99 * time.Millisecond)
	d := mustAllow(t, l, "k", p)
	if d.Allowed || d.RetryAfter <= 0 || !near(d.RetryAfter, time.Millisecond) {
		t.Fatalf("at 99ms: %+v, want denied with RetryAfter 1ms", d)
	}
	// Waiting exactly RetryAfter must be enough: denials took nothing.
	clk.Advance(d.RetryAfter)
	if d := mustAllow(t, l, "k", p); !d.Allowed {
		t.Fatalf("after RetryAfter: %+v, want allowed", d)
	}
}

func TestLocalPolicyChange(t *testing.T) {
	l, clk := newTestLocal(t, 10)
	slow := Policy{Name: "p", Rate: 1, Burst: 5}
	for range 5 {
		mustAllow(t, l, "k", slow)
	}
	if mustAllow(t, l, "k", slow).Allowed {
		t.Fatal("slow bucket not empty")
	}

	// Raising rate and burst: the new rate applies from the moment it is
	// seen, so the next token is 10ms away and 100ms refill 10 tokens.
	fast := Policy{Name: "p", Rate: 100, Burst: 10}
	if d := mustAllow(t, l, "k", fast); d.Allowed || !near(d.RetryAfter, 10*time.Millisecond) {
		t.Fatalf("right after raising: %+v, want denied with RetryAfter 10ms", d)
	}
	clk.Advance(100 * time.Millisecond)
	allowed := 0
	for range 20 {
		if mustAllow(t, l, "k", fast).Allowed {
			allowed++
		}
	}
	if allowed != 10 {
		t.Fatalf("after raising: allowed %d, want 10", allowed)
	}

	// Lowering the burst caps a full bucket at the new size at once.
	clk.Advance(time.Second)
	tight := Policy{Name: "p", Rate: 100, Burst: 2}
	allowed = 0
	for range 10 {
		if mustAllow(t, l, "k", tight).Allowed {
			allowed++
		}
	}
	if allowed != 2 {
		t.Fatalf("after lowering burst: allowed %d, want 2", allowed)
	}
}

func TestLocalUnlimited(t *testing.T) {
	for _, p := range []Policy{{Name: "zero"}, {Name: "inf", Rate: math.Inf(1)}} {
		t.Run(p.Name, func(t *testing.T) {
			l, _ := newTestLocal(t, 10)
			for i := range 1000 {
				d := mustAllow(t, l, "k"+strconv.Itoa(i%3), p)
				if !d.Allowed || d.RetryAfter != 0 || d.Remaining != -1 {
					t.Fatalf("request %d: %+v", i, d)
				}
			}
			if n := l.Len(); n != 0 {
				t.Fatalf("Len = %d, want 0: unlimited needs no bucket", n)
			}
		})
	}
}

func TestLocalInvalidPolicy(t *testing.T) {
	l, _ := newTestLocal(t, 10)
	for _, p := range []Policy{
		{Name: "neg", Rate: -1, Burst: 1},
		{Name: "nan", Rate: math.NaN(), Burst: 1},
		{Name: "noburst", Rate: 1, Burst: 0},
	} {
		if _, err := l.Allow(context.Background(), "k", p); !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("%s: err = %v, want ErrInvalidPolicy", p.Name, err)
		}
	}
}

func TestLocalKeysIndependent(t *testing.T) {
	l, _ := newTestLocal(t, 10)
	p := Policy{Name: "i", Rate: 1, Burst: 3}
	for range 10 {
		mustAllow(t, l, "hot", p)
	}
	if mustAllow(t, l, "hot", p).Allowed {
		t.Fatal("hot key not limited")
	}
	for i := range 3 {
		if d := mustAllow(t, l, "cold", p); !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("cold request %d: %+v", i, d)
		}
	}
}

func TestLocalBoundedKeys(t *testing.T) {
	tests := []struct {
		keys, cap int
	}{
		{10_000, 1_000},
		{10_000, 10_000},
		{100_000, 100},
	}
	p := Policy{Name: "ip", Rate: 1, Burst: 1}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.keys)+"/"+strconv.Itoa(tt.cap), func(t *testing.T) {
			l, _ := newTestLocal(t, tt.cap)
			for i := range tt.keys {
				if d, err := l.Allow(context.Background(), strconv.Itoa(i), p); err != nil || !d.Allowed {
					t.Fatalf("new key %d: %+v, %v", i, d, err)
				}
				if n := l.Len(); n > tt.cap {
					t.Fatalf("after %d keys Len = %d > cap %d", i+1, n, tt.cap)
				}
			}
			if n := l.Len(); n != min(tt.keys, tt.cap) {
				t.Fatalf("Len = %d, want %d", n, min(tt.keys, tt.cap))
			}
		})
	}
}

// TestLocalHeapBounded offers a million distinct keys (the slowest test
// under -race, hence parallel) and checks both the LRU cap and the heap.
func TestLocalHeapBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("offers a million keys")
	}
	t.Parallel()
	const keys, cap = 1_000_000, 10_000
	l, _ := newTestLocal(t, cap)
	p := Policy{Name: "ip", Rate: 1, Burst: 1}
	// Fill the LRU first so the measurement sees steady state, not the cap.
	for i := range cap {
		mustAllow(t, l, "warm"+strconv.Itoa(i), p)
	}
	before := heapInUse()
	ctx := context.Background()
	for i := range keys {
		// Allow directly: mustAllow's t.Helper would dominate this loop.
		if _, err := l.Allow(ctx, strconv.Itoa(i), p); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 0 && l.Len() > cap {
			t.Fatalf("after %d keys Len = %d > cap %d", i+1, l.Len(), cap)
		}
	}
	if n := l.Len(); n != cap {
		t.Fatalf("Len = %d, want %d", n, cap)
	}
	after := heapInUse()
	growth := int64(after) - int64(before)
	t.Logf("heap before %d KiB, after %d KiB, growth %d KiB for %d keys (cap %d)",
		before>>10, after>>10, growth>>10, keys, cap)
	if growth > 50<<20 {
		t.Fatalf("heap grew %d MiB for %d keys with cap %d", growth>>20, keys, cap)
	}
	runtime.KeepAlive(l)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestLocalRealClock checks the real-time behaviour once: goroutines offer
// far more than the rate on one key for two seconds and the allowed count
// must match rate*t+burst. The short sleeps keep them from starving the
// parallel heap test of CPU while still offering tens of times the rate.
func TestLocalRealClock(t *testing.T) {
	t.Parallel()
	l, err := NewLocal(10)
	if err != nil {
		t.Fatal(err)
	}
	p := Policy{Name: "real", Rate: 100, Burst: 10}
	var allowed atomic.Int64
	start := time.Now()
	deadline := start.Add(2 * time.Second)
	var wg sync.WaitGroup
	var offered atomic.Int64
	for range 4 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				offered.Add(1)
				d, err := l.Allow(context.Background(), "k", p)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
				time.Sleep(200 * time.Microsecond)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	want := p.Rate*elapsed + float64(p.Burst)
	got := float64(allowed.Load())
	t.Logf("allowed %.0f of %d in %.2fs, want %.0f", got, offered.Load(), elapsed, want)
	if float64(offered.Load()) < 3*want {
		t.Fatalf("offered only %d requests; the test needs far more than %.0f", offered.Load(), want)
	}
	if math.Abs(got-want) > 0.1*want {
		t.Fatalf("allowed %.0f in %.2fs, want %.0f ±10%%", got, elapsed, want)
	}
}
