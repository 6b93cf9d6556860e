package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions/backend"
	"github.com/scriptforge/scriptforge/functions/queue"
)

// T0 is when the queue cases enqueue their runs.
var T0 = time.Date(2025, 12, 6, 12, 0, 0, 0, time.UTC)

// EnqueueTest enqueues a run of tenant due at T0 that must be created.
func EnqueueTest(t *testing.T, q backend.Queue, id, tenant string, max int) queue.Run {
	t.Helper()
	r, created, err := q.Enqueue(context.Background(), queue.Run{ID: id, Tenant: tenant, FunctionID: "f1",
		Data: []byte(`{"n":1}`), Headers: map[string]string{"x-a": "b"}, MaxAttempts: max, EnqueuedAt: T0}, queue.Limits{})
	if err != nil || !created {
		t.Fatalf("Enqueue %s: created %v, %v", id, created, err)
	}
	return r
}

// ClaimTest claims the run due at now, if any, for a minute.
func ClaimTest(t *testing.T, q backend.Queue, now time.Time) (queue.Run, bool) {
	t.Helper()
	r, ok, err := q.Claim(context.Background(), now, time.Minute)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	return r, ok
}

// TestQueueLifecycle walks runs through the queue's states, one case per
// path a run can take.
func testQueueLifecycle(t *testing.T, open Open) {
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(t *testing.T, q backend.Queue) // leaves run "r" in the state want
		want queue.State
		// attempts and errs are r's counts afterwards.
		attempts, errs int
	}{
		{"succeeds", func(t *testing.T, q backend.Queue) {
			EnqueueTest(t, q, "r", "t1", 3)
			r, ok := ClaimTest(t, q, T0)
			if !ok || r.ID != "r" || string(r.Data) != `{"n":1}` || r.Headers["x-a"] != "b" {
				t.Fatalf("claimed %+v, %v", r, ok)
			}
			if err := q.Complete(ctx, r.ID, r.Token, queue.Outcome{State: queue.Succeeded, Status: 200, Result: []byte(`{"ok":true}`)}, T0); err != nil {
				t.Fatal(err)
			}
		}, queue.Succeeded, 1, 0},
		{"retried after a failure, then succeeds", func(t *testing.T, q backend.Queue) {
			EnqueueTest(t, q, "r", "t1", 3)
			r, _ := ClaimTest(t, q, T0)
			if st, err := q.Fail(ctx, r.ID, r.Token, "boom", T0, T0.Add(10*time.Second)); err != nil || st != queue.Queued {
				t.Fatalf("Fail: %s, %v", st, err)
			}
			if _, ok := ClaimTest(t, q, T0.Add(5*time.Second)); ok {
				t.Fatal("claimed before its retry time")
			}
			r, ok := ClaimTest(t, q, T0.Add(10*time.Second))
			if !ok || r.Attempts != 2 {
				t.Fatalf("retry claimed %v, attempts %d", ok, r.Attempts)
			}
			if err := q.Complete(ctx, r.ID, r.Token, queue.Outcome{State: queue.Succeeded, Status: 200}, T0); err != nil {
				t.Fatal(err)
			}
		}, queue.Succeeded, 2, 1},
		{"attempts spent: dead with every error", func(t *testing.T, q backend.Queue) {
			EnqueueTest(t, q, "r", "t1", 2)
			for i := range 2 {
				r, ok := ClaimTest(t, q, T0.Add(time.Hour*time.Duration(i)))
				if !ok {
					t.Fatalf("attempt %d not claimed", i+1)
				}
				if _, err := q.Fail(ctx, r.ID, r.Token, fmt.Sprintf("error %d", i+1), T0, T0); err != nil {
					t.Fatal(err)
				}
			}
			dead, err := q.Dead(ctx, "t1", 10)
			if err != nil || len(dead) != 1 || dead[0].Errors[1].Error != "error 2" {
				t.Fatalf("Dead: %+v, %v", dead, err)
			}
			if dead, _ := q.Dead(ctx, "t2", 10); len(dead) != 0 {
				t.Fatalf("another tenant sees %d dead runs", len(dead))
			}
		}, queue.Dead, 2, 2},
		{"lease expires: another worker takes it, the first cannot finish", func(t *testing.T, q backend.Queue) {
			EnqueueTest(t, q, "r", "t1", 3)
			first, _ := ClaimTest(t, q, T0)
			if _, ok := ClaimTest(t, q, T0.Add(30*time.Second)); ok {
				t.Fatal("claimed under a live lease")
			}
			second, ok := ClaimTest(t, q, T0.Add(time.Minute))
			if !ok || second.Attempts != 2 {
				t.Fatalf("after expiry: claimed %v, attempts %d", ok, second.Attempts)
			}
			if err := q.Complete(ctx, first.ID, first.Token, queue.Outcome{State: queue.Succeeded}, T0); !errors.Is(err, queue.ErrLeaseLost) {
				t.Fatalf("the lost worker's Complete: %v", err)
			}
			if err := q.Complete(ctx, second.ID, second.Token, queue.Outcome{State: queue.Failed, Status: 400, Error: "bad"}, T0); err != nil {
				t.Fatal(err)
			}
		}, queue.Failed, 2, 1},
		{"lease expires on the last attempt: dead", func(t *testing.T, q backend.Queue) {
			EnqueueTest(t, q, "r", "t1", 1)
			ClaimTest(t, q, T0)
			if _, ok := ClaimTest(t, q, T0.Add(time.Hour)); ok {
				t.Fatal("claimed a run with no attempts left")
			}
		}, queue.Dead, 1, 1},
		{"redriven from the dead letters", func(t *testing.T, q backend.Queue) {
			EnqueueTest(t, q, "r", "t1", 1)
			r, _ := ClaimTest(t, q, T0)
			q.Fail(ctx, r.ID, r.Token, "boom", T0, T0)
			if n, err := q.Redrive(ctx, "t1", "r", T0); n != 1 || err != nil {
				t.Fatalf("Redrive: %d, %v", n, err)
			}
			if _, err := q.Redrive(ctx, "t1", "r", T0); !errors.Is(err, queue.ErrState) {
				t.Fatalf("Redrive of a queued run: %v", err)
			}
			r, ok := ClaimTest(t, q, T0)
			if !ok {
				t.Fatal("a redriven run is not claimed")
			}
			q.Complete(ctx, r.ID, r.Token, queue.Outcome{State: queue.Succeeded, Status: 200}, T0)
		}, queue.Succeeded, 1, 1},
		{"released by its worker: the attempt is not counted", func(t *testing.T, q backend.Queue) {
			EnqueueTest(t, q, "r", "t1", 1)
			r, _ := ClaimTest(t, q, T0)
			if err := q.Release(ctx, r.ID, r.Token, T0.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			if err := q.Release(ctx, r.ID, r.Token, T0); !errors.Is(err, queue.ErrLeaseLost) {
				t.Fatalf("Release twice: %v", err)
			}
			if _, ok := ClaimTest(t, q, T0); ok {
				t.Fatal("claimed before its time")
			}
			ClaimTest(t, q, T0.Add(time.Second))
		}, queue.Running, 1, 0},
		{"cancelled while queued: never claimed", func(t *testing.T, q backend.Queue) {
			EnqueueTest(t, q, "r", "t1", 3)
			if _, err := q.Cancel(ctx, "t2", "r", T0); !errors.Is(err, queue.ErrNotFound) {
				t.Fatalf("another tenant's Cancel: %v", err)
			}
			if st, err := q.Cancel(ctx, "t1", "r", T0); st != queue.Cancelled || err != nil {
				t.Fatalf("Cancel: %s, %v", st, err)
			}
			if _, ok := ClaimTest(t, q, T0.Add(time.Hour)); ok {
				t.Fatal("claimed a cancelled run")
			}
		}, queue.Cancelled, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, open)
			q := s.Queue()
			tc.run(t, q)
			r, err := q.Get(ctx, "t1", "r")
			if err != nil {
				t.Fatal(err)
			}
			if r.State != tc.want || r.Attempts != tc.attempts || len(r.Errors) != tc.errs {
				t.Fatalf("got %s after %d attempts with %d errors (%+v), want %s, %d, %d", r.State, r.Attempts, len(r.Errors), r.Errors, tc.want, tc.attempts, tc.errs)
			}
			if _, err := q.Get(ctx, "t2", "r"); !errors.Is(err, queue.ErrNotFound) {
				t.Fatalf("another tenant's Get: %v", err)
			}
		})
	}
}

