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
