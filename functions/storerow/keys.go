package storerow

import "github.com/scriptforge/scriptforge/auth"

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
