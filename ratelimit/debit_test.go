package ratelimit

import (
	"context"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"
)

// A CPU budget of 100 ms per second with a burst of 1 s worth.
var cpuPolicy = Policy{Name: "cpu", Rate: 100, Burst: 100}

// step is one call in a debit sequence: wait, then debit n, then expect.
type step struct {
	wait      time.Duration
	n         float64
	allowed   bool
	remaining int
	retry     time.Duration // for a refused decision
	reset     time.Duration
}

// testLimiter is a fresh Limiter on a fake clock, and how many keys it
// holds.
type testLimiter struct {
	Limiter
	clk  *fakeClock
	keys func() int
}

// limiterKinds are the Limiters held to the same Debit cases: Local, and
// Redis (on the shared Redis, with its clock replaced by the fake one).
var limiterKinds = []struct {
	name string
	make func(t *testing.T) testLimiter
}{
	{"local", func(t *testing.T) testLimiter {
		l, clk := newTestLocal(t, 10)
		return testLimiter{l, clk, l.Len}
	}},
	{"redis", func(t *testing.T) testLimiter {
		rdb, prefix := testRedis(t)
		clk := newFakeClock()
		r := NewRedis(rdb, prefix)
		r.now = clk.Now
		return testLimiter{r, clk, func() int { return countKeys(t, rdb, prefix) }}
	}},
}

// eachLimiter runs f once per kind of Limiter, as a subtest.
func eachLimiter(t *testing.T, f func(t *testing.T, l testLimiter)) {
	for _, k := range limiterKinds {
		t.Run(k.name, func(t *testing.T) { f(t, k.make(t)) })
	}
}

func TestDebit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"a new bucket starts full; a look takes nothing", []step{
			{n: 0, allowed: true, remaining: 100, reset: 0},
			{n: 0, allowed: true, remaining: 100, reset: 0},
		}},
		{"fractions add up: 400 runs of 0.25 ms spend the burst", []step{
			{n: 99.75, allowed: true, remaining: 0, reset: 7500 * time.Microsecond},
			{n: 0.25, allowed: false, remaining: 0, retry: time.Nanosecond, reset: time.Nanosecond},
		}},
		{"a heavy run leaves a debt that is waited off in proportion", []step{
			{n: 400, allowed: false, remaining: 0, retry: 3*time.Second + time.Nanosecond, reset: 3*time.Second + time.Nanosecond},
			{wait: time.Second, n: 0, allowed: false, retry: 2*time.Second + time.Nanosecond, reset: 2*time.Second + time.Nanosecond},
			{wait: 2 * time.Second, n: 0, allowed: false, retry: time.Nanosecond, reset: time.Nanosecond},
			{wait: 10 * time.Millisecond, n: 0, allowed: true, remaining: 1, reset: 990 * time.Millisecond},
		}},
		{"debts add up and are charged even while refused", []step{
			{n: 150, allowed: false, retry: 500*time.Millisecond + time.Nanosecond, reset: 500*time.Millisecond + time.Nanosecond},
			{n: 50, allowed: false, retry: time.Second + time.Nanosecond, reset: time.Second + time.Nanosecond},
		}},
		{"the refill stops at the burst", []step{
			{n: 60, allowed: true, remaining: 40, reset: 600 * time.Millisecond},
			{wait: time.Hour, n: 0, allowed: true, remaining: 100, reset: 0},
		}},
		{"remaining below one token: reset is until the next whole one", []step{
			{n: 99.5, allowed: true, remaining: 0, reset: 5 * time.Millisecond},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachLimiter(t, func(t *testing.T, l testLimiter) {
				for i, s := range tc.steps {
					l.clk.Advance(s.wait)
					d, err := l.Debit(context.Background(), "cpu:acme", cpuPolicy, s.n)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					if d.Allowed != s.allowed || d.Remaining != s.remaining || !near(d.RetryAfter, s.retry) || !near(d.Reset, s.reset) {
						t.Fatalf("step %d: got allowed %v remaining %d retry %v reset %v, want %v %d %v %v",
							i, d.Allowed, d.Remaining, d.RetryAfter, d.Reset, s.allowed, s.remaining, s.retry, s.reset)
					}
					if d.Policy != cpuPolicy {
						t.Fatalf("step %d: policy %+v", i, d.Policy)
					}
				}
			})
		})
	}
}

