// Package storerow is how the SQL stores' rows map to the model: the
// column lists, the scanning of a row into a model type, and the encoding
// of JSON and time columns. functions/sqlite and functions/postgres keep
// the same tables, so this is written once; the statements themselves
// ($1 or ?), transactions, locking and error mapping stay in each store.
package storerow

import "time"

// Scanner is one row: *sql.Row, *sql.Rows, pgx.Row and pgx.Rows all have
// this method.
type Scanner interface{ Scan(dest ...any) error }

// Rows is a query's rows as both drivers give them (*sql.Rows,
// pgx.Rows), without Close, whose signatures differ.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// ScanAll scans every row of rows with scan. The result is empty, not
// nil, when there are no rows: it encodes as [] in JSON. The caller
// closes rows.
func ScanAll[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Times are stored as unix milliseconds in UTC. A value handed back to a
// caller is rounded the same way, so what a write returns equals what a
// later read returns.
func ToMillis(t time.Time) int64 { return t.UnixMilli() }

// FromMillis reads a time column.
func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// OptMillis reads a time column where 0 means none (the zero time).
func OptMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return FromMillis(ms)
}

// OptionalMillis is OptMillis for a pointer field: 0 is nil.
func OptionalMillis(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := FromMillis(ms)
	return &t
}
