package storerow

import "github.com/scriptforge/scriptforge/functions/schedule"

// FireCols are the columns ScanFire reads, in its order.
const FireCols = `function_id, slot, tenant, state, reason, request_id, status, error, at`

// ScanFire reads a row of FireCols.
func ScanFire(row Scanner) (schedule.Fire, error) {
	var f schedule.Fire
	var slot, at int64
	if err := row.Scan(&f.FunctionID, &slot, &f.Tenant, &f.State, &f.Reason, &f.RequestID, &f.Status, &f.Error, &at); err != nil {
		return schedule.Fire{}, err
	}
	f.Slot, f.At = FromMillis(slot), FromMillis(at)
	return f, nil
}

// ScheduledSelect lists every function with a schedule and its latest
// fire's slot (NULL when it never fired), for ScanScheduled.
const ScheduledSelect = `
SELECT f.tenant, f.id, f.schedule, f.schedule_since, (SELECT max(slot) FROM schedule_fires WHERE function_id = f.id)
FROM functions f WHERE f.schedule <> '' ORDER BY f.id`

// ScanScheduled reads a row of ScheduledSelect. The last slot is scanned
// through a pointer, which both drivers set to nil for NULL.
func ScanScheduled(row Scanner) (schedule.Scheduled, error) {
	var sc schedule.Scheduled
	var since int64
	var last *int64
	if err := row.Scan(&sc.Tenant, &sc.FunctionID, &sc.Schedule, &since, &last); err != nil {
		return schedule.Scheduled{}, err
	}
	sc.Since = FromMillis(since)
	if last != nil {
		sc.LastSlot = FromMillis(*last)
	}
	return sc, nil
}
