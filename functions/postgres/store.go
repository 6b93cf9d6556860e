// Package postgres is the store for several gateways that behave as one:
// the same functions, keys, tenants, kv, run records, routing, voice call
// state, schedules and async queue as the embedded SQLite store, kept in
// one PostgreSQL database through a pgx connection pool.
//
// It follows the SQLite store's semantics method for method: times are
// kept as unix milliseconds (so what a write returns equals what a read
// returns, and paging cursors are the same), JSON is kept as the text it
// was written as, and the errors are the same sentinel values.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scriptforge/scriptforge/functions/backend"
	"github.com/scriptforge/scriptforge/functions/groupcommit"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

var _ backend.Backend = (*Store)(nil)

// Store is a backend.Backend on PostgreSQL. It is safe for concurrent use,
// within one process and across processes sharing the database.
type Store struct {
	pool *pgxpool.Pool
	// now is the clock; tests replace it with SetClock.
	now func() time.Time
	// enqueues groups async runs' Enqueues into shared transactions
	// (queue.go).
	enqueues groupcommit.Group[*enqueueReq]
}

// Open connects to the database at url (postgres://… or a key=value DSN)
// and migrates it to the current schema. The schema is the connection's
// search_path (a search_path parameter in the URL chooses another one).
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message can quote the URL, password included: keep it out.
		return nil, errors.New("postgres: the database URL is not valid (postgres://user:password@host:port/database?…)")
	}
	// pgx's default pool is max(4, CPUs) connections, fewer than the calls
	// a gateway serves at once; pool_max_conns in the URL overrides this.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	// The pool connects lazily: Ping makes a bad host or password fail here.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	s := &Store{pool: pool, now: time.Now}
	if err := migrate(ctx, pool, storerow.ToMillis(s.now())); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	return s, nil
}

// defaultMaxConns bounds a gateway's pool, as the SQLite store's: more
// connections than this only queue on the database's CPUs and locks.
const defaultMaxConns = 16

// SetClock replaces the store's clock; for tests, which need distinct,
// ordered times that do not depend on the machine's speed.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes every connection of the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// inTx runs fn in a transaction and commits it; any error rolls back.
func inTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(ctx) // fn's error is the one that matters
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// uniqueViolation returns the name of the UNIQUE or PRIMARY KEY
// constraint err broke, or "" when err is something else.
func uniqueViolation(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName
	}
	return ""
}

// querier is what the pool and a transaction share.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// scanner is one row, pgx.Row or pgx.Rows.
type scanner = storerow.Scanner

// queryAll runs a query and scans every row; no rows is an empty, non-nil
// slice, which encodes as [] in JSON.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return storerow.ScanAll(rows, scan)
}

// stamp returns the current time at storage precision.
func (s *Store) stamp() time.Time { return storerow.FromMillis(storerow.ToMillis(s.now())) }

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