func testQueueEnqueueBoundsAndIdempotency(t *testing.T, open Open) {
	ctx := context.Background()
	s := openTest(t, open)
	q := s.Queue()
	lim := queue.Limits{Tenant: 2, Total: 3}
	steps := []struct {
		id, tenant, key string
		want            error
		created         bool
	}{
		{"a1", "a", "", nil, true},
		{"a2", "a", "k", nil, true},
		{"a3", "a", "k", nil, false}, // the same key: the same run, even at the bound
		{"a4", "a", "", queue.ErrTenantFull, false},
		{"b1", "b", "k", nil, true}, // keys are per tenant
		{"c1", "c", "", queue.ErrFull, false},
	}
	for _, st := range steps {
		r, created, err := q.Enqueue(ctx, queue.Run{ID: st.id, Tenant: st.tenant, FunctionID: "f", IdempotencyKey: st.key, MaxAttempts: 1}, lim)
		if !errors.Is(err, st.want) || created != st.created {
			t.Fatalf("Enqueue %s: created %v, %v; want %v, %v", st.id, created, err, st.created, st.want)
		}
		if st.id == "a3" && r.ID != "a2" {
			t.Fatalf("a repeated key gave run %s, want a2", r.ID)
		}
	}
	mine, all, err := q.Depth(ctx, "a")
	if err != nil || mine != 2 || all != 3 {
		t.Fatalf("Depth: %d, %d, %v", mine, all, err)
	}
	// A finished run no longer counts.
	r, _ := ClaimTest(t, q, time.Now())
	q.Complete(ctx, r.ID, r.Token, queue.Outcome{State: queue.Succeeded}, time.Now())
	if _, created, err := q.Enqueue(ctx, queue.Run{ID: "c1", Tenant: "c", FunctionID: "f"}, lim); err != nil || !created {
		t.Fatalf("Enqueue after a run finished: %v, %v", created, err)
	}
}

