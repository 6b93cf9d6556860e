package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

// CreateKey stores an API key. The caller chooses the id and hashes the
// secret; a zero CreatedAt is set to now. A duplicate id or hash fails.
func (s *Store) CreateKey(ctx context.Context, k auth.Key) error {
	created, scopes, err := storerow.NewKeyRow(k, s.now)
	if err != nil {
		return fmt.Errorf("postgres: create api key: %w", err)
	}
	if _, err := s.pool.Exec(ctx,
		`INSERT INTO api_keys (id, tenant, name, hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.Tenant, k.Name, k.Hash, scopes, created,
	); err != nil {
		return fmt.Errorf("postgres: create api key %s: %w", k.ID, err)
	}
	return nil
}

// KeyByHash finds a live key by the hash of its secret; unknown or
// revoked is ErrKeyNotFound.
func (s *Store) KeyByHash(ctx context.Context, hash string) (auth.Key, error) {
	k, err := storerow.ScanKey(s.pool.QueryRow(ctx, `SELECT `+storerow.KeyCols+` FROM api_keys WHERE hash = $1 AND revoked_at = 0`, hash))
	if isNoRows(err) {
		// No hash in the message: it is as good as the secret for lookups.
		return auth.Key{}, fmt.Errorf("postgres: api key: %w", auth.ErrKeyNotFound)
	}
	if err != nil {
		return auth.Key{}, fmt.Errorf("postgres: api key: %w", err)
	}
	return k, nil
}

// Keys lists the tenant's keys, revoked ones included, oldest first.
func (s *Store) Keys(ctx context.Context, tenant string) ([]auth.Key, error) {
	keys, err := queryAll(ctx, s.pool, storerow.ScanKey, `SELECT `+storerow.KeyCols+` FROM api_keys WHERE tenant = $1 ORDER BY created_at, id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("postgres: list api keys: %w", err)
	}
	return keys, nil
}

// RevokeKey revokes a live key of the tenant.
func (s *Store) RevokeKey(ctx context.Context, tenant, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE tenant = $2 AND id = $3 AND revoked_at = 0`,
		storerow.ToMillis(s.stamp()), tenant, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = auth.ErrKeyNotFound
	}
	if err != nil {
		return fmt.Errorf("postgres: revoke api key %s: %w", id, err)
	}
	return nil
}

// TouchKey records the key's last use; an earlier time never overwrites
// a later one.
func (s *Store) TouchKey(ctx context.Context, id string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = greatest(last_used_at, $1) WHERE id = $2`,
		storerow.ToMillis(at), id); err != nil {
		return fmt.Errorf("postgres: touch api key %s: %w", id, err)
	}
	return nil
}

// CountKeys returns how many API keys the tenant has.
func (s *Store) CountKeys(ctx context.Context, tenant string) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE tenant = $1`, tenant).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count api keys: %w", err)
	}
	return n, nil
}
