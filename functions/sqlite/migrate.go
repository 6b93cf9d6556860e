package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order, each once; step i has version i+1.
// Append only: never edit or reorder a step that may have shipped, because
// databases in the field record which versions they already ran.
//
// Times are INTEGER unix milliseconds (UTC): they sort and compare as
// numbers, and do not depend on how the driver formats time.Time.
// JSON columns (env, logs, scopes) are TEXT holding a JSON array.
var migrations = []string{
	// 1: initial schema.
	`
CREATE TABLE functions (
	id             TEXT    PRIMARY KEY,
	tenant         TEXT    NOT NULL,
	uuid           TEXT    NOT NULL UNIQUE,
	name           TEXT    NOT NULL,
	live_version   INTEGER NOT NULL,
	latest_version INTEGER NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	UNIQUE (tenant, name)
);

CREATE TABLE versions (
	function_id TEXT    NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
	version     INTEGER NOT NULL,
	type        TEXT    NOT NULL,
	source      TEXT    NOT NULL,
	code        TEXT    NOT NULL,
	hash        TEXT    NOT NULL,
	env         TEXT    NOT NULL DEFAULT '[]',
	timeout_ms  INTEGER NOT NULL,
	memory_mb   INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (function_id, version)
);

-- runs has no foreign key on purpose: run records are written in batches
-- after the fact, and one run of a function deleted meanwhile must not make
-- the whole batch fail. Delete removes a function's runs explicitly.
CREATE TABLE runs (
	request_id  TEXT    PRIMARY KEY,
	function_id TEXT    NOT NULL,
	tenant      TEXT    NOT NULL,
	version     INTEGER NOT NULL,
	export      TEXT    NOT NULL,
	status      INTEGER NOT NULL,
	error_code  TEXT    NOT NULL DEFAULT '',
	error       TEXT    NOT NULL DEFAULT '',
	logs        TEXT    NOT NULL DEFAULT '[]',
	duration_us INTEGER NOT NULL,
	started_at  INTEGER NOT NULL
);
CREATE INDEX runs_function_started ON runs (function_id, started_at);
CREATE INDEX runs_started ON runs (started_at);

CREATE TABLE api_keys (
	id         TEXT    PRIMARY KEY,
	tenant     TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	hash       TEXT    NOT NULL UNIQUE,
	scopes     TEXT    NOT NULL DEFAULT '[]',
	created_at INTEGER NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant);
`,
	// 2: tenants, function settings, API key use and revocation.
	`
CREATE TABLE tenants (
	id         TEXT    PRIMARY KEY,
	name       TEXT    NOT NULL,
	jwt        TEXT    NOT NULL DEFAULT '',   -- JSON auth.JWTConfig, '' when unset
	limits     TEXT    NOT NULL DEFAULT '{}', -- JSON auth.TenantLimits
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
-- Every tenant that already owns something, the default one included.
INSERT INTO tenants (id, name, created_at, updated_at)
	SELECT tenant, tenant, CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER)
	FROM (SELECT 'default' AS tenant UNION SELECT tenant FROM functions UNION SELECT tenant FROM api_keys);

ALTER TABLE functions ADD COLUMN auth   TEXT NOT NULL DEFAULT 'public';
ALTER TABLE functions ADD COLUMN limits TEXT NOT NULL DEFAULT '{}'; -- JSON functions.UsageLimits

ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0; -- 0: never
ALTER TABLE api_keys ADD COLUMN revoked_at   INTEGER NOT NULL DEFAULT 0; -- 0: live
`,
	// 3: the kv module's store.
	`
CREATE TABLE kv (
	tenant     TEXT    NOT NULL,
	key        TEXT    NOT NULL,
	value      TEXT    NOT NULL, -- JSON
	expires_at INTEGER NOT NULL DEFAULT 0, -- 0: never
	PRIMARY KEY (tenant, key)
) WITHOUT ROWID;
CREATE INDEX kv_expires ON kv (expires_at) WHERE expires_at > 0;
`,
	// 4: a function may ask for a fresh runtime per call (warm is the default).
	`
ALTER TABLE functions ADD COLUMN fresh_runtime INTEGER NOT NULL DEFAULT 0;
`,
	// 5: the CPU time of each run, in microseconds (0 for runs recorded before).
	`ALTER TABLE runs ADD COLUMN cpu_us INTEGER NOT NULL DEFAULT 0;`,
	// 6: voice webhooks: a function's voice settings, and per-call state.
	`
ALTER TABLE functions ADD COLUMN voice TEXT NOT NULL DEFAULT '{}'; -- JSON functions.VoiceSettings

CREATE TABLE call_state (
	tenant     TEXT    NOT NULL,
	call_id    TEXT    NOT NULL,
	state      TEXT    NOT NULL, -- a JSON object
	version    INTEGER NOT NULL, -- bumped by each write: the check against lost writes
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (tenant, call_id)
) WITHOUT ROWID;
CREATE INDEX call_state_expires ON call_state (expires_at);
`,
	// 7 (routing): a function's place in the tenant's routing chain, and
	// the assignments of functions to customers and DIDs.
	`
ALTER TABLE functions ADD COLUMN routing_priority TEXT    NOT NULL DEFAULT ''; -- '' disabled, run-first, run-last
ALTER TABLE functions ADD COLUMN routing_order    INTEGER NOT NULL DEFAULT 0;
CREATE INDEX functions_routing ON functions (tenant, routing_priority, routing_order) WHERE routing_priority <> '';

CREATE TABLE routing_assignments (
	tenant         TEXT    NOT NULL,
	kind           TEXT    NOT NULL, -- customer or did
	key            TEXT    NOT NULL, -- the customer's name or the DID
	function_id    TEXT    NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
	timeout_ms     INTEGER NOT NULL,
	timeout_action TEXT    NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	PRIMARY KEY (tenant, kind, key)
) WITHOUT ROWID;
CREATE INDEX routing_assignments_function ON routing_assignments (function_id);
`,
	// 8 (run records): what started each run (runs before this step were
	// all HTTP invocations, or routing steps recorded as such); indexes
	// for listing a tenant's or a function's runs newest first by the
	// paging key (started_at, request_id), and for pruning per tenant;
	// each tenant's retention of run records.
	`
ALTER TABLE runs ADD COLUMN run_trigger TEXT NOT NULL DEFAULT 'http';
DROP INDEX runs_function_started;
DROP INDEX runs_started;
CREATE INDEX runs_tenant_page ON runs (tenant, started_at, request_id);
CREATE INDEX runs_function_page ON runs (function_id, started_at, request_id);

ALTER TABLE tenants ADD COLUMN runs_retention TEXT NOT NULL DEFAULT '{}'; -- JSON auth.RunsRetention
`,
	// 9 (contracts): a function's input and output JSON Schemas, compact
	// JSON text; '' when it has none.
	`
ALTER TABLE functions ADD COLUMN input_schema  TEXT NOT NULL DEFAULT '';
ALTER TABLE functions ADD COLUMN output_schema TEXT NOT NULL DEFAULT '';
`,
	// 10 (tracing): the W3C trace id of each run's call ('' for runs
	// recorded before, and for calls that were not traced).
	`ALTER TABLE runs ADD COLUMN trace_id TEXT NOT NULL DEFAULT '';`,
	// 11 (schedules): a function's schedule, the compact JSON of a
	// validated schedule.Spec ('' when it has none); when it was last set
	// to something new (its slots start after that); and an index for
	// the scheduler, which reads the scheduled functions of every tenant.
	`
ALTER TABLE functions ADD COLUMN schedule       TEXT    NOT NULL DEFAULT '';
ALTER TABLE functions ADD COLUMN schedule_since INTEGER NOT NULL DEFAULT 0;
CREATE INDEX functions_scheduled ON functions (id) WHERE schedule <> '';
`,
	// 12 (schedules): one row per slot of a function's schedule that was
	// claimed or skipped. The key makes a slot's claim unique, so it runs
	// at most once, across restarts and gateways. No foreign key, as for
	// runs: Delete removes a function's fires itself.
	`
CREATE TABLE schedule_fires (
	function_id TEXT    NOT NULL,
	slot        INTEGER NOT NULL, -- unix ms of the slot's instant
	tenant      TEXT    NOT NULL,
	state       TEXT    NOT NULL, -- claimed, succeeded, failed, skipped
	reason      TEXT    NOT NULL DEFAULT '', -- skipped: missed or overlap
	request_id  TEXT    NOT NULL DEFAULT '',
	status      INTEGER NOT NULL DEFAULT 0,
	error       TEXT    NOT NULL DEFAULT '',
	at          INTEGER NOT NULL, -- when state was written
	PRIMARY KEY (function_id, slot)
) WITHOUT ROWID;
`,
	// 13 (async runs): the queue of Prefer: respond-async runs
	// (functions/queue). A row is written before the caller gets its 202,
	// and stays after the run as its status (GET /v1/runs/{id}) and, when
	// dead, as the tenant's dead letter. token names the worker's lease;
	// errors is a JSON array of each failed attempt. No foreign key, as
	// for runs.
	`
CREATE TABLE queue_runs (
	id              TEXT    PRIMARY KEY, -- the run's request id
	tenant          TEXT    NOT NULL,
	function_id     TEXT    NOT NULL,
	export          TEXT    NOT NULL DEFAULT '',
	data            BLOB    NOT NULL,
	headers         TEXT    NOT NULL DEFAULT '{}',
	callback_url    TEXT    NOT NULL DEFAULT '',
	idempotency_key TEXT    NOT NULL DEFAULT '',
	state           TEXT    NOT NULL, -- queued, running, succeeded, failed, cancelled, dead
	attempts        INTEGER NOT NULL DEFAULT 0,
	max_attempts    INTEGER NOT NULL,
	errors          TEXT    NOT NULL DEFAULT '[]',
	token           TEXT    NOT NULL DEFAULT '',
	lease_until     INTEGER NOT NULL DEFAULT 0,
	next_at         INTEGER NOT NULL,
	status          INTEGER NOT NULL DEFAULT 0,
	result          BLOB,
	error           TEXT    NOT NULL DEFAULT '',
	enqueued_at     INTEGER NOT NULL,
	started_at      INTEGER NOT NULL DEFAULT 0,
	finished_at     INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX queue_runs_idempotency ON queue_runs (tenant, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX queue_runs_due ON queue_runs (state, next_at) WHERE state IN ('queued', 'running');
CREATE INDEX queue_runs_tenant_state ON queue_runs (tenant, state, finished_at);
`,
	// 14 (async callbacks): the delivery of a finished async run's outcome
	// to its callback URL ('' none, pending, delivered, failed), and each
	// tenant's secret that signs them.
	`
ALTER TABLE queue_runs ADD COLUMN callback_state    TEXT    NOT NULL DEFAULT '';
ALTER TABLE queue_runs ADD COLUMN callback_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue_runs ADD COLUMN callback_next_at  INTEGER NOT NULL DEFAULT 0;
CREATE INDEX queue_runs_callbacks ON queue_runs (callback_next_at) WHERE callback_state = 'pending';
CREATE TABLE callback_secrets (
	tenant     TEXT    PRIMARY KEY,
	secret     TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
	// 15 (queue depth): how many runs each tenant has queued or running,
	// and under tenant '' (no tenant id is empty) all of them. Counting
	// the rows at every accept cost time in proportion to the queue, so
	// accepts slowed as it grew (bench/async.sh); triggers keep the counts
	// exact in the same transaction as every change of a run's state.
	`
CREATE TABLE queue_depth (
	tenant TEXT    PRIMARY KEY,
	n      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO queue_depth (tenant, n)
	SELECT tenant, COUNT(*) FROM queue_runs WHERE state IN ('queued', 'running') GROUP BY tenant;
INSERT INTO queue_depth (tenant, n)
	SELECT '', COUNT(*) FROM queue_runs WHERE state IN ('queued', 'running');
CREATE TRIGGER queue_depth_insert AFTER INSERT ON queue_runs
WHEN NEW.state IN ('queued', 'running') BEGIN
	INSERT INTO queue_depth (tenant, n) VALUES (NEW.tenant, 1), ('', 1)
		ON CONFLICT (tenant) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER queue_depth_update AFTER UPDATE OF state ON queue_runs
WHEN (OLD.state IN ('queued', 'running')) <> (NEW.state IN ('queued', 'running')) BEGIN
	INSERT INTO queue_depth (tenant, n)
		VALUES (NEW.tenant, IIF(NEW.state IN ('queued', 'running'), 1, -1)),
		       ('', IIF(NEW.state IN ('queued', 'running'), 1, -1))
		ON CONFLICT (tenant) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER queue_depth_delete AFTER DELETE ON queue_runs
WHEN OLD.state IN ('queued', 'running') BEGIN
	UPDATE queue_depth SET n = n - 1 WHERE tenant IN (OLD.tenant, '');
END;
`,
}

// migrate brings the schema up to date. Each step runs in its own
// transaction together with its bookkeeping row, so a crash leaves either
// the whole step or none of it. Transactions begin IMMEDIATE (see Open),
// so two processes opening the same file at once cannot both apply a step.
func migrate(ctx context.Context, db *sql.DB, now func() int64) error {
	if _, err := db.ExecContext(ctx, `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for i, step := range migrations {
		version := i + 1
		if err := applyMigration(ctx, db, version, step, now()); err != nil {
			return fmt.Errorf("migration %d: %w", version, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int, step string, appliedAt int64) error {
	return inTx(ctx, db, func(tx *sql.Tx) error {
		// Checked inside the write transaction, not before it, so a
		// concurrent Open that got there first is seen.
		var done bool
		if err := tx.QueryRowContext(ctx,
			`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, version,
		).Scan(&done); err != nil {
			return fmt.Errorf("check: %w", err)
		}
		if done {
			return nil
		}
		if _, err := tx.ExecContext(ctx, step); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, appliedAt,
		); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		return nil
	})
}