// TestQueueClaimExactlyOnce: two workers claim and complete in a loop;
// every run is completed once, by one of them.
func testQueueClaimExactlyOnce(t *testing.T, open Open) {
	ctx := context.Background()
	s := openTest(t, open)
	q := s.Queue()
	const n = 40
	for i := range n {
		EnqueueTest(t, q, fmt.Sprintf("r%02d", i), "t1", 3)
	}
	var mu sync.Mutex
	done := map[string]int{}
	var completed atomic.Int32
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r, ok, err := q.Claim(ctx, time.Now(), time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				if err := q.Complete(ctx, r.ID, r.Token, queue.Outcome{State: queue.Succeeded, Status: 200}, time.Now()); err != nil {
					t.Error(err)
					return
				}
				completed.Add(1)
				mu.Lock()
				done[r.ID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if completed.Load() != n || len(done) != n {
		t.Fatalf("%d completions of %d distinct runs, want %d", completed.Load(), len(done), n)
	}
	for id, c := range done {
		if c != 1 {
			t.Errorf("%s completed %d times", id, c)
		}
	}
}

func testQueueRedriveAllAndDiscard(t *testing.T, open Open) {
	ctx := context.Background()
	s := openTest(t, open)
	q := s.Queue()
	for _, id := range []string{"d1", "d2", "d3"} {
		EnqueueTest(t, q, id, "t1", 1)
		r, _ := ClaimTest(t, q, T0)
		q.Fail(ctx, r.ID, r.Token, "boom", T0, T0)
	}
	EnqueueTest(t, q, "live", "t1", 1)
	if err := q.Discard(ctx, "t1", "live"); !errors.Is(err, queue.ErrState) {
		t.Fatalf("Discard of a queued run: %v", err)
	}
	if err := q.Discard(ctx, "t1", "d3"); err != nil {
		t.Fatal(err)
	}
	if err := q.Discard(ctx, "t1", "d3"); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("Discard twice: %v", err)
	}
	if n, err := q.Redrive(ctx, "t2", "", T0); n != 0 || err != nil {
		t.Fatalf("another tenant's Redrive: %d, %v", n, err)
	}
	if n, err := q.Redrive(ctx, "t1", "", T0); n != 2 || err != nil {
		t.Fatalf("Redrive all: %d, %v", n, err)
	}
	if dead, _ := q.Dead(ctx, "t1", 10); len(dead) != 0 {
		t.Fatalf("%d dead after redrive", len(dead))
	}
}

func testQueueCallbacks(t *testing.T, open Open) {
	ctx := context.Background()
	cases := []struct {
		name      string
		fails     int // failed deliveries before a 2xx
		max       int
		wantState queue.State
		wantCB    string
	}{
		{"delivered at once", 0, 3, queue.Succeeded, "delivered"},
		{"delivered after a retry", 1, 3, queue.Succeeded, "delivered"},
		{"exhausted: dead", 3, 3, queue.Dead, "failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, open)
			q := s.Queue()
			if _, _, err := q.Enqueue(ctx, queue.Run{ID: "r", Tenant: "t1", FunctionID: "f", CallbackURL: "https://example.com/cb", MaxAttempts: 1, EnqueuedAt: T0}, queue.Limits{}); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := q.ClaimCallback(ctx, T0, time.Minute); ok {
				t.Fatal("a callback before the run ended")
			}
			r, _ := ClaimTest(t, q, T0)
			if err := q.Complete(ctx, r.ID, r.Token, queue.Outcome{State: queue.Succeeded, Status: 200}, T0); err != nil {
				t.Fatal(err)
			}
			now := T0
			for i := 0; ; i++ {
				r, ok, err := q.ClaimCallback(ctx, now, time.Minute)
				if err != nil || !ok {
					t.Fatalf("delivery %d not claimed: %v", i+1, err)
				}
				if _, again, _ := q.ClaimCallback(ctx, now, time.Minute); again {
					t.Fatal("one delivery claimed twice")
				}
				if i < tc.fails {
					dead, err := q.CallbackFailed(ctx, r.ID, "500", now, now.Add(time.Second), tc.max)
					if err != nil {
						t.Fatal(err)
					}
					now = now.Add(time.Second)
					if dead {
						break
					}
					continue
				}
				if err := q.CallbackDelivered(ctx, r.ID, now); err != nil {
					t.Fatal(err)
				}
				break
			}
			r, err := q.Get(ctx, "t1", "r")
			if err != nil || r.State != tc.wantState || r.CallbackState != tc.wantCB || len(r.Errors) != tc.fails {
				t.Fatalf("got %s, callback %s, errors %v (%v)", r.State, r.CallbackState, r.Errors, err)
			}
		})
	}
	s := openTest(t, open)
	q := s.Queue()
	for _, secret := range []string{"", "one", "two"} {
		if secret != "" {
			if err := q.SetCallbackSecret(ctx, "t1", secret, T0); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := q.CallbackSecret(ctx, "t1"); got != secret || err != nil {
			t.Fatalf("secret %q, %v; want %q", got, err, secret)
		}
	}
}

// TestQueueEnqueueConcurrently: concurrent Enqueues share commits, and the
// bound and the idempotency keys still hold exactly.
func testQueueEnqueueConcurrently(t *testing.T, open Open) {
	ctx := context.Background()
	s := openTest(t, open)
	q := s.Queue()
	const n, bound = 60, 40
	var created, full, same atomic.Int32
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := ""
			if i%6 == 0 {
				key = "k" // ten callers, one run
			}
			r, ok, err := q.Enqueue(ctx, queue.Run{ID: fmt.Sprintf("r%02d", i), Tenant: "t1", FunctionID: "f", IdempotencyKey: key}, queue.Limits{Tenant: bound})
			switch {
			case errors.Is(err, queue.ErrTenantFull):
				full.Add(1)
			case err != nil:
				t.Error(err)
			case ok:
				created.Add(1)
			case key != "":
				same.Add(1)
				ids <- r.ID
			default:
				t.Errorf("%s neither created nor found", r.ID)
			}
		}()
	}
	wg.Wait()
	close(ids)
	mine, _, _ := q.Depth(ctx, "t1")
	if int(created.Load()) != mine || mine > bound || int(created.Load()+full.Load()+same.Load()) != n {
		t.Fatalf("created %d, full %d, same key %d, depth %d (bound %d)", created.Load(), full.Load(), same.Load(), mine, bound)
	}
	var first string
	for id := range ids {
		if first != "" && id != first {
			t.Fatalf("one key, runs %s and %s", first, id)
		}
		first = id
	}
}

