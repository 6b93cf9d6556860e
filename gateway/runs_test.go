package gateway

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
)

// runSink is a store that keeps the runs it is asked to save.
type runSink struct {
	functions.Store
	mu   sync.Mutex
	runs []functions.Run
}

func (s *runSink) SaveRuns(_ context.Context, runs []functions.Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs = append(s.runs, runs...)
	return nil
}

// Quiet runs are kept up to the function's rate; failed and logged runs
// always; another function keeps its own budget.
func TestQuietRunRecords(t *testing.T) {
	log := []functions.LogLine{{Level: "log", Message: "hi"}}
	for _, tc := range []struct {
		name                    string
		rate                    float64
		run                     functions.Run
		calls                   int
		wantAtMost, wantAtLeast int
	}{
		{"quiet runs beyond the budget are skipped", 10, functions.Run{FunctionID: "a", Status: 200}, 100, 10, 10},
		{"a quiet Response below 400 counts as quiet", 10, functions.Run{FunctionID: "a", Status: 302}, 100, 10, 10},
		{"failed runs are all kept", 10, functions.Run{FunctionID: "a", Status: 500, ErrorCode: "function_error"}, 100, 100, 100},
		{"a Response of 404 is kept", 10, functions.Run{FunctionID: "a", Status: 404}, 100, 100, 100},
		{"runs that logged are all kept", 10, functions.Run{FunctionID: "a", Status: 200, Logs: log}, 100, 100, 100},
		{"a negative rate keeps every run", -1, functions.Run{FunctionID: "a", Status: 200}, 100, 100, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &runSink{}
			var skipped atomic.Int64
			rr := newRunRecorder(sink, slog.New(slog.DiscardHandler), tc.rate, func() { t.Error("dropped") }, func() { skipped.Add(1) })
			start := time.Now()
			for range tc.calls {
				rr.record(tc.run)
			}
			// A slow machine earns the budget more tokens meanwhile.
			extra := int(tc.rate*time.Since(start).Seconds()) + 1
			// Another function's budget is its own.
			other := tc.run
			other.FunctionID = "b"
			rr.record(other)
			rr.close()
			var got, gotOther int
			for _, r := range sink.runs {
				if r.FunctionID == "b" {
					gotOther++
				} else {
					got++
				}
			}
			if tc.wantAtMost < tc.calls {
				tc.wantAtMost += extra
			}
			if got < tc.wantAtLeast || got > tc.wantAtMost || gotOther != 1 {
				t.Fatalf("kept %d runs (want %d to %d) and %d of the other function (want 1)", got, tc.wantAtLeast, tc.wantAtMost, gotOther)
			}
			if int(skipped.Load()) != tc.calls-got {
				t.Fatalf("skipped %d, want %d", skipped.Load(), tc.calls-got)
			}
		})
	}
}

// pruneStore is a store with a backlog of records per tenant; each
// PruneRuns call deletes at most its batch.
type pruneStore struct {
	functions.Store
	mu      sync.Mutex
	backlog map[string]int64
	calls   []pruneCall
}

type pruneCall struct {
	tenant string
	keep   functions.RunRetention
	batch  int
}

func (s *pruneStore) PruneRuns(_ context.Context, tenant string, keep functions.RunRetention, batch int) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, pruneCall{tenant, keep, batch})
	n := min(s.backlog[tenant], int64(batch))
	s.backlog[tenant] -= n
	return n, nil
}

type tenantList struct {
	auth.TenantStore
	list []auth.Tenant
}

func (l tenantList) Tenants(context.Context) ([]auth.Tenant, error) { return l.list, nil }

// The pruner takes each tenant's own retention, else the server's, and
// deletes a backlog in bounded batches until a batch comes back short.
func TestRunPruner(t *testing.T) {
	store := &pruneStore{backlog: map[string]int64{"acme": 2*pruneBatch + 7, "globex": 3}}
	tenants := tenantList{list: []auth.Tenant{
		{ID: "acme", RunsRetention: auth.RunsRetention{MaxCount: 10}},
		{ID: "globex", RunsRetention: auth.RunsRetention{MaxAge: auth.Duration(time.Hour)}},
	}}
	var pruned atomic.Int64
	p := &runPruner{store: store, tenants: tenants, log: slog.New(slog.DiscardHandler), every: time.Hour, gap: 20 * time.Millisecond,
		defaults: auth.RunsRetention{MaxCount: 1000, MaxAge: auth.Duration(72 * time.Hour)},
		pruned:   func(n int64) { pruned.Add(n) }}
	start := time.Now()
	if n := p.pruneAll(context.Background()); n != 2*pruneBatch+10 || pruned.Load() != n {
		t.Fatalf("pruned %d (counted %d), want %d", n, pruned.Load(), 2*pruneBatch+10)
	}
	// acme: three calls (two full batches, one short); globex: one. Other
	// writers get a gap after each full batch.
	if len(store.calls) != 4 {
		t.Fatalf("calls: %+v", store.calls)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Errorf("two full batches took %v: no gap after them", d)
	}
	for _, c := range store.calls {
		if c.batch != pruneBatch {
			t.Errorf("batch %d, want %d", c.batch, pruneBatch)
		}
		switch c.tenant {
		case "acme": // its own count, the server's age
			if c.keep.Keep != 10 || !near(c.keep.Before, start.Add(-72*time.Hour)) {
				t.Errorf("acme kept %+v", c.keep)
			}
		case "globex": // its own age, the server's count
			if c.keep.Keep != 1000 || !near(c.keep.Before, start.Add(-time.Hour)) {
				t.Errorf("globex kept %+v", c.keep)
			}
		}
	}
	// Started, it prunes at once; close returns promptly.
	store.backlog["acme"] = 5
	p.start()
	for deadline := time.Now().Add(10 * time.Second); pruned.Load() < 2*pruneBatch+15; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the started pruner did not prune")
		}
	}
	done := make(chan struct{})
	go func() { p.close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("close did not return")
	}

	// A pruner closed in the middle of a backlog stops at the next gap.
	store.backlog["acme"] = 1_000_000
	p.gap = time.Hour
	p.start()
	for deadline := time.Now().Add(10 * time.Second); store.remaining("acme") == 1_000_000; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the pruner did not start on the backlog")
		}
	}
	closed := time.Now()
	p.close()
	if d := time.Since(closed); d > time.Second {
		t.Errorf("close took %v in the middle of a backlog", d)
	}
	if left := store.remaining("acme"); left != 1_000_000-pruneBatch {
		t.Errorf("%d left: want one batch pruned before the close", left)
	}
}

func (s *pruneStore) remaining(tenant string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.backlog[tenant]
}

func near(a, b time.Time) bool { return a.Sub(b).Abs() < time.Minute }
