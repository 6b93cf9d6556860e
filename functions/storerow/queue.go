package storerow

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scriptforge/scriptforge/functions/queue"
)

// QueueColumns are the columns of queue_runs ScanQueued reads, in its order.
const QueueColumns = `id, tenant, function_id, export, data, headers, callback_url, idempotency_key, state, attempts,
max_attempts, errors, token, lease_until, next_at, status, result, error, enqueued_at, started_at, finished_at,
callback_state, callback_attempts`

// ScanQueued reads a row of QueueColumns. A result column with nothing
// in it (NULL or empty) is no result.
func ScanQueued(row Scanner) (queue.Run, error) {
	var r queue.Run
	var headers, errs string
	var lease, next, enq, started, finished int64
	var data, result []byte
	err := row.Scan(&r.ID, &r.Tenant, &r.FunctionID, &r.Export, &data, &headers, &r.CallbackURL, &r.IdempotencyKey,
		&r.State, &r.Attempts, &r.MaxAttempts, &errs, &r.Token, &lease, &next, &r.Status, &result, &r.Error,
		&enq, &started, &finished, &r.CallbackState, &r.CallbackAttempts)
	if err != nil {
		return queue.Run{}, err
	}
	r.Data = data
	if len(result) > 0 {
		r.Result = result
	}
	if err := json.Unmarshal([]byte(headers), &r.Headers); err != nil {
		return queue.Run{}, fmt.Errorf("headers of %s: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(errs), &r.Errors); err != nil {
		return queue.Run{}, fmt.Errorf("errors of %s: %w", r.ID, err)
	}
	r.LeaseUntil, r.NextAt, r.EnqueuedAt = OptMillis(lease), OptMillis(next), FromMillis(enq)
	r.StartedAt, r.FinishedAt = OptMillis(started), OptMillis(finished)
	return r, nil
}

// NewToken is a fresh lease token: 96 random bits in hex.
func NewToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail on Linux
	return hex.EncodeToString(b[:])
}

// NewQueued is r as a run about to be queued: queued, due at once, no
// attempts or errors yet, at least one attempt allowed, {} as data when it
// has none, enqueued at stamp() unless r says when. headers is its headers
// column.
func NewQueued(r queue.Run, stamp func() time.Time) (queued queue.Run, headers string, err error) {
	h, err := json.Marshal(r.Headers)
	if err != nil {
		return r, "", err
	}
	if r.Data == nil {
		r.Data = json.RawMessage("{}")
	}
	if r.EnqueuedAt.IsZero() {
		r.EnqueuedAt = stamp()
	}
	r.State, r.Attempts, r.Errors, r.NextAt = queue.Queued, 0, nil, r.EnqueuedAt
	r.MaxAttempts = max(r.MaxAttempts, 1)
	return r, string(h), nil
}

// Claimed is r as claimed at now for lease: running, its attempts one
// more, under a fresh token, its times at storage precision.
func Claimed(r queue.Run, now time.Time, lease time.Duration) queue.Run {
	r.State, r.Attempts, r.Token = queue.Running, r.Attempts+1, NewToken()
	r.StartedAt, r.LeaseUntil = FromMillis(ToMillis(now)), FromMillis(ToMillis(now.Add(lease)))
	return r
}
