package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

// SaveRuns inserts the runs in one transaction, sent as one pipelined
// batch (one round trip). A request id already stored is skipped, so a
// retried batch is harmless.
func (s *Store) SaveRuns(ctx context.Context, runs []functions.Run) error {
	if len(runs) == 0 {
		return nil
	}
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, r := range runs {
			logs, err := storerow.EncodeList(r.Logs)
			if err != nil {
				return fmt.Errorf("run %s: encode logs: %w", r.RequestID, err)
			}
			b.Queue(`INSERT INTO runs (`+storerow.RunCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (request_id) DO NOTHING`,
				pgText(r.RequestID), pgText(r.FunctionID), pgText(r.Tenant), r.Version, pgText(r.Export), r.Status, pgText(r.ErrorCode), pgText(r.Error), logs,
				r.DurationUS, storerow.ToMillis(r.StartedAt), r.CPUUS, string(storerow.TriggerOrHTTP(r.Trigger)), pgText(r.TraceID))
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: save runs: %w", err)
	}
	return nil
}

// Runs lists a page of the tenant's runs matching q, newest first by
// (started_at, request_id), the keyset q.After continues from. An unknown
// function (for this tenant) is ErrNotFound, not an empty list.
func (s *Store) Runs(ctx context.Context, tenant string, q functions.RunQuery) (functions.RunPage, error) {
	if q.FunctionID != "" {
		if _, err := getFunction(ctx, s.pool, tenant, q.FunctionID); err != nil {
			return functions.RunPage{}, fmt.Errorf("postgres: runs of function %s: %w", q.FunctionID, err)
		}
	}
	var a args
	where := runFilter(&a, tenant, q)
	limit := q.PageLimit()
	// One more than the page: whether it exists says if there is a next page.
	runs, err := queryAll(ctx, s.pool, storerow.ScanRun, `SELECT `+storerow.RunCols+` FROM runs WHERE `+where+`
ORDER BY started_at DESC, request_id DESC LIMIT `+a.add(limit+1), a...)
	if err != nil {
		return functions.RunPage{}, fmt.Errorf("postgres: runs of tenant %s: %w", tenant, err)
	}
	page := functions.RunPage{Runs: runs}
	if len(runs) > limit {
		page.Runs = runs[:limit]
		page.Next = functions.CursorOf(runs[limit-1])
	}
	return page, nil
}

// args collects a query's arguments; add returns the placeholder of one.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// runFilter is the WHERE clause of q: ranges and equalities on the
// indexed columns, or cheap tests of the rows an index range yields.
func runFilter(a *args, tenant string, q functions.RunQuery) string {
	conds := []string{"tenant = " + a.add(tenant)}
	if q.FunctionID != "" {
		conds = append(conds, "function_id = "+a.add(q.FunctionID))
	}
	if q.Trigger != "" {
		conds = append(conds, "run_trigger = "+a.add(string(q.Trigger)))
	}
	switch q.Status.Outcome {
	case "ok":
		conds = append(conds, "error_code = '' AND status < 400")
	case "cancelled":
		conds = append(conds, "error_code = "+a.add(functions.CodeCancelled))
	case "error":
		conds = append(conds, "(error_code <> '' OR status >= 400) AND error_code <> "+a.add(functions.CodeCancelled))
	}
	if q.Status.Min > 0 {
		conds = append(conds, "status BETWEEN "+a.add(q.Status.Min)+" AND "+a.add(q.Status.Max))
	}
	if !q.Since.IsZero() {
		conds = append(conds, "started_at >= "+a.add(storerow.ToMillis(q.Since)))
	}
	if !q.Until.IsZero() {
		conds = append(conds, "started_at < "+a.add(storerow.ToMillis(q.Until)))
	}
	if c := q.After; c != nil {
		// A row value: the index is sought to it, so a deep page costs
		// what the first does.
		conds = append(conds, "(started_at, request_id) < ("+a.add(storerow.ToMillis(c.StartedAt))+", "+a.add(c.RequestID)+")")
	}
	return strings.Join(conds, " AND ")
}

// RunByID finds one of the tenant's runs by its request id.
func (s *Store) RunByID(ctx context.Context, tenant, requestID string) (functions.Run, error) {
	r, err := storerow.ScanRun(s.pool.QueryRow(ctx, `SELECT `+storerow.RunCols+` FROM runs WHERE tenant = $1 AND request_id = $2`, tenant, requestID))
	if isNoRows(err) {
		err = functions.ErrNotFound
	}
	if err != nil {
		return functions.Run{}, fmt.Errorf("postgres: run %s: %w", requestID, err)
	}
	return r, nil
}

// PruneRuns deletes at most batch of the tenant's runs that r does not
// keep: started before r.Before, or older than the newest r.Keep. Each
// call is one short statement.
func (s *Store) PruneRuns(ctx context.Context, tenant string, r functions.RunRetention, batch int) (int64, error) {
	var a args
	tenantArg := a.add(tenant)
	var conds []string
	if !r.Before.IsZero() {
		conds = append(conds, "started_at < "+a.add(storerow.ToMillis(r.Before)))
	}
	if r.Keep > 0 {
		// The newest record past the count: it and everything older go.
		var ms int64
		var id string
		err := s.pool.QueryRow(ctx, `SELECT started_at, request_id FROM runs WHERE tenant = $1
ORDER BY started_at DESC, request_id DESC LIMIT 1 OFFSET $2`, tenant, r.Keep).Scan(&ms, &id)
		switch {
		case err == nil:
			conds = append(conds, "(started_at, request_id) <= ("+a.add(ms)+", "+a.add(id)+")")
		case !isNoRows(err):
			return 0, fmt.Errorf("postgres: prune runs of %s: %w", tenant, err)
		}
	}
	if len(conds) == 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM runs WHERE request_id IN (
SELECT request_id FROM runs WHERE tenant = `+tenantArg+` AND (`+strings.Join(conds, " OR ")+`)
ORDER BY started_at, request_id LIMIT `+a.add(max(batch, 1))+`)`, a...)
	if err != nil {
		return 0, fmt.Errorf("postgres: prune runs of %s: %w", tenant, err)
	}
	return tag.RowsAffected(), nil
}
