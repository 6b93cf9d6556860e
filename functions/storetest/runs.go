package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

func testRuns(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	fn := mustCreate(t, s, "acme", "router")
	other := mustCreate(t, s, "acme", "other")
	base := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	logTime := time.Date(2025, 6, 1, 10, 0, 0, 123456789, time.UTC)

	full := functions.Run{
		RequestID: "req-0", FunctionID: fn.ID, Tenant: "acme", Version: 1, Export: "main",
		Trigger: functions.TriggerRouting, Status: 502, ErrorCode: functions.CodeFunctionError, Error: "boom",
		Logs: []functions.LogLine{
			{Time: logTime, Level: "log", Message: "hello"},
			{Time: logTime.Add(time.Millisecond), Level: "error", Message: "bad \"thing\""},
		},
		DurationUS: 1234, CPUUS: 987, StartedAt: base, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
	}
	batch := []functions.Run{full}
	for i := 1; i <= 4; i++ {
		batch = append(batch, functions.Run{
			RequestID: "req-" + string(rune('0'+i)), FunctionID: fn.ID, Tenant: "acme", Version: 1,
			Export: "main", Status: 200, StartedAt: base.Add(time.Duration(i) * time.Minute),
		})
	}
	batch = append(batch, functions.Run{RequestID: "req-other", FunctionID: other.ID, Tenant: "acme", Status: 200, StartedAt: base.Add(time.Hour)})
	if err := s.SaveRuns(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// A retried batch with a changed record is ignored, not an error.
	dup := full
	dup.Status = 200
	if err := s.SaveRuns(ctx, []functions.Run{dup}); err != nil {
		t.Fatalf("SaveRuns duplicate: %v", err)
	}
	if err := s.SaveRuns(ctx, nil); err != nil {
		t.Fatalf("SaveRuns(nil): %v", err)
	}

	t.Run("by id", func(t *testing.T) {
		got, err := s.RunByID(ctx, "acme", "req-0")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, full) {
			t.Errorf("RunByID = %+v\nwant %+v", got, full)
		}
		got, err = s.RunByID(ctx, "acme", "req-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Logs == nil || len(got.Logs) != 0 {
			t.Errorf("run without logs read back Logs = %#v, want empty non-nil", got.Logs)
		}
		if _, err := s.RunByID(ctx, "acme", "nope"); !errors.Is(err, functions.ErrNotFound) {
			t.Errorf("RunByID unknown: err = %v, want ErrNotFound", err)
		}
	})

	if _, err := s.Runs(ctx, "acme", functions.RunQuery{FunctionID: "fn_nope"}); !errors.Is(err, functions.ErrNotFound) {
		t.Errorf("Runs of unknown function: err = %v, want ErrNotFound", err)
	}
}

// RunIDs lists the request ids of runs, in order.
// RunIDs are the request ids of runs, in order.
func RunIDs(runs []functions.Run) []string {
	ids := []string{}
	for _, r := range runs {
		ids = append(ids, r.RequestID)
	}
	return ids
}

// filterFixture stores runs of two functions of acme and one of another
// tenant, a minute apart, with every trigger and outcome.
func filterFixture(t *testing.T, open Open) (*tstore, functions.Deployed, time.Time) {
	t.Helper()
	s := openTest(t, open)
	fn := mustCreate(t, s, "acme", "router")
	other := mustCreate(t, s, "acme", "other")
	foreign := mustCreate(t, s, "globex", "router")
	base := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	runs := []functions.Run{
		{RequestID: "r0", FunctionID: fn.ID, Tenant: "acme", Status: 200, StartedAt: at(0)}, // no trigger: http
		{RequestID: "r1", FunctionID: fn.ID, Tenant: "acme", Trigger: functions.TriggerHTTP, Status: 500, ErrorCode: "function_error", StartedAt: at(1)},
		{RequestID: "r2", FunctionID: fn.ID, Tenant: "acme", Trigger: functions.TriggerRouting, Status: 200, StartedAt: at(2)},
		{RequestID: "r3", FunctionID: fn.ID, Tenant: "acme", Trigger: functions.TriggerVoice, Status: 499, ErrorCode: functions.CodeCancelled, StartedAt: at(3)},
		{RequestID: "r4", FunctionID: other.ID, Tenant: "acme", Trigger: functions.TriggerHTTP, Status: 404, StartedAt: at(4)}, // a Response of 404
		{RequestID: "r5", FunctionID: other.ID, Tenant: "acme", Trigger: functions.TriggerHTTP, Status: 302, StartedAt: at(5)},
		{RequestID: "r6", FunctionID: fn.ID, Tenant: "acme", Trigger: functions.TriggerRouting, Status: 422, ErrorCode: "480", StartedAt: at(6)},
		{RequestID: "x0", FunctionID: foreign.ID, Tenant: "globex", Trigger: functions.TriggerHTTP, Status: 200, StartedAt: at(3)},
	}
	if err := s.SaveRuns(context.Background(), runs); err != nil {
		t.Fatal(err)
	}
	return s, fn, base
}

