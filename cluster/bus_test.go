package cluster

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scriptforge/scriptforge/cluster/clustertest"
	"github.com/scriptforge/scriptforge/functions/logstream"
)

// recorder is a node's Handlers, remembering what came.
type recorder struct {
	mu     sync.Mutex
	invs   []Invalidation
	lines  []logstream.Line
	purges atomic.Int64
	// runs are the runs "in progress" here, by tenant/rid.
	runs map[string]chan struct{}
}

func (r *recorder) handlers() Handlers {
	return Handlers{
		Invalidate: func(inv Invalidation) { r.mu.Lock(); r.invs = append(r.invs, inv); r.mu.Unlock() },
		Purge:      func() { r.purges.Add(1) },
		Log:        func(_ string, l logstream.Line) { r.mu.Lock(); r.lines = append(r.lines, l); r.mu.Unlock() },
		Cancel: func(tenant, rid string) <-chan struct{} {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.runs[tenant+"/"+rid]
		},
	}
}

func (r *recorder) invalidations() []Invalidation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Invalidation(nil), r.invs...)
}

func (r *recorder) logLines() []logstream.Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]logstream.Line(nil), r.lines...)
}

// openNodes opens n buses of one new cluster, fast timings.
func openNodes(t *testing.T, n int) ([]*Bus, []*recorder) {
	t.Helper()
	dsn, prefix := clustertest.DSN(t), clustertest.Prefix(t)
	var buses []*Bus
	var recs []*recorder
	for i := range n {
		b, err := Open(context.Background(), Config{DSN: dsn, Prefix: prefix, Node: prefix + "-" + string(rune('a'+i)),
			Poll: 200 * time.Millisecond, LeaderRetry: 200 * time.Millisecond, Interest: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		r := &recorder{runs: map[string]chan struct{}{}}
		b.SetHandlers(r.handlers())
		buses = append(buses, b)
		recs = append(recs, r)
		t.Cleanup(b.Close)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			_, _ = conn.Exec(context.Background(), `DELETE FROM `+SequenceTable+` WHERE prefix = $1`, prefix)
			conn.Close(context.Background())
		}
	})
	return buses, recs
}

