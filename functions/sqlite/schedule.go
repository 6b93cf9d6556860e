package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/scriptforge/scriptforge/functions/schedule"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

var _ schedule.Store = (*Store)(nil)

// ScheduledFunctions lists every tenant's functions with a schedule, each
// with its latest fire record's slot, in one query.
func (s *Store) ScheduledFunctions(ctx context.Context) ([]schedule.Scheduled, error) {
	list, err := queryAll(ctx, s.db, storerow.ScanScheduled, storerow.ScheduledSelect)
	if err != nil {
		return nil, fmt.Errorf("sqlite: scheduled functions: %w", err)
	}
	return list, nil
}

// ClaimFire records a claimed slot; false when the slot has a record.
func (s *Store) ClaimFire(ctx context.Context, f schedule.Fire) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
INSERT INTO schedule_fires (function_id, slot, tenant, state, request_id, at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (function_id, slot) DO NOTHING`,
		f.FunctionID, storerow.ToMillis(f.Slot), f.Tenant, string(schedule.FireClaimed), f.RequestID, storerow.ToMillis(f.At))
	if err != nil {
		return false, fmt.Errorf("sqlite: claim fire of %s: %w", f.FunctionID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: claim fire of %s: %w", f.FunctionID, err)
	}
	return n == 1, nil
}

// SkipFires records skipped slots in one transaction; a slot that has a
// record keeps it.
func (s *Store) SkipFires(ctx context.Context, fs []schedule.Fire) error {
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `
INSERT INTO schedule_fires (function_id, slot, tenant, state, reason, at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (function_id, slot) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, f := range fs {
			if _, err := stmt.ExecContext(ctx, f.FunctionID, storerow.ToMillis(f.Slot), f.Tenant, string(schedule.FireSkipped), f.Reason, storerow.ToMillis(f.At)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: skip fires: %w", err)
	}
	return nil
}

// FinishFire records the outcome of a claimed slot.
func (s *Store) FinishFire(ctx context.Context, f schedule.Fire) error {
	_, err := s.db.ExecContext(ctx, `
UPDATE schedule_fires SET state = ?, status = ?, error = ?, at = ?
WHERE function_id = ? AND slot = ? AND state = ?`,
		string(f.State), f.Status, f.Error, storerow.ToMillis(f.At), f.FunctionID, storerow.ToMillis(f.Slot), string(schedule.FireClaimed))
	if err != nil {
		return fmt.Errorf("sqlite: finish fire of %s: %w", f.FunctionID, err)
	}
	return nil
}

// Fires lists a function's latest fire records, newest slot first.
func (s *Store) Fires(ctx context.Context, tenant, functionID string, limit int) ([]schedule.Fire, error) {
	list, err := queryAll(ctx, s.db, storerow.ScanFire, `SELECT `+storerow.FireCols+`
FROM schedule_fires WHERE tenant = ? AND function_id = ? ORDER BY slot DESC LIMIT ?`, tenant, functionID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: fires of %s: %w", functionID, err)
	}
	return list, nil
}

// LastFire is the function's latest fire record; false when it has none.
func (s *Store) LastFire(ctx context.Context, tenant, functionID string) (schedule.Fire, bool, error) {
	f, err := storerow.ScanFire(s.db.QueryRowContext(ctx, `SELECT `+storerow.FireCols+`
FROM schedule_fires WHERE tenant = ? AND function_id = ? ORDER BY slot DESC LIMIT 1`, tenant, functionID))
	if errors.Is(err, sql.ErrNoRows) {
		return schedule.Fire{}, false, nil
	}
	if err != nil {
		return schedule.Fire{}, false, fmt.Errorf("sqlite: last fire of %s: %w", functionID, err)
	}
	return f, true, nil
}
