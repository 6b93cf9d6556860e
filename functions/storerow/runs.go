package storerow

import (
	"fmt"

	"github.com/scriptforge/scriptforge/functions"
)

// RunCols are the columns of a run record, in ScanRun's order.
const RunCols = `request_id, function_id, tenant, version, export, status, error_code, error, logs, duration_us, started_at, cpu_us, run_trigger, trace_id`

// ScanRun reads a row of RunCols.
func ScanRun(row Scanner) (functions.Run, error) {
	var r functions.Run
	var logs string
	var started int64
	if err := row.Scan(&r.RequestID, &r.FunctionID, &r.Tenant, &r.Version, &r.Export, &r.Status,
		&r.ErrorCode, &r.Error, &logs, &r.DurationUS, &started, &r.CPUUS, &r.Trigger, &r.TraceID); err != nil {
		return functions.Run{}, err
	}
	r.StartedAt = FromMillis(started)
	if err := DecodeList(logs, &r.Logs); err != nil {
		return functions.Run{}, fmt.Errorf("logs of %s: %w", r.RequestID, err)
	}
	return r, nil
}

// TriggerOrHTTP is the trigger stored for a record: one without a trigger
// is an HTTP call, as every record was before triggers existed.
func TriggerOrHTTP(t functions.Trigger) functions.Trigger {
	if t == "" {
		return functions.TriggerHTTP
	}
	return t
}
