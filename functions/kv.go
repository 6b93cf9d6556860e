package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// The kv module's store: one key space per tenant, values are JSON.

// Bounds of one key and one value; a tenant's totals are its KVQuota.
const (
	MaxKVKeyBytes   = 512
	MaxKVValueBytes = 64 << 10
	MaxKVListLimit  = 1000
	MaxKVTTL        = 10 * 365 * 24 * time.Hour
)

// KVQuota bounds a tenant's store. Zero fields take the defaults.
type KVQuota struct {
	MaxKeys  int   // default 10,000
	MaxBytes int64 // keys plus values; default 50 MiB
}

// WithDefaults fills the zero fields.
func (q KVQuota) WithDefaults() KVQuota {
	if q.MaxKeys <= 0 {
		q.MaxKeys = 10_000
	}
	if q.MaxBytes <= 0 {
		q.MaxBytes = 50 << 20
	}
	return q
}

// Errors of a KVStore, matched with errors.Is.
var (
	ErrKVQuota     = errors.New("kv quota exceeded")
	ErrKVNotNumber = errors.New("kv value is not a number")
)

// KVKey is one key of a listing.
type KVKey struct {
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"-"`
}

// KVStore keeps every tenant's key-value pairs. Writes return once durable.
// An expired key reads as absent. A ttl of 0 means no expiry.
type KVStore interface {
	KVGet(ctx context.Context, tenant, key string) (json.RawMessage, bool, error)
	// KVSet stores value, refusing with ErrKVQuota a write that would take
	// the tenant past quota.
	KVSet(ctx context.Context, tenant, key string, value json.RawMessage, ttl time.Duration, quota KVQuota) error
	KVDelete(ctx context.Context, tenant, key string) (bool, error)
	// KVIncr adds by to a number (a missing key counts as 0) and returns
	// the sum; a value that is not a number is ErrKVNotNumber. A ttl > 0
	// sets the key's expiry; 0 keeps the one it has.
	KVIncr(ctx context.Context, tenant, key string, by float64, ttl time.Duration, quota KVQuota) (float64, error)
	// KVList returns up to limit live keys with prefix, in order, after
	// the key named by after ("" from the start).
	KVList(ctx context.Context, tenant, prefix, after string, limit int) ([]KVKey, error)
}

// ValidateKVKey checks a key: 1 to 512 bytes of UTF-8.
func ValidateKVKey(key string) error {
	if key == "" || len(key) > MaxKVKeyBytes || !utf8.ValidString(key) {
		return fmt.Errorf("a kv key is 1 to %d bytes of UTF-8", MaxKVKeyBytes)
	}
	return nil
}

// ValidateKVValue checks a value: valid JSON of at most 64 KiB.
func ValidateKVValue(v json.RawMessage) error {
	if len(v) > MaxKVValueBytes {
		return fmt.Errorf("a kv value is at most %d bytes of JSON; this one is %d", MaxKVValueBytes, len(v))
	}
	if !json.Valid(v) {
		return errors.New("a kv value must be JSON")
	}
	return nil
}

// ValidateKVTTL checks a time to live: none (0), or 1 s to 10 years.
func ValidateKVTTL(ttl time.Duration) error {
	if ttl != 0 && (ttl < time.Second || ttl > MaxKVTTL) {
		return fmt.Errorf("a kv ttl is between 1 second and %d days", int(MaxKVTTL.Hours()/24))
	}
	return nil
}
