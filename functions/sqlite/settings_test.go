package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/scriptforge/scriptforge/functions"
)

func TestFunctionSettings(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	jwt := functions.Settings{Auth: functions.AuthJWT, Limits: functions.UsageLimits{Rate: 5, Burst: 10, Concurrency: 2}, FreshRuntime: true}
	d, err := s.Create(ctx, "acme", "guarded", jwt, sampleVersion("x"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Settings != jwt {
		t.Fatalf("created with %+v", d.Settings)
	}
	plain := mustCreate(t, s, "acme", "plain")
	if plain.Auth != functions.AuthPublic || plain.Limits != (functions.UsageLimits{}) || plain.FreshRuntime {
		t.Fatalf("default settings: %+v", plain.Settings)
	}
	byUUID, err := s.ByUUID(ctx, d.UUID)
	if err != nil || byUUID.Settings != jwt {
		t.Fatalf("ByUUID: %+v %v", byUUID.Settings, err)
	}

	key := functions.Settings{Auth: functions.AuthAPIKey} // fresh_runtime back to warm
	f, err := s.UpdateSettings(ctx, "acme", d.ID, key)
	if err != nil || f.Settings != key || !f.UpdatedAt.After(d.UpdatedAt) {
		t.Fatalf("UpdateSettings: %+v %v", f, err)
	}
	if _, err := s.UpdateSettings(ctx, "other", d.ID, jwt); !errors.Is(err, functions.ErrNotFound) {
		t.Fatalf("another tenant changed the settings: %v", err)
	}
	// Settings are the function's, not a version's: a rollback keeps them.
	if _, err := s.Deploy(ctx, "acme", d.ID, sampleVersion("y")); err != nil {
		t.Fatal(err)
	}
	rolled, err := s.Rollback(ctx, "acme", d.ID, 1)
	if err != nil || rolled.Settings != key {
		t.Fatalf("after rollback: %+v %v", rolled.Settings, err)
	}

	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Get(ctx, "acme", d.ID)
	if err != nil || got.Settings != key {
		t.Fatalf("after reopen: %+v %v", got.Settings, err)
	}
}

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

func TestRoutingChainOrder(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	create := func(tenant, name string, p functions.RoutingPriority, order int) functions.Deployed {
		t.Helper()
		d, err := s.Create(ctx, tenant, name, functions.Settings{Auth: functions.AuthPublic, RoutingPriority: p, RoutingOrder: order}, sampleVersion(name))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	create("acme", "late", functions.RoutingRunFirst, 20)
	create("acme", "early", functions.RoutingRunFirst, 10)
	create("acme", "tail", functions.RoutingRunLast, 0)
	create("acme", "assigned-only", functions.RoutingDisabled, 0)
	create("other", "foreign", functions.RoutingRunFirst, 0)
	moved := create("acme", "moved", functions.RoutingDisabled, 0)
	if _, err := s.UpdateSettings(ctx, "acme", moved.ID, functions.Settings{Auth: functions.AuthPublic, RoutingPriority: functions.RoutingRunLast, RoutingOrder: -1}); err != nil {
		t.Fatal(err)
	}
	first, last, err := s.RoutingChain(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	names := func(list []functions.Deployed) (out []string) {
		for _, d := range list {
			if d.Version.Code == "" {
				t.Fatalf("%s came without its live code", d.Name)
			}
			out = append(out, d.Name)
		}
		return out
	}
	if got := fmt.Sprint(names(first), names(last)); got != "[early late] [moved tail]" {
		t.Fatalf("chain: %s", got)
	}
}

// A function's contract (input and output schemas) is kept durably, read
// back by every path (Get, ByUUID, the update's answer), and kept across
// a rollback; settings without one read back empty.
func TestContractSettings(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	set := functions.Settings{Auth: functions.AuthPublic,
		InputSchema:  `{"type":"object","required":["a"]}`,
		OutputSchema: `{"type":"string"}`}
	d, err := s.Create(ctx, "acme", "typed", set, sampleVersion("x"))
	if err != nil || d.Settings != set {
		t.Fatalf("created: %+v %v", d.Settings, err)
	}
	if byUUID, err := s.ByUUID(ctx, d.UUID); err != nil || byUUID.Settings != set {
		t.Fatalf("ByUUID: %+v %v", byUUID.Settings, err)
	}
	inputOnly := functions.Settings{Auth: functions.AuthPublic, InputSchema: set.InputSchema}
	if f, err := s.UpdateSettings(ctx, "acme", d.ID, inputOnly); err != nil || f.Settings != inputOnly {
		t.Fatalf("UpdateSettings: %+v %v", f.Settings, err)
	}
	if _, err := s.Deploy(ctx, "acme", d.ID, sampleVersion("y")); err != nil {
		t.Fatal(err)
	}
	if rolled, err := s.Rollback(ctx, "acme", d.ID, 1); err != nil || rolled.Settings != inputOnly {
		t.Fatalf("after rollback: %+v %v", rolled.Settings, err)
	}
	if plain := mustCreate(t, s, "acme", "plain"); plain.InputSchema != "" || plain.OutputSchema != "" {
		t.Fatalf("default settings: %+v", plain.Settings)
	}
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := s2.Get(ctx, "acme", d.ID); err != nil || got.Settings != inputOnly {
		t.Fatalf("after reopen: %+v %v", got.Settings, err)
	}
}

// A schedule is a setting: kept durably, read back by every path, kept
// across a rollback, cleared by an empty one.
func TestScheduleSetting(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	set := functions.Settings{Auth: functions.AuthPublic, Schedule: `{"cron":"*/5 * * * *","tz":"Europe/Paris","overlap":"skip"}`}
	d, err := s.Create(ctx, "acme", "cron", set, sampleVersion("x"))
	if err != nil || d.Settings != set {
		t.Fatalf("created: %+v %v", d.Settings, err)
	}
	if byUUID, err := s.ByUUID(ctx, d.UUID); err != nil || byUUID.Settings != set {
		t.Fatalf("ByUUID: %+v %v", byUUID.Settings, err)
	}
	if _, err := s.Deploy(ctx, "acme", d.ID, sampleVersion("y")); err != nil {
		t.Fatal(err)
	}
	if rolled, err := s.Rollback(ctx, "acme", d.ID, 1); err != nil || rolled.Settings != set {
		t.Fatalf("after rollback: %+v %v", rolled.Settings, err)
	}
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := s2.Get(ctx, "acme", d.ID); err != nil || got.Settings != set {
		t.Fatalf("after reopen: %+v %v", got.Settings, err)
	}
	cleared := functions.Settings{Auth: functions.AuthPublic}
	if f, err := s2.UpdateSettings(ctx, "acme", d.ID, cleared); err != nil || f.Schedule != "" {
		t.Fatalf("cleared: %+v %v", f.Settings, err)
	}
}
