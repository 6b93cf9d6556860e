package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scriptforge/scriptforge/functions/backend"
	"github.com/scriptforge/scriptforge/functions/queue"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

var (
	_ queue.Queue     = (*Queue)(nil)
	_ queue.Callbacks = (*Queue)(nil)
)

// Queue is the store's queue of async runs (the queue_runs table).
type Queue struct{ s *Store }

// Queue returns the queue of async runs kept in the same file.
func (s *Store) Queue() backend.Queue { return &Queue{s: s} }

// Enqueue stores a queued run. Concurrent Enqueues share one write
// transaction (groupcommit.Group): a commit is an fsync, and one per accepted
// call held accepts to a few hundred a second (bench/async.sh). The depth
// check is in the same transaction, so the bounds hold exactly however
// many gateways enqueue.
func (q *Queue) Enqueue(ctx context.Context, r queue.Run, lim queue.Limits) (queue.Run, bool, error) {
	r, headers, err := storerow.NewQueued(r, q.s.stamp)
	if err != nil {
		return r, false, fmt.Errorf("sqlite: enqueue: %w", err)
	}
	req := &enqueueReq{r: r, headers: headers, lim: lim}
	q.s.enqueues.Do(ctx, req, q.commitEnqueues)
	return req.out, req.created, req.err
}

// enqueueReq is one Enqueue in a shared transaction: its run, and what
// became of it.
type enqueueReq struct {
	r       queue.Run
	headers string
	lim     queue.Limits
	out     queue.Run
	created bool
	err     error
}