// TestQueueEnqueueAroundBounds: many concurrent Enqueues from far below
// the bounds to past them, on one store (so in shared transactions), fill
// the total, then tenants' bounds, exactly, and refuse the rest.
func testQueueEnqueueAroundBounds(t *testing.T, open Open) {
	ctx := context.Background()
	s := openTest(t, open)
	q := s.Queue()
	const prefilled = 10
	for i := range prefilled {
		EnqueueTest(t, q, fmt.Sprintf("p%02d", i), "ta", 1)
	}
	var created, refused, same atomic.Int32
	enqueue := func(id, tenant, key string, lim queue.Limits) {
		_, ok, err := q.Enqueue(ctx, queue.Run{ID: id, Tenant: tenant, FunctionID: "f", IdempotencyKey: key}, lim)
		switch {
		case errors.Is(err, queue.ErrTenantFull), errors.Is(err, queue.ErrFull):
			refused.Add(1)
		case err != nil:
			t.Error(err)
		case ok:
			created.Add(1)
		case key != "":
			same.Add(1)
		default:
			t.Errorf("%s neither created nor found", id)
		}
	}
	depth := func(tenant string) (int, int) {
		t.Helper()
		mine, all, err := q.Depth(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		return mine, all
	}

	// The total: ta and tb, each with room for more than its share.
	const n, tenantBound, total = 1000, 400, 700
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tenant, key := "ta", ""
			if i%2 == 1 {
				tenant = "tb"
			} else if i%50 == 0 {
				key = "k"
			}
			enqueue(fmt.Sprintf("a%04d", i), tenant, key, queue.Limits{Tenant: tenantBound, Total: total})
		})
	}
	wg.Wait()
	ta, all := depth("ta")
	tb, _ := depth("tb")
	if all != total || ta > tenantBound || tb > tenantBound || ta+tb != total ||
		int(created.Load()) != total-prefilled || int(created.Load()+refused.Load()+same.Load()) != n {
		t.Fatalf("ta %d, tb %d, all %d; created %d, refused %d, same key %d; bounds %d a tenant, %d in all",
			ta, tb, all, created.Load(), refused.Load(), same.Load(), tenantBound, total)
	}

	// Tenants' bounds, one far above the first runs and one near.
	created.Store(0)
	refused.Store(0)
	const nd, dBound, ne, eBound = 700, 600, 100, 30
	for i := range nd + ne {
		wg.Go(func() {
			if i < nd {
				enqueue(fmt.Sprintf("d%04d", i), "td", "", queue.Limits{Tenant: dBound})
			} else {
				enqueue(fmt.Sprintf("e%04d", i), "te", "", queue.Limits{Tenant: eBound})
			}
		})
	}
	wg.Wait()
	td, _ := depth("td")
	te, _ := depth("te")
	if td != dBound || te != eBound || int(created.Load()) != dBound+eBound || int(refused.Load()) != nd+ne-dBound-eBound {
		t.Fatalf("td %d (bound %d), te %d (bound %d); created %d, refused %d", td, dBound, te, eBound, created.Load(), refused.Load())
	}
}

