package postgres

import (
	"context"
	"fmt"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

// CreateTenant stores a new tenant; an id already taken is ErrTenantExists.
func (s *Store) CreateTenant(ctx context.Context, t auth.Tenant) (auth.Tenant, error) {
	now := s.stamp()
	t.CreatedAt, t.UpdatedAt = now, now
	limits, jwt, retention, err := storerow.EncodeTenant(t)
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("postgres: create tenant %s: %w", t.ID, err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO tenants (`+storerow.TenantCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Name, limits, jwt, storerow.ToMillis(now), storerow.ToMillis(now), retention)
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
	t, err := storerow.ScanTenant(s.pool.QueryRow(ctx, `SELECT `+storerow.TenantCols+` FROM tenants WHERE id = $1`, id))
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
	list, err := queryAll(ctx, s.pool, storerow.ScanTenant, `SELECT `+storerow.TenantCols+` FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list tenants: %w", err)
	}
	return list, nil
}

// UpdateTenant replaces the tenant's name, limits, JWT settings and runs retention.
func (s *Store) UpdateTenant(ctx context.Context, t auth.Tenant) (auth.Tenant, error) {
	limits, jwt, retention, err := storerow.EncodeTenant(t)
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("postgres: update tenant %s: %w", t.ID, err)
	}
	out, err := storerow.ScanTenant(s.pool.QueryRow(ctx, `
UPDATE tenants SET name = $1, limits = $2, jwt = $3, runs_retention = $4, updated_at = $5 WHERE id = $6
RETURNING `+storerow.TenantCols, t.Name, limits, jwt, retention, storerow.ToMillis(s.stamp()), t.ID))
	if isNoRows(err) {
		err = auth.ErrTenantNotFound
	}
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("postgres: update tenant %s: %w", t.ID, err)
	}
	return out, nil
}
