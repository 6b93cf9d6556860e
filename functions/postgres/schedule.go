package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/scriptforge/scriptforge/functions/schedule"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

// ScheduledFunctions lists every tenant's functions with a schedule, each
// with its latest fire record's slot, in one query.
func (s *Store) ScheduledFunctions(ctx context.Context) ([]schedule.Scheduled, error) {
	list, err := queryAll(ctx, s.pool, storerow.ScanScheduled, storerow.ScheduledSelect)
	if err != nil {
		return nil, fmt.Errorf("postgres: scheduled functions: %w", err)
	}
	return list, nil
}

// ClaimFire records a claimed slot; false when the slot has a record.
// The primary key makes the claim unique across gateways.
func (s *Store) ClaimFire(ctx context.Context, f schedule.Fire) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
INSERT INTO schedule_fires (function_id, slot, tenant, state, request_id, at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (function_id, slot) DO NOTHING`,
		f.FunctionID, storerow.ToMillis(f.Slot), f.Tenant, string(schedule.FireClaimed), f.RequestID, storerow.ToMillis(f.At))
	if err != nil {
		return false, fmt.Errorf("postgres: claim fire of %s: %w", f.FunctionID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// SkipFires records skipped slots in one transaction; a slot that has a
// record keeps it.
func (s *Store) SkipFires(ctx context.Context, fs []schedule.Fire) error {
	if len(fs) == 0 {
		return nil
	}
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, f := range fs {
			b.Queue(`
INSERT INTO schedule_fires (function_id, slot, tenant, state, reason, at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (function_id, slot) DO NOTHING`, f.FunctionID, storerow.ToMillis(f.Slot), f.Tenant, string(schedule.FireSkipped), f.Reason, storerow.ToMillis(f.At))
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: skip fires: %w", err)
	}
	return nil
}

// FinishFire records the outcome of a claimed slot.
func (s *Store) FinishFire(ctx context.Context, f schedule.Fire) error {
	_, err := s.pool.Exec(ctx, `
UPDATE schedule_fires SET state = $1, status = $2, error = $3, at = $4
WHERE function_id = $5 AND slot = $6 AND state = $7`,
		string(f.State), f.Status, pgText(f.Error), storerow.ToMillis(f.At), f.FunctionID, storerow.ToMillis(f.Slot), string(schedule.FireClaimed))
	if err != nil {
		return fmt.Errorf("postgres: finish fire of %s: %w", f.FunctionID, err)
	}
	return nil
}

// Fires lists a function's latest fire records, newest slot first.
func (s *Store) Fires(ctx context.Context, tenant, functionID string, limit int) ([]schedule.Fire, error) {
	list, err := queryAll(ctx, s.pool, storerow.ScanFire, `SELECT `+storerow.FireCols+`
FROM schedule_fires WHERE tenant = $1 AND function_id = $2 ORDER BY slot DESC LIMIT $3`, tenant, functionID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: fires of %s: %w", functionID, err)
	}
	return list, nil
}

// LastFire is the function's latest fire record; false when it has none.
func (s *Store) LastFire(ctx context.Context, tenant, functionID string) (schedule.Fire, bool, error) {
	f, err := storerow.ScanFire(s.pool.QueryRow(ctx, `SELECT `+storerow.FireCols+`
FROM schedule_fires WHERE tenant = $1 AND function_id = $2 ORDER BY slot DESC LIMIT 1`, tenant, functionID))
	if isNoRows(err) {
		return schedule.Fire{}, false, nil
	}
	if err != nil {
		return schedule.Fire{}, false, fmt.Errorf("postgres: last fire of %s: %w", functionID, err)
	}
	return f, true, nil
}
