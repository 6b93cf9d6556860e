package storerow

import (
	"errors"
	"fmt"
	"time"

	"github.com/scriptforge/scriptforge/auth"
)

// KeyCols are the columns ScanKey reads, in its order.
const KeyCols = `id, tenant, name, hash, scopes, created_at, last_used_at, revoked_at`

// ScanKey reads a row of KeyCols; a last use or revocation of 0 is none.
func ScanKey(row Scanner) (auth.Key, error) {
	var k auth.Key
	var scopes string
	var created, used, revoked int64
	if err := row.Scan(&k.ID, &k.Tenant, &k.Name, &k.Hash, &scopes, &created, &used, &revoked); err != nil {
		return auth.Key{}, err
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = FromMillis(created), OptionalMillis(used), OptionalMillis(revoked)
	if err := DecodeList(scopes, &k.Scopes); err != nil {
		return auth.Key{}, err
	}
	return k, nil
}

// NewKeyRow checks a key about to be stored and encodes its columns: its
// creation time (now() when it has none) and scopes.
func NewKeyRow(k auth.Key, now func() time.Time) (created int64, scopes string, err error) {
	if k.ID == "" || k.Hash == "" {
		return 0, "", errors.New("id and hash are required")
	}
	at := k.CreatedAt
	if at.IsZero() {
		at = now()
	}
	if scopes, err = EncodeList(k.Scopes); err != nil {
		return 0, "", fmt.Errorf("%s: encode scopes: %w", k.ID, err)
	}
	return ToMillis(at), scopes, nil
}
