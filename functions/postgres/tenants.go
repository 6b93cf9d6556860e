package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/scriptforge/scriptforge/auth"
)

const tenantCols = `id, name, limits, jwt, created_at, updated_at, runs_retention`

// CreateTenant stores a new tenant; an id already taken is ErrTenantExists.
func (s *Store) CreateTenant(ctx context.Context, t auth.Tenant) (auth.Tenant, error) {
	now := s.stamp()
	t.CreatedAt, t.UpdatedAt = now, now
	limits, jwt, retention, err := encodeTenant(t)
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("postgres: create tenant %s: %w", t.ID, err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO tenants (`+tenantCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Name, limits, jwt, toMillis(now), toMillis(now), retention)
	if uniqueViolation(err) != "" {
		err = auth.ErrTenantExists
	}
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("postgres: create tenant %s: %w", t.ID, err)
	}
	return t, nil
}

// Tenant reads one tenant; unknown is ErrTenantNotFound.
func (s *Store) Tenant(ctx context.Context, id string) (auth.Tenant, error) {
	t, err := scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`, id))
	if isNoRows(err) {
		err = auth.ErrTenantNotFound
	}
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("postgres: tenant %s: %w", id, err)
	}
	return t, nil
}

// Tenants lists every tenant, oldest first.
func (s *Store) Tenants(ctx context.Context) ([]auth.Tenant, error) {
	list, err := queryAll(ctx, s.pool, scanTenant, `SELECT `+tenantCols+` FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list tenants: %w", err)
	}
	return list, nil
}

// UpdateTenant replaces the tenant's name, limits, JWT settings and runs retention.
func (s *Store) UpdateTenant(ctx context.Context, t auth.Tenant) (auth.Tenant, error) {
	limits, jwt, retention, err := encodeTenant(t)
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("postgres: update tenant %s: %w", t.ID, err)
	}
	out, err := scanTenant(s.pool.QueryRow(ctx, `
UPDATE tenants SET name = $1, limits = $2, jwt = $3, runs_retention = $4, updated_at = $5 WHERE id = $6
RETURNING `+tenantCols, t.Name, limits, jwt, retention, toMillis(s.stamp()), t.ID))
	if isNoRows(err) {
		err = auth.ErrTenantNotFound
	}
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("postgres: update tenant %s: %w", t.ID, err)
	}
	return out, nil
}

// encodeTenant encodes the JSON columns; no JWT settings is "".
func encodeTenant(t auth.Tenant) (limits, jwt, retention string, err error) {
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

func scanTenant(row scanner) (auth.Tenant, error) {
	var t auth.Tenant
	var limits, jwt, retention string
	var created, updated int64
	if err := row.Scan(&t.ID, &t.Name, &limits, &jwt, &created, &updated, &retention); err != nil {
		return auth.Tenant{}, err
	}
	t.CreatedAt, t.UpdatedAt = fromMillis(created), fromMillis(updated)
	if err := decodeObject(limits, &t.Limits); err != nil {
		return auth.Tenant{}, err
	}
	if err := decodeObject(retention, &t.RunsRetention); err != nil {
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
