package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scriptforge/scriptforge/functions/postgres/pgtest"
	"github.com/scriptforge/scriptforge/functions/queue"
	"github.com/scriptforge/scriptforge/functions/storerow"
	"github.com/scriptforge/scriptforge/functions/storetest"
)

// Two gateways claim from one queue at once, each with several workers:
// every run is taken by exactly one of them and completed once.
func TestQueueClaimAcrossGateways(t *testing.T) {
	ctx := context.Background()
	gws := gateways(t, 2)
	const n = 60
	for i := range n {
		storetest.EnqueueTest(t, gws[i%2].Queue(), fmt.Sprintf("r%02d", i), "t1", 3)
	}
	var mu sync.Mutex
	byGateway := map[string]int{} // run → the gateway that completed it
	var completions, lost atomic.Int32
	var wg sync.WaitGroup
	for g, s := range gws {
		q := s.Queue()
		for range 3 {
			wg.Go(func() {
				for {
					r, ok, err := q.Claim(ctx, time.Now(), time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if !ok {
						return
					}
					err = q.Complete(ctx, r.ID, r.Token, queue.Outcome{State: queue.Succeeded, Status: 200}, time.Now())
					if errors.Is(err, queue.ErrLeaseLost) {
						lost.Add(1)
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					completions.Add(1)
					mu.Lock()
					if prev, dup := byGateway[r.ID]; dup {
						t.Errorf("%s completed by gateway %d and gateway %d", r.ID, prev, g)
					}
					byGateway[r.ID] = g
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if completions.Load() != n || len(byGateway) != n || lost.Load() != 0 {
		t.Fatalf("%d completions of %d runs, %d leases lost; want %d, %d, 0", completions.Load(), len(byGateway), lost.Load(), n, n)
	}
	per := map[int]int{}
	for _, g := range byGateway {
		per[g]++
	}
	t.Logf("runs per gateway: %v", per)
	if mine, all, err := gws[1].Queue().Depth(ctx, "t1"); err != nil || mine != 0 || all != 0 {
		t.Fatalf("depth after all completed: %d, %d, %v", mine, all, err)
	}
}

// A gateway that dies mid-run leaves its run claimed; once the lease has
// run out another gateway takes it, and the dead one's late outcome is
// refused.
func TestQueueExpiredLeaseTakenByAnotherGateway(t *testing.T) {
	ctx := context.Background()
	gws := gateways(t, 2)
	a, b := gws[0].Queue(), gws[1].Queue()
	storetest.EnqueueTest(t, a, "r", "t1", 3)
	now := storetest.T0
	first, ok, err := a.Claim(ctx, now, time.Minute)
	if err != nil || !ok {
		t.Fatalf("first claim: %v, %v", ok, err)
	}
	if _, ok, err := b.Claim(ctx, now.Add(59*time.Second), time.Minute); err != nil || ok {
		t.Fatalf("claimed under a live lease: %v, %v", ok, err)
	}
	second, ok, err := b.Claim(ctx, now.Add(61*time.Second), time.Minute)
	if err != nil || !ok || second.ID != "r" || second.Attempts != 2 || second.Token == first.Token {
		t.Fatalf("after the lease ran out: %+v, %v, %v", second, ok, err)
	}
	if len(second.Errors) != 1 || second.Errors[0].N != 1 {
		t.Fatalf("the lost attempt is not recorded: %+v", second.Errors)
	}
	if err := a.Complete(ctx, "r", first.Token, queue.Outcome{State: queue.Succeeded}, now); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("the lost gateway's outcome: %v, want ErrLeaseLost", err)
	}
	if err := b.Complete(ctx, "r", second.Token, queue.Outcome{State: queue.Succeeded, Status: 200}, now); err != nil {
		t.Fatal(err)
	}
	if r, err := a.Get(ctx, "t1", "r"); err != nil || r.State != queue.Succeeded || r.Attempts != 2 {
		t.Fatalf("the run: %+v, %v", r, err)
	}
}

// Enqueues from two gateways at once hold the tenant's bound and the
// total exactly, and one idempotency key makes one run: near the bounds
// from the start, and from far below them (more than unseenRuns), where
// the first enqueues are decided in their stripes and the last holding
// them all.
func TestQueueBoundsAcrossGateways(t *testing.T) {
	for _, c := range []struct{ n, bound, total int }{{40, 15, 25}, {160, 60, 100}, {1200, 450, 800}} {
		t.Run(fmt.Sprint(c.total), func(t *testing.T) { testQueueBounds(t, c.n, c.bound, c.total) })
	}
}

func testQueueBounds(t *testing.T, n, bound, total int) {
	ctx := context.Background()
	gws := gateways(t, 2)
	var created, tenantFull, full atomic.Int32
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tenant, key := "ta", ""
			if i%2 == 1 {
				tenant = "tb"
			}
			if i%8 == 0 {
				key = "k"
			}
			r, ok, err := gws[i%2].Queue().Enqueue(ctx, queue.Run{ID: fmt.Sprintf("r%04d", i), Tenant: tenant, FunctionID: "f", IdempotencyKey: key},
				queue.Limits{Tenant: bound, Total: total})
			switch {
			case errors.Is(err, queue.ErrTenantFull):
				tenantFull.Add(1)
			case errors.Is(err, queue.ErrFull):
				full.Add(1)
			case err != nil:
				t.Error(err)
			case ok:
				created.Add(1)
			case key != "":
				ids <- r.ID
			}
		})
	}
	wg.Wait()
	close(ids)
	ta, all, _ := gws[0].Queue().Depth(ctx, "ta")
	tb, _, _ := gws[1].Queue().Depth(ctx, "tb")
	if ta > bound || tb > bound || all != total || int(created.Load()) != all || ta+tb != all {
		t.Fatalf("created %d (ta %d, tb %d, all %d); refused %d for the tenant, %d in all; bounds %d and %d",
			created.Load(), ta, tb, all, tenantFull.Load(), full.Load(), bound, total)
	}
	for id := range ids {
		if r, err := gws[0].Queue().Get(ctx, "ta", id); err != nil || r.IdempotencyKey != "k" {
			t.Fatalf("a repeated key returned %s: %+v, %v", id, r, err)
		}
	}
}

// batchOf is a batch of Enqueues as the group would hand it to
// commitEnqueues.
func batchOf(t *testing.T, s *Store, lim queue.Limits, runs ...queue.Run) []*enqueueReq {
	t.Helper()
	var batch []*enqueueReq
	for _, r := range runs {
		r, headers, err := storerow.NewQueued(r, s.stamp)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, &enqueueReq{r: r, headers: headers, lim: lim})
	}
	return batch
}

// In one batch (one transaction), a run whose id is taken fails alone,
// wherever it stands; two runs with one key make one run, the second
// given the first back; and the counts kept within the batch hold the
// bound, near it (decided holding every stripe) as below.
func TestQueueBatchOutcomes(t *testing.T) {
	ctx := context.Background()
	s := gateways(t, 1)[0]
	q := &Queue{s: s}
	storetest.EnqueueTest(t, q, "taken", "t1", 1)
	for _, lim := range []queue.Limits{{}, {Tenant: 8}, {Tenant: 600, Total: 1000}} {
		t.Run(fmt.Sprint(lim.Tenant), func(t *testing.T) {
			p := fmt.Sprintf("l%d-", lim.Tenant)
			batch := batchOf(t, s, lim,
				queue.Run{ID: "taken", Tenant: "t2", FunctionID: "f"},
				queue.Run{ID: p + "a", Tenant: "t2", FunctionID: "f", IdempotencyKey: p + "k"},
				queue.Run{ID: p + "b", Tenant: "t2", FunctionID: "f"},
				queue.Run{ID: p + "c", Tenant: "t2", FunctionID: "f", IdempotencyKey: p + "k"},
				queue.Run{ID: "taken", Tenant: "t2", FunctionID: "f"},
				queue.Run{ID: p + "d", Tenant: "t2", FunctionID: "f"},
			)
			q.commitEnqueues(ctx, batch)
			for i, want := range []struct {
				id      string
				created bool
				failed  bool
			}{{"taken", false, true}, {p + "a", true, false}, {p + "b", true, false}, {p + "a", false, false}, {"taken", false, true}, {p + "d", true, false}} {
				req := batch[i]
				if req.out.ID != want.id || req.created != want.created || (req.err != nil) != want.failed {
					t.Errorf("run %d (%s): %s, created %v, %v; want %s, created %v, failed %v", i, req.r.ID, req.out.ID, req.created, req.err, want.id, want.created, want.failed)
				}
				if want.failed && uniqueViolation(req.err) == "" {
					t.Errorf("run %d: %v, want the id's unique violation", i, req.err)
				}
			}
			for _, id := range []string{"a", "b", "d"} {
				if _, err := q.Get(ctx, "t2", p+id); err != nil {
					t.Errorf("run %s not stored: %v", p+id, err)
				}
			}
		})
	}
	// Near a bound of 11, 9 stored: a batch of 4 takes 2, and a key used
	// is found even at the bound.
	batch := batchOf(t, s, queue.Limits{Tenant: 11},
		queue.Run{ID: "x1", Tenant: "t2", FunctionID: "f"},
		queue.Run{ID: "x2", Tenant: "t2", FunctionID: "f"},
		queue.Run{ID: "x3", Tenant: "t2", FunctionID: "f", IdempotencyKey: "l8-k"},
		queue.Run{ID: "x4", Tenant: "t2", FunctionID: "f"},
	)
	mine, _, _ := q.Depth(ctx, "t2")
	q.commitEnqueues(ctx, batch)
	if after, _, _ := q.Depth(ctx, "t2"); mine != 9 || after != 11 ||
		!batch[0].created || !batch[1].created || batch[2].out.ID != "l8-a" || batch[2].err != nil || !errors.Is(batch[3].err, queue.ErrTenantFull) {
		t.Fatalf("t2 at %d then %d; created %v %v, key's run %s (%v), last %v", mine, after, batch[0].created, batch[1].created, batch[2].out.ID, batch[2].err, batch[3].err)
	}
}

// A caller whose context ends while its run waits in a batch does not
// stop the batch: every run is stored.
func TestQueueEnqueueCancelledCaller(t *testing.T) {
	s := gateways(t, 1)[0]
	q := s.Queue()
	var wg sync.WaitGroup
	var created atomic.Int32
	for i := range 64 {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			if i%2 == 0 {
				cancel() // gone before its run is stored
			}
			defer cancel()
			if _, ok, err := q.Enqueue(ctx, queue.Run{ID: fmt.Sprintf("r%02d", i), Tenant: "t1", FunctionID: "f"}, queue.Limits{Tenant: 100}); err == nil && ok {
				created.Add(1)
			}
		})
	}
	wg.Wait()
	if mine, _, _ := q.Depth(context.Background(), "t1"); int(created.Load()) != 64 || mine != 64 {
		t.Fatalf("created %d, depth %d, want 64", created.Load(), mine)
	}
}

