package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/scriptforge/scriptforge/functions/routing"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

// PutAssignment creates or replaces an assignment. The function is
// checked in the same transaction, scoped by tenant; the foreign key
// keeps a function deleted meanwhile from being assigned.
func (s *Store) PutAssignment(ctx context.Context, a routing.Assignment) (routing.Assignment, error) {
	now := storerow.ToMillis(s.stamp())
	var out routing.Assignment
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := getFunction(ctx, tx, a.Tenant, a.FunctionID); err != nil {
			return err
		}
		// created_at survives a replacement; updated_at moves.
		var err error
		out, err = storerow.ScanAssignment(tx.QueryRow(ctx, `
INSERT INTO routing_assignments (`+storerow.AssignmentCols+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
ON CONFLICT (tenant, kind, key) DO UPDATE SET
	function_id = excluded.function_id, timeout_ms = excluded.timeout_ms,
	timeout_action = excluded.timeout_action, updated_at = excluded.updated_at
RETURNING `+storerow.AssignmentCols,
			a.Tenant, string(a.Kind), a.Key, a.FunctionID, a.TimeoutMS, a.TimeoutAction.String(), now))
		return err
	})
	if err != nil {
		return routing.Assignment{}, fmt.Errorf("postgres: assign %s %s: %w", a.Kind, a.Key, err)
	}
	return out, nil
}

// GetAssignment returns one assignment, or routing.ErrNoAssignment.
func (s *Store) GetAssignment(ctx context.Context, tenant string, kind routing.Kind, key string) (routing.Assignment, error) {
	a, err := storerow.ScanAssignment(s.pool.QueryRow(ctx,
		`SELECT `+storerow.AssignmentCols+` FROM routing_assignments WHERE tenant = $1 AND kind = $2 AND key = $3`, tenant, string(kind), key))
	if isNoRows(err) {
		err = routing.ErrNoAssignment
	}
	if err != nil {
		return routing.Assignment{}, fmt.Errorf("postgres: get %s %s: %w", kind, key, err)
	}
	return a, nil
}

// DeleteAssignment removes one assignment, or returns routing.ErrNoAssignment.
func (s *Store) DeleteAssignment(ctx context.Context, tenant string, kind routing.Kind, key string) error {
	tag, err := s.pool.Exec(ctx,
		`DELETE FROM routing_assignments WHERE tenant = $1 AND kind = $2 AND key = $3`, tenant, string(kind), key)
	if err == nil && tag.RowsAffected() == 0 {
		err = routing.ErrNoAssignment
	}
	if err != nil {
		return fmt.Errorf("postgres: unassign %s %s: %w", kind, key, err)
	}
	return nil
}

// ListAssignments returns the tenant's assignments of one kind, by key.
func (s *Store) ListAssignments(ctx context.Context, tenant string, kind routing.Kind) ([]routing.Assignment, error) {
	list, err := queryAll(ctx, s.pool, storerow.ScanAssignment,
		`SELECT `+storerow.AssignmentCols+` FROM routing_assignments WHERE tenant = $1 AND kind = $2 ORDER BY key`, tenant, string(kind))
	if err != nil {
		return nil, fmt.Errorf("postgres: list %s assignments: %w", kind, err)
	}
	return list, nil
}
