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
	// PruneKV deletes expired keys of every tenant. Reads never see them
	// anyway; this gives their space back.
	PruneKV(ctx context.Context) (int64, error)
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

// KVOp is one call of the kv module. It crosses the sandbox boundary as
// JSON: the sandbox names the operation, the gateway the tenant.
type KVOp struct {
	Op     string          `json:"op"` // get, set, delete, incr, list
	Key    string          `json:"key,omitempty"`
	Value  json.RawMessage `json:"value,omitempty"`
	TTL    time.Duration   `json:"ttl,omitempty"`
	By     float64         `json:"by,omitempty"`
	Prefix string          `json:"prefix,omitempty"`
	Cursor string          `json:"cursor,omitempty"`
	Limit  int             `json:"limit,omitempty"`
}

// KVReply is the outcome of a KVOp. Error is set (with Code "quota",
// "not_number", "invalid" or "unavailable") when the call failed.
type KVReply struct {
	Value    json.RawMessage `json:"value,omitempty"` // get; absent when the key is
	Number   float64         `json:"number,omitempty"`
	OK       bool            `json:"ok,omitempty"` // get: found; delete: deleted
	Keys     []KVListKey     `json:"keys,omitempty"`
	Cursor   string          `json:"cursor,omitempty"`
	Complete bool            `json:"complete,omitempty"`
	Code     string          `json:"code,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// KVListKey is one key of a list reply; Expiration is unix seconds, 0 for none.
type KVListKey struct {
	Name       string `json:"name"`
	Expiration int64  `json:"expiration,omitempty"`
}

// DoKV validates op and runs it on the tenant's store. Failures the
// function should see come back in the reply, not as an error.
func DoKV(ctx context.Context, store KVStore, tenant string, quota KVQuota, op KVOp) KVReply {
	fail := func(code string, err error) KVReply { return KVReply{Code: code, Error: err.Error()} }
	if op.Op != "list" {
		if err := ValidateKVKey(op.Key); err != nil {
			return fail("invalid", err)
		}
	}
	if err := ValidateKVTTL(op.TTL); err != nil {
		return fail("invalid", err)
	}
	stored := func(err error) KVReply {
		switch {
		case errors.Is(err, ErrKVQuota):
			return fail("quota", err)
		case errors.Is(err, ErrKVNotNumber):
			return fail("not_number", fmt.Errorf("kv key %q does not hold a number", op.Key))
		case err != nil:
			return fail("unavailable", errors.New("the kv store is unavailable; try again"))
		}
		return KVReply{}
	}
	switch op.Op {
	case "get":
		v, ok, err := store.KVGet(ctx, tenant, op.Key)
		if err != nil {
			return stored(err)
		}
		return KVReply{Value: v, OK: ok}
	case "set":
		if err := ValidateKVValue(op.Value); err != nil {
			return fail("invalid", err)
		}
		return stored(store.KVSet(ctx, tenant, op.Key, op.Value, op.TTL, quota))
	case "delete":
		ok, err := store.KVDelete(ctx, tenant, op.Key)
		if err != nil {
			return stored(err)
		}
		return KVReply{OK: ok}
	case "incr":
		n, err := store.KVIncr(ctx, tenant, op.Key, op.By, op.TTL, quota)
		if err != nil {
			return stored(err)
		}
		return KVReply{Number: n, OK: true}
	case "list":
		limit := op.Limit
		if limit <= 0 {
			limit = 100
		}
		if limit > MaxKVListLimit {
			return fail("invalid", fmt.Errorf("a kv list limit is at most %d", MaxKVListLimit))
		}
		keys, err := store.KVList(ctx, tenant, op.Prefix, op.Cursor, limit+1)
		if err != nil {
			return stored(err)
		}
		r := KVReply{Complete: len(keys) <= limit, Keys: []KVListKey{}}
		for i, k := range keys {
			if i == limit {
				break
			}
			lk := KVListKey{Name: k.Name}
			if !k.ExpiresAt.IsZero() {
				lk.Expiration = k.ExpiresAt.Unix()
			}
			r.Keys = append(r.Keys, lk)
		}
		if !r.Complete {
			r.Cursor = r.Keys[len(r.Keys)-1].Name
		}
		return r
	}
	return fail("invalid", fmt.Errorf("unknown kv operation %q", op.Op))
}
