package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/scriptforge/scriptforge/functions/queue"
	"github.com/scriptforge/scriptforge/functions/storetest"
)

// TestClaimUsesTheIndex: a claim looks runs up on the partial index of
// queued and running runs; a scan would read every run ever kept.
// The queue helpers of the shared suite.
var (
	t0          = storetest.T0
	enqueueTest = storetest.EnqueueTest
	claimTest   = storetest.ClaimTest
)

func TestClaimUsesTheIndex(t *testing.T) {
	s, _ := openTest(t)
	for _, q := range []string{claimLostSQL, claimDueSQL} {
		rows, err := s.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, 0)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if len(plan) == 0 || !strings.Contains(plan[0], "USING INDEX queue_runs_due") || len(plan) > 1 {
			t.Errorf("plan %q for %s", plan, q)
		}
	}
}

// TestQueueDepthMigrationCounts: a file from before migration 15, with runs
// queued, gets counts that match them.
func TestQueueDepthMigrationCounts(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	q := s.Queue()
	enqueueTest(t, q, "a1", "ta", 1)
	enqueueTest(t, q, "a2", "ta", 1)
	enqueueTest(t, q, "b1", "tb", 1)
	r, _ := claimTest(t, q, t0)
	if err := q.Complete(ctx, r.ID, r.Token, queue.Outcome{State: queue.Succeeded}, t0); err != nil {
		t.Fatal(err)
	}
	// Undo migration 15 as if it had never run.
	if _, err := s.db.Exec(`
DROP TRIGGER queue_depth_insert; DROP TRIGGER queue_depth_update; DROP TRIGGER queue_depth_delete;
DROP TABLE queue_depth; DELETE FROM schema_migrations WHERE version = 15`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	want := map[string]int{"ta": 2, "tb": 1}
	want[r.Tenant]--
	for tenant, n := range want {
		if mine, all, err := s2.Queue().Depth(ctx, tenant); err != nil || mine != n || all != 2 {
			t.Fatalf("Depth(%s) after the migration: %d, %d, %v; want %d, 2", tenant, mine, all, err, n)
		}
	}
}
