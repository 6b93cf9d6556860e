package storerow

import (
	"fmt"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// KVExpiry is the expires_at column of a key written at now with ttl; 0
// is never.
func KVExpiry(now time.Time, ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return ToMillis(now.Add(ttl))
}

// ScanKVKey reads a row of key, expires_at.
func ScanKVKey(row Scanner) (functions.KVKey, error) {
	var k functions.KVKey
	var expires int64
	if err := row.Scan(&k.Name, &expires); err != nil {
		return functions.KVKey{}, err
	}
	if expires > 0 {
		k.ExpiresAt = FromMillis(expires)
	}
	return k, nil
}

// CheckKVQuota says whether a write fits the tenant's quota, given the
// live keys and bytes it has now, whether the write adds a key, and by how
// many bytes it grows what is stored.
func CheckKVQuota(q functions.KVQuota, keys, bytes int64, newKey bool, grow int64) error {
	if newKey && keys+1 > int64(q.MaxKeys) {
		return fmt.Errorf("%w: the tenant has %d keys, its limit", functions.ErrKVQuota, keys)
	}
	if bytes+grow > q.MaxBytes {
		return fmt.Errorf("%w: the tenant's keys and values would take %d bytes; its limit is %d", functions.ErrKVQuota, bytes+grow, q.MaxBytes)
	}
	return nil
}
