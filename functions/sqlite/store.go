// Package sqlite is the embedded store: functions, versions, runs and API
// keys in one SQLite file, through the pure-Go modernc.org/sqlite driver so
// the binary needs no cgo and nothing else installed.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/backend"
	"github.com/scriptforge/scriptforge/functions/groupcommit"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

var (
	_ functions.Store = (*Store)(nil)
	_ auth.KeyStore   = (*Store)(nil)
	_ backend.Backend = (*Store)(nil)
)

// Store is a functions.Store and an auth.KeyStore backed by one SQLite file.
// It is safe for concurrent use.
type Store struct {
	db *sql.DB
	// now is the clock; tests replace it to get distinct, ordered times.
	now func() time.Time
	// calls batches call-state writes (see callWriteQueue).
	calls *callWriteQueue
	// enqueues groups async runs' Enqueues into shared commits (queue.go).
	enqueues groupcommit.Group[*enqueueReq]
}

// Open opens (creating if needed) the database file at path and migrates it
// to the current schema. path must name a file: an in-memory database would
// be a different, empty database on every pooled connection.
func Open(path string) (*Store, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: need a file path", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	// 0700: the file holds source code and environment secrets.
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create data directory: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	// A new connection costs a schema parse and the pragmas (a quarter of
	// the gateway's CPU when calls spread over 10,000 functions missed
	// its lookup cache): keep as many idle as may be open, instead of
	// database/sql's default of 2, which closed all but two after each
	// burst of concurrent lookups and opened them again on the next.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	s := &Store{db: db, now: time.Now, calls: newCallWriteQueue()}
	ctx := context.Background()
	// Ping opens a real connection, so a bad path or DSN fails here.
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	if err := migrate(ctx, db, func() int64 { return storerow.ToMillis(s.now()) }); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", abs, err)
	}
	return s, nil
}

// maxConns bounds the pool: readers run in parallel under WAL, and more
// connections than this only queue on the one writer or on the CPUs.
const maxConns = 16

// dsn builds the modernc connection string. The driver applies the query
// parameters to every new pooled connection (busy_timeout first, then the
// other _pragma values); with a "file:" prefix the whole string also goes
// to sqlite3_open_v2 as a URI, which ignores parameters it does not know.
//
//   - journal_mode(WAL): readers do not block the writer, nor it them.
//   - synchronous(FULL): WAL is fsynced at every commit, so a write that
//     returned survives power loss; NORMAL may lose the last commits.
//   - foreign_keys(1): off by default in SQLite; versions cascade on delete.
//   - busy_timeout(5000): wait for the write lock instead of failing at once.
//   - _txlock=immediate: BEGIN IMMEDIATE takes the write lock up front, so a
//     read-then-write transaction (Deploy) never hits SQLITE_BUSY mid-way
//     where busy_timeout cannot help.
func dsn(absPath string) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "busy_timeout(5000)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + uriPath(absPath) + "?" + q.Encode()
}

// uriPath escapes what would end or alter the path part of an SQLite URI.
// SQLite decodes %HH in the path; '?' and '#' would start the query or
// fragment (and the driver splits the DSN at the first '?').
func uriPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// SetClock replaces the store's clock; for tests, which need distinct,
// ordered times that do not depend on the machine's speed.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes the database. The last connection to close checkpoints the
// WAL into the main file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction and commits it; any error rolls back.
// Because of _txlock=immediate, it holds the write lock throughout.
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // fn's error is the one that matters
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// isUniqueViolation reports whether err is a UNIQUE constraint failure.
// The driver's typed error carries the extended result code (the driver
// turns extended codes on), which tells UNIQUE apart from other constraints.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// isPrimaryKeyViolation is isUniqueViolation for a PRIMARY KEY.
func isPrimaryKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// stamp returns the current time at storage precision.
func (s *Store) stamp() time.Time { return storerow.FromMillis(storerow.ToMillis(s.now())) }

// queryAll runs a query and scans every row with scan. The result is empty,
// not nil, when there are no rows: it encodes as [] in JSON.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return storerow.ScanAll(rows, scan)
}