func testRunsFilters(t *testing.T, open Open) {
	s, fn, base := filterFixture(t, open)
	status := func(v string) functions.RunStatus {
		st, err := functions.ParseRunStatus(v)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	for _, tc := range []struct {
		name string
		q    functions.RunQuery
		want []string
	}{
		{"whole tenant, newest first", functions.RunQuery{}, []string{"r6", "r5", "r4", "r3", "r2", "r1", "r0"}},
		{"one function", functions.RunQuery{FunctionID: fn.ID}, []string{"r6", "r3", "r2", "r1", "r0"}},
		{"trigger http (records without one are http)", functions.RunQuery{Trigger: functions.TriggerHTTP}, []string{"r5", "r4", "r1", "r0"}},
		{"trigger routing", functions.RunQuery{Trigger: functions.TriggerRouting}, []string{"r6", "r2"}},
		{"trigger voice of one function", functions.RunQuery{FunctionID: fn.ID, Trigger: functions.TriggerVoice}, []string{"r3"}},
		{"trigger schedule: none yet", functions.RunQuery{Trigger: functions.TriggerSchedule}, []string{}},
		{"ok: below 400, no error code", functions.RunQuery{Status: status("ok")}, []string{"r5", "r2", "r0"}},
		{"error: error code or 400 and up, not cancelled", functions.RunQuery{Status: status("error")}, []string{"r6", "r4", "r1"}},
		{"cancelled", functions.RunQuery{Status: status("cancelled")}, []string{"r3"}},
		{"class 4xx", functions.RunQuery{Status: status("4xx")}, []string{"r6", "r4", "r3"}},
		{"class 2xx", functions.RunQuery{Status: status("2xx")}, []string{"r2", "r0"}},
		{"one status", functions.RunQuery{Status: status("302")}, []string{"r5"}},
		{"since is inclusive", functions.RunQuery{Since: base.Add(4 * time.Minute)}, []string{"r6", "r5", "r4"}},
		{"until is exclusive", functions.RunQuery{Until: base.Add(2 * time.Minute)}, []string{"r1", "r0"}},
		{"a window", functions.RunQuery{Since: base.Add(time.Minute), Until: base.Add(3*time.Minute + time.Millisecond)}, []string{"r3", "r2", "r1"}},
		{"filters combine", functions.RunQuery{FunctionID: fn.ID, Trigger: functions.TriggerRouting, Status: status("ok")}, []string{"r2"}},
		{"limit", functions.RunQuery{Limit: 2}, []string{"r6", "r5"}},
		{"after a cursor", functions.RunQuery{After: &functions.RunCursor{StartedAt: base.Add(3 * time.Minute), RequestID: "r3"}}, []string{"r2", "r1", "r0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.Runs(context.Background(), "acme", tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := RunIDs(page.Runs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Runs = %v, want %v", got, tc.want)
			}
		})
	}
	// Another tenant sees only its own, and not acme's function.
	page, err := s.Runs(context.Background(), "globex", functions.RunQuery{})
	if err != nil || !reflect.DeepEqual(RunIDs(page.Runs), []string{"x0"}) {
		t.Errorf("globex's runs = %v, %v; want [x0]", RunIDs(page.Runs), err)
	}
	if _, err := s.Runs(context.Background(), "globex", functions.RunQuery{FunctionID: fn.ID}); !errors.Is(err, functions.ErrNotFound) {
		t.Errorf("globex listing acme's function: err = %v, want ErrNotFound", err)
	}
}

