package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

var _ auth.TenantStore = (*Store)(nil)

// CreateTenant stores a new tenant; an id already taken is ErrTenantExists.
func (s *Store) CreateTenant(ctx context.Context, t auth.Tenant) (auth.Tenant, error) {
	now := s.stamp()
	t.CreatedAt, t.UpdatedAt = now, now
	limits, jwt, retention, err := storerow.EncodeTenant(t)
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("sqlite: create tenant %s: %w", t.ID, err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO tenants (`+storerow.TenantCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Name, limits, jwt, storerow.ToMillis(now), storerow.ToMillis(now), retention)
	if isUniqueViolation(err) || isPrimaryKeyViolation(err) {
		err = auth.ErrTenantExists
	}
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("sqlite: create tenant %s: %w", t.ID, err)
	}
	return t, nil
}

// Tenant reads one tenant; unknown is ErrTenantNotFound.
func (s *Store) Tenant(ctx context.Context, id string) (auth.Tenant, error) {
	t, err := storerow.ScanTenant(s.db.QueryRowContext(ctx, `SELECT `+storerow.TenantCols+` FROM tenants WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = auth.ErrTenantNotFound
	}
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("sqlite: tenant %s: %w", id, err)
	}
	return t, nil
}

// Tenants lists every tenant, oldest first.
func (s *Store) Tenants(ctx context.Context) ([]auth.Tenant, error) {
	list, err := queryAll(ctx, s.db, storerow.ScanTenant, `SELECT `+storerow.TenantCols+` FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list tenants: %w", err)
	}
	return list, nil
}

// UpdateTenant replaces the tenant's name, limits, JWT settings and runs retention.
func (s *Store) UpdateTenant(ctx context.Context, t auth.Tenant) (auth.Tenant, error) {
	limits, jwt, retention, err := storerow.EncodeTenant(t)
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("sqlite: update tenant %s: %w", t.ID, err)
	}
	out, err := storerow.ScanTenant(s.db.QueryRowContext(ctx, `
UPDATE tenants SET name = ?, limits = ?, jwt = ?, runs_retention = ?, updated_at = ? WHERE id = ?
RETURNING `+storerow.TenantCols, t.Name, limits, jwt, retention, storerow.ToMillis(s.stamp()), t.ID))
	if errors.Is(err, sql.ErrNoRows) {
		err = auth.ErrTenantNotFound
	}
	if err != nil {
		return auth.Tenant{}, fmt.Errorf("sqlite: update tenant %s: %w", t.ID, err)
	}
	return out, nil
}
