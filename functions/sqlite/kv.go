package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

var _ functions.KVStore = (*Store)(nil)

// live is the condition for a key that has not expired; it takes now.
const live = `(expires_at = 0 OR expires_at > ?)`

// KVGet reads a live key.
func (s *Store) KVGet(ctx context.Context, tenant, key string) (json.RawMessage, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM kv WHERE tenant = ? AND key = ? AND `+live,
		tenant, key, storerow.ToMillis(s.now())).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: kv get: %w", err)
	}
	return json.RawMessage(v), true, nil
}

// KVSet writes a key inside the tenant's quota.
func (s *Store) KVSet(ctx context.Context, tenant, key string, value json.RawMessage, ttl time.Duration, quota functions.KVQuota) error {
	now := s.now()
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		return s.kvPut(ctx, tx, tenant, key, string(value), storerow.KVExpiry(now, ttl), now, quota)
	})
	if err != nil {
		return fmt.Errorf("sqlite: kv set: %w", err)
	}
	return nil
}

// KVIncr adds by to a number in one transaction: concurrent increments
// never lose one another.
func (s *Store) KVIncr(ctx context.Context, tenant, key string, by float64, ttl time.Duration, quota functions.KVQuota) (float64, error) {
	now := s.now()
	var sum float64
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		var cur string
		var expires int64
		err := tx.QueryRowContext(ctx, `SELECT value, expires_at FROM kv WHERE tenant = ? AND key = ? AND `+live,
			tenant, key, storerow.ToMillis(now)).Scan(&cur, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			expires = 0
		case err != nil:
			return err
		default:
			n, perr := strconv.ParseFloat(strings.TrimSpace(cur), 64)
			if perr != nil {
				return functions.ErrKVNotNumber
			}
			sum = n
		}
		sum += by
		if ttl > 0 {
			expires = storerow.KVExpiry(now, ttl)
		}
		return s.kvPut(ctx, tx, tenant, key, strconv.FormatFloat(sum, 'g', -1, 64), expires, now, quota)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: kv incr: %w", err)
	}
	return sum, nil
}

// kvPut writes one key, checking the quota when the tenant's store grows.
func (s *Store) kvPut(ctx context.Context, tx *sql.Tx, tenant, key, value string, expires int64, now time.Time, quota functions.KVQuota) error {
	quota = quota.WithDefaults()
	var oldSize int64 = -1 // no live key
	err := tx.QueryRowContext(ctx, `SELECT length(CAST(key AS BLOB)) + length(CAST(value AS BLOB)) FROM kv WHERE tenant = ? AND key = ? AND `+live,
		tenant, key, storerow.ToMillis(now)).Scan(&oldSize)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	newSize := int64(len(key) + len(value))
	if oldSize < 0 || newSize > oldSize {
		if err := s.checkQuota(ctx, tx, tenant, now, quota, oldSize < 0, newSize-max(oldSize, 0)); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO kv (tenant, key, value, expires_at) VALUES (?, ?, ?, ?)
ON CONFLICT (tenant, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
		tenant, key, value, expires)
	return err
}

// checkQuota counts the tenant's live keys and bytes. Expired keys are
// deleted first, so they never count against it.
func (s *Store) checkQuota(ctx context.Context, tx *sql.Tx, tenant string, now time.Time, q functions.KVQuota, newKey bool, grow int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM kv WHERE tenant = ? AND expires_at > 0 AND expires_at <= ?`, tenant, storerow.ToMillis(now)); err != nil {
		return err
	}
	var keys, bytes int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))), 0) FROM kv WHERE tenant = ?`,
		tenant).Scan(&keys, &bytes); err != nil {
		return err
	}
	return storerow.CheckKVQuota(q, keys, bytes, newKey, grow)
}

// KVDelete removes a key; it reports whether a live one was there.
func (s *Store) KVDelete(ctx context.Context, tenant, key string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM kv WHERE tenant = ? AND key = ? AND `+live, tenant, key, storerow.ToMillis(s.now()))
	if err != nil {
		return false, fmt.Errorf("sqlite: kv delete: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: kv delete: %w", err)
	}
	_, _ = s.db.ExecContext(ctx, `DELETE FROM kv WHERE tenant = ? AND key = ?`, tenant, key) // an expired one too
	return n > 0, nil
}

// KVList lists live keys with prefix after the cursor, in key order.
func (s *Store) KVList(ctx context.Context, tenant, prefix, after string, limit int) ([]functions.KVKey, error) {
	limit = min(max(limit, 1), functions.MaxKVListLimit)
	// A range scan on the primary key: prefix <= key < prefix + U+10FFFF.
	from := max(prefix, after)
	keys, err := queryAll(ctx, s.db, storerow.ScanKVKey, `SELECT key, expires_at FROM kv WHERE tenant = ? AND key >= ? AND key > ? AND key < ? AND `+live+` ORDER BY key LIMIT ?`,
		tenant, from, after, prefix+"\U0010FFFF", storerow.ToMillis(s.now()), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: kv list: %w", err)
	}
	return keys, nil
}

// PruneKV deletes every expired key, a thousand at a time so that a large
// backlog never holds the write lock for long.
func (s *Store) PruneKV(ctx context.Context) (int64, error) {
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, `
DELETE FROM kv WHERE (tenant, key) IN (
	SELECT tenant, key FROM kv WHERE expires_at > 0 AND expires_at <= ? LIMIT 1000)`, storerow.ToMillis(s.now()))
		if err != nil {
			return total, fmt.Errorf("sqlite: prune kv: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("sqlite: prune kv: %w", err)
		}
		total += n
		if n < 1000 {
			return total, nil
		}
	}
}