// within polls cond until it holds or d passes.
func within(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func TestOpenRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no dsn", Config{}, "DSN is required"},
		{"prefix with a dash", Config{DSN: "postgres://x/y", Prefix: "a-b"}, "prefix"},
		{"prefix upper case", Config{DSN: "postgres://x/y", Prefix: "Abc"}, "prefix"},
		{"prefix too long", Config{DSN: "postgres://x/y", Prefix: strings.Repeat("a", 41)}, "prefix"},
		{"bad dsn", Config{DSN: "postgres://%zz"}, "database URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestInvalidateReachesEveryNode: each kind reaches all nodes, the
// sender too, within a second, in order, and nobody purges.
func TestInvalidateReachesEveryNode(t *testing.T) {
	buses, recs := openNodes(t, 3)
	sent := []Invalidation{
		{Kind: KindFunction, ID: "fn_1", Tenant: "acme", UUIDs: []string{"u-old", "u-new"}},
		{Kind: KindKey, ID: "key_1"},
		{Kind: KindTenant, ID: "acme"},
		{Kind: KindAssignment, Tenant: "acme"},
		{Kind: KindQuarantine, ID: "fn_2"},
		{Kind: KindWorker, ID: "fn_3", State: WorkerStopped},
	}
	start := time.Now()
	for _, inv := range sent {
		if err := buses[1].Invalidate(context.Background(), inv); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range recs {
		within(t, time.Second, "invalidations on node "+buses[i].Node(), func() bool { return len(r.invalidations()) == len(sent) })
		got := r.invalidations()
		for j := range sent {
			if got[j].Kind != sent[j].Kind || got[j].ID != sent[j].ID || got[j].Tenant != sent[j].Tenant || got[j].State != sent[j].State || len(got[j].UUIDs) != len(sent[j].UUIDs) {
				t.Fatalf("node %d message %d: %+v, want %+v", i, j, got[j], sent[j])
			}
		}
	}
	t.Logf("%d invalidations on 3 nodes in %v", len(sent), time.Since(start))
	time.Sleep(500 * time.Millisecond) // two polls: the sequence matches, no purge
	for i, r := range recs {
		if n := r.purges.Load(); n != 0 {
			t.Fatalf("node %d purged %d times with nothing missed", i, n)
		}
	}
	if err := buses[0].Invalidate(context.Background(), Invalidation{Kind: "everything"}); err == nil {
		t.Fatal("an unknown kind was sent")
	}
}

// TestMissedInvalidationPurges: a sequence bump whose message never
// comes (as if lost) makes every node drop its caches at the next poll;
// a message that skips a number does so at once.
func TestMissedInvalidationPurges(t *testing.T) {
	buses, recs := openNodes(t, 2)
	if err := buses[0].Invalidate(context.Background(), Invalidation{Kind: KindKey, ID: "k"}); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "first message", func() bool { return len(recs[1].invalidations()) == 1 })
	bump := func() {
		if _, err := buses[0].pool.Exec(context.Background(), `UPDATE `+SequenceTable+` SET seq = seq + 1 WHERE prefix = $1`, buses[0].cfg.Prefix); err != nil {
			t.Fatal(err)
		}
	}
	bump() // the lost message
	d := within(t, 2*time.Second, "purge after a lost message", func() bool { return recs[0].purges.Load() == 1 && recs[1].purges.Load() == 1 })
	t.Logf("lost message noticed by the poll in %v", d)

	bump() // lost again, but the next message shows the gap before any poll
	if err := buses[0].Invalidate(context.Background(), Invalidation{Kind: KindKey, ID: "k2"}); err != nil {
		t.Fatal(err)
	}
	within(t, 150*time.Millisecond, "purge on a gap", func() bool { return recs[1].purges.Load() == 2 })
}

// TestListenerReconnects: a listener whose connection is killed comes
// back, drops its caches, and hears messages again.
func TestListenerReconnects(t *testing.T) {
	buses, recs := openNodes(t, 2)
	var killed int
	err := buses[0].pool.QueryRow(context.Background(),
		`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`,
		"scriptforge-bus "+buses[1].Node()).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminating the listener: %d, %v", killed, err)
	}
	within(t, 5*time.Second, "reconnect and purge", func() bool {
		return buses[1].Stats().Reconnects == 1 && recs[1].purges.Load() >= 1 && buses[1].Stats().Connected
	})
	if err := buses[0].Invalidate(context.Background(), Invalidation{Kind: KindTenant, ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "message after the reconnect", func() bool { return len(recs[1].invalidations()) == 1 })
}

// TestLeaderFailover: one node of three leads; when its bus closes,
// another leads within the retry, and never two at once.
func TestLeaderFailover(t *testing.T) {
	buses, _ := openNodes(t, 3)
	var leading atomic.Int32 // nodes in run now
	var overlap atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, b := range buses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.Lead(ctx, func(lctx context.Context) {
				if leading.Add(1) > 1 {
					overlap.Store(true)
				}
				<-lctx.Done()
				leading.Add(-1)
			})
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	leader := func() int {
		n, at := 0, -1
		for i, b := range buses {
			if b.IsLeader() {
				n, at = n+1, i
			}
		}
		if n > 1 {
			t.Fatalf("%d leaders", n)
		}
		return at
	}
	within(t, 2*time.Second, "a leader", func() bool { return leader() >= 0 })
	first := leader()
	buses[first].Close()
	start := time.Now()
	within(t, 10*time.Second, "a new leader", func() bool { l := leader(); return l >= 0 && l != first })
	t.Logf("failover in %v", time.Since(start))
	if overlap.Load() {
		t.Fatal("two nodes ran the leader's work at once")
	}
	if buses[first].IsLeader() {
		t.Fatal("the closed bus still says it leads")
	}
	if err := buses[first].Invalidate(context.Background(), Invalidation{Kind: KindKey}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Invalidate on a closed bus: %v", err)
	}
}

// TestLogsFollowAcrossNodes: lines go over the bus only once another
// node follows the function, arrive in order, and stop when it leaves.
func TestLogsFollowAcrossNodes(t *testing.T) {
	buses, recs := openNodes(t, 2)
	a, b := buses[0], buses[1]
	if a.Followed("fn_1") {
		t.Fatal("followed before anyone follows")
	}
	release := b.Follow("fn_1")
	within(t, time.Second, "interest seen", func() bool { return a.Followed("fn_1") })
	if a.Followed("fn_2") || b.Followed("fn_1") {
		t.Fatal("interest in the wrong function, or a node's own")
	}
	now := time.Now()
	for i := range 50 {
		a.PublishLog("fn_1", logstream.Line{RequestID: "r1", Time: now, Level: "info", Message: strings.Repeat("x", 300) + string(rune('A'+i%26))})
	}
	long := strings.Repeat("é", 10_000) // 20 KB: over a notification
	a.PublishLog("fn_1", logstream.Line{RequestID: "r2", Time: now, Level: "error", Message: long})
	within(t, 2*time.Second, "51 lines", func() bool { return len(recs[1].logLines()) == 51 })
	got := recs[1].logLines()
	for i := range 50 {
		if want := string(rune('A' + i%26)); !strings.HasSuffix(got[i].Message, want) || got[i].RequestID != "r1" {
			t.Fatalf("line %d out of order or changed: %q…", i, got[i].Message[len(got[i].Message)-5:])
		}
	}
	if m := got[50].Message; !strings.HasSuffix(m, truncatedMark) || len(m) >= len(long) || !strings.HasPrefix(long, strings.TrimSuffix(m, truncatedMark)) {
		t.Fatalf("the long line: %d bytes, ends %q", len(m), m[max(0, len(m)-20):])
	}
	if len(recs[0].logLines()) != 0 {
		t.Fatal("a node got its own lines back")
	}
	release()
	release() // twice: harmless
	within(t, time.Second, "interest withdrawn", func() bool { return !a.Followed("fn_1") })

	// An announcement not repeated expires: a node that died says nothing.
	noted := time.Now()
	a.interest.note("ghost", []string{"fn_3"}, 50*time.Millisecond)
	// Fresh, unless a loaded machine paused this goroutine past the 50 ms.
	if !a.Followed("fn_3") && time.Since(noted) < 50*time.Millisecond {
		t.Fatal("fresh interest not seen")
	}
	time.Sleep(60 * time.Millisecond)
	if a.Followed("fn_3") {
		t.Fatal("expired interest still counts")
	}
}

// TestCancelAcrossNodes: the node that runs the run stops it and
// answers; unknown runs and other tenants' runs go unanswered.
func TestCancelAcrossNodes(t *testing.T) {
	buses, recs := openNodes(t, 3)
	stops := make(chan struct{})
	recs[2].runs["acme/r-stops"] = stops
	recs[2].runs["acme/r-stuck"] = make(chan struct{}) // never ends
	go func() { time.Sleep(100 * time.Millisecond); close(stops) }()
	for _, tc := range []struct {
		tenant, rid string
		want        CancelOutcome
	}{
		{"acme", "r-stops", CancelStopped},
		{"acme", "r-stuck", CancelCancelling},
		{"acme", "r-unknown", CancelNotFound},
		{"other", "r-stops", CancelNotFound}, // another tenant's is not found
	} {
		t.Run(tc.rid+"/"+tc.tenant, func(t *testing.T) {
			start := time.Now()
			got, err := buses[0].Cancel(context.Background(), tc.tenant, tc.rid, 500*time.Millisecond, 500*time.Millisecond)
			if err != nil || got != tc.want {
				t.Fatalf("Cancel: %v, %v; want %v", got, err, tc.want)
			}
			// Bounded by its two waits (1 s at most), with room for a
			// loaded machine; a wait that ignored them would be far longer.
			if el := time.Since(start); el > 2*time.Second {
				t.Fatalf("took %v", el)
			}
		})
	}
}