// Waiting exactly as long as a refusal says is enough.
func TestDebitRetryAfterIsEnough(t *testing.T) {
	eachLimiter(t, func(t *testing.T, l testLimiter) {
		for i, debt := range []float64{100.001, 133.3, 250, 1e6} {
			key := "k" + strconv.Itoa(i)
			d, _ := l.Debit(context.Background(), key, cpuPolicy, debt)
			if d.Allowed {
				t.Fatalf("debit %v: allowed", debt)
			}
			l.clk.Advance(d.RetryAfter)
			if d, _ = l.Debit(context.Background(), key, cpuPolicy, 0); !d.Allowed {
				t.Errorf("debit %v: still refused after waiting RetryAfter", debt)
			}
		}
	})
}

func TestDebitKeysAndPolicies(t *testing.T) {
	eachLimiter(t, func(t *testing.T, l testLimiter) {
		ctx := context.Background()
		clk := l.clk
		// Keys are apart: one tenant's debt is not another's.
		if d, _ := l.Debit(ctx, "cpu:a", cpuPolicy, 500); d.Allowed {
			t.Fatal("a: allowed after a debt")
		}
		if d, _ := l.Debit(ctx, "cpu:b", cpuPolicy, 0); !d.Allowed || d.Remaining != 100 {
			t.Fatalf("b: %+v", d)
		}
		// Debit's buckets are not Allow's, even under the same key.
		if d := mustAllow(t, l, "cpu:a", Policy{Name: "tenant", Rate: 1, Burst: 1}); !d.Allowed {
			t.Fatal("Allow shares Debit's bucket")
		}
		// A raised rate pays the debt back faster from now on; what was owed stays.
		clk.Advance(time.Second) // -400 + 100 = -300
		d, _ := l.Debit(ctx, "cpu:a", Policy{Name: "cpu", Rate: 1000, Burst: 1000}, 0)
		if d.Allowed || !near(d.RetryAfter, 300*time.Millisecond+time.Nanosecond) {
			t.Fatalf("after raising the rate: %+v", d)
		}
		// A lowered burst caps what is left.
		clk.Advance(time.Hour)
		if d, _ := l.Debit(ctx, "cpu:a", Policy{Name: "cpu", Rate: 10, Burst: 20}, 0); d.Remaining != 20 {
			t.Fatalf("after lowering the burst: remaining %d, want 20", d.Remaining)
		}
		// An unlimited policy keeps nothing and refuses nothing.
		if d, _ := l.Debit(ctx, "cpu:c", Policy{Name: "cpu"}, 1e9); !d.Allowed || d.Remaining != -1 {
			t.Fatalf("unlimited: %+v", d)
		}
	})
}

func TestDebitRejectsBadInput(t *testing.T) {
	eachLimiter(t, func(t *testing.T, l testLimiter) {
		for _, tc := range []struct {
			p       Policy
			n       float64
			invalid bool // ErrInvalidPolicy
		}{
			{cpuPolicy, -1, false},
			{cpuPolicy, math.NaN(), false},
			{cpuPolicy, math.Inf(1), false},
			{Policy{Name: "cpu", Rate: -5, Burst: 1}, 1, true},
			{Policy{Name: "cpu", Rate: 5, Burst: 0}, 1, true},
		} {
			_, err := l.Debit(context.Background(), "k", tc.p, tc.n)
			if err == nil || errors.Is(err, ErrInvalidPolicy) != tc.invalid {
				t.Errorf("Debit(%+v, %v): err %v", tc.p, tc.n, err)
			}
		}
		if n := l.keys(); n != 0 {
			t.Errorf("a refused debit made %d buckets", n)
		}
	})
}
