package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/scriptforge/scriptforge/auth"
)

// CreateKey stores an API key. The caller chooses the ID and hashes the
// secret; a zero CreatedAt is set to now. A duplicate ID or hash fails.
func (s *Store) CreateKey(ctx context.Context, k auth.Key) error {
	if k.ID == "" || k.Hash == "" {
		return errors.New("sqlite: create api key: id and hash are required")
	}
	created := k.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	scopes, err := encodeJSON(k.Scopes)
	if err != nil {
		return fmt.Errorf("sqlite: create api key %s: encode scopes: %w", k.ID, err)
	}
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO api_keys (id, tenant, name, hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.Tenant, k.Name, k.Hash, scopes, toMillis(created),
	); err != nil {
		return fmt.Errorf("sqlite: create api key %s: %w", k.ID, err)
	}
	return nil
}

// KeyByHash finds a key by the hash of its secret; unknown is ErrKeyNotFound.
func (s *Store) KeyByHash(ctx context.Context, hash string) (auth.Key, error) {
	var k auth.Key
	err := s.db.QueryRowContext(ctx,
		`SELECT id, tenant, name, hash, scopes, created_at FROM api_keys WHERE hash = ?`, hash,
	).Scan(&k.ID, &k.Tenant, &k.Name, &k.Hash, jsonColumn[string]{dst: &k.Scopes}, millisColumn{dst: &k.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		// No hash in the message: it is as good as the secret for lookups.
		return auth.Key{}, fmt.Errorf("sqlite: api key: %w", auth.ErrKeyNotFound)
	}
	if err != nil {
		return auth.Key{}, fmt.Errorf("sqlite: api key: %w", err)
	}
	return k, nil
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
