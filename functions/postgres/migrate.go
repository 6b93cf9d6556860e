package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are applied in order, each once; step i has version i+1.
// Append only: a database records which versions it already ran.
//
// The schema mirrors the SQLite store's, written for PostgreSQL:
//   - times are BIGINT unix milliseconds (UTC), 0 for none, as there;
//   - JSON is TEXT, not JSONB, so a value reads back byte for byte as it
//     was written (a schema, an env list); what a function wrote (kv
//     values, call state, async data and results) is BYTEA, because TEXT
//     refuses a NUL or invalid UTF-8 that SQLite keeps;
//   - text that is sorted or compared by range (ids, kv keys, paging keys)
//     is COLLATE "C": byte order, as SQLite compares, whatever locale the
//     database was created with. KVList's prefix range depends on it.
var migrations = []string{
	// 1: everything the SQLite store had at its migration 15.
	`
CREATE TABLE functions (
	id               TEXT COLLATE "C" PRIMARY KEY,
	tenant           TEXT    NOT NULL,
	uuid             TEXT    NOT NULL CONSTRAINT functions_uuid_key UNIQUE,
	name             TEXT    NOT NULL,
	live_version     INTEGER NOT NULL,
	latest_version   INTEGER NOT NULL,
	auth             TEXT    NOT NULL DEFAULT 'public',
	limits           TEXT    NOT NULL DEFAULT '{}',
	fresh_runtime    BOOLEAN NOT NULL DEFAULT false,
	voice            TEXT    NOT NULL DEFAULT '{}',
	routing_priority TEXT    NOT NULL DEFAULT '',
	routing_order    INTEGER NOT NULL DEFAULT 0,
	input_schema     TEXT    NOT NULL DEFAULT '',
	output_schema    TEXT    NOT NULL DEFAULT '',
	schedule         TEXT    NOT NULL DEFAULT '',
	schedule_since   BIGINT  NOT NULL DEFAULT 0,
	created_at       BIGINT  NOT NULL,
	updated_at       BIGINT  NOT NULL,
	CONSTRAINT functions_tenant_name_key UNIQUE (tenant, name)
);
CREATE INDEX functions_routing ON functions (tenant, routing_priority, routing_order) WHERE routing_priority <> '';
CREATE INDEX functions_scheduled ON functions (id) WHERE schedule <> '';

CREATE TABLE versions (
	function_id TEXT COLLATE "C" NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
	version     INTEGER NOT NULL,
	type        TEXT    NOT NULL,
	source      BYTEA   NOT NULL, -- bytes: legal JavaScript may hold a NUL, which TEXT refuses
	code        BYTEA   NOT NULL,
	hash        TEXT    NOT NULL,
	env         TEXT    NOT NULL DEFAULT '[]',
	timeout_ms  INTEGER NOT NULL,
	memory_mb   INTEGER NOT NULL,
	created_at  BIGINT  NOT NULL,
	PRIMARY KEY (function_id, version)
);

-- No foreign key, as in SQLite: run records come in batches after the
-- fact, and Delete removes a function's runs itself.
CREATE TABLE runs (
	request_id  TEXT COLLATE "C" PRIMARY KEY,
	function_id TEXT COLLATE "C" NOT NULL,
	tenant      TEXT    NOT NULL,
	version     INTEGER NOT NULL,
	export      TEXT    NOT NULL,
	status      INTEGER NOT NULL,
	error_code  TEXT    NOT NULL DEFAULT '',
	error       TEXT    NOT NULL DEFAULT '',
	logs        TEXT    NOT NULL DEFAULT '[]',
	duration_us BIGINT  NOT NULL,
	cpu_us      BIGINT  NOT NULL DEFAULT 0,
	started_at  BIGINT  NOT NULL,
	run_trigger TEXT    NOT NULL DEFAULT 'http',
	trace_id    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX runs_tenant_page ON runs (tenant, started_at, request_id);
CREATE INDEX runs_function_page ON runs (function_id, started_at, request_id);

CREATE TABLE api_keys (
	id           TEXT COLLATE "C" PRIMARY KEY,
	tenant       TEXT   NOT NULL,
	name         TEXT   NOT NULL,
	hash         TEXT   NOT NULL UNIQUE,
	scopes       TEXT   NOT NULL DEFAULT '[]',
	created_at   BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL DEFAULT 0, -- 0: never
	revoked_at   BIGINT NOT NULL DEFAULT 0  -- 0: live
);
CREATE INDEX api_keys_tenant ON api_keys (tenant);

CREATE TABLE tenants (
	id             TEXT COLLATE "C" PRIMARY KEY,
	name           TEXT   NOT NULL,
	jwt            TEXT   NOT NULL DEFAULT '',   -- JSON auth.JWTConfig, '' when unset
	limits         TEXT   NOT NULL DEFAULT '{}', -- JSON auth.TenantLimits
	runs_retention TEXT   NOT NULL DEFAULT '{}', -- JSON auth.RunsRetention
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);
-- The default tenant exists from the start, as SQLite's migration 2 made it.
INSERT INTO tenants (id, name, created_at, updated_at)
	VALUES ('default', 'default', (extract(epoch FROM clock_timestamp()) * 1000)::bigint, (extract(epoch FROM clock_timestamp()) * 1000)::bigint);

CREATE TABLE kv (
	tenant     TEXT COLLATE "C" NOT NULL,
	key        TEXT COLLATE "C" NOT NULL,
	value      BYTEA  NOT NULL, -- JSON, as bytes: kept exactly as the function wrote it
	expires_at BIGINT NOT NULL DEFAULT 0, -- 0: never
	PRIMARY KEY (tenant, key)
);
CREATE INDEX kv_expires ON kv (expires_at) WHERE expires_at > 0;

CREATE TABLE call_state (
	tenant     TEXT   NOT NULL,
	call_id    TEXT   NOT NULL,
	state      BYTEA  NOT NULL, -- a JSON object, as bytes (as kv values)
	version    BIGINT NOT NULL, -- bumped by each write: the check against lost writes
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (tenant, call_id)
);
CREATE INDEX call_state_expires ON call_state (expires_at);

CREATE TABLE routing_assignments (
	tenant         TEXT COLLATE "C" NOT NULL,
	kind           TEXT COLLATE "C" NOT NULL,
	key            TEXT COLLATE "C" NOT NULL,
	function_id    TEXT COLLATE "C" NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
	timeout_ms     INTEGER NOT NULL,
	timeout_action TEXT    NOT NULL,
	created_at     BIGINT  NOT NULL,
	updated_at     BIGINT  NOT NULL,
	PRIMARY KEY (tenant, kind, key)
);
CREATE INDEX routing_assignments_function ON routing_assignments (function_id);

-- One row per claimed or skipped slot: the key makes a slot's claim unique
-- across gateways. No foreign key, as for runs.
CREATE TABLE schedule_fires (
	function_id TEXT COLLATE "C" NOT NULL,
	slot        BIGINT  NOT NULL, -- unix ms of the slot's instant
	tenant      TEXT    NOT NULL,
	state       TEXT    NOT NULL, -- claimed, succeeded, failed, skipped
	reason      TEXT    NOT NULL DEFAULT '',
	request_id  TEXT    NOT NULL DEFAULT '',
	status      INTEGER NOT NULL DEFAULT 0,
	error       TEXT    NOT NULL DEFAULT '',
	at          BIGINT  NOT NULL,
	PRIMARY KEY (function_id, slot)
);

CREATE TABLE queue_runs (
	id                TEXT COLLATE "C" PRIMARY KEY,
	tenant            TEXT    NOT NULL,
	function_id       TEXT    NOT NULL,
	export            TEXT    NOT NULL DEFAULT '',
	data              BYTEA   NOT NULL,
	headers           TEXT    NOT NULL DEFAULT '{}',
	callback_url      TEXT    NOT NULL DEFAULT '',
	idempotency_key   TEXT    NOT NULL DEFAULT '',
	state             TEXT    NOT NULL,
	attempts          INTEGER NOT NULL DEFAULT 0,
	max_attempts      INTEGER NOT NULL,
	errors            TEXT    NOT NULL DEFAULT '[]',
	token             TEXT    NOT NULL DEFAULT '',
	lease_until       BIGINT  NOT NULL DEFAULT 0,
	next_at           BIGINT  NOT NULL,
	status            INTEGER NOT NULL DEFAULT 0,
	result            BYTEA,
	error             TEXT    NOT NULL DEFAULT '',
	enqueued_at       BIGINT  NOT NULL,
	started_at        BIGINT  NOT NULL DEFAULT 0,
	finished_at       BIGINT  NOT NULL DEFAULT 0,
	callback_state    TEXT    NOT NULL DEFAULT '',
	callback_attempts INTEGER NOT NULL DEFAULT 0,
	callback_next_at  BIGINT  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX queue_runs_idempotency ON queue_runs (tenant, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX queue_runs_due ON queue_runs (state, next_at) WHERE state IN ('queued', 'running');
CREATE INDEX queue_runs_tenant_state ON queue_runs (tenant, state, finished_at);
CREATE INDEX queue_runs_callbacks ON queue_runs (callback_next_at) WHERE callback_state = 'pending';

CREATE TABLE callback_secrets (
	tenant     TEXT   PRIMARY KEY,
	secret     TEXT   NOT NULL,
	created_at BIGINT NOT NULL
);

-- How many runs each tenant has queued or running, and under tenant ''
-- (no tenant id is empty) all of them, as in SQLite's migration 15: a
-- trigger keeps the counts exact in the transaction of every change of a
-- run's state, so an accept reads two rows instead of counting the queue.
CREATE TABLE queue_depth (
	tenant TEXT COLLATE "C" PRIMARY KEY,
	n      BIGINT NOT NULL
);
INSERT INTO queue_depth (tenant, n) VALUES ('', 0);
-- The '' row is updated before the tenant's: every transaction takes the
-- two rows in that order (Enqueue locks them so too), so none deadlocks
-- on them. search_path is pinned to the schema the function was made in.
CREATE FUNCTION queue_depth_follow() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	d integer := 0;
BEGIN
	IF TG_OP <> 'INSERT' AND OLD.state IN ('queued', 'running') THEN
		d := d - 1;
	END IF;
	IF TG_OP <> 'DELETE' AND NEW.state IN ('queued', 'running') THEN
		d := d + 1;
	END IF;
	IF d <> 0 THEN
		UPDATE queue_depth SET n = n + d WHERE tenant = '';
		INSERT INTO queue_depth (tenant, n) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant ELSE NEW.tenant END, d)
			ON CONFLICT (tenant) DO UPDATE SET n = queue_depth.n + excluded.n;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER queue_depth_follow AFTER INSERT OR DELETE OR UPDATE OF state ON queue_runs
	FOR EACH ROW EXECUTE FUNCTION queue_depth_follow();
`,
	// 2: SQLite's 16, a function's default callback URL for async runs.
	`ALTER TABLE functions ADD COLUMN callback_url TEXT NOT NULL DEFAULT '';`,
	// 3: the queue's counts in stripes. With one row for all tenants,
	// every accept in the cluster held that row from its update to its
	// commit, so accepts committed one at a time, each waiting for the
	// last one's WAL flush (838 accepts/s against 18,700 calls/s in
	// bench/async.sh). A transaction now counts in the stripe of its
	// connection (backend pid mod 16): transactions on different stripes
	// share no row, those on the same one still take '' before the
	// tenant's, so none deadlocks. Readers add the stripes up.
	`
ALTER TABLE queue_depth ADD COLUMN stripe SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE queue_depth DROP CONSTRAINT queue_depth_pkey;
ALTER TABLE queue_depth ADD PRIMARY KEY (tenant, stripe);
INSERT INTO queue_depth (tenant, stripe, n) SELECT '', s, 0 FROM generate_series(1, 15) AS s;
CREATE OR REPLACE FUNCTION queue_depth_follow() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	d integer := 0;
	s smallint := pg_backend_pid() % 16;
BEGIN
	IF TG_OP <> 'INSERT' AND OLD.state IN ('queued', 'running') THEN
		d := d - 1;
	END IF;
	IF TG_OP <> 'DELETE' AND NEW.state IN ('queued', 'running') THEN
		d := d + 1;
	END IF;
	IF d <> 0 THEN
		UPDATE queue_depth SET n = n + d WHERE tenant = '' AND stripe = s;
		INSERT INTO queue_depth (tenant, stripe, n) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant ELSE NEW.tenant END, s, d)
			ON CONFLICT (tenant, stripe) DO UPDATE SET n = queue_depth.n + excluded.n;
	END IF;
	RETURN NULL;
END
$$;
`,
}

// migrate brings the schema up to date in one transaction that holds an
// advisory lock named after the schema: gateways starting together wait
// for the first, then find its steps recorded and apply nothing. A crash
// mid-way leaves no step half done (PostgreSQL's DDL is transactional).
func migrate(ctx context.Context, pool *pgxpool.Pool, appliedAt int64) error {
	return migrateSteps(ctx, pool, appliedAt, migrations)
}

// migrateSteps is migrate with the steps to know: a test gives fewer, to
// make a database as an older gateway left it.
func migrateSteps(ctx context.Context, pool *pgxpool.Pool, appliedAt int64, migrations []string) error {
	return inTx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('scriptforge migrate ' || coalesce(current_schema(), ''), 0))`); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at BIGINT  NOT NULL
)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var done int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&done); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if done > len(migrations) {
			return fmt.Errorf("the database is at version %d, newer than this gateway knows (%d): upgrade the gateway", done, len(migrations))
		}
		for i := done; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, i+1, appliedAt); err != nil {
				return fmt.Errorf("migration %d: record: %w", i+1, err)
			}
		}
		return nil
	})
}
