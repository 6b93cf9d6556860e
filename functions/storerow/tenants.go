package storerow

import (
	"encoding/json"
	"fmt"

	"github.com/scriptforge/scriptforge/auth"
)

// TenantCols are the columns ScanTenant reads, in its order.
const TenantCols = `id, name, limits, jwt, created_at, updated_at, runs_retention`

// EncodeTenant encodes the tenant's JSON columns; no JWT settings is "".
func EncodeTenant(t auth.Tenant) (limits, jwt, retention string, err error) {
	b, err := json.Marshal(t.Limits)
	if err != nil {
		return "", "", "", fmt.Errorf("encode limits: %w", err)
	}
	r, err := json.Marshal(t.RunsRetention)
	if err != nil {
		return "", "", "", fmt.Errorf("encode runs retention: %w", err)
	}
	if t.JWT == nil {
		return string(b), "", string(r), nil
	}
	j, err := json.Marshal(t.JWT)
	if err != nil {
		return "", "", "", fmt.Errorf("encode jwt: %w", err)
	}
	return string(b), string(j), string(r), nil
}

// ScanTenant reads a row of TenantCols.
func ScanTenant(row Scanner) (auth.Tenant, error) {
	var t auth.Tenant
	var limits, jwt, retention string
	var created, updated int64
	if err := row.Scan(&t.ID, &t.Name, &limits, &jwt, &created, &updated, &retention); err != nil {
		return auth.Tenant{}, err
	}
	t.CreatedAt, t.UpdatedAt = FromMillis(created), FromMillis(updated)
	if err := DecodeObject(limits, &t.Limits); err != nil {
		return auth.Tenant{}, err
	}
	if err := DecodeObject(retention, &t.RunsRetention); err != nil {
		return auth.Tenant{}, err
	}
	if jwt != "" {
		t.JWT = new(auth.JWTConfig)
		if err := json.Unmarshal([]byte(jwt), t.JWT); err != nil {
			return auth.Tenant{}, fmt.Errorf("jwt column: %w", err)
		}
	}
	return t, nil
}
