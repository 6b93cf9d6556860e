package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/scriptforge/scriptforge/internal/servicetest"
)

// syncBuffer is a log sink that the cluster's goroutines may write while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newTestCluster(t *testing.T, addr, id string, log *syncBuffer) *Cluster {
	t.Helper()
	c, err := NewCluster(ClusterConfig{URL: "redis://" + addr, Prefix: "sftest:cluster:", ID: id,
		Heartbeat: 50 * time.Millisecond, Lease: time.Second, MaxKeys: 100,
		Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// burst counts how many of 30 quick calls, alternating between ls, are
// allowed under p for key; every call must be decided without error.
func burst(t *testing.T, key string, p Policy, ls ...Limiter) int {
	t.Helper()
	n := 0
	for i := range 30 {
		d, err := ls[i%len(ls)].Allow(context.Background(), key, p)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if d.Allowed {
			n++
		}
	}
	return n
}

// holders counts how many slots of key c grants without waiting (and
// keeps them).
func holders(t *testing.T, c ConcurrencyLimiter, key string, limit int) int {
	t.Helper()
	n := 0
	for range limit + 2 {
		_, err := c.Acquire(context.Background(), key, limit, 0, 0)
		if errors.Is(err, ErrConcurrency) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Two gateways share limits; with Redis stopped each decides alone on
// half of every limit, without a failed call; with Redis back they share
// again.
func TestClusterFallsBackAndReturns(t *testing.T) {
	srv := servicetest.NewRedisServer(t)
	var logA syncBuffer
	a := newTestCluster(t, srv.Addr(), "a", &logA)
	b := newTestCluster(t, srv.Addr(), "b", &syncBuffer{})
	waitUntil(t, "both gateways count each other", func() bool { return a.Gateways() == 2 && b.Gateways() == 2 })
	la, _ := a.Limiter()
	lb, _ := b.Limiter()
	ca, _ := a.Concurrency()
	cb, _ := b.Concurrency()
	p := Policy{Name: "tenant", Rate: 0.001, Burst: 10} // no refill within the test

	if n := burst(t, "shared", p, la, lb); n != 10 {
		t.Fatalf("shared: %d allowed across two gateways, want 10", n)
	}
	if n := holders(t, ca, "c1", 4) + holders(t, cb, "c1", 4); n != 4 {
		t.Fatalf("shared: %d slots across two gateways, want 4", n)
	}

	srv.Stop()
	start := time.Now()
	if n := burst(t, "alone", p, la); n != 5 {
		t.Fatalf("fallen back: %d allowed, want 5 (10 / 2 gateways)", n)
	}
	if n := holders(t, ca, "c2", 4); n != 2 {
		t.Fatalf("fallen back: %d slots, want 2 (4 / 2 gateways)", n)
	}
	cpu := Policy{Name: "cpu", Rate: 100, Burst: 100}
	if d, err := la.Debit(context.Background(), "cpu:t", cpu, 80); err != nil || d.Allowed {
		// 80 ms of a 50 ms share: spent.
		t.Fatalf("fallen back: debit %+v, %v", d, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("fallen back: the calls took %v", took)
	}
	if a.Shared() || a.Fallbacks() != 1 {
		t.Fatalf("after the outage: shared %v, fallbacks %d, want false, 1", a.Shared(), a.Fallbacks())
	}
	if n := strings.Count(logA.String(), "redis unreachable"); n != 1 {
		t.Fatalf("the fallback was logged %d times, want once:\n%s", n, logA.String())
	}

	srv.Start()
	waitUntil(t, "both gateways share again", func() bool {
		return a.Shared() && b.Shared() && a.Gateways() == 2 && b.Gateways() == 2
	})
	if a.Fallbacks() != 1 || !strings.Contains(logA.String(), "limits are shared") {
		t.Fatalf("after the return: fallbacks %d, log:\n%s", a.Fallbacks(), logA.String())
	}
	if n := burst(t, "again", p, la, lb); n != 10 {
		t.Fatalf("shared again: %d allowed across two gateways, want 10", n)
	}
	if n := holders(t, ca, "c3", 4) + holders(t, cb, "c3", 4); n != 4 {
		t.Fatalf("shared again: %d slots across two gateways, want 4", n)
	}
}

// Slots taken while Redis was unreachable are counted by Redis when it
// returns, before it grants any: gateways that filled a cap apart do not
// find it empty together.
func TestClusterCountsLocalSlotsOnReturn(t *testing.T) {
	srv := servicetest.NewRedisServer(t)
	a := newTestCluster(t, srv.Addr(), "a", &syncBuffer{})
	b := newTestCluster(t, srv.Addr(), "b", &syncBuffer{})
	waitUntil(t, "both gateways count each other", func() bool { return a.Gateways() == 2 && b.Gateways() == 2 })
	ca, _ := a.Concurrency()
	cb, _ := b.Concurrency()

	srv.Stop()
	var releases []func()
	for range 2 { // a's share of 4: half
		release, err := ca.Acquire(context.Background(), "k", 4, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	if a.Shared() {
		t.Fatal("still shared with Redis stopped")
	}
	srv.Start()
	waitUntil(t, "both gateways share again", func() bool { return a.Shared() && b.Shared() })
	if n := holders(t, cb, "k", 4); n != 2 {
		t.Fatalf("b was granted %d slots of 4 while a holds 2", n)
	}
	for _, release := range releases {
		release()
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	waitUntil(t, "a's slots leave Redis", func() bool {
		return rdb.ZCard(context.Background(), "sftest:cluster:conc:k").Val() == 2
	})
}

func TestNewClusterRejectsBadURL(t *testing.T) {
	if _, err := NewCluster(ClusterConfig{URL: "http://127.0.0.1:6379"}); err == nil {
		t.Fatal("an http:// URL was taken")
	}
}

// A gateway started while Redis is down decides locally from the start,
// and shares once Redis answers.
func TestClusterStartsWithoutRedis(t *testing.T) {
	srv := servicetest.NewRedisServer(t)
	srv.Stop()
	c := newTestCluster(t, srv.Addr(), "early", &syncBuffer{})
	if c.Shared() || c.Fallbacks() != 1 {
		t.Fatalf("shared %v, fallbacks %d", c.Shared(), c.Fallbacks())
	}
	l, _ := c.Limiter()
	if n := burst(t, "k", Policy{Name: "t", Rate: 0.001, Burst: 3}, l); n != 3 {
		t.Fatalf("%d allowed, want 3", n)
	}
	srv.Start()
	waitUntil(t, "shared", c.Shared)
}
