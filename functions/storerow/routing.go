package storerow

import (
	"fmt"

	"github.com/scriptforge/scriptforge/functions/routing"
)

// AssignmentCols are the columns ScanAssignment reads, in its order.
const AssignmentCols = `tenant, kind, key, function_id, timeout_ms, timeout_action, created_at, updated_at`

// ScanAssignment reads a row of AssignmentCols.
func ScanAssignment(row Scanner) (routing.Assignment, error) {
	var a routing.Assignment
	var action string
	var created, updated int64
	if err := row.Scan(&a.Tenant, &a.Kind, &a.Key, &a.FunctionID, &a.TimeoutMS, &action, &created, &updated); err != nil {
		return routing.Assignment{}, err
	}
	var err error
	if a.TimeoutAction, err = routing.ParseTimeoutAction(action); err != nil {
		return routing.Assignment{}, fmt.Errorf("stored timeout action: %w", err)
	}
	a.CreatedAt, a.UpdatedAt = FromMillis(created), FromMillis(updated)
	return a, nil
}