// TestQueueDepthFollowsEveryChange drives runs of two tenants through every
// transition and checks after each step that Depth, which reads kept
// counts, says what the runs' own states say.
func testQueueDepthFollowsEveryChange(t *testing.T, open Open) {
	ctx := context.Background()
	s := openTest(t, open)
	q := s.Queue()
	ids := map[string]string{} // run id → tenant
	check := func(step string) {
		t.Helper()
		want := map[string]int{}
		all := 0
		for id, tenant := range ids {
			r, err := q.Get(ctx, tenant, id)
			if errors.Is(err, queue.ErrNotFound) {
				continue // discarded
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.State == queue.Queued || r.State == queue.Running {
				want[tenant]++
				all++
			}
		}
		for _, tenant := range []string{"ta", "tb", "tc"} {
			mine, total, err := q.Depth(ctx, tenant)
			if err != nil || mine != want[tenant] || total != all {
				t.Fatalf("after %s: Depth(%s) = %d, %d, %v; the runs say %d, %d", step, tenant, mine, total, err, want[tenant], all)
			}
		}
	}
	enq := func(id, tenant string, max int) {
		EnqueueTest(t, q, id, tenant, max)
		ids[id] = tenant
	}
	check("nothing")
	enq("a1", "ta", 2)
	enq("a2", "ta", 2)
	enq("b1", "tb", 1)
	check("three enqueues")
	// A repeated idempotency key and a refused enqueue change nothing.
	for _, key := range []string{"k", "k"} {
		// Due later than the rest, so the claims below take those.
		q.Enqueue(ctx, queue.Run{ID: "a-" + key, Tenant: "ta", FunctionID: "f", IdempotencyKey: key, MaxAttempts: 1,
			EnqueuedAt: T0.Add(time.Hour)}, queue.Limits{})
	}
	ids["a-k"] = "ta"
	q.Enqueue(ctx, queue.Run{ID: "over", Tenant: "ta", FunctionID: "f"}, queue.Limits{Tenant: 1})
	check("a repeated key and a refusal")
	if _, err := q.Cancel(ctx, "tb", "b1", T0); err != nil { // leaves a1 and a2 to claim
		t.Fatal(err)
	}
	check("a cancel")
	r, _ := ClaimTest(t, q, T0) // running still counts
	check("a claim")
	if err := q.Complete(ctx, r.ID, r.Token, queue.Outcome{State: queue.Succeeded}, T0); err != nil {
		t.Fatal(err)
	}
	check("a completion")
	r, _ = ClaimTest(t, q, T0) // the other: fails once, queued again, then dies
	if st, err := q.Fail(ctx, r.ID, r.Token, "boom", T0, T0); err != nil || st != queue.Queued {
		t.Fatalf("Fail: %v, %v", st, err)
	}
	check("a retry")
	r, _ = ClaimTest(t, q, T0)
	if st, err := q.Fail(ctx, r.ID, r.Token, "boom", T0, T0); err != nil || st != queue.Dead {
		t.Fatalf("Fail: %v, %v", st, err)
	}
	check("a dead letter")
	if n, err := q.Redrive(ctx, "ta", r.ID, T0); n != 1 || err != nil {
		t.Fatalf("Redrive: %d, %v", n, err)
	}
	check("a redrive")
	if err := q.Discard(ctx, "tb", "b1"); err != nil {
		t.Fatal(err)
	}
	check("a discard")
	// A lease that runs out is claimed again: still one running run.
	r, _ = ClaimTest(t, q, T0)
	if again, ok := ClaimTest(t, q, T0.Add(2*time.Minute)); !ok || again.ID != r.ID {
		t.Fatalf("the lost lease of %s was not taken again: %+v, %v", r.ID, again, ok)
	}
	check("a lost lease")
}
