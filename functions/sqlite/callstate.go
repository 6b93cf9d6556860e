package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scriptforge/scriptforge/functions/voice"
)

var _ voice.StateStore = (*Store)(nil)

// CallState reads a call's live state.
func (s *Store) CallState(ctx context.Context, tenant, callID string) (voice.State, error) {
	var st voice.State
	var data string
	err := s.db.QueryRowContext(ctx, `SELECT state, version FROM call_state WHERE tenant = ? AND call_id = ? AND expires_at > ?`,
		tenant, callID, toMillis(s.now())).Scan(&data, &st.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return voice.State{}, nil
	}
	if err != nil {
		return voice.State{}, fmt.Errorf("sqlite: call state: %w", err)
	}
	st.Data = json.RawMessage(data)
	return st, nil
}

// SaveCallState writes the state if its version is still the one read.
// An expired row counts as none (version 0), so a call id that comes back
// after its TTL starts afresh.
func (s *Store) SaveCallState(ctx context.Context, tenant, callID string, data json.RawMessage, version int64, ttl time.Duration) (int64, error) {
	now := s.now()
	var next int64
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		var cur, expires int64
		err := tx.QueryRowContext(ctx, `SELECT version, expires_at FROM call_state WHERE tenant = ? AND call_id = ?`, tenant, callID).Scan(&cur, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			cur = 0
		case err != nil:
			return err
		}
		live := cur
		if cur != 0 && expires <= toMillis(now) {
			live = 0
		}
		if live != version {
			return voice.ErrStateConflict
		}
		next = cur + 1 // never reused, even past an expiry
		_, err = tx.ExecContext(ctx, `
INSERT INTO call_state (tenant, call_id, state, version, expires_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (tenant, call_id) DO UPDATE SET state = excluded.state, version = excluded.version, expires_at = excluded.expires_at`,
			tenant, callID, string(data), next, toMillis(now.Add(ttl)))
		return err
	})
	if errors.Is(err, voice.ErrStateConflict) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: save call state: %w", err)
	}
	return next, nil
}

// DeleteCallState forgets a call's state.
func (s *Store) DeleteCallState(ctx context.Context, tenant, callID string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM call_state WHERE tenant = ? AND call_id = ?`, tenant, callID); err != nil {
		return fmt.Errorf("sqlite: delete call state: %w", err)
	}
	return nil
}

// PruneCallState deletes expired states.
func (s *Store) PruneCallState(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM call_state WHERE expires_at <= ?`, toMillis(s.now()))
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune call state: %w", err)
	}
	return res.RowsAffected()
}
