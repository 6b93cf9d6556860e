package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// FireState is where a slot of a function's schedule stands.
type FireState string

const (
	// FireClaimed: the slot is taken and its run started. A claim is
	// written before the run, so a slot runs at most once: a claim left
	// by a gateway that died during the run stays as it is.
	FireClaimed   FireState = "claimed"
	FireSucceeded FireState = "succeeded"
	FireFailed    FireState = "failed"
	// FireSkipped: the slot did not run; Reason says why.
	FireSkipped FireState = "skipped"
)

// Reasons a slot is skipped.
const (
	// ReasonMissed: the gateway was down (or behind) across the slot, and
	// a later slot ran in its place.
	ReasonMissed = "missed"
	// ReasonOverlap: the function's previous scheduled run was still
	// going, and its overlap policy is skip.
	ReasonOverlap = "overlap"
)

// Fire is one slot of a function's schedule and what became of it.
type Fire struct {
	Tenant     string    `json:"-"`
	FunctionID string    `json:"-"`
	Slot       time.Time `json:"slot"`
	State      FireState `json:"state"`
	Reason     string    `json:"reason,omitempty"`     // skipped: why
	RequestID  string    `json:"request_id,omitempty"` // the run's, once claimed
	Status     int       `json:"status,omitempty"`     // the run's HTTP-style status, once finished
	Error      string    `json:"error,omitempty"`      // failed: the run's error code and message
	At         time.Time `json:"at"`                   // when the state was written
}

// Scheduled is a function with a schedule, as the Runner reads it.
type Scheduled struct {
	Tenant, FunctionID string
	// Schedule is the stored schedule: the JSON of a validated Spec.
	Schedule string
	// Since is when the schedule was set to what it is: its slots come
	// after, whatever fired under an earlier schedule.
	Since time.Time
	// LastSlot is the latest slot with a fire record of any state; zero
	// when there is none.
	LastSlot time.Time
}

// Store keeps fire records. Claim and Skip are durable when they return.
type Store interface {
	// ScheduledFunctions lists every tenant's functions with a schedule.
	ScheduledFunctions(ctx context.Context) ([]Scheduled, error)
	// ClaimFire records f as claimed; false if the slot has a record
	// already (another gateway, or this one before a restart, has it).
	ClaimFire(ctx context.Context, f Fire) (bool, error)
	// SkipFires records slots that will not run; slots that have a
	// record already keep it.
	SkipFires(ctx context.Context, fs []Fire) error
	// FinishFire records a claimed slot's outcome.
	FinishFire(ctx context.Context, f Fire) error
}

// Job is one scheduled run to make.
type Job struct {
	Tenant, FunctionID string
	Slot               time.Time
	Spec               Spec // as validated
	// RequestID is the run's id, recorded with the claim before the run
	// starts: a slot left claimed names the run it was.
	RequestID string
}

// Data is the run's first argument: {"scheduled_at": …, "schedule": …}.
func (j Job) Data() json.RawMessage {
	b, _ := json.Marshal(struct { // a time and a Spec: cannot fail
		ScheduledAt time.Time `json:"scheduled_at"`
		Schedule    Spec      `json:"schedule"`
	}{j.Slot, j.Spec})
	return b
}

// Outcome is how a scheduled run ended.
type Outcome struct {
	Status int    // 200 for a plain result; the error's status otherwise
	Error  string // "" on success: the error code and message
}

func randomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("schedule: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// Invoker runs a function for a schedule, through the gateway's own
// path (limits, executor, run record with trigger "schedule").
type Invoker interface {
	RunScheduled(ctx context.Context, j Job) Outcome
}

// Clock is the Runner's time: the wall clock in production, a fake in
// tests.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Store   Store
	Invoker Invoker
	// Clock defaults to the wall clock.
	Clock Clock
	// Interval is how often the Runner looks for due slots; default 1s.
	// A slot runs within Interval of its time.
	Interval time.Duration
	Log      *slog.Logger // default slog.Default()
	// NewRequestID names each run; the gateway passes its own, so a
	// scheduled run's id looks like a call's. Default: 32 random hex digits.
	NewRequestID func() string
}

// Runner fires the schedules of every tenant's functions: on each tick
// it reads the scheduled functions, and for each one with a slot due it
// records the older missed slots as skipped, claims the due slot, and
// runs it. With several gateways on one store, the claim makes each slot
// run once; see DESIGN.md for the single leader of the shared store.
type Runner struct {
	cfg     RunnerConfig
	mu      sync.Mutex
	running map[string]int // function id → scheduled runs in progress
	runs    sync.WaitGroup
	// parsed caches schedules by their stored JSON; Tick drops the ones
	// no function has any more.
	parsed map[string]*Schedule
}

// NewRunner checks cfg; it starts nothing.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	if cfg.Store == nil || cfg.Invoker == nil {
		return nil, fmt.Errorf("schedule: a Runner needs a Store and an Invoker")
	}
	if cfg.Clock == nil {
		cfg.Clock = wallClock{}
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.NewRequestID == nil {
		cfg.NewRequestID = randomID
	}
	return &Runner{cfg: cfg, running: map[string]int{}, parsed: map[string]*Schedule{}}, nil
}

