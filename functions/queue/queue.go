// Package queue holds async runs (Prefer: respond-async): a durable
// queue each run is written to before the caller is answered, claimed by
// workers under a lease, retried with backoff, and dead-lettered when its
// attempts are spent. The gateway's sync and async handlers share only
// the Queue interface; the SQLite implementation is in functions/sqlite.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"
)

// State is where an async run stands.
type State string

const (
	Queued    State = "queued"  // waiting for a worker, or for its retry time
	Running   State = "running" // claimed by a worker under a lease
	Succeeded State = "succeeded"
	// Failed: the run ended with an error that retrying cannot mend (the
	// caller's fault, or the function's answer); not retried.
	Failed    State = "failed"
	Cancelled State = "cancelled"
	// Dead: its attempts are spent; it waits in the tenant's dead-letter
	// list to be redriven or discarded.
	Dead State = "dead"
)

// Final reports whether a run in s will not run again (but by a redrive).
func (s State) Final() bool { return s != Queued && s != Running }

var (
	ErrNotFound = errors.New("queue: no such run")
	// ErrLeaseLost: a worker's lease expired and another took the run, or
	// the run was cancelled meanwhile; its outcome is not recorded.
	ErrLeaseLost = errors.New("queue: the lease on this run is lost")
	// ErrTenantFull and ErrFull: Enqueue refused a run past the depth
	// bounds (the gateway answers 429 and 503).
	ErrTenantFull = errors.New("queue: the tenant's queue is full")
	ErrFull       = errors.New("queue: the queue is full")
	// ErrState: the run is not in a state the operation applies to
	// (redrive a run that is not dead, discard one that is running).
	ErrState = errors.New("queue: the run is not in a state that allows this")
)

// Attempt is one failed attempt of a run, kept in order.
type Attempt struct {
	N     int       `json:"attempt"`
	At    time.Time `json:"at"`
	Error string    `json:"error"`
}

// Run is one async run: what was asked, and where it stands.
type Run struct {
	ID         string `json:"request_id"` // the run's request id, also its run record's
	Tenant     string `json:"-"`
	FunctionID string `json:"function_id"`
	Export     string `json:"export,omitempty"`
	// Data is the function's first argument, as the request gave it.
	Data json.RawMessage `json:"-"`
	// Headers are the request headers the run's ctx.request keeps
	// (lower-case names; credentials already dropped).
	Headers        map[string]string `json:"-"`
	CallbackURL    string            `json:"callback_url,omitempty"`
	IdempotencyKey string            `json:"idempotency_key,omitempty"`

	State       State     `json:"status"`
	Attempts    int       `json:"attempts"`
	MaxAttempts int       `json:"max_attempts"`
	Errors      []Attempt `json:"errors,omitempty"`
	// Status, Result and Error are the outcome once final: the HTTP status
	// the run would have answered, its JSON result, or its error.
	Status int             `json:"result_status,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`

	EnqueuedAt time.Time `json:"enqueued_at"`
	StartedAt  time.Time `json:"started_at,omitzero"`  // the latest attempt's
	FinishedAt time.Time `json:"finished_at,omitzero"` // once final
	NextAt     time.Time `json:"next_at,omitzero"`     // queued: not before

	// CallbackState is the delivery of the outcome to CallbackURL:
	// "" (none), pending, delivered or failed (then the run is Dead).
	CallbackState    string `json:"callback_state,omitempty"`
	CallbackAttempts int    `json:"callback_attempts,omitempty"`

	// Token names the current lease; only its holder may finish the run.
	Token      string    `json:"-"`
	LeaseUntil time.Time `json:"-"`
}

// Limits bounds the queue's depth (queued and running runs); 0 is no bound.
type Limits struct {
	Tenant int
	Total  int
}

// Outcome is how an attempt ended for good: Succeeded, Failed or Cancelled.
type Outcome struct {
	State  State
	Status int
	Result json.RawMessage
	Error  string
}

// Queue is the durable store of async runs. Every write is durable when
// it returns.
type Queue interface {
	// Enqueue stores r as Queued. With an idempotency key already used by
	// the tenant it stores nothing and returns the existing run, false.
	Enqueue(ctx context.Context, r Run, lim Limits) (Run, bool, error)
	// Claim takes the next run due at now (queued and due, or running
	// under a lease that expired) for lease; false when there is none.
	// An expired run whose attempts are spent goes Dead instead.
	Claim(ctx context.Context, now time.Time, lease time.Duration) (Run, bool, error)
	// Extend moves a held lease's end to until.
	Extend(ctx context.Context, id, token string, until time.Time) error
	// Complete records a final outcome, once: ErrLeaseLost unless token
	// holds the lease.
	Complete(ctx context.Context, id, token string, o Outcome, at time.Time) error
	// Release gives a claimed run back, due at retryAt, without counting
	// the attempt: the worker chose not to run it yet.
	Release(ctx context.Context, id, token string, retryAt time.Time) error
	// Fail records a failed attempt: queued again at retryAt, or Dead
	// when it was the last.
	Fail(ctx context.Context, id, token, errText string, at, retryAt time.Time) (State, error)
	// Cancel ends a queued run as Cancelled; a running one is left to its
	// worker (whose context the gateway cancels). It returns the state.
	Cancel(ctx context.Context, tenant, id string, at time.Time) (State, error)
	Get(ctx context.Context, tenant, id string) (Run, error)
	// Dead lists the tenant's dead runs, newest first.
	Dead(ctx context.Context, tenant string, limit int) ([]Run, error)
	// Redrive queues dead runs again with fresh attempts: one by id, or
	// all of the tenant's when id is "". It returns how many.
	Redrive(ctx context.Context, tenant, id string, at time.Time) (int, error)
	// Discard deletes a final run (dead, or any other final state).
	Discard(ctx context.Context, tenant, id string) error
	// Depth counts queued and running runs: the tenant's, and everyone's.
	Depth(ctx context.Context, tenant string) (tenantDepth, total int, err error)
}

// Backoff spaces the attempts of a run: attempt n (from 1) waits
// Base·2^(n-1), at most Max, then "full jitter" picks a point in the
// upper half, so runs that failed together do not retry together.
type Backoff struct {
	Base time.Duration // default 1s
	Max  time.Duration // default 5m
}

// Delay is how long to wait after the attempt-th failed attempt.
func (b Backoff) Delay(attempt int) time.Duration {
	base, max := b.Base, b.Max
	if base <= 0 {
		base = time.Second
	}
	if max <= 0 {
		max = 5 * time.Minute
	}
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	half := d / 2
	return half + rand.N(d-half+1)
}

// Callbacks delivers finished runs' outcomes to their callback URLs.
type Callbacks interface {
	// ClaimCallback takes a pending delivery due at now and holds it for
	// lease; false when there is none.
	ClaimCallback(ctx context.Context, now time.Time, lease time.Duration) (Run, bool, error)
	// CallbackDelivered records a delivery (a 2xx).
	CallbackDelivered(ctx context.Context, id string, at time.Time) error
	// CallbackFailed records a failed delivery: due again at retryAt, or,
	// after max attempts, failed for good and the run Dead.
	CallbackFailed(ctx context.Context, id, errText string, at, retryAt time.Time, max int) (dead bool, err error)
	// CallbackSecret is the tenant's signing secret; "" when it has none.
	CallbackSecret(ctx context.Context, tenant string) (string, error)
	// SetCallbackSecret replaces the tenant's signing secret.
	SetCallbackSecret(ctx context.Context, tenant, secret string, at time.Time) error
}
