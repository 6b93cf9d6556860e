package schedule_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/schedule"
	"github.com/scriptforge/scriptforge/functions/sqlite"
)

// fakeClock is set by the test; the Runner's own loop is not used here,
// the test calls Tick.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}
func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
func (c *fakeClock) After(time.Duration) <-chan time.Time { return nil }

// invoker records the jobs it gets; with hold set, each run waits until
// release is closed.
type invoker struct {
	mu      sync.Mutex
	jobs    []schedule.Job
	started chan struct{}
	release chan struct{}
	fail    bool
}

func newInvoker(hold bool) *invoker {
	iv := &invoker{started: make(chan struct{}, 16), release: make(chan struct{})}
	if !hold {
		close(iv.release)
	}
	return iv
}

func (iv *invoker) RunScheduled(ctx context.Context, j schedule.Job) schedule.Outcome {
	iv.mu.Lock()
	iv.jobs = append(iv.jobs, j)
	iv.mu.Unlock()
	iv.started <- struct{}{}
	<-iv.release
	if iv.fail {
		return schedule.Outcome{Status: 500, Error: "function_error: boom"}
	}
	return schedule.Outcome{Status: 200}
}

func (iv *invoker) slots() []time.Time {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	var out []time.Time
	for _, j := range iv.jobs {
		out = append(out, j.Slot)
	}
	return out
}

type env struct {
	t     *testing.T
	path  string
	store *sqlite.Store
	fn    functions.Deployed
	first time.Time // the schedule's first slot after the function was made
	sc    *schedule.Schedule
	clock *fakeClock
}

// newEnv makes a function scheduled every five minutes with the given
// overlap policy in a fresh store.
func newEnv(t *testing.T, overlap string) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	spec := functions.Schedule(`{"cron":"*/5 * * * *","tz":"Europe/Paris","overlap":"` + overlap + `"}`)
	d, err := st.Create(context.Background(), "acme", "tick", functions.Settings{Auth: functions.AuthPublic, Schedule: spec},
		functions.NewVersion{Type: functions.TypeScript, Source: "x", Code: "x", Hash: "h", Env: []functions.EnvVar{}, TimeoutMS: 1000, MemoryMB: 64})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := spec.Parse()
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, path: path, store: st, fn: d, sc: sc, first: sc.Next(d.UpdatedAt), clock: &fakeClock{}}
}

// slot is the n-th slot (0: the first) after the function was made.
func (e *env) slot(n int) time.Time { return e.first.Add(time.Duration(n) * 5 * time.Minute) }

