package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/scriptforge/scriptforge/functions/routing"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

var _ routing.Store = (*Store)(nil)

// PutAssignment creates or replaces an assignment. The function is
// checked in the same transaction, scoped by tenant: a tenant cannot
// route its calls to another tenant's function by knowing its id.
func (s *Store) PutAssignment(ctx context.Context, a routing.Assignment) (routing.Assignment, error) {
	now := storerow.ToMillis(s.stamp())
	var out routing.Assignment
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		if _, err := getFunction(ctx, tx, a.Tenant, a.FunctionID); err != nil {
			return err
		}
		// created_at survives a replacement; updated_at moves.
		row := tx.QueryRowContext(ctx, `
INSERT INTO routing_assignments (`+storerow.AssignmentCols+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant, kind, key) DO UPDATE SET
	function_id = excluded.function_id, timeout_ms = excluded.timeout_ms,
	timeout_action = excluded.timeout_action, updated_at = excluded.updated_at
RETURNING `+storerow.AssignmentCols,
			a.Tenant, string(a.Kind), a.Key, a.FunctionID, a.TimeoutMS, a.TimeoutAction.String(), now, now)
		var err error
		out, err = storerow.ScanAssignment(row)
		return err
	})
	if err != nil {
		return routing.Assignment{}, fmt.Errorf("sqlite: assign %s %s: %w", a.Kind, a.Key, err)
	}
	return out, nil
}

// GetAssignment returns one assignment, or routing.ErrNoAssignment.
func (s *Store) GetAssignment(ctx context.Context, tenant string, kind routing.Kind, key string) (routing.Assignment, error) {
	a, err := storerow.ScanAssignment(s.db.QueryRowContext(ctx,
		`SELECT `+storerow.AssignmentCols+` FROM routing_assignments WHERE tenant = ? AND kind = ? AND key = ?`, tenant, string(kind), key))
	if errors.Is(err, sql.ErrNoRows) {
		err = routing.ErrNoAssignment
	}
	if err != nil {
		return routing.Assignment{}, fmt.Errorf("sqlite: get %s %s: %w", kind, key, err)
	}
	return a, nil
}

// DeleteAssignment removes one assignment, or returns routing.ErrNoAssignment.
func (s *Store) DeleteAssignment(ctx context.Context, tenant string, kind routing.Kind, key string) error {
	res, err := s.db.ExecContext(ctx,
		`DELETE FROM routing_assignments WHERE tenant = ? AND kind = ? AND key = ?`, tenant, string(kind), key)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = routing.ErrNoAssignment
		}
	}
	if err != nil {
		return fmt.Errorf("sqlite: unassign %s %s: %w", kind, key, err)
	}
	return nil
}

// ListAssignments returns the tenant's assignments of one kind, by key.
func (s *Store) ListAssignments(ctx context.Context, tenant string, kind routing.Kind) ([]routing.Assignment, error) {
	list, err := queryAll(ctx, s.db, storerow.ScanAssignment,
		`SELECT `+storerow.AssignmentCols+` FROM routing_assignments WHERE tenant = ? AND kind = ? ORDER BY key`, tenant, string(kind))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list %s assignments: %w", kind, err)
	}
	return list, nil
}
