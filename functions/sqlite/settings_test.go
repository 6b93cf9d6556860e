package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/scriptforge/scriptforge/functions"
)

// A database made before tenants existed gains a tenant row for every
// tenant that owns something, and public settings for its functions.
func TestMigrationAddsTenantsAndSettings(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAtStep(t, 1)
	for _, q := range []string{
		`INSERT INTO functions (id, tenant, uuid, name, live_version, latest_version, created_at, updated_at) VALUES ('fn_1', 'acme', 'u1', 'f', 1, 1, 1, 1)`,
		`INSERT INTO versions (function_id, version, type, source, code, hash, timeout_ms, memory_mb, created_at) VALUES ('fn_1', 1, 'script', 's', 'c', 'h', 1000, 64, 1)`,
		`INSERT INTO api_keys (id, tenant, name, hash, created_at) VALUES ('k1', 'beta', 'k', 'h1', 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := count(t, s, `SELECT count(*) FROM tenants WHERE id IN ('default', 'acme', 'beta') AND created_at > 0`); n != 3 {
		t.Fatalf("tenants after migration: %d", n)
	}
	d, err := s.Get(ctx, "acme", "fn_1")
	if err != nil || d.Auth != functions.AuthPublic || d.Limits != (functions.UsageLimits{}) {
		t.Fatalf("migrated function: %+v %v", d, err)
	}
}

// databaseAtStep makes a database as an older gateway left it: the
// schema's first steps applied, no later one. The caller closes db.
func databaseAtStep(t *testing.T, steps int) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i, step := range migrations[:steps] {
		if err := applyMigration(ctx, db, i+1, step, 1); err != nil {
			t.Fatal(err)
		}
	}
	return path, db
}

// openUpgraded opens a store whose database was at the given step, with
// the rows the statements wrote then: Open applies the steps after it.
func openUpgraded(t *testing.T, steps int, stmts ...string) *Store {
	t.Helper()
	path, db := databaseAtStep(t, steps)
	for _, q := range stmts {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