func (e *env) runner(store schedule.Store, iv schedule.Invoker) *schedule.Runner {
	e.t.Helper()
	r, err := schedule.NewRunner(schedule.RunnerConfig{Store: store, Invoker: iv, Clock: e.clock})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// tick runs one Tick at t.
func (e *env) tick(r *schedule.Runner, t time.Time) {
	e.t.Helper()
	e.clock.set(t)
	if err := r.Tick(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// fires are the function's fire records, oldest slot first.
func (e *env) fires(st *sqlite.Store) []schedule.Fire {
	e.t.Helper()
	list, err := st.Fires(context.Background(), "acme", e.fn.ID, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

type want struct {
	slot   int
	state  schedule.FireState
	reason string
}

func (e *env) check(st *sqlite.Store, ws ...want) {
	e.t.Helper()
	got := e.fires(st)
	if len(got) != len(ws) {
		e.t.Fatalf("fires %+v, want %+v", got, ws)
	}
	for i, w := range ws {
		g := got[i]
		if !g.Slot.Equal(e.slot(w.slot)) || g.State != w.state || g.Reason != w.reason {
			e.t.Fatalf("fire %d = %s %s %q, want slot %s %s %q", i, g.Slot, g.State, g.Reason, e.slot(w.slot), w.state, w.reason)
		}
	}
}

func TestRunnerFiresEachSlotOnce(t *testing.T) {
	e := newEnv(t, "skip")
	iv := newInvoker(false)
	r := e.runner(e.store, iv)
	e.tick(r, e.slot(0).Add(-time.Second)) // not yet
	e.tick(r, e.slot(0))
	e.tick(r, e.slot(0).Add(2*time.Second)) // the same slot again
	r.Wait()
	if got := iv.slots(); len(got) != 1 || !got[0].Equal(e.slot(0)) {
		t.Fatalf("runs %v", got)
	}
	e.check(e.store, want{0, schedule.FireSucceeded, ""})
	if f := e.fires(e.store)[0]; f.RequestID == "" || f.Status != 200 {
		t.Fatalf("outcome not recorded: %+v", f)
	}
	// The run's data: the slot in the schedule's zone and the schedule.
	var data struct {
		ScheduledAt string        `json:"scheduled_at"`
		Schedule    schedule.Spec `json:"schedule"`
	}
	if err := json.Unmarshal(iv.jobs[0].Data(), &data); err != nil || data.ScheduledAt != e.slot(0).In(e.sc.Location()).Format(time.RFC3339) || data.Schedule.Cron != "*/5 * * * *" {
		t.Fatalf("data %s: %+v %v", iv.jobs[0].Data(), data, err)
	}
}

// A gateway that dies during a slot's run leaves its claim; the gateway
// that comes back does not run the slot again, and runs the next one.
func TestRunnerRestartDuringASlot(t *testing.T) {
	e := newEnv(t, "skip")
	stuck := newInvoker(true) // the first gateway's run never ends
	first := e.runner(e.store, stuck)
	t.Cleanup(func() { close(stuck.release); first.Wait() })
	e.tick(first, e.slot(0).Add(time.Second))
	<-stuck.started

	// The restart: a new store handle on the same file, a new Runner.
	again, err := sqlite.Open(e.path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	iv := newInvoker(false)
	second := e.runner(again, iv)
	e.tick(second, e.slot(0).Add(30*time.Second))
	second.Wait()
	if got := iv.slots(); len(got) != 0 {
		t.Fatalf("the claimed slot ran again after the restart: %v", got)
	}
	e.check(again, want{0, schedule.FireClaimed, ""})
	// The claim names the run it started, for whoever looks into it.
	if f := e.fires(again)[0]; f.RequestID == "" || f.RequestID != stuck.jobs[0].RequestID {
		t.Fatalf("claim %+v, run %+v", f, stuck.jobs[0])
	}

	e.tick(second, e.slot(1).Add(time.Second))
	second.Wait()
	if got := iv.slots(); len(got) != 1 || !got[0].Equal(e.slot(1)) {
		t.Fatalf("runs after the restart %v", got)
	}
	e.check(again, want{0, schedule.FireClaimed, ""}, want{1, schedule.FireSucceeded, ""})
}

// Down across three slots: the latest runs once, the two before it are
// recorded as missed.
func TestRunnerCatchesUpOnce(t *testing.T) {
	e := newEnv(t, "skip")
	iv := newInvoker(false)
	r := e.runner(e.store, iv)
	e.tick(r, e.slot(0))
	r.Wait()

	// Down from just after slot 0 until after slot 3; a new Runner, as
	// after a restart.
	r = e.runner(e.store, iv)
	e.tick(r, e.slot(3).Add(2*time.Minute))
	e.tick(r, e.slot(3).Add(2*time.Minute+time.Second))
	r.Wait()
	if got := iv.slots(); len(got) != 2 || !got[1].Equal(e.slot(3)) {
		t.Fatalf("runs %v", got)
	}
	e.check(e.store,
		want{0, schedule.FireSucceeded, ""},
		want{1, schedule.FireSkipped, schedule.ReasonMissed},
		want{2, schedule.FireSkipped, schedule.ReasonMissed},
		want{3, schedule.FireSucceeded, ""})
}

func TestRunnerOverlap(t *testing.T) {
	for _, tc := range []struct {
		policy string
		runs   int // slots 0 and 1 run
		want   []want
	}{
		{"skip", 1, []want{{0, schedule.FireSucceeded, ""}, {1, schedule.FireSkipped, schedule.ReasonOverlap}, {2, schedule.FireSucceeded, ""}}},
		{"allow", 2, []want{{0, schedule.FireSucceeded, ""}, {1, schedule.FireSucceeded, ""}, {2, schedule.FireSucceeded, ""}}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			e := newEnv(t, tc.policy)
			iv := newInvoker(true)
			r := e.runner(e.store, iv)
			e.tick(r, e.slot(0))
			<-iv.started
			e.tick(r, e.slot(1)) // slot 0's run is still going
			for range tc.runs - 1 {
				<-iv.started
			}
			if got := iv.slots(); len(got) != tc.runs {
				t.Fatalf("runs while one was going: %v", got)
			}
			close(iv.release)
			r.Wait()
			e.tick(r, e.slot(2))
			r.Wait()
			e.check(e.store, tc.want...)
		})
	}
}

func TestRunnerRecordsFailure(t *testing.T) {
	e := newEnv(t, "skip")
	iv := newInvoker(false)
	iv.fail = true
	r := e.runner(e.store, iv)
	e.tick(r, e.slot(0))
	r.Wait()
	e.check(e.store, want{0, schedule.FireFailed, ""})
	if f := e.fires(e.store)[0]; f.Status != 500 || f.Error != "function_error: boom" {
		t.Fatalf("failure not recorded: %+v", f)
	}
	// A failed slot is not retried: the next tick waits for slot 1.
	e.tick(r, e.slot(0).Add(time.Minute))
	r.Wait()
	if got := iv.slots(); len(got) != 1 {
		t.Fatalf("a failed slot ran again: %v", got)
	}
}

func TestRunnerFunctionWithoutScheduleIsLeftAlone(t *testing.T) {
	e := newEnv(t, "skip")
	if _, err := e.store.UpdateSettings(context.Background(), "acme", e.fn.ID, functions.Settings{Auth: functions.AuthPublic}); err != nil {
		t.Fatal(err)
	}
	iv := newInvoker(false)
	r := e.runner(e.store, iv)
	e.tick(r, e.slot(5))
	r.Wait()
	if got := iv.slots(); len(got) != 0 {
		t.Fatalf("runs of a function without a schedule: %v", got)
	}
}

// memStore is a Store in memory, for cases the SQLite clock cannot set up.
type memStore struct {
	mu    sync.Mutex
	fns   []schedule.Scheduled
	fires map[time.Time]schedule.Fire
}

func (m *memStore) ScheduledFunctions(context.Context) ([]schedule.Scheduled, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]schedule.Scheduled(nil), m.fns...), nil
}
func (m *memStore) ClaimFire(_ context.Context, f schedule.Fire) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.fires[f.Slot]; ok {
		return false, nil
	}
	m.fires[f.Slot] = f
	return true, nil
}
func (m *memStore) SkipFires(_ context.Context, fs []schedule.Fire) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range fs {
		if _, ok := m.fires[f.Slot]; !ok {
			m.fires[f.Slot] = f
		}
	}
	return nil
}
func (m *memStore) FinishFire(_ context.Context, f schedule.Fire) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fires[f.Slot] = f
	return nil
}

// A schedule set after the last fire starts from when it was set: the
// slots of the new schedule before that were never due, not missed.
func TestRunnerNewScheduleMissesNothing(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	st := &memStore{fires: map[time.Time]schedule.Fire{}, fns: []schedule.Scheduled{{Tenant: "acme", FunctionID: "fn_a",
		Schedule: `{"cron":"*/5 * * * *","tz":"UTC","overlap":"skip"}`, Since: t0.Add(time.Hour + time.Second), LastSlot: t0}}}
	iv := newInvoker(false)
	r, err := schedule.NewRunner(schedule.RunnerConfig{Store: st, Invoker: iv, Clock: &fakeClock{now: t0.Add(time.Hour + 6*time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if got := iv.slots(); len(got) != 1 || !got[0].Equal(t0.Add(time.Hour+5*time.Minute)) || len(st.fires) != 1 {
		t.Fatalf("runs %v, fires %v", got, st.fires)
	}
}
