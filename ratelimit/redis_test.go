package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Two Redis limiters (two gateways, each with its own connection) hold
// one rate between them.
func TestRedisAllowSharedRate(t *testing.T) {
	rdb, prefix := testRedis(t)
	for _, tc := range []struct {
		name  string
		rate  float64
		burst int
	}{
		// Bursts of a second: a stall of a loaded machine longer than the
		// burst would lose tokens, and the count fall short.
		{"100/s burst 100", 100, 100},
		{"7.5/s burst 8", 7.5, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Policy{Name: "tenant", Rate: tc.rate, Burst: tc.burst}
			key := "tenant:" + tc.name
			var allowed atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			const run = 2 * time.Second
			for range 2 {
				other := redis.NewClient(&redis.Options{Addr: rdb.Options().Addr})
				defer other.Close()
				l := NewRedis(other, prefix)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Since(start) < run {
						d, err := l.Allow(context.Background(), key, p)
						if err != nil {
							t.Error(err)
							return
						}
						if d.Allowed {
							allowed.Add(1)
						}
						time.Sleep(time.Millisecond) // ~1000/s offered by each
					}
				}()
			}
			wg.Wait()
			want := tc.rate*time.Since(start).Seconds() + float64(tc.burst)
			if got := float64(allowed.Load()); math.Abs(got-want) > 0.1*want {
				t.Fatalf("allowed %.0f, want %.1f ±10%%", got, want)
			}
		})
	}
}

// Allow's decisions read as Local's: remaining tokens, then a refusal
// that says how long to wait.
func TestRedisAllowDecisions(t *testing.T) {
	rdb, prefix := testRedis(t)
	l := NewRedis(rdb, prefix)
	p := Policy{Name: "b", Rate: 1, Burst: 3} // slow: the test's own time hardly refills
	for i := range 3 {
		d := mustAllow(t, l, "k", p)
		if !d.Allowed || d.Remaining != 2-i || d.RetryAfter != 0 {
			t.Fatalf("request %d: %+v", i, d)
		}
		if d.Reset <= 0 || d.Reset > time.Duration(i+1)*time.Second {
			t.Fatalf("request %d: Reset %v", i, d.Reset)
		}
	}
	d := mustAllow(t, l, "k", p)
	if d.Allowed || d.RetryAfter <= 900*time.Millisecond || d.RetryAfter > time.Second || d.Reset != d.RetryAfter {
		t.Fatalf("after the burst: %+v", d)
	}
	if d := mustAllow(t, l, "other", p); !d.Allowed {
		t.Fatal("keys share a bucket")
	}
	if d := mustAllow(t, l, "k", Policy{Name: "off"}); !d.Allowed || d.Remaining != -1 {
		t.Fatalf("unlimited: %+v", d)
	}
	if _, err := l.Allow(context.Background(), "k", Policy{Name: "bad", Rate: -1}); err == nil {
		t.Fatal("a negative rate was taken")
	}
}

// What one call of each Redis operation costs, over a loopback connection.
func BenchmarkRedisOps(b *testing.B) {
	rdb, prefix := testRedis(b)
	l := NewRedis(rdb, prefix)
	c, err := NewRedisConcurrency(rdb, prefix, "bench", 10*time.Second, 1000, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	p := Policy{Name: "tenant", Rate: 1e6, Burst: 1e6}
	ctx := context.Background()
	b.Run("allow", func(b *testing.B) {
		for b.Loop() {
			if _, err := l.Allow(ctx, "t", p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("debit", func(b *testing.B) {
		for b.Loop() {
			if _, err := l.Debit(ctx, "cpu:t", p, 0.1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("acquire+release", func(b *testing.B) {
		for b.Loop() {
			release, err := c.Acquire(ctx, "tenant:t", 10000, 100, time.Second)
			if err != nil {
				b.Fatal(err)
			}
			release()
		}
	})
	// A run's limits through a Cluster: admitted (bucket, budget, slot)
	// in one round trip; the charge and the release are queued, and
	// written in the background, many in a round trip.
	cl, err := NewCluster(ClusterConfig{URL: "redis://" + rdb.Options().Addr, Prefix: prefix, ID: "bench",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	cll, _ := cl.Limiter()
	ra := cll.(RunAdmitter)
	req := RunRequest{Rates: []Bucket{{"t", p}}, Budget: Bucket{"cpu:t", p}, Slots: []Slot{{"tenant:t", 10000}}}
	admit := func() error {
		v, ok := ra.AdmitRun(ctx, req)
		if !ok || v.Release == nil {
			return fmt.Errorf("not admitted: %+v, %v", v, ok)
		}
		if err := ra.Charge("cpu:t", p, 0.1); err != nil {
			return err
		}
		v.Release()
		return nil
	}
	// What a run asked of Redis before RunAdmitter: five round trips.
	fiveOps := func() error {
		if _, err := l.Allow(ctx, "t", p); err != nil {
			return err
		}
		if _, err := l.Debit(ctx, "cpu:t", p, 0); err != nil {
			return err
		}
		release, err := c.Acquire(ctx, "tenant:t", 10000, 100, time.Second)
		if err != nil {
			return err
		}
		if _, err := l.Debit(ctx, "cpu:t", p, 0.1); err != nil {
			return err
		}
		release()
		return nil
	}
	for _, run := range []struct {
		name string
		f    func() error
	}{{"run:five-ops", fiveOps}, {"run:admit+charge+release", admit}} {
		b.Run(run.name, func(b *testing.B) {
			for b.Loop() {
				if err := run.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
		// 32 runs at once, as bench/redislimit.sh's load.
		b.Run(run.name+"/parallel", func(b *testing.B) {
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := run.f(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
