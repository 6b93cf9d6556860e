package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scriptforge/scriptforge/functions/storerow"
	"github.com/scriptforge/scriptforge/functions/voice"
)

var _ voice.StateStore = (*Store)(nil)

// CallState reads a call's live state.
func (s *Store) CallState(ctx context.Context, tenant, callID string) (voice.State, error) {
	var st voice.State
	var data string
	err := s.db.QueryRowContext(ctx, `SELECT state, version FROM call_state WHERE tenant = ? AND call_id = ? AND expires_at > ?`,
		tenant, callID, storerow.ToMillis(s.now())).Scan(&data, &st.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return voice.State{}, nil
	}
	if err != nil {
		return voice.State{}, fmt.Errorf("sqlite: call state: %w", err)
	}
	st.Data = json.RawMessage(data)
	return st, nil
}

// stateWrite is one queued write (or delete) of a call's state.
type stateWrite struct {
	tenant, callID string
	data           json.RawMessage // nil: delete
	version        int64
	ttl            time.Duration
	next           int64 // the version written
	err            error
	done           bool
}

// callWriteQueue batches call-state writes: each commit is an fsync, so
// one transaction per webhook capped them at the disk's commit rate, and
// SQLite's own wait for its write lock sleeps in steps of up to 100 ms.
// Writers queue here; whoever holds the write turn commits everything
// queued in one transaction (group commit), each write still checked
// against its own version.
type callWriteQueue struct {
	mu      chan struct{} // the write turn (a channel, so waiting can end with ctx)
	qmu     chan struct{} // guards pending
	pending []*stateWrite
}

func newCallWriteQueue() *callWriteQueue {
	return &callWriteQueue{mu: make(chan struct{}, 1), qmu: make(chan struct{}, 1)}
}

// SaveCallState writes the state if its version is still the one read.
// An expired row counts as none (version 0), so a call id that comes back
// after its TTL starts afresh.
func (s *Store) SaveCallState(ctx context.Context, tenant, callID string, data json.RawMessage, version int64, ttl time.Duration) (int64, error) {
	w := &stateWrite{tenant: tenant, callID: callID, data: data, version: version, ttl: ttl}
	if err := s.writeCallState(ctx, w); err != nil {
		if errors.Is(err, voice.ErrStateConflict) {
			return 0, err
		}
		return 0, fmt.Errorf("sqlite: save call state: %w", err)
	}
	return w.next, nil
}

// DeleteCallState forgets a call's state.
func (s *Store) DeleteCallState(ctx context.Context, tenant, callID string) error {
	if err := s.writeCallState(ctx, &stateWrite{tenant: tenant, callID: callID}); err != nil {
		return fmt.Errorf("sqlite: delete call state: %w", err)
	}
	return nil
}

func (s *Store) writeCallState(ctx context.Context, w *stateWrite) error {
	q := s.calls
	q.qmu <- struct{}{}
	q.pending = append(q.pending, w)
	<-q.qmu
	select {
	case q.mu <- struct{}{}:
	case <-ctx.Done():
		// Still queued: a later turn may write it. The caller learns it
		// did not wait, as with any write whose context ended.
		return context.Cause(ctx)
	}
	defer func() { <-q.mu }()
	q.qmu <- struct{}{}
	batch := q.pending
	q.pending = nil
	<-q.qmu
	if len(batch) > 0 {
		s.commitCallStates(batch)
	}
	if !w.done { // cannot happen: w was queued before this turn began
		return errors.New("call state write lost")
	}
	return w.err
}

// commitCallStates writes a batch in one transaction. A write whose
// version no longer matches fails alone; a failed commit fails them all.
func (s *Store) commitCallStates(batch []*stateWrite) {
	now := s.now()
	// Not a caller's context: the batch holds other callers' writes.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		for _, w := range batch {
			w.err = nil
			if w.data == nil {
				if _, err := tx.ExecContext(ctx, `DELETE FROM call_state WHERE tenant = ? AND call_id = ?`, w.tenant, w.callID); err != nil {
					return err
				}
				continue
			}
			var cur, expires int64
			err := tx.QueryRowContext(ctx, `SELECT version, expires_at FROM call_state WHERE tenant = ? AND call_id = ?`, w.tenant, w.callID).Scan(&cur, &expires)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				cur = 0
			case err != nil:
				return err
			}
			live := cur
			if cur != 0 && expires <= storerow.ToMillis(now) {
				live = 0
			}
			if live != w.version {
				w.err = voice.ErrStateConflict
				continue
			}
			w.next = cur + 1 // never reused, even past an expiry
			if _, err := tx.ExecContext(ctx, `
INSERT INTO call_state (tenant, call_id, state, version, expires_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (tenant, call_id) DO UPDATE SET state = excluded.state, version = excluded.version, expires_at = excluded.expires_at`,
				w.tenant, w.callID, string(w.data), w.next, storerow.ToMillis(now.Add(w.ttl))); err != nil {
				return err
			}
		}
		return nil
	})
	for _, w := range batch {
		if err != nil {
			w.err = err
		}
		w.done = true
	}
}

// PruneCallState deletes expired states.
func (s *Store) PruneCallState(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM call_state WHERE expires_at <= ?`, storerow.ToMillis(s.now()))
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune call state: %w", err)
	}
	return res.RowsAffected()
}
