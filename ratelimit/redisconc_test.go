package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func newTestRedisConcurrency(t *testing.T, rdb *redis.Client, prefix, id string, lease time.Duration) *RedisConcurrency {
	t.Helper()
	c, err := NewRedisConcurrency(rdb, prefix, id, lease, 100, func(err error) { t.Errorf("redis: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Callers on two gateways never hold more than the cap between them.
func TestRedisConcurrencySharedCap(t *testing.T) {
	rdb, prefix := testRedis(t)
	for _, tc := range []struct {
		limit, goroutines int
	}{{1, 8}, {3, 12}} {
		gws := []*RedisConcurrency{
			newTestRedisConcurrency(t, rdb, prefix, "a", time.Second),
			newTestRedisConcurrency(t, rdb, prefix, "b", time.Second),
		}
		key := "tenant:cap" + strconv.Itoa(tc.limit)
		var running, peak, served atomic.Int64
		var wg sync.WaitGroup
		for i := range tc.goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					release, err := gws[i%2].Acquire(context.Background(), key, tc.limit, 100, 5*time.Second)
					if err != nil {
						t.Error(err)
						return
					}
					n := running.Add(1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					time.Sleep(2 * time.Millisecond)
					running.Add(-1)
					served.Add(1)
					release()
				}
			}()
		}
		wg.Wait()
		if peak.Load() != int64(tc.limit) || served.Load() != int64(5*tc.goroutines) {
			t.Fatalf("limit %d: peak %d, served %d", tc.limit, peak.Load(), served.Load())
		}
	}
}

// A full cap refuses at once without a wait, and times out with one; a
// slot freed on another gateway goes to the waiter.
func TestRedisConcurrencyRefusesAndWaits(t *testing.T) {
	rdb, prefix := testRedis(t)
	a := newTestRedisConcurrency(t, rdb, prefix, "a", time.Second)
	b := newTestRedisConcurrency(t, rdb, prefix, "b", time.Second)
	ctx := context.Background()
	release, err := a.Acquire(ctx, "k", 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Acquire(ctx, "k", 1, 0, 0); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("no wait: %v, want ErrQueueFull", err)
	}
	if _, err := b.Acquire(ctx, "k", 1, 10, 30*time.Millisecond); !errors.Is(err, ErrQueueTimeout) {
		t.Fatalf("short wait: %v, want ErrQueueTimeout", err)
	}
	time.AfterFunc(50*time.Millisecond, release)
	start := time.Now()
	rb, err := b.Acquire(ctx, "k", 1, 10, 2*time.Second)
	if err != nil {
		t.Fatalf("waiting for a slot freed elsewhere: %v", err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Fatalf("waited %v", waited)
	}
	rb()
	rb() // twice: nothing more
	if n := rdb.ZCard(ctx, prefix+"conc:k").Val(); n != 0 {
		t.Fatalf("%d holders after release", n)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Acquire(cctx, "k", 1, 10, time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// A live holder keeps its slot past its lease (renewed); a dead one's
// slot frees itself when the lease ends.
func TestRedisConcurrencyLeases(t *testing.T) {
	rdb, prefix := testRedis(t)
	const lease = 300 * time.Millisecond
	ctx := context.Background()
	dead, err := NewRedisConcurrency(rdb, prefix, "dead", lease, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	live := newTestRedisConcurrency(t, rdb, prefix, "live", lease)
	other := newTestRedisConcurrency(t, rdb, prefix, "other", lease)

	if _, err := live.Acquire(ctx, "held", 1, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := dead.Acquire(ctx, "lost", 1, 0, 0); err != nil {
		t.Fatal(err)
	}
	dead.Close() // dies holding its slot
	time.Sleep(3 * lease)
	if _, err := other.Acquire(ctx, "held", 1, 0, 0); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("a renewed slot was taken: %v", err)
	}
	release, err := other.Acquire(ctx, "lost", 1, 0, 0)
	if err != nil {
		t.Fatalf("a dead holder's slot is still held after its lease: %v", err)
	}
	release()
}

// An adopted slot (taken while Redis was unreachable) is added to Redis
// by the next renewal, past the cap if need be, and leaves with its
// release; one released before that renewal is never added.
func TestRedisConcurrencyAdopt(t *testing.T) {
	rdb, prefix := testRedis(t)
	ctx := context.Background()
	c := newTestRedisConcurrency(t, rdb, prefix, "a", time.Minute) // no renewal but ours
	count := func() int64 { return rdb.ZCard(ctx, prefix+"conc:k").Val() }

	taken, err := c.Acquire(ctx, "k", 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	adopted := c.Adopt("k")
	gone := c.Adopt("k")
	if n := count(); n != 1 {
		t.Fatalf("%d holders before the renewal, want the 1 taken in Redis", n)
	}
	gone()
	if err := c.Renew(); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d holders after the renewal, want 2: the cap is 1, but both run", n)
	}
	if _, err := c.Acquire(ctx, "k", 2, 0, 0); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("a slot was granted beside the adopted one: %v", err)
	}
	adopted()
	taken()
	waitUntil(t, "the slots are released", func() bool { return count() == 0 })
	if err := c.Renew(); err != nil { // renews nothing, adds nothing back
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d holders after the releases", n)
	}
}
