package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scriptforge/scriptforge/internal/servicetest"
)

// sharedCluster is a Cluster on the machine's Redis under the test's own
// prefix, with its limiter (a RunAdmitter) and a client to look with.
func sharedCluster(t *testing.T) (*Cluster, *clusterLimiter, *redis.Client, string) {
	t.Helper()
	rdb, prefix := testRedis(t)
	c, err := NewCluster(ClusterConfig{URL: "redis://" + rdb.Options().Addr, Prefix: prefix, ID: "admit",
		Lease: time.Second, MaxKeys: 100, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if !c.Shared() {
		t.Fatal("the cluster does not share")
	}
	l, err := c.Limiter()
	if err != nil {
		t.Fatal(err)
	}
	return c, l.(*clusterLimiter), rdb, prefix
}

// AdmitRun takes a token of each bucket and a slot of each cap at once,
// or, refused, takes nothing and says which limit refused.
func TestAdmitRun(t *testing.T) {
	ctx := context.Background()
	fn := Policy{Name: "function", Rate: 0.001, Burst: 3} // no refill within the test
	tenant := Policy{Name: "tenant", Rate: 0.001, Burst: 3}
	cpu := Policy{Name: "cpu", Rate: 0.001, Burst: 100}
	for _, tc := range []struct {
		name string
		// before spends limits as other runs would have
		before func(t *testing.T, l *clusterLimiter, c *Cluster)
		// refused is the bucket's name that refuses, "cpu", or ""
		refused string
		// slot: the run holds its slots
		slot bool
		// fnLeft, tenantLeft: the tokens left after the run's admission
		fnLeft, tenantLeft int
	}{
		{name: "admitted", slot: true, fnLeft: 2, tenantLeft: 2},
		{name: "function bucket empty", refused: "function", tenantLeft: 3, before: func(t *testing.T, l *clusterLimiter, _ *Cluster) {
			for range 3 {
				mustAllow(t, l, "function:f", fn)
			}
		}},
		{name: "tenant bucket empty", refused: "tenant", fnLeft: 3, before: func(t *testing.T, l *clusterLimiter, _ *Cluster) {
			for range 3 {
				mustAllow(t, l, "tenant:t", tenant)
			}
		}},
		{name: "cpu budget spent", refused: "cpu", fnLeft: 3, tenantLeft: 3, before: func(t *testing.T, l *clusterLimiter, _ *Cluster) {
			if _, err := l.Debit(ctx, "cpu:t", cpu, 150); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "slot held", fnLeft: 2, tenantLeft: 2, before: func(t *testing.T, _ *clusterLimiter, c *Cluster) {
			if _, err := c.conc.Acquire(ctx, "tenant:t", 1, 0, 0); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "callers waiting for the slot", fnLeft: 2, tenantLeft: 2, before: func(t *testing.T, _ *clusterLimiter, c *Cluster) {
			first, err := c.conc.line.Acquire(ctx, "function:f", 1, 10, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(first)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, l, rdb, prefix := sharedCluster(t)
			if tc.before != nil {
				tc.before(t, l, c)
			}
			held := func(key string) int64 { return rdb.ZCard(ctx, prefix+"conc:"+key).Val() }
			heldBefore := held("tenant:t")
			v, ok := l.AdmitRun(ctx, RunRequest{
				Rates:  []Bucket{{"function:f", fn}, {"tenant:t", tenant}, {"ip:x", Policy{Name: "ip"}}},
				Budget: Bucket{"cpu:t", cpu},
				Slots:  []Slot{{"tenant:t", 1}, {"function:f", 2}, {"none", 0}},
			})
			if !ok {
				t.Fatal("not decided in Redis")
			}
			refused := ""
			switch {
			case v.Refused >= 0:
				refused = v.Rates[v.Refused].Policy.Name
				if d := v.Rates[v.Refused]; d.Allowed || d.RetryAfter <= 0 || len(v.Rates) != v.Refused+1 {
					t.Fatalf("refusal %+v of %d decisions", d, len(v.Rates))
				}
			case !v.Budget.Allowed:
				refused = "cpu"
				if v.Budget.RetryAfter <= 0 {
					t.Fatalf("budget refusal without a wait: %+v", v.Budget)
				}
			default:
				if len(v.Rates) != 3 || v.Rates[0].Remaining != tc.fnLeft || v.Rates[1].Remaining != tc.tenantLeft ||
					v.Rates[2].Remaining != -1 || v.Rates[0].Reset <= 0 {
					t.Fatalf("decisions %+v, want %d and %d left, and no limit", v.Rates, tc.fnLeft, tc.tenantLeft)
				}
			}
			if refused != tc.refused {
				t.Fatalf("refused by %q, want %q", refused, tc.refused)
			}
			// Allow reads the buckets AdmitRun took from.
			if f, tn := left(t, l, "function:f", fn), left(t, l, "tenant:t", tenant); f != tc.fnLeft || tn != tc.tenantLeft {
				t.Fatalf("left after: function %d, tenant %d; want %d, %d", f, tn, tc.fnLeft, tc.tenantLeft)
			}
			if got := v.Release != nil; got != tc.slot {
				t.Fatalf("holds its slots: %v, want %v", got, tc.slot)
			}
			wantHeld := heldBefore
			if tc.slot {
				wantHeld++
			}
			if n := held("tenant:t"); n != wantHeld {
				t.Fatalf("%d holders of the tenant's slot, want %d", n, wantHeld)
			}
			if !tc.slot {
				if n := held("function:f"); n != 0 {
					t.Fatalf("%d holders of the function's slot after a run without", n)
				}
				return
			}
			v.Release()
			waitUntil(t, "the slots are released", func() bool { return held("tenant:t") == 0 && held("function:f") == 0 })
		})
	}
}

// left counts the tokens key's bucket has left, taking them all.
func left(t *testing.T, l Limiter, key string, p Policy) int {
	t.Helper()
	n := 0
	for mustAllow(t, l, key, p).Allowed {
		n++
	}
	return n
}

// A request AdmitRun cannot decide in Redis is the caller's to decide:
// an invalid policy, or Redis out of reach (which the cluster notes).
func TestAdmitRunNotDecided(t *testing.T) {
	ctx := context.Background()
	_, l, _, _ := sharedCluster(t)
	if _, ok := l.AdmitRun(ctx, RunRequest{Rates: []Bucket{{"k", Policy{Name: "bad", Rate: -1}}}}); ok {
		t.Fatal("a negative rate was decided")
	}
	if _, ok := l.AdmitRun(ctx, RunRequest{Budget: Bucket{"k", Policy{Name: "bad", Rate: 1}}}); ok {
		t.Fatal("a budget without a burst was decided")
	}

	srv := servicetest.NewRedisServer(t)
	c := newTestCluster(t, srv.Addr(), "gone", &syncBuffer{})
	down, _ := c.Limiter()
	srv.Stop()
	if _, ok := down.(*clusterLimiter).AdmitRun(ctx, RunRequest{Slots: []Slot{{"k", 1}}}); ok {
		t.Fatal("decided without Redis")
	}
	if c.Shared() || c.Fallbacks() != 1 {
		t.Fatalf("after a failed admission: shared %v, fallbacks %d", c.Shared(), c.Fallbacks())
	}
}

// Charge debits in the background; Close writes what is still queued.
func TestChargeInBackground(t *testing.T) {
	ctx := context.Background()
	c, l, rdb, prefix := sharedCluster(t)
	p := Policy{Name: "cpu", Rate: 0.001, Burst: 100}
	if err := l.Charge("cpu:t", p, -1); err == nil {
		t.Fatal("a negative charge was taken")
	}
	for range 3 {
		if err := l.Charge("cpu:t", p, 30); err != nil {
			t.Fatal(err)
		}
	}
	balance := func() float64 {
		v, _ := rdb.HGet(ctx, prefix+"debit:cpu:t", "tokens").Float64()
		return v
	}
	waitUntil(t, "the charges are written", func() bool { return balance() < 10.01 && balance() > 9.99 })
	if d, err := l.Debit(ctx, "cpu:t", p, 0); err != nil || !d.Allowed || d.Remaining != 10 {
		t.Fatalf("after 90 of 100: %+v, %v", d, err)
	}
	if err := l.Charge("cpu:t", p, 20); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if b := balance(); b > -9.99 || b < -10.01 {
		t.Fatalf("balance %v after Close, want -10", b)
	}
}

// Runs admitted at once, pipelined together, are each decided: a burst
// of n tokens admits n of them and refuses the rest, and each admitted
// run holds its own slot.
func TestAdmitRunConcurrent(t *testing.T) {
	ctx := context.Background()
	_, l, rdb, prefix := sharedCluster(t)
	p := Policy{Name: "tenant", Rate: 0.001, Burst: 20}
	var admitted, refused atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, ok := l.AdmitRun(ctx, RunRequest{Rates: []Bucket{{"tenant:t", p}}, Slots: []Slot{{"tenant:t", 100}}})
			switch {
			case !ok:
				t.Error("not decided in Redis")
			case v.Refused == 0 && v.Release == nil:
				refused.Add(1)
			case v.Refused < 0 && v.Release != nil:
				admitted.Add(1)
			default:
				t.Errorf("verdict %+v", v)
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != 20 || refused.Load() != 30 {
		t.Fatalf("admitted %d, refused %d; want 20, 30", admitted.Load(), refused.Load())
	}
	if n := rdb.ZCard(ctx, prefix+"conc:tenant:t").Val(); n != 20 {
		t.Fatalf("%d slots held, want 20", n)
	}
}

// A Redis that lost the script (restarted, flushed) is given it again;
// a closed cluster decides nothing, and that is no outage.
func TestAdmitRunScriptLostAndClosed(t *testing.T) {
	ctx := context.Background()
	srv := servicetest.NewRedisServer(t)
	c := newTestCluster(t, srv.Addr(), "a", &syncBuffer{})
	l, _ := c.Limiter()
	req := RunRequest{Rates: []Bucket{{"k", Policy{Name: "tenant", Rate: 0.001, Burst: 5}}}}
	admit := func() RunVerdict {
		t.Helper()
		v, ok := l.(RunAdmitter).AdmitRun(ctx, req)
		if !ok {
			t.Fatal("not decided in Redis")
		}
		return v
	}
	if v := admit(); v.Rates[0].Remaining != 4 {
		t.Fatalf("first: %+v", v.Rates)
	}
	if err := c.rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if v := admit(); v.Rates[0].Remaining != 3 {
		t.Fatalf("after the flush: %+v (taken twice?)", v.Rates)
	}
	// The charges after runs, too.
	if err := c.rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	cpu := Policy{Name: "cpu", Rate: 0.001, Burst: 100}
	if err := l.(RunAdmitter).Charge("cpu:t", cpu, 40); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the charge is written", func() bool {
		v, _ := c.rdb.HGet(ctx, "sftest:cluster:debit:cpu:t", "tokens").Float64()
		return v > 59.99 && v < 60.01
	})
	c.Close()
	if _, ok := l.(RunAdmitter).AdmitRun(ctx, req); ok {
		t.Fatal("decided after Close")
	}
	if c.Fallbacks() != 0 {
		t.Fatalf("%d fallbacks", c.Fallbacks())
	}
}
