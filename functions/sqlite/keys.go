package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

// CreateKey stores an API key. The caller chooses the ID and hashes the
// secret; a zero CreatedAt is set to now. A duplicate ID or hash fails.
func (s *Store) CreateKey(ctx context.Context, k auth.Key) error {
	created, scopes, err := storerow.NewKeyRow(k, s.now)
	if err != nil {
		return fmt.Errorf("sqlite: create api key: %w", err)
	}
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO api_keys (id, tenant, name, hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.Tenant, k.Name, k.Hash, scopes, created,
	); err != nil {
		return fmt.Errorf("sqlite: create api key %s: %w", k.ID, err)
	}
	return nil
}

// KeyByHash finds a live key by the hash of its secret; unknown or revoked
// is ErrKeyNotFound.
func (s *Store) KeyByHash(ctx context.Context, hash string) (auth.Key, error) {
	k, err := storerow.ScanKey(s.db.QueryRowContext(ctx,
		`SELECT `+storerow.KeyCols+` FROM api_keys WHERE hash = ? AND revoked_at = 0`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		// No hash in the message: it is as good as the secret for lookups.
		return auth.Key{}, fmt.Errorf("sqlite: api key: %w", auth.ErrKeyNotFound)
	}
	if err != nil {
		return auth.Key{}, fmt.Errorf("sqlite: api key: %w", err)
	}
	return k, nil
}

// Keys lists the tenant's keys, revoked ones included, oldest first.
func (s *Store) Keys(ctx context.Context, tenant string) ([]auth.Key, error) {
	keys, err := queryAll(ctx, s.db, storerow.ScanKey, `SELECT `+storerow.KeyCols+` FROM api_keys WHERE tenant = ? ORDER BY created_at, id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list api keys: %w", err)
	}
	return keys, nil
}

// RevokeKey revokes a live key of the tenant.
func (s *Store) RevokeKey(ctx context.Context, tenant, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE tenant = ? AND id = ? AND revoked_at = 0`,
		storerow.ToMillis(s.stamp()), tenant, id)
	if err != nil {
		return fmt.Errorf("sqlite: revoke api key %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("sqlite: revoke api key %s: %w", id, cmpErr(err, auth.ErrKeyNotFound))
	}
	return nil
}

// TouchKey records the key's last use; an earlier time never overwrites a later one.
func (s *Store) TouchKey(ctx context.Context, id string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE api_keys SET last_used_at = max(last_used_at, ?) WHERE id = ?`,
		storerow.ToMillis(at), id); err != nil {
		return fmt.Errorf("sqlite: touch api key %s: %w", id, err)
	}
	return nil
}

// cmpErr returns err, or fallback when err is nil.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// CountKeys returns how many API keys the tenant has.
func (s *Store) CountKeys(ctx context.Context, tenant string) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx,
		`SELECT count(*) FROM api_keys WHERE tenant = ?`, tenant,
	).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count api keys: %w", err)
	}
	return n, nil
}