// Paging walks every record once, including runs that share a
// millisecond, while newer and older runs are inserted between pages.
func testRunsPaging(t *testing.T, open Open) {
	ctx := context.Background()
	base := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	for _, limit := range []int{1, 3, 5, 7, 50, 51} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			s := openTest(t, open)
			fn := mustCreate(t, s, "acme", "f")
			var want []string
			var batch []functions.Run
			for i := range 50 {
				id := fmt.Sprintf("req-%02d", i)
				// Five runs in each millisecond: the request id orders them.
				batch = append(batch, functions.Run{RequestID: id, FunctionID: fn.ID, Tenant: "acme", Status: 200, StartedAt: base.Add(time.Duration(i/5) * time.Millisecond)})
				want = append([]string{id}, want...)
			}
			if err := s.SaveRuns(ctx, batch); err != nil {
				t.Fatal(err)
			}
			var got []string
			var after *functions.RunCursor
			for pages := 0; ; pages++ {
				if pages > 60 {
					t.Fatal("paging does not end")
				}
				page, err := s.Runs(ctx, "acme", functions.RunQuery{FunctionID: fn.ID, Limit: limit, After: after})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Runs) > limit {
					t.Fatalf("page of %d runs, limit %d", len(page.Runs), limit)
				}
				got = append(got, RunIDs(page.Runs)...)
				// Inserts between pages: a newer run (before the walk's
				// start, so not in it), and one from the future.
				more := []functions.Run{
					{RequestID: fmt.Sprintf("new-%d-%d", limit, pages), FunctionID: fn.ID, Tenant: "acme", Status: 200, StartedAt: base.Add(time.Hour + time.Duration(pages)*time.Millisecond)},
				}
				if err := s.SaveRuns(ctx, more); err != nil {
					t.Fatal(err)
				}
				if page.Next == nil {
					break
				}
				// The cursor survives its trip through a client.
				if after, err = functions.ParseRunCursor(page.Next.String()); err != nil {
					t.Fatal(err)
				}
			}
			// Runs inserted after the walk began come before its first
			// page, so it sees exactly the 50 that were there, once each.
			var old []string
			for _, id := range got {
				if !strings.HasPrefix(id, "new-") {
					old = append(old, id)
				}
			}
			if len(got) != len(old) || !reflect.DeepEqual(old, want) {
				t.Errorf("paged through %v\nwant %v", got, want)
			}
		})
	}
}

func testPruneRuns(t *testing.T, open Open) {
	base := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		keep  functions.RunRetention
		batch int
		// left is what stays of acme's r0…r9 (r9 newest); globex keeps its 3.
		left []string
	}{
		{"nothing to prune", functions.RunRetention{}, 100, []string{"r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1", "r0"}},
		{"by age: strictly before", functions.RunRetention{Before: base.Add(7 * time.Minute)}, 100, []string{"r9", "r8", "r7"}},
		{"by count", functions.RunRetention{Keep: 4}, 100, []string{"r9", "r8", "r7", "r6"}},
		{"by count, runs in one millisecond", functions.RunRetention{Keep: 1}, 100, []string{"r9"}},
		{"count and age: the stricter wins", functions.RunRetention{Keep: 5, Before: base.Add(8 * time.Minute)}, 100, []string{"r9", "r8"}},
		{"count and age: the stricter wins the other way", functions.RunRetention{Keep: 2, Before: base.Add(time.Minute)}, 100, []string{"r9", "r8"}},
		{"in small batches", functions.RunRetention{Keep: 3}, 2, []string{"r9", "r8", "r7"}},
		{"keep more than there are", functions.RunRetention{Keep: 100}, 100, []string{"r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1", "r0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, open)
			ctx := context.Background()
			var runs []functions.Run
			for i := range 10 {
				// r8 and r9 share a millisecond.
				at := base.Add(time.Duration(min(i, 8)) * time.Minute)
				runs = append(runs, functions.Run{RequestID: fmt.Sprintf("r%d", i), FunctionID: "fn_a", Tenant: "acme", Status: 200, StartedAt: at})
			}
			for i := range 3 {
				runs = append(runs, functions.Run{RequestID: fmt.Sprintf("g%d", i), FunctionID: "fn_g", Tenant: "globex", Status: 200, StartedAt: base.Add(-time.Hour)})
			}
			if err := s.SaveRuns(ctx, runs); err != nil {
				t.Fatal(err)
			}
			var total int64
			for calls := 1; ; calls++ {
				n, err := s.PruneRuns(ctx, "acme", tc.keep, tc.batch)
				if err != nil {
					t.Fatal(err)
				}
				if n > int64(tc.batch) {
					t.Fatalf("one call deleted %d, batch %d", n, tc.batch)
				}
				total += n
				if n < int64(tc.batch) {
					break
				}
				if calls > 20 {
					t.Fatal("pruning does not end")
				}
			}
			if total != int64(10-len(tc.left)) {
				t.Errorf("deleted %d, want %d", total, 10-len(tc.left))
			}
			var got []string
			for i := 9; i >= 0; i-- {
				if _, err := s.RunByID(ctx, "acme", fmt.Sprintf("r%d", i)); err == nil {
					got = append(got, fmt.Sprintf("r%d", i))
				}
			}
			if !reflect.DeepEqual(got, tc.left) {
				t.Errorf("left %v, want %v", got, tc.left)
			}
			if n := count(t, s, `SELECT count(*) FROM runs WHERE tenant = 'globex'`); n != 3 {
				t.Errorf("globex has %d runs left, want its 3: retention is per tenant", n)
			}
		})
	}
}
