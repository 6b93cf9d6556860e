package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scriptforge/scriptforge/functions/backend"
	"github.com/scriptforge/scriptforge/functions/queue"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

// Queue is the store's queue of async runs (the queue_runs table), shared
// by every gateway on the database: a run is claimed with FOR UPDATE SKIP
// LOCKED under a lease, so one gateway takes it, and another takes it
// again once the lease has run out.
type Queue struct{ s *Store }

var _ backend.Queue = (*Queue)(nil)

// Queue returns the queue of async runs kept in the same database.
func (s *Store) Queue() backend.Queue { return &Queue{s: s} }

// depthStripes is how many stripes the depth counts are kept in
// (migration 3's pg_backend_pid() % 16).
const depthStripes = 16

// maxStripeRuns bounds the runs of one transaction that decides in its
// stripe: a count read there misses at most that many runs of each other
// stripe's holder (see Enqueue).
const maxStripeRuns = 32

// unseenRuns is how many runs of other holders a count read in one
// stripe can miss: a run with less room than that below a bound is
// decided holding every stripe.
const unseenRuns = (depthStripes - 1) * maxStripeRuns

// Enqueue stores a queued run, and holds the depth bounds exactly.
// Concurrent Enqueues share transactions (groupcommit.Group): one
// transaction per accept held accepts to PostgreSQL's commit rate
// (bench/async.sh).
//
// A transaction first locks its connection's stripe of the total (the
// row its inserts' trigger counts in, see migration 3), then reads the
// counts, and keeps them up to date as it inserts. Each stripe has one
// such holder at a time, and one holds at most maxStripeRuns runs, so the
// counts it read miss at most unseenRuns runs of other holders, not yet
// committed. A run with that much room below each bound is taken at once;
// one past a bound is refused. From the first run in between, the rest of
// the batch is decided in a second transaction holding every stripe of
// the total (in order, as Redrive does), which waits out the other
// holders: the counts it reads are exact.
func (q *Queue) Enqueue(ctx context.Context, r queue.Run, lim queue.Limits) (queue.Run, bool, error) {
	r, headers, err := storerow.NewQueued(r, q.s.stamp)
	if err != nil {
		return r, false, fmt.Errorf("postgres: enqueue: %w", err)
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

func (req *enqueueReq) limited() bool { return req.lim.Tenant > 0 || req.lim.Total > 0 }

func (req *enqueueReq) fail(err error) {
	req.out, req.created, req.err = req.r, false, fmt.Errorf("postgres: enqueue %s: %w", req.r.ID, err)
}

// commitEnqueues decides a batch, maxStripeRuns runs a transaction, each
// in its stripe until one comes near a bound; from there on, holding
// every stripe.
func (q *Queue) commitEnqueues(ctx context.Context, batch []*enqueueReq) {
	for len(batch) > 0 {
		n := min(len(batch), maxStripeRuns)
		if rest := q.commitRuns(ctx, batch[:n], false); len(rest) > 0 {
			q.commitRuns(ctx, append(rest, batch[n:]...), true)
			return
		}
		batch = batch[n:]
	}
}

// commitRuns decides reqs in one transaction. In PostgreSQL an error
// aborts the whole transaction, so a run's own error (an id taken, bad
// data) takes that run out and the others are tried again without it; any
// other error fails them all. It returns the runs left undecided: from
// the first one too near a bound to decide in its stripe on (none when
// exclusive).
func (q *Queue) commitRuns(ctx context.Context, reqs []*enqueueReq, exclusive bool) []*enqueueReq {
	live := append([]*enqueueReq(nil), reqs...)
	for deadlocks := 0; ; {
		var bad *enqueueReq
		var rest []*enqueueReq
		err := inTx(ctx, q.s.pool, func(tx pgx.Tx) error {
			var err error
			rest, bad, err = q.decideRuns(ctx, tx, live, exclusive)
			return err
		})
		if bad != nil {
			bad.fail(err)
			live = slices.DeleteFunc(live, func(r *enqueueReq) bool { return r == bad })
			continue
		}
		// Two batches inserting one key each may wait for the other's
		// (as an exclusive one and another waiting for its stripe may):
		// PostgreSQL aborts one, which then goes after the other.
		if deadlocked(err) && deadlocks < 3 {
			deadlocks++
			continue
		}
		if err != nil {
			for _, req := range live {
				req.fail(err)
			}
			return nil
		}
		return rest
	}
}

func deadlocked(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "40P01"
}

// decideRuns is one try of commitRuns, in tx. On an error that is one
// run's own, it returns that run too.
func (q *Queue) decideRuns(ctx context.Context, tx pgx.Tx, reqs []*enqueueReq, exclusive bool) (rest []*enqueueReq, bad *enqueueReq, err error) {
	tenants := []string{""} // the total's rows, then each tenant's
	for _, req := range reqs {
		req.out, req.created, req.err = req.r, false, nil
		if req.limited() && !slices.Contains(tenants, req.r.Tenant) {
			tenants = append(tenants, req.r.Tenant)
		}
	}
	depth := map[string]int{} // the total under ""
	if len(tenants) > 1 {
		lock := lockOwnStripeSQL
		if exclusive {
			lock = lockAllStripesSQL
		}
		if _, err := tx.Exec(ctx, lock); err != nil {
			return nil, nil, err
		}
		if depth, err = depthsOf(ctx, tx, tenants); err != nil {
			return nil, nil, err
		}
	} else if exclusive { // no bound to decide: nothing to wait for
		exclusive = false
	}
	unseen := unseenRuns
	if exclusive {
		unseen = 0
	}
	if roomForAll(reqs, depth, unseen) {
		bad, err := insertAll(ctx, tx, reqs)
		return nil, bad, err
	}
	for i, req := range reqs {
		r, lim := req.r, req.lim
		if req.limited() {
			mine, total := depth[r.Tenant]+1, depth[""]+1 // with this run
			refused := error(nil)
			switch {
			case lim.Tenant > 0 && mine > lim.Tenant:
				refused = queue.ErrTenantFull
			case lim.Total > 0 && total > lim.Total:
				refused = queue.ErrFull
			case (lim.Tenant > 0 && mine+unseen > lim.Tenant) || (lim.Total > 0 && total+unseen > lim.Total):
				return reqs[i:], nil, nil
			}
			if refused != nil {
				// A run with the same key is returned even at the bound.
				if r.IdempotencyKey != "" {
					e, err := storerow.ScanQueued(tx.QueryRow(ctx, byKeySQL, r.Tenant, r.IdempotencyKey))
					if err == nil {
						req.out = e
						continue
					}
					if !isNoRows(err) {
						return nil, nil, err
					}
				}
				req.err = refused
				continue
			}
		}
		// A run with the same key (stored before, earlier in this batch,
		// or committed by another gateway meanwhile) is returned and
		// nothing is inserted.
		tag, err := tx.Exec(ctx, insertQueuedSQL,
			r.ID, r.Tenant, r.FunctionID, r.Export, []byte(r.Data), req.headers, r.CallbackURL, r.IdempotencyKey,
			string(queue.Queued), r.MaxAttempts, storerow.ToMillis(r.NextAt), storerow.ToMillis(r.EnqueuedAt))
		if err != nil {
			if runsOwn(err) {
				return nil, req, err
			}
			return nil, nil, err
		}
		if tag.RowsAffected() == 0 {
			if req.out, err = storerow.ScanQueued(tx.QueryRow(ctx, byKeySQL, r.Tenant, r.IdempotencyKey)); err != nil {
				return nil, nil, err
			}
			continue
		}
		req.created = true
		if len(tenants) > 1 {
			depth[""]++
			if _, ok := depth[r.Tenant]; ok {
				depth[r.Tenant]++
			}
		}
	}
	return nil, nil, nil
}

// roomForAll tells whether every run of reqs would be taken even were
// all of them new: then none needs the counts as they stand before it.
func roomForAll(reqs []*enqueueReq, depth map[string]int, unseen int) bool {
	n := len(reqs) + unseen
	for _, req := range reqs {
		lim := req.lim
		if (lim.Tenant > 0 && depth[req.r.Tenant]+n > lim.Tenant) || (lim.Total > 0 && depth[""]+n > lim.Total) {
			return false
		}
	}
	return true
}

// insertAll inserts reqs in one round trip (each statement waits for none
// of the others' answers), then reads the runs whose key was used. On an
// error that is one run's own, it returns that run too.
func insertAll(ctx context.Context, tx pgx.Tx, reqs []*enqueueReq) (*enqueueReq, error) {
	b := &pgx.Batch{}
	for _, req := range reqs {
		r := req.r
		b.Queue(insertQueuedSQL, r.ID, r.Tenant, r.FunctionID, r.Export, []byte(r.Data), req.headers, r.CallbackURL, r.IdempotencyKey,
			string(queue.Queued), r.MaxAttempts, storerow.ToMillis(r.NextAt), storerow.ToMillis(r.EnqueuedAt))
	}
	res := tx.SendBatch(ctx, b)
	for _, req := range reqs {
		tag, err := res.Exec()
		if err != nil {
			_ = res.Close() // err is the one that matters
			if runsOwn(err) {
				return req, err
			}
			return nil, err
		}
		req.created = tag.RowsAffected() == 1
	}
	if err := res.Close(); err != nil {
		return nil, err
	}
	for _, req := range reqs {
		if !req.created {
			var err error
			if req.out, err = storerow.ScanQueued(tx.QueryRow(ctx, byKeySQL, req.r.Tenant, req.r.IdempotencyKey)); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// runsOwn tells an error that one run's values caused (a key taken, bad
// data) from one of the transaction or the connection.
func runsOwn(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "23") || strings.HasPrefix(pe.Code, "22"))
}

const (
	insertQueuedSQL = `
INSERT INTO queue_runs (id, tenant, function_id, export, data, headers, callback_url, idempotency_key, state, max_attempts, next_at, enqueued_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key <> '' DO NOTHING`
	byKeySQL = `SELECT ` + storerow.QueueColumns + ` FROM queue_runs WHERE tenant = $1 AND idempotency_key = $2`
	// The stripe the trigger of this connection's inserts counts in.
	lockOwnStripeSQL = `SELECT 1 FROM queue_depth WHERE tenant = '' AND stripe = pg_backend_pid() % 16 FOR UPDATE`
)

// depthsOf reads the depth of each of tenants ("" for the total), adding
// up the stripes; one with no runs is 0.
func depthsOf(ctx context.Context, tx pgx.Tx, tenants []string) (map[string]int, error) {
	rows, err := tx.Query(ctx, `SELECT tenant, sum(n)::bigint FROM queue_depth WHERE tenant = ANY($1) GROUP BY tenant`, tenants)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	depth := make(map[string]int, len(tenants))
	for _, t := range tenants {
		depth[t] = 0
	}
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		depth[t] = n
	}
	return depth, rows.Err()
}

// depthSQL reads a tenant's depth and the total, adding up the stripes.
const depthSQL = `SELECT coalesce(sum(n) FILTER (WHERE tenant = $1), 0)::bigint, coalesce(sum(n) FILTER (WHERE tenant = ''), 0)::bigint
FROM queue_depth WHERE tenant IN ('', $1)`

// lockAllStripes holds every stripe of the total, in order, until the
// transaction ends: it waits for the transactions counting in any of
// them, and keeps out all others that would. Every count change takes
// its stripe of the total first, so none holds a count that this waits for
// while waiting for one this holds.
func lockAllStripes(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, lockAllStripesSQL)
	return err
}

const lockAllStripesSQL = `SELECT 1 FROM queue_depth WHERE tenant = '' ORDER BY stripe FOR UPDATE`

// The claim's lookups: runs whose worker was lost first, then the queued
// run due longest, each on the partial (state, next_at) index. SKIP LOCKED
// passes over a run another gateway is claiming this instant instead of
// waiting for it, so concurrent claims take different runs.
const (
	claimLostSQL = `SELECT ` + storerow.QueueColumns + ` FROM queue_runs
WHERE state IN ('queued', 'running') AND state = 'running' AND lease_until <= $1 LIMIT 1 FOR UPDATE SKIP LOCKED`
	claimDueSQL = `SELECT ` + storerow.QueueColumns + ` FROM queue_runs
WHERE state IN ('queued', 'running') AND state = 'queued' AND next_at <= $1 ORDER BY next_at LIMIT 1 FOR UPDATE SKIP LOCKED`
)

// Claim takes the next due run for lease; the row lock it holds until
// commit, and the state and token it writes, make it the one holder.
func (q *Queue) Claim(ctx context.Context, now time.Time, lease time.Duration) (queue.Run, bool, error) {
	var claimed queue.Run
	ok := false
	at := storerow.ToMillis(now)
	err := inTx(ctx, q.s.pool, func(tx pgx.Tx) error {
		// Each pass either claims a run or dead-letters one whose lease
		// expired on its last attempt; bounded so a claim stays short.
		for range 16 {
			r, err := storerow.ScanQueued(tx.QueryRow(ctx, claimLostSQL, at))
			if isNoRows(err) {
				r, err = storerow.ScanQueued(tx.QueryRow(ctx, claimDueSQL, at))
			}
			if isNoRows(err) {
				return nil
			}
			if err != nil {
				return err
			}
			if r.State == queue.Running { // its worker was lost: that attempt failed
				r.Errors = append(r.Errors, queue.Attempt{N: r.Attempts, At: now.UTC(), Error: "lease expired: the worker running it was lost"})
				if r.Attempts >= r.MaxAttempts {
					if err := deadLetter(ctx, tx, r, now); err != nil {
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
			if _, err := tx.Exec(ctx, `
UPDATE queue_runs SET state = $1, attempts = $2, token = $3, started_at = $4, lease_until = $5, errors = $6 WHERE id = $7`,
				string(r.State), r.Attempts, r.Token, at, storerow.ToMillis(r.LeaseUntil), string(errs), r.ID); err != nil {
				return err
			}
			claimed, ok = r, true
			return nil
		}
		return nil
	})
	if err != nil {
		return queue.Run{}, false, fmt.Errorf("postgres: claim: %w", err)
	}
	return claimed, ok, nil
}

func deadLetter(ctx context.Context, tx pgx.Tx, r queue.Run, now time.Time) error {
	errs, err := json.Marshal(r.Errors)
	if err != nil {
		return err
	}
	last := ""
	if n := len(r.Errors); n > 0 {
		last = r.Errors[n-1].Error
	}
	_, err = tx.Exec(ctx, `
UPDATE queue_runs SET state = 'dead', token = '', lease_until = 0, errors = $1, error = $2, finished_at = $3 WHERE id = $4`,
		string(errs), pgText(last), storerow.ToMillis(now), r.ID)
	return err
}

// Extend moves the end of a held lease.
func (q *Queue) Extend(ctx context.Context, id, token string, until time.Time) error {
	tag, err := q.s.pool.Exec(ctx, `UPDATE queue_runs SET lease_until = $1 WHERE id = $2 AND token = $3 AND state = 'running'`,
		storerow.ToMillis(until), id, token)
	return leaseHeld(tag, err, "extend", id)
}

func leaseHeld(tag pgconn.CommandTag, err error, op, id string) error {
	if err != nil {
		return fmt.Errorf("postgres: %s %s: %w", op, id, err)
	}
	if tag.RowsAffected() == 0 {
		return queue.ErrLeaseLost
	}
	return nil
}

// Release puts a claimed run back in the queue, its attempt uncounted.
func (q *Queue) Release(ctx context.Context, id, token string, retryAt time.Time) error {
	tag, err := q.s.pool.Exec(ctx, `
UPDATE queue_runs SET state = 'queued', attempts = attempts - 1, token = '', lease_until = 0, next_at = $1
WHERE id = $2 AND token = $3 AND state = 'running'`, storerow.ToMillis(retryAt), id, token)
	return leaseHeld(tag, err, "release", id)
}

// Complete records a final outcome if token still holds the lease; the
// token's check in the UPDATE makes the outcome recorded once.
func (q *Queue) Complete(ctx context.Context, id, token string, o queue.Outcome, at time.Time) error {
	switch o.State {
	case queue.Succeeded, queue.Failed, queue.Cancelled:
	default:
		return fmt.Errorf("postgres: complete %s: %q is not a final outcome", id, o.State)
	}
	var result []byte // NULL when there is none, as SQLite stores a nil blob
	if o.Result != nil {
		result = []byte(o.Result)
	}
	tag, err := q.s.pool.Exec(ctx, `
UPDATE queue_runs SET state = $1, status = $2, result = $3, error = $4, finished_at = $5, token = '', lease_until = 0,
	callback_state = CASE WHEN callback_url <> '' THEN 'pending' ELSE '' END, callback_attempts = 0, callback_next_at = $5
WHERE id = $6 AND token = $7 AND state = 'running'`,
		string(o.State), o.Status, result, pgText(o.Error), storerow.ToMillis(at), id, token)
	return leaseHeld(tag, err, "complete", id)
}

// Fail records a failed attempt: queued again for retryAt, or dead when
// it was the last.
func (q *Queue) Fail(ctx context.Context, id, token, errText string, at, retryAt time.Time) (queue.State, error) {
	state := queue.Queued
	errText = pgText(errText)
	err := inTx(ctx, q.s.pool, func(tx pgx.Tx) error {
		r, err := storerow.ScanQueued(tx.QueryRow(ctx, `SELECT `+storerow.QueueColumns+` FROM queue_runs WHERE id = $1 AND token = $2 AND state = 'running' FOR UPDATE`, id, token))
		if isNoRows(err) {
			return queue.ErrLeaseLost
		}
		if err != nil {
			return err
		}
		r.Errors = append(r.Errors, queue.Attempt{N: r.Attempts, At: at.UTC(), Error: errText})
		if r.Attempts >= r.MaxAttempts {
			state = queue.Dead
			return deadLetter(ctx, tx, r, at)
		}
		errs, err := json.Marshal(r.Errors)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
UPDATE queue_runs SET state = 'queued', token = '', lease_until = 0, errors = $1, error = $2, next_at = $3 WHERE id = $4`,
			string(errs), errText, storerow.ToMillis(retryAt), id)
		return err
	})
	if errors.Is(err, queue.ErrLeaseLost) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("postgres: fail %s: %w", id, err)
	}
	return state, nil
}

// Cancel ends a queued run; any other state is returned as it is. The row
// lock keeps a claim from taking it meanwhile.
func (q *Queue) Cancel(ctx context.Context, tenant, id string, at time.Time) (queue.State, error) {
	var state queue.State
	err := inTx(ctx, q.s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT state FROM queue_runs WHERE tenant = $1 AND id = $2 FOR UPDATE`, tenant, id).Scan(&state); err != nil {
			return err
		}
		if state != queue.Queued {
			return nil
		}
		state = queue.Cancelled
		_, err := tx.Exec(ctx, `UPDATE queue_runs SET state = 'cancelled', error = 'cancelled before it ran', finished_at = $1 WHERE id = $2`,
			storerow.ToMillis(at), id)
		return err
	})
	if isNoRows(err) {
		return "", queue.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("postgres: cancel %s: %w", id, err)
	}
	return state, nil
}

// Get reads one of the tenant's async runs.
func (q *Queue) Get(ctx context.Context, tenant, id string) (queue.Run, error) {
	r, err := storerow.ScanQueued(q.s.pool.QueryRow(ctx, `SELECT `+storerow.QueueColumns+` FROM queue_runs WHERE tenant = $1 AND id = $2`, tenant, id))
	if isNoRows(err) {
		return queue.Run{}, queue.ErrNotFound
	}
	if err != nil {
		return queue.Run{}, fmt.Errorf("postgres: queued run %s: %w", id, err)
	}
	return r, nil
}

// Dead lists the tenant's dead runs, the latest to die first.
func (q *Queue) Dead(ctx context.Context, tenant string, limit int) ([]queue.Run, error) {
	list, err := queryAll(ctx, q.s.pool, storerow.ScanQueued, `SELECT `+storerow.QueueColumns+` FROM queue_runs
WHERE tenant = $1 AND state = 'dead' ORDER BY finished_at DESC, id LIMIT $2`, tenant, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: dead runs: %w", err)
	}
	return list, nil
}

// Redrive queues dead runs again, due at once, with their attempts reset;
// the errors of earlier attempts are kept.
func (q *Queue) Redrive(ctx context.Context, tenant, id string, at time.Time) (int, error) {
	stmt := `UPDATE queue_runs SET state = 'queued', attempts = 0, next_at = $1, error = '', finished_at = 0,
	callback_state = '', callback_attempts = 0
WHERE tenant = $2 AND state = 'dead'`
	args := []any{storerow.ToMillis(at), tenant}
	if id != "" {
		stmt += ` AND id = $3`
		args = append(args, id)
	}
	var n int64
	err := inTx(ctx, q.s.pool, func(tx pgx.Tx) error {
		// The counts first: the rows' triggers then find their stripe
		// held, and no two redrives lock runs and counts in opposite
		// orders.
		if err := lockAllStripes(ctx, tx); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, stmt, args...)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: redrive: %w", err)
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
	tag, err := q.s.pool.Exec(ctx, `DELETE FROM queue_runs WHERE tenant = $1 AND id = $2 AND state NOT IN ('queued', 'running')`, tenant, id)
	if err != nil {
		return fmt.Errorf("postgres: discard %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := q.Get(ctx, tenant, id); err != nil {
			return err
		}
		return queue.ErrState
	}
	return nil
}

// Depth says how many runs the tenant, and all tenants, have queued or
// running: two rows of the counts the trigger keeps.
func (q *Queue) Depth(ctx context.Context, tenant string) (int, int, error) {
	var mine, all int
	err := q.s.pool.QueryRow(ctx, depthSQL, tenant).Scan(&mine, &all)
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: queue depth: %w", err)
	}
	return mine, all, nil
}

// ClaimCallback takes the next due delivery; its due time moves past the
// lease, so another deliverer takes it only if this one is lost.
func (q *Queue) ClaimCallback(ctx context.Context, now time.Time, lease time.Duration) (queue.Run, bool, error) {
	var r queue.Run
	ok := false
	err := inTx(ctx, q.s.pool, func(tx pgx.Tx) error {
		var err error
		r, err = storerow.ScanQueued(tx.QueryRow(ctx, `SELECT `+storerow.QueueColumns+` FROM queue_runs
WHERE callback_state = 'pending' AND callback_next_at <= $1 ORDER BY callback_next_at LIMIT 1 FOR UPDATE SKIP LOCKED`, storerow.ToMillis(now)))
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		_, err = tx.Exec(ctx, `UPDATE queue_runs SET callback_next_at = $1 WHERE id = $2`, storerow.ToMillis(now.Add(lease)), r.ID)
		return err
	})
	if err != nil {
		return queue.Run{}, false, fmt.Errorf("postgres: claim callback: %w", err)
	}
	return r, ok, nil
}

// CallbackDelivered records a delivered callback.
func (q *Queue) CallbackDelivered(ctx context.Context, id string, at time.Time) error {
	_, err := q.s.pool.Exec(ctx, `UPDATE queue_runs SET callback_state = 'delivered', callback_attempts = callback_attempts + 1
WHERE id = $1 AND callback_state = 'pending'`, id)
	if err != nil {
		return fmt.Errorf("postgres: callback of %s delivered: %w", id, err)
	}
	return nil
}

// CallbackFailed records a failed delivery, in the run's errors too.
func (q *Queue) CallbackFailed(ctx context.Context, id, errText string, at, retryAt time.Time, max int) (bool, error) {
	dead := false
	errText = pgText(errText)
	err := inTx(ctx, q.s.pool, func(tx pgx.Tx) error {
		r, err := storerow.ScanQueued(tx.QueryRow(ctx, `SELECT `+storerow.QueueColumns+` FROM queue_runs WHERE id = $1 AND callback_state = 'pending' FOR UPDATE`, id))
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
			_, err = tx.Exec(ctx, `UPDATE queue_runs SET state = 'dead', callback_state = 'failed', callback_attempts = $1, errors = $2,
	error = $3, finished_at = $4 WHERE id = $5`, r.CallbackAttempts, string(errs), "callback: "+errText, storerow.ToMillis(at), id)
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE queue_runs SET callback_attempts = $1, errors = $2, callback_next_at = $3 WHERE id = $4`,
			r.CallbackAttempts, string(errs), storerow.ToMillis(retryAt), id)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: callback of %s failed: %w", id, err)
	}
	return dead, nil
}

// CallbackSecret reads the tenant's signing secret.
func (q *Queue) CallbackSecret(ctx context.Context, tenant string) (string, error) {
	var s string
	err := q.s.pool.QueryRow(ctx, `SELECT secret FROM callback_secrets WHERE tenant = $1`, tenant).Scan(&s)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("postgres: callback secret: %w", err)
	}
	return s, nil
}

// SetCallbackSecret replaces the tenant's signing secret.
func (q *Queue) SetCallbackSecret(ctx context.Context, tenant, secret string, at time.Time) error {
	_, err := q.s.pool.Exec(ctx, `INSERT INTO callback_secrets (tenant, secret, created_at) VALUES ($1, $2, $3)
ON CONFLICT (tenant) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at`, tenant, secret, storerow.ToMillis(at))
	if err != nil {
		return fmt.Errorf("postgres: set callback secret: %w", err)
	}
	return nil
}
