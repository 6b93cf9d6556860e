package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scriptforge/scriptforge/functions/storerow"
	"github.com/scriptforge/scriptforge/functions/voice"
)

// CallState reads a call's live state.
func (s *Store) CallState(ctx context.Context, tenant, callID string) (voice.State, error) {
	var st voice.State
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT state, version FROM call_state WHERE tenant = $1 AND call_id = $2 AND expires_at > $3`,
		tenant, callID, storerow.ToMillis(s.now())).Scan(&data, &st.Version)
	if isNoRows(err) {
		return voice.State{}, nil
	}
	if err != nil {
		return voice.State{}, fmt.Errorf("postgres: call state: %w", err)
	}
	st.Data = data
	return st, nil
}

// SaveCallState writes the state if its version is still the one read,
// in one statement: the row lock of the UPDATE (or of the INSERT's
// conflict) orders concurrent writers, across gateways too. An expired
// row counts as none (version 0), so a call id that comes back after its
// TTL starts afresh; the stored number still goes up, never reused.
func (s *Store) SaveCallState(ctx context.Context, tenant, callID string, data json.RawMessage, version int64, ttl time.Duration) (int64, error) {
	now := s.now()
	nowMS, expires := storerow.ToMillis(now), storerow.ToMillis(now.Add(ttl))
	var next int64
	var err error
	if version == 0 {
		err = s.pool.QueryRow(ctx, `
INSERT INTO call_state AS c (tenant, call_id, state, version, expires_at) VALUES ($1, $2, $3, 1, $4)
ON CONFLICT (tenant, call_id) DO UPDATE SET state = excluded.state, version = c.version + 1, expires_at = excluded.expires_at
	WHERE c.expires_at <= $5
RETURNING version`, tenant, callID, []byte(data), expires, nowMS).Scan(&next)
	} else {
		err = s.pool.QueryRow(ctx, `
UPDATE call_state SET state = $3, version = version + 1, expires_at = $4
WHERE tenant = $1 AND call_id = $2 AND version = $5 AND expires_at > $6
RETURNING version`, tenant, callID, []byte(data), expires, version, nowMS).Scan(&next)
	}
	if isNoRows(err) {
		return 0, voice.ErrStateConflict
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: save call state: %w", err)
	}
	return next, nil
}

// DeleteCallState forgets a call's state.
func (s *Store) DeleteCallState(ctx context.Context, tenant, callID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM call_state WHERE tenant = $1 AND call_id = $2`, tenant, callID); err != nil {
		return fmt.Errorf("postgres: delete call state: %w", err)
	}
	return nil
}

// PruneCallState deletes expired states.
func (s *Store) PruneCallState(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM call_state WHERE expires_at <= $1`, storerow.ToMillis(s.now()))
	if err != nil {
		return 0, fmt.Errorf("postgres: prune call state: %w", err)
	}
	return tag.RowsAffected(), nil
}