// Run ticks until ctx ends, then waits for the runs it started. A tick
// that fails is logged and the next one tries again.
func (r *Runner) Run(ctx context.Context) {
	defer r.Wait()
	for {
		if err := r.Tick(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Log.Error("schedule: tick", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-r.cfg.Clock.After(r.cfg.Interval):
		}
	}
}

// Wait waits for the scheduled runs in progress.
func (r *Runner) Wait() { r.runs.Wait() }

// Tick fires what is due now. Runs go on in the background (see Wait);
// their context is ctx without its cancellation, so a shutdown lets them
// finish, as it does HTTP calls in flight.
func (r *Runner) Tick(ctx context.Context) error {
	list, err := r.cfg.Store.ScheduledFunctions(ctx)
	if err != nil {
		return err
	}
	r.forget(list)
	now := r.cfg.Clock.Now()
	var errs []error
	for _, fn := range list {
		if err := r.fire(ctx, fn, now); err != nil {
			errs = append(errs, fmt.Errorf("function %s: %w", fn.FunctionID, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("schedule: %d of %d functions: %w", len(errs), len(list), errs[0])
	}
	return nil
}

func (r *Runner) fire(ctx context.Context, fn Scheduled, now time.Time) error {
	sc, err := r.parse(fn.Schedule)
	if err != nil {
		return fmt.Errorf("stored schedule: %w", err)
	}
	last := fn.LastSlot
	if fn.Since.After(last) {
		last = fn.Since // a new schedule: nothing before it was missed
	}
	m := sc.Due(last, now)
	if m.Fire.IsZero() {
		return nil
	}
	at := now.UTC()
	if len(m.Skipped) > 0 {
		skipped := make([]Fire, len(m.Skipped))
		for i, s := range m.Skipped {
			skipped[i] = Fire{Tenant: fn.Tenant, FunctionID: fn.FunctionID, Slot: s, State: FireSkipped, Reason: ReasonMissed, At: at}
		}
		if err := r.cfg.Store.SkipFires(ctx, skipped); err != nil {
			return err
		}
	}
	if m.More > 0 {
		r.cfg.Log.Warn("schedule: missed slots not recorded one by one", slog.String("function", fn.FunctionID),
			slog.Int("count", m.More), slog.Bool("at_least", m.Truncated))
	}
	f := Fire{Tenant: fn.Tenant, FunctionID: fn.FunctionID, Slot: m.Fire, At: at}
	if sc.Overlap() == OverlapSkip && r.busy(fn.FunctionID) {
		f.State, f.Reason = FireSkipped, ReasonOverlap
		return r.cfg.Store.SkipFires(ctx, []Fire{f})
	}
	f.State, f.RequestID = FireClaimed, r.cfg.NewRequestID()
	claimed, err := r.cfg.Store.ClaimFire(ctx, f)
	if err != nil || !claimed {
		return err
	}
	r.start(context.WithoutCancel(ctx), f, Job{Tenant: fn.Tenant, FunctionID: fn.FunctionID, Slot: m.Fire, Spec: sc.Spec(), RequestID: f.RequestID})
	return nil
}

// forget drops cached schedules that no function in list has.
func (r *Runner) forget(list []Scheduled) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.parsed) <= len(list) {
		return
	}
	keep := make(map[string]bool, len(list))
	for _, fn := range list {
		keep[fn.Schedule] = true
	}
	for k := range r.parsed {
		if !keep[k] {
			delete(r.parsed, k)
		}
	}
}

// parse reads a stored schedule, once per distinct one: loading its
// zone reads the tz database.
func (r *Runner) parse(stored string) (*Schedule, error) {
	r.mu.Lock()
	sc := r.parsed[stored]
	r.mu.Unlock()
	if sc != nil {
		return sc, nil
	}
	var sp Spec
	if err := json.Unmarshal([]byte(stored), &sp); err != nil {
		return nil, err
	}
	sc, err := Parse(sp)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.parsed[stored] = sc
	r.mu.Unlock()
	return sc, nil
}

func (r *Runner) busy(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[id] > 0
}

// start runs a claimed slot in the background and records its outcome.
func (r *Runner) start(ctx context.Context, f Fire, j Job) {
	r.mu.Lock()
	r.running[f.FunctionID]++
	r.mu.Unlock()
	r.runs.Add(1)
	go func() {
		defer r.runs.Done()
		defer func() {
			r.mu.Lock()
			if r.running[f.FunctionID]--; r.running[f.FunctionID] == 0 {
				delete(r.running, f.FunctionID)
			}
			r.mu.Unlock()
		}()
		out := r.cfg.Invoker.RunScheduled(ctx, j)
		f.Status, f.Error, f.At = out.Status, out.Error, r.cfg.Clock.Now().UTC()
		f.State = FireSucceeded
		if out.Error != "" {
			f.State = FireFailed
		}
		if err := r.cfg.Store.FinishFire(ctx, f); err != nil {
			r.cfg.Log.Error("schedule: record outcome", slog.String("function", f.FunctionID), slog.Time("slot", f.Slot), slog.Any("error", err))
		}
	}()
}