// A database whose counts an older gateway kept in one row per tenant
// keeps them through the stripes' migration, and counts on from there.
func TestQueueDepthStripesMigration(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateSteps(ctx, pool, 0, migrations[:2]); err != nil {
		pool.Close()
		t.Fatal(err)
	}
	for i, st := range []string{"queued", "queued", "running", "succeeded", "queued"} {
		tenant := "t1"
		if i == 4 {
			tenant = "t2"
		}
		if _, err := pool.Exec(ctx, `INSERT INTO queue_runs (id, tenant, function_id, export, data, headers, callback_url, idempotency_key, state, max_attempts, next_at, enqueued_at)
VALUES ($1, $2, 'f', '', '\x7b7d', '{}', '', '', $3, 3, 0, 0)`, fmt.Sprintf("old%d", i), tenant, st); err != nil {
			pool.Close()
			t.Fatal(err)
		}
	}
	pool.Close()

	q := openAt(t, url).Queue()
	depth := func(tenant string) (int, int) {
		t.Helper()
		mine, all, err := q.Depth(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		return mine, all
	}
	if mine, all := depth("t1"); mine != 3 || all != 4 {
		t.Fatalf("after the migration: t1 %d of %d, want 3 of 4", mine, all)
	}
	if _, _, err := q.Enqueue(ctx, queue.Run{ID: "new", Tenant: "t1", FunctionID: "f"}, queue.Limits{Tenant: 4, Total: 5}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := q.Enqueue(ctx, queue.Run{ID: "over", Tenant: "t1", FunctionID: "f"}, queue.Limits{Tenant: 4}); !errors.Is(err, queue.ErrTenantFull) {
		t.Fatalf("past the bound, counted across stripes: %v", err)
	}
	if _, err := q.Cancel(ctx, "t1", "old0", time.Now()); err != nil {
		t.Fatal(err)
	}
	if mine, all := depth("t1"); mine != 3 || all != 4 {
		t.Fatalf("after an enqueue and a cancel: t1 %d of %d, want 3 of 4", mine, all)
	}
}
