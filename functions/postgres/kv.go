package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

// live is the condition for a key that has not expired; $3 is now.
const live = `(expires_at = 0 OR expires_at > $3)`

// KVGet reads a live key.
func (s *Store) KVGet(ctx context.Context, tenant, key string) (json.RawMessage, bool, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM kv WHERE tenant = $1 AND key = $2 AND `+live,
		tenant, key, storerow.ToMillis(s.now())).Scan(&v)
	if isNoRows(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("postgres: kv get: %w", err)
	}
	return v, true, nil
}

// KVSet writes a key inside the tenant's quota.
func (s *Store) KVSet(ctx context.Context, tenant, key string, value json.RawMessage, ttl time.Duration, quota functions.KVQuota) error {
	now := s.now()
	err := s.kvTx(ctx, tenant, func(tx pgx.Tx) error {
		return kvPut(ctx, tx, tenant, key, value, storerow.KVExpiry(now, ttl), now, quota)
	})
	if err != nil {
		return fmt.Errorf("postgres: kv set: %w", err)
	}
	return nil
}

// kvTx runs fn in a transaction holding the tenant's kv lock. SQLite has
// one writer at a time; here the lock gives each tenant's writes that
// order, so a quota check sees every write before it, on any gateway, and
// two increments of a missing key cannot both start from 0.
func (s *Store) kvTx(ctx context.Context, tenant string, fn func(pgx.Tx) error) error {
	return inTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('scriptforge kv ' || $1, 0))`, tenant); err != nil {
			return err
		}
		return fn(tx)
	})
}

// KVIncr adds by to a number; concurrent increments never lose one another.
func (s *Store) KVIncr(ctx context.Context, tenant, key string, by float64, ttl time.Duration, quota functions.KVQuota) (float64, error) {
	now := s.now()
	var sum float64
	err := s.kvTx(ctx, tenant, func(tx pgx.Tx) error {
		var cur []byte
		var expires int64
		err := tx.QueryRow(ctx, `SELECT value, expires_at FROM kv WHERE tenant = $1 AND key = $2 AND `+live,
			tenant, key, storerow.ToMillis(now)).Scan(&cur, &expires)
		switch {
		case isNoRows(err):
			expires = 0
		case err != nil:
			return err
		default:
			n, perr := strconv.ParseFloat(strings.TrimSpace(string(cur)), 64)
			if perr != nil {
				return functions.ErrKVNotNumber
			}
			sum = n
		}
		sum += by
		if ttl > 0 {
			expires = storerow.KVExpiry(now, ttl)
		}
		return kvPut(ctx, tx, tenant, key, []byte(strconv.FormatFloat(sum, 'g', -1, 64)), expires, now, quota)
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: kv incr: %w", err)
	}
	return sum, nil
}

// kvPut writes one key, checking the quota when the tenant's store grows.
func kvPut(ctx context.Context, tx pgx.Tx, tenant, key string, value []byte, expires int64, now time.Time, quota functions.KVQuota) error {
	quota = quota.WithDefaults()
	var oldSize int64 = -1 // no live key
	err := tx.QueryRow(ctx, `SELECT octet_length(key) + octet_length(value) FROM kv WHERE tenant = $1 AND key = $2 AND `+live,
		tenant, key, storerow.ToMillis(now)).Scan(&oldSize)
	if err != nil && !isNoRows(err) {
		return err
	}
	newSize := int64(len(key) + len(value))
	if oldSize < 0 || newSize > oldSize {
		if err := checkQuota(ctx, tx, tenant, now, quota, oldSize < 0, newSize-max(oldSize, 0)); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `
INSERT INTO kv (tenant, key, value, expires_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
		tenant, key, value, expires)
	return err
}

// checkQuota counts the tenant's live keys and bytes. Expired keys are
// deleted first, so they never count against it.
func checkQuota(ctx context.Context, tx pgx.Tx, tenant string, now time.Time, q functions.KVQuota, newKey bool, grow int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM kv WHERE tenant = $1 AND expires_at > 0 AND expires_at <= $2`, tenant, storerow.ToMillis(now)); err != nil {
		return err
	}
	var keys, bytes int64
	if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(sum(octet_length(key) + octet_length(value)), 0) FROM kv WHERE tenant = $1`,
		tenant).Scan(&keys, &bytes); err != nil {
		return err
	}
	return storerow.CheckKVQuota(q, keys, bytes, newKey, grow)
}

// KVDelete removes a key, expired or not; it reports whether a live one
// was there.
func (s *Store) KVDelete(ctx context.Context, tenant, key string) (bool, error) {
	var wasLive bool
	err := s.pool.QueryRow(ctx, `DELETE FROM kv WHERE tenant = $1 AND key = $2 RETURNING `+live, tenant, key, storerow.ToMillis(s.now())).Scan(&wasLive)
	if err != nil && !isNoRows(err) {
		return false, fmt.Errorf("postgres: kv delete: %w", err)
	}
	return wasLive, nil
}

// KVList lists live keys with prefix after the cursor, in key (byte) order.
func (s *Store) KVList(ctx context.Context, tenant, prefix, after string, limit int) ([]functions.KVKey, error) {
	limit = min(max(limit, 1), functions.MaxKVListLimit)
	// A range scan on the primary key: prefix <= key < prefix + U+10FFFF
	// (byte order: the column is COLLATE "C").
	from := max(prefix, after)
	keys, err := queryAll(ctx, s.pool, storerow.ScanKVKey, `SELECT key, expires_at FROM kv WHERE tenant = $1 AND key >= $2 AND `+live+` AND key > $4 AND key < $5 ORDER BY key LIMIT $6`,
		tenant, from, storerow.ToMillis(s.now()), after, prefix+"\U0010FFFF", limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: kv list: %w", err)
	}
	return keys, nil
}

// PruneKV deletes every expired key, a thousand at a time so that no
// statement holds many row locks for long.
func (s *Store) PruneKV(ctx context.Context) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `
DELETE FROM kv WHERE (tenant, key) IN (
	SELECT tenant, key FROM kv WHERE expires_at > 0 AND expires_at <= $1 LIMIT 1000)`, storerow.ToMillis(s.now()))
		if err != nil {
			return total, fmt.Errorf("postgres: prune kv: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < 1000 {
			return total, nil
		}
	}
}