// commitEnqueues stores a batch in one transaction; a run refused (a full
// queue, an id taken) does not fail the others.
func (q *Queue) commitEnqueues(ctx context.Context, batch []*enqueueReq) {
	err := inTx(ctx, q.s.db, func(tx *sql.Tx) error {
		// Read once per batch, then kept up to date here.
		total, perTenant := -1, map[string]int{}
		for _, req := range batch {
			req.out, req.created, req.err = req.r, false, nil
			r, lim := req.r, req.lim
			if r.IdempotencyKey != "" {
				e, err := storerow.ScanQueued(tx.QueryRowContext(ctx, `SELECT `+storerow.QueueColumns+` FROM queue_runs WHERE tenant = ? AND idempotency_key = ?`,
					r.Tenant, r.IdempotencyKey))
				if err == nil {
					req.out = e
					continue
				}
				if !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
			if lim.Tenant > 0 || lim.Total > 0 {
				if total < 0 {
					n, err := depthOf(ctx, tx, "")
					if err != nil {
						return err
					}
					total = n
				}
				mine, ok := perTenant[r.Tenant]
				if !ok {
					n, err := depthOf(ctx, tx, r.Tenant)
					if err != nil {
						return err
					}
					mine, perTenant[r.Tenant] = n, n
				}
				if lim.Tenant > 0 && mine >= lim.Tenant {
					req.err = queue.ErrTenantFull
					continue
				}
				if lim.Total > 0 && total >= lim.Total {
					req.err = queue.ErrFull
					continue
				}
			}
			_, err := tx.ExecContext(ctx, `
INSERT INTO queue_runs (id, tenant, function_id, export, data, headers, callback_url, idempotency_key, state, max_attempts, next_at, enqueued_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.ID, r.Tenant, r.FunctionID, r.Export, []byte(r.Data), req.headers, r.CallbackURL, r.IdempotencyKey,
				string(queue.Queued), r.MaxAttempts, storerow.ToMillis(r.NextAt), storerow.ToMillis(r.EnqueuedAt))
			if err != nil { // this statement is undone, not the transaction
				req.err = fmt.Errorf("sqlite: enqueue %s: %w", r.ID, err)
				continue
			}
			req.created = true
			if total >= 0 {
				total++
			}
			if _, ok := perTenant[r.Tenant]; ok {
				perTenant[r.Tenant]++
			}
		}
		return nil
	})
	if err != nil {
		for _, req := range batch {
			req.out, req.created, req.err = req.r, false, fmt.Errorf("sqlite: enqueue %s: %w", req.r.ID, err)
		}
	}
}

// The claim's lookups (see Claim; TestClaimUsesTheIndex).
const (
	claimLostSQL = `SELECT ` + storerow.QueueColumns + ` FROM queue_runs
WHERE state IN ('queued', 'running') AND state = 'running' AND lease_until <= ? LIMIT 1`
	claimDueSQL = `SELECT ` + storerow.QueueColumns + ` FROM queue_runs
WHERE state IN ('queued', 'running') AND state = 'queued' AND next_at <= ? ORDER BY next_at LIMIT 1`
)

// Claim takes the next due run in a write transaction: two workers (or
// gateways) never hold one run at once.
func (q *Queue) Claim(ctx context.Context, now time.Time, lease time.Duration) (queue.Run, bool, error) {
	var claimed queue.Run
	ok := false
	at := storerow.ToMillis(now)
	err := inTx(ctx, q.s.db, func(tx *sql.Tx) error {
		// Each pass either claims a run or dead-letters one whose lease
		// expired on its last attempt; bounded so a claim stays short.
		for range 16 {
			// Runs whose worker was lost first, then the queued run due
			// longest: two lookups on the partial (state, next_at) index,
			// where one query with an OR would sort the whole queue. The
			// IN term repeats the index's WHERE: without it SQLite does not
			// see that the index applies, and scans the table.
			r, err := storerow.ScanQueued(tx.QueryRowContext(ctx, claimLostSQL, at))
			if errors.Is(err, sql.ErrNoRows) {
				r, err = storerow.ScanQueued(tx.QueryRowContext(ctx, claimDueSQL, at))
			}
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			if r.State == queue.Running { // its worker was lost: that attempt failed
				r.Errors = append(r.Errors, queue.Attempt{N: r.Attempts, At: now.UTC(), Error: "lease expired: the worker running it was lost"})
				if r.Attempts >= r.MaxAttempts {
					if err := q.deadLetter(ctx, tx, r, now); err != nil {
						return err
					}
					continue
				}
			}
			errs, err := json.Marshal(r.Errors)
			if err != nil {
				return err
			}
			r = storerow.Claimed(r, now, lease)
			if _, err := tx.ExecContext(ctx, `
UPDATE queue_runs SET state = ?, attempts = ?, token = ?, started_at = ?, lease_until = ?, errors = ? WHERE id = ?`,
				string(r.State), r.Attempts, r.Token, at, storerow.ToMillis(r.LeaseUntil), string(errs), r.ID); err != nil {
				return err
			}
			claimed, ok = r, true
			return nil
		}
		return nil
	})
	if err != nil {
		return queue.Run{}, false, fmt.Errorf("sqlite: claim: %w", err)
	}
	return claimed, ok, nil
}

func (q *Queue) deadLetter(ctx context.Context, tx *sql.Tx, r queue.Run, now time.Time) error {
	errs, err := json.Marshal(r.Errors)
	if err != nil {
		return err
	}
	last := ""
	if n := len(r.Errors); n > 0 {
		last = r.Errors[n-1].Error
	}
	_, err = tx.ExecContext(ctx, `
UPDATE queue_runs SET state = 'dead', token = '', lease_until = 0, errors = ?, error = ?, finished_at = ? WHERE id = ?`,
		string(errs), last, storerow.ToMillis(now), r.ID)
	return err
}

// Extend moves the end of a held lease.
func (q *Queue) Extend(ctx context.Context, id, token string, until time.Time) error {
	res, err := q.s.db.ExecContext(ctx, `UPDATE queue_runs SET lease_until = ? WHERE id = ? AND token = ? AND state = 'running'`,
		storerow.ToMillis(until), id, token)
	return leaseHeld(res, err, "extend", id)
}

func leaseHeld(res sql.Result, err error, op, id string) error {
	if err != nil {
		return fmt.Errorf("sqlite: %s %s: %w", op, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: %s %s: %w", op, id, err)
	}
	if n == 0 {
		return queue.ErrLeaseLost
	}
	return nil
}

// Release puts a claimed run back in the queue, its attempt uncounted.
func (q *Queue) Release(ctx context.Context, id, token string, retryAt time.Time) error {
	res, err := q.s.db.ExecContext(ctx, `
UPDATE queue_runs SET state = 'queued', attempts = attempts - 1, token = '', lease_until = 0, next_at = ?
WHERE id = ? AND token = ? AND state = 'running'`, storerow.ToMillis(retryAt), id, token)
	return leaseHeld(res, err, "release", id)
}

// Complete records a final outcome if token still holds the lease; the
// token's check in the UPDATE makes the outcome recorded once.
func (q *Queue) Complete(ctx context.Context, id, token string, o queue.Outcome, at time.Time) error {
	switch o.State {
	case queue.Succeeded, queue.Failed, queue.Cancelled:
	default:
		return fmt.Errorf("sqlite: complete %s: %q is not a final outcome", id, o.State)
	}
	res, err := q.s.db.ExecContext(ctx, `
UPDATE queue_runs SET state = ?, status = ?, result = ?, error = ?, finished_at = ?, token = '', lease_until = 0,
	callback_state = CASE WHEN callback_url <> '' THEN 'pending' ELSE '' END, callback_attempts = 0, callback_next_at = ?
WHERE id = ? AND token = ? AND state = 'running'`,
		string(o.State), o.Status, []byte(o.Result), o.Error, storerow.ToMillis(at), storerow.ToMillis(at), id, token)
	return leaseHeld(res, err, "complete", id)
}

// Fail records a failed attempt: queued again for retryAt, or dead when
// it was the last.
func (q *Queue) Fail(ctx context.Context, id, token, errText string, at, retryAt time.Time) (queue.State, error) {
	state := queue.Queued
	err := inTx(ctx, q.s.db, func(tx *sql.Tx) error {
		r, err := storerow.ScanQueued(tx.QueryRowContext(ctx, `SELECT `+storerow.QueueColumns+` FROM queue_runs WHERE id = ? AND token = ? AND state = 'running'`, id, token))
		if errors.Is(err, sql.ErrNoRows) {
			return queue.ErrLeaseLost
		}
		if err != nil {
			return err
		}
		r.Errors = append(r.Errors, queue.Attempt{N: r.Attempts, At: at.UTC(), Error: errText})
		if r.Attempts >= r.MaxAttempts {
			state = queue.Dead
			return q.deadLetter(ctx, tx, r, at)
		}
		errs, err := json.Marshal(r.Errors)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
UPDATE queue_runs SET state = 'queued', token = '', lease_until = 0, errors = ?, error = ?, next_at = ? WHERE id = ?`,
			string(errs), errText, storerow.ToMillis(retryAt), id)
		return err
	})
	if errors.Is(err, queue.ErrLeaseLost) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: fail %s: %w", id, err)
	}
	return state, nil
}

// Cancel ends a queued run; any other state is returned as it is.
func (q *Queue) Cancel(ctx context.Context, tenant, id string, at time.Time) (queue.State, error) {
	var state queue.State
	err := inTx(ctx, q.s.db, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT state FROM queue_runs WHERE tenant = ? AND id = ?`, tenant, id).Scan(&state); err != nil {
			return err
		}
		if state != queue.Queued {
			return nil
		}
		state = queue.Cancelled
		_, err := tx.ExecContext(ctx, `UPDATE queue_runs SET state = 'cancelled', error = 'cancelled before it ran', finished_at = ? WHERE id = ?`,
			storerow.ToMillis(at), id)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", queue.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: cancel %s: %w", id, err)
	}
	return state, nil
}

// Get reads one of the tenant's async runs.
func (q *Queue) Get(ctx context.Context, tenant, id string) (queue.Run, error) {
	r, err := storerow.ScanQueued(q.s.db.QueryRowContext(ctx, `SELECT `+storerow.QueueColumns+` FROM queue_runs WHERE tenant = ? AND id = ?`, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return queue.Run{}, queue.ErrNotFound
	}
	if err != nil {
		return queue.Run{}, fmt.Errorf("sqlite: queued run %s: %w", id, err)
	}
	return r, nil
}

// Dead lists the tenant's dead runs, the latest to die first.
func (q *Queue) Dead(ctx context.Context, tenant string, limit int) ([]queue.Run, error) {
	list, err := queryAll(ctx, q.s.db, storerow.ScanQueued, `SELECT `+storerow.QueueColumns+` FROM queue_runs
WHERE tenant = ? AND state = 'dead' ORDER BY finished_at DESC, id LIMIT ?`, tenant, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: dead runs: %w", err)
	}
	return list, nil
}

// Redrive queues dead runs again, due at once, with their attempts reset;
// the errors of earlier attempts are kept.
func (q *Queue) Redrive(ctx context.Context, tenant, id string, at time.Time) (int, error) {
	stmt := `UPDATE queue_runs SET state = 'queued', attempts = 0, next_at = ?, error = '', finished_at = 0,
	callback_state = '', callback_attempts = 0
WHERE tenant = ? AND state = 'dead'`
	args := []any{storerow.ToMillis(at), tenant}
	if id != "" {
		stmt += ` AND id = ?`
		args = append(args, id)
	}
	res, err := q.s.db.ExecContext(ctx, stmt, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlite: redrive: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: redrive: %w", err)
	}
	if n == 0 && id != "" {
		if _, err := q.Get(ctx, tenant, id); err != nil {
			return 0, err
		}
		return 0, queue.ErrState
	}
	return int(n), nil
}

// Discard deletes a run that will not run again.
func (q *Queue) Discard(ctx context.Context, tenant, id string) error {
	res, err := q.s.db.ExecContext(ctx, `DELETE FROM queue_runs WHERE tenant = ? AND id = ? AND state NOT IN ('queued', 'running')`, tenant, id)
	if err != nil {
		return fmt.Errorf("sqlite: discard %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if _, err := q.Get(ctx, tenant, id); err != nil {
			return err
		}
		return queue.ErrState
	}
	return nil
}

// Depth says how many runs the tenant, and all tenants, have queued or
// running.
func (q *Queue) Depth(ctx context.Context, tenant string) (int, int, error) {
	mine, err := depthOf(ctx, q.s.db, tenant)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlite: queue depth: %w", err)
	}
	all, err := depthOf(ctx, q.s.db, "")
	if err != nil {
		return 0, 0, fmt.Errorf("sqlite: queue depth: %w", err)
	}
	return mine, all, nil
}

// depthOf reads the count migration 15's triggers keep: tenant's, or with
// "" everyone's.
func depthOf(ctx context.Context, db querier, tenant string) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT n FROM queue_depth WHERE tenant = ?`, tenant).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// ClaimCallback takes the next due delivery; its due time moves past the
// lease, so another deliverer takes it only if this one is lost.
func (q *Queue) ClaimCallback(ctx context.Context, now time.Time, lease time.Duration) (queue.Run, bool, error) {
	var r queue.Run
	ok := false
	err := inTx(ctx, q.s.db, func(tx *sql.Tx) error {
		var err error
		r, err = storerow.ScanQueued(tx.QueryRowContext(ctx, `SELECT `+storerow.QueueColumns+` FROM queue_runs
WHERE callback_state = 'pending' AND callback_next_at <= ? ORDER BY callback_next_at LIMIT 1`, storerow.ToMillis(now)))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		_, err = tx.ExecContext(ctx, `UPDATE queue_runs SET callback_next_at = ? WHERE id = ?`, storerow.ToMillis(now.Add(lease)), r.ID)
		return err
	})
	if err != nil {
		return queue.Run{}, false, fmt.Errorf("sqlite: claim callback: %w", err)
	}
	return r, ok, nil
}

// CallbackDelivered records a delivered callback.
func (q *Queue) CallbackDelivered(ctx context.Context, id string, at time.Time) error {
	_, err := q.s.db.ExecContext(ctx, `UPDATE queue_runs SET callback_state = 'delivered', callback_attempts = callback_attempts + 1
WHERE id = ? AND callback_state = 'pending'`, id)
	if err != nil {
		return fmt.Errorf("sqlite: callback of %s delivered: %w", id, err)
	}
	return nil
}

// CallbackFailed records a failed delivery, in the run's errors too.
func (q *Queue) CallbackFailed(ctx context.Context, id, errText string, at, retryAt time.Time, max int) (bool, error) {
	dead := false
	err := inTx(ctx, q.s.db, func(tx *sql.Tx) error {
		r, err := storerow.ScanQueued(tx.QueryRowContext(ctx, `SELECT `+storerow.QueueColumns+` FROM queue_runs WHERE id = ? AND callback_state = 'pending'`, id))
		if err != nil {
			return err
		}
		r.CallbackAttempts++
		r.Errors = append(r.Errors, queue.Attempt{N: r.Attempts, At: at.UTC(), Error: fmt.Sprintf("callback %d: %s", r.CallbackAttempts, errText)})
		errs, err := json.Marshal(r.Errors)
		if err != nil {
			return err
		}
		if r.CallbackAttempts >= max {
			dead = true
			_, err = tx.ExecContext(ctx, `UPDATE queue_runs SET state = 'dead', callback_state = 'failed', callback_attempts = ?, errors = ?,
	error = ?, finished_at = ? WHERE id = ?`, r.CallbackAttempts, string(errs), "callback: "+errText, storerow.ToMillis(at), id)
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE queue_runs SET callback_attempts = ?, errors = ?, callback_next_at = ? WHERE id = ?`,
			r.CallbackAttempts, string(errs), storerow.ToMillis(retryAt), id)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: callback of %s failed: %w", id, err)
	}
	return dead, nil
}

// CallbackSecret reads the tenant's signing secret.
func (q *Queue) CallbackSecret(ctx context.Context, tenant string) (string, error) {
	var s string
	err := q.s.db.QueryRowContext(ctx, `SELECT secret FROM callback_secrets WHERE tenant = ?`, tenant).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: callback secret: %w", err)
	}
	return s, nil
}

// SetCallbackSecret replaces the tenant's signing secret.
func (q *Queue) SetCallbackSecret(ctx context.Context, tenant, secret string, at time.Time) error {
	_, err := q.s.db.ExecContext(ctx, `INSERT INTO callback_secrets (tenant, secret, created_at) VALUES (?, ?, ?)
ON CONFLICT (tenant) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at`, tenant, secret, storerow.ToMillis(at))
	if err != nil {
		return fmt.Errorf("sqlite: set callback secret: %w", err)
	}
	return nil
}
