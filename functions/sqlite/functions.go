package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/scriptforge/scriptforge/functions"
)

// querier is what *sql.DB and *sql.Tx share, so reads work in and out of a
// transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Create inserts a function with version 1 live, under a fresh File ID and UUID.
func (s *Store) Create(ctx context.Context, tenant, name string, set functions.Settings, v functions.NewVersion) (functions.Deployed, error) {
	now := s.stamp()
	if set.Auth == "" {
		set.Auth = functions.AuthPublic
	}
	f := functions.Function{
		ID:            functions.NewID("fn_"),
		Tenant:        tenant,
		UUID:          uuid.NewString(),
		Name:          name,
		LiveVersion:   1,
		LatestVersion: 1,
		Settings:      set,
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	limits, err := json.Marshal(set.Limits)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("sqlite: create function %q: encode limits: %w", name, err)
	}
	ver, err := newVersion(f.ID, 1, v, now)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("sqlite: create function %q: %w", name, err)
	}
	err = inTx(ctx, s.db, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
INSERT INTO functions (id, tenant, uuid, name, live_version, latest_version, auth, limits, fresh_runtime, voice, routing_priority, routing_order, input_schema, output_schema, schedule, schedule_since, callback_url, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.ID, f.Tenant, f.UUID, f.Name, f.LiveVersion, f.LatestVersion, string(set.Auth), string(limits), set.FreshRuntime, encodeVoice(set.Voice),
			string(set.RoutingPriority), set.RoutingOrder, string(set.InputSchema), string(set.OutputSchema), string(set.Schedule), toMillis(f.CreatedAt),
			set.CallbackURL, toMillis(f.CreatedAt), toMillis(f.UpdatedAt))
		if isUniqueViolation(err) {
			// The table has two UNIQUE constraints (uuid, tenant+name). Ask
			// which one, in the same transaction, rather than parse the
			// message: a name clash is the caller's, a UUID clash is ours.
			var taken bool
			if qerr := tx.QueryRowContext(ctx,
				`SELECT EXISTS (SELECT 1 FROM functions WHERE tenant = ? AND name = ?)`, tenant, name,
			).Scan(&taken); qerr != nil {
				return errors.Join(err, qerr)
			}
			if taken {
				return functions.ErrNameTaken
			}
		}
		if err != nil {
			return err
		}
		return insertVersion(ctx, tx, ver)
	})
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("sqlite: create function %q: %w", name, err)
	}
	return functions.Deployed{Function: f, Version: ver.Version}, nil
}

// Deploy appends version latest+1 and makes it live. The increment and the
// insert share one write transaction, so concurrent deploys of one function
// get distinct, consecutive numbers.
func (s *Store) Deploy(ctx context.Context, tenant, id string, v functions.NewVersion) (functions.Deployed, error) {
	now := s.stamp()
	var d functions.Deployed
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		// Old values on the right-hand side: both columns become latest+1.
		var number int
		err := tx.QueryRowContext(ctx, `
UPDATE functions SET latest_version = latest_version + 1, live_version = latest_version + 1, updated_at = ?
WHERE tenant = ? AND id = ?
RETURNING latest_version`, toMillis(now), tenant, id).Scan(&number)
		if errors.Is(err, sql.ErrNoRows) {
			return functions.ErrNotFound
		}
		if err != nil {
			return err
		}
		ver, err := newVersion(id, number, v, now)
		if err != nil {
			return err
		}
		if err := insertVersion(ctx, tx, ver); err != nil {
			return err
		}
		d, err = getDeployed(ctx, tx, `f.tenant = ? AND f.id = ?`, tenant, id)
		return err
	})
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("sqlite: deploy function %s: %w", id, err)
	}
	return d, nil
}

// Rollback makes an existing version live again (older or newer).
func (s *Store) Rollback(ctx context.Context, tenant, id string, version int) (functions.Deployed, error) {
	now := s.stamp()
	var d functions.Deployed
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
UPDATE functions SET live_version = ?, updated_at = ?
WHERE tenant = ? AND id = ?
  AND EXISTS (SELECT 1 FROM versions WHERE function_id = functions.id AND version = ?)`,
			version, toMillis(now), tenant, id, version)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			// Tell a missing function from a missing version.
			if _, err := getFunction(ctx, tx, tenant, id); err != nil {
				return err
			}
			return fmt.Errorf("version %d: %w", version, functions.ErrNoSuchVersion)
		}
		d, err = getDeployed(ctx, tx, `f.tenant = ? AND f.id = ?`, tenant, id)
		return err
	})
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("sqlite: rollback function %s: %w", id, err)
	}
	return d, nil
}

// RotateUUID replaces the function's UUID; the old one stops resolving at once.
func (s *Store) RotateUUID(ctx context.Context, tenant, id, newUUID string) (functions.Function, error) {
	if newUUID == "" {
		return functions.Function{}, fmt.Errorf("sqlite: rotate uuid of function %s: empty uuid", id)
	}
	row := s.db.QueryRowContext(ctx, `
UPDATE functions SET uuid = ?, updated_at = ?
WHERE tenant = ? AND id = ?
RETURNING `+functionCols, newUUID, toMillis(s.stamp()), tenant, id)
	f, err := scanFunction(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = functions.ErrNotFound
	}
	if err != nil {
		return functions.Function{}, fmt.Errorf("sqlite: rotate uuid of function %s: %w", id, err)
	}
	return f, nil
}

// UpdateSettings replaces the function's auth mode and usage limits.
func (s *Store) UpdateSettings(ctx context.Context, tenant, id string, set functions.Settings) (functions.Function, error) {
	now := toMillis(s.stamp())
	limits, err := json.Marshal(set.Limits)
	if err != nil {
		return functions.Function{}, fmt.Errorf("sqlite: update settings of function %s: encode limits: %w", id, err)
	}
	row := s.db.QueryRowContext(ctx, `
UPDATE functions SET auth = ?, limits = ?, fresh_runtime = ?, voice = ?, routing_priority = ?, routing_order = ?, input_schema = ?, output_schema = ?,
	schedule_since = CASE WHEN schedule = ? THEN schedule_since ELSE ? END, -- SET reads the row as it was: the old schedule
	schedule = ?, callback_url = ?, updated_at = ?
WHERE tenant = ? AND id = ?
RETURNING `+functionCols, string(set.Auth), string(limits), set.FreshRuntime, encodeVoice(set.Voice),
		string(set.RoutingPriority), set.RoutingOrder, string(set.InputSchema), string(set.OutputSchema),
		string(set.Schedule), now, string(set.Schedule), set.CallbackURL, now, tenant, id)
	f, err := scanFunction(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = functions.ErrNotFound
	}
	if err != nil {
		return functions.Function{}, fmt.Errorf("sqlite: update settings of function %s: %w", id, err)
	}
	return f, nil
}

// Delete removes the function, its versions (by cascade), its runs and
// its schedule's fire records.
func (s *Store) Delete(ctx context.Context, tenant, id string) error {
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM functions WHERE tenant = ? AND id = ?`, tenant, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return functions.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE tenant = ? AND function_id = ?`, tenant, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM schedule_fires WHERE tenant = ? AND function_id = ?`, tenant, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete function %s: %w", id, err)
	}
	return nil
}

// Get returns the function with its live version.
func (s *Store) Get(ctx context.Context, tenant, id string) (functions.Deployed, error) {
	d, err := getDeployed(ctx, s.db, `f.tenant = ? AND f.id = ?`, tenant, id)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("sqlite: get function %s: %w", id, err)
	}
	return d, nil
}

// GetByName returns the tenant's function called name with its live version.
func (s *Store) GetByName(ctx context.Context, tenant, name string) (functions.Deployed, error) {
	d, err := getDeployed(ctx, s.db, `f.tenant = ? AND f.name = ?`, tenant, name)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("sqlite: get function %q: %w", name, err)
	}
	return d, nil
}

// ByUUID finds the live version for an invocation. It is not scoped by
// tenant: knowing the UUID is the permission.
func (s *Store) ByUUID(ctx context.Context, id string) (functions.Deployed, error) {
	d, err := getDeployed(ctx, s.db, `f.uuid = ?`, id)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("sqlite: get function by uuid: %w", err)
	}
	return d, nil
}

// List returns the tenant's functions, oldest first; id breaks ties so the
// order is stable.
func (s *Store) List(ctx context.Context, tenant string) ([]functions.Deployed, error) {
	list, err := queryAll(ctx, s.db, scanDeployed, deployedSelect+`WHERE f.tenant = ? ORDER BY f.created_at, f.id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list functions: %w", err)
	}
	return list, nil
}

// Versions returns all versions of the function, newest first.
func (s *Store) Versions(ctx context.Context, tenant, id string) ([]functions.Version, error) {
	// The join scopes by tenant. Every function has at least version 1, so
	// no rows means no such function for this tenant.
	rows, err := s.db.QueryContext(ctx, `
SELECT `+versionCols+`
FROM versions v JOIN functions f ON f.id = v.function_id
WHERE f.tenant = ? AND f.id = ?
ORDER BY v.version DESC`, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: versions of function %s: %w", id, err)
	}
	defer rows.Close()
	var out []functions.Version
	for rows.Next() {
		var v functions.Version
		if err := rows.Scan(versionDest(&v)...); err != nil {
			return nil, fmt.Errorf("sqlite: versions of function %s: %w", id, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: versions of function %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sqlite: versions of function %s: %w", id, functions.ErrNotFound)
	}
	return out, nil
}

const (
	functionCols = `id, tenant, uuid, name, live_version, latest_version, auth, limits, fresh_runtime, voice, routing_priority, routing_order, input_schema, output_schema, schedule, callback_url, created_at, updated_at`
	// versionCols expects the versions table aliased as v.
	versionCols = `v.function_id, v.version, v.type, v.source, v.code, v.hash, v.env, v.timeout_ms, v.memory_mb, v.created_at`
)

// scanner is what *sql.Row and *sql.Rows share.
type scanner interface{ Scan(dest ...any) error }

func scanFunction(row scanner) (functions.Function, error) {
	var f functions.Function
	var created, updated int64
	if err := row.Scan(&f.ID, &f.Tenant, &f.UUID, &f.Name, &f.LiveVersion, &f.LatestVersion,
		&f.Auth, objectColumn[functions.UsageLimits]{dst: &f.Limits}, &f.FreshRuntime, voiceColumn{&f.Voice}, &f.RoutingPriority, &f.RoutingOrder,
		&f.InputSchema, &f.OutputSchema, &f.Schedule, &f.CallbackURL, &created, &updated); err != nil {
		return functions.Function{}, err
	}
	f.CreatedAt, f.UpdatedAt = fromMillis(created), fromMillis(updated)
	return f, nil
}

// getFunction reads the function head only; sql.ErrNoRows becomes ErrNotFound.
func getFunction(ctx context.Context, q querier, tenant, id string) (functions.Function, error) {
	f, err := scanFunction(q.QueryRowContext(ctx,
		`SELECT `+functionCols+` FROM functions WHERE tenant = ? AND id = ?`, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return functions.Function{}, functions.ErrNotFound
	}
	return f, err
}

// getDeployed reads one function joined with its live version, in one query.
// where filters on the functions table aliased as f.
func getDeployed(ctx context.Context, q querier, where string, args ...any) (functions.Deployed, error) {
	d, err := scanDeployed(q.QueryRowContext(ctx, deployedSelect+`WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return functions.Deployed{}, functions.ErrNotFound
	}
	return d, err
}

// deployedSelect reads functions joined with their live version.
const deployedSelect = `
SELECT f.id, f.tenant, f.uuid, f.name, f.live_version, f.latest_version, f.auth, f.limits, f.fresh_runtime, f.voice, f.routing_priority, f.routing_order, f.input_schema, f.output_schema, f.schedule, f.callback_url, f.created_at, f.updated_at, ` + versionCols + `
FROM functions f JOIN versions v ON v.function_id = f.id AND v.version = f.live_version
`

func scanDeployed(row scanner) (functions.Deployed, error) {
	var d functions.Deployed
	var created, updated int64
	dest := append([]any{
		&d.ID, &d.Tenant, &d.UUID, &d.Name, &d.LiveVersion, &d.LatestVersion,
		&d.Auth, objectColumn[functions.UsageLimits]{dst: &d.Limits}, &d.FreshRuntime, voiceColumn{&d.Voice}, &d.RoutingPriority, &d.RoutingOrder,
		&d.InputSchema, &d.OutputSchema, &d.Schedule, &d.CallbackURL, &created, &updated,
	}, versionDest(&d.Version)...)
	if err := row.Scan(dest...); err != nil {
		return functions.Deployed{}, err
	}
	d.CreatedAt, d.UpdatedAt = fromMillis(created), fromMillis(updated)
	return d, nil
}

// versionDest returns scan targets for versionCols; the JSON and time
// columns go through sql.Scanner adapters that decode straight into v.
func versionDest(v *functions.Version) []any {
	return []any{
		&v.FunctionID, &v.Number, &v.Type, &v.Source, &v.Code, &v.Hash,
		jsonColumn[functions.EnvVar]{dst: &v.Env}, &v.TimeoutMS, &v.MemoryMB, millisColumn{dst: &v.CreatedAt},
	}
}

// versionRow is a version ready to insert, with env already encoded.
type versionRow struct {
	functions.Version
	env string
}

func newVersion(functionID string, number int, nv functions.NewVersion, now time.Time) (versionRow, error) {
	enc, err := encodeJSON(nv.Env)
	if err != nil {
		return versionRow{}, fmt.Errorf("encode env: %w", err)
	}
	return versionRow{
		Version: functions.Version{
			FunctionID: functionID,
			Number:     number,
			Type:       nv.Type,
			Source:     nv.Source,
			Code:       nv.Code,
			Hash:       nv.Hash,
			// A copy, so the caller changing its slice later cannot change
			// what we report as stored.
			Env:       append([]functions.EnvVar{}, nv.Env...),
			TimeoutMS: nv.TimeoutMS,
			MemoryMB:  nv.MemoryMB,
			CreatedAt: now,
		},
		env: string(enc),
	}, nil
}

func insertVersion(ctx context.Context, tx *sql.Tx, v versionRow) error {
	if _, err := tx.ExecContext(ctx, `
INSERT INTO versions (function_id, version, type, source, code, hash, env, timeout_ms, memory_mb, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.FunctionID, v.Number, string(v.Type), v.Source, v.Code, v.Hash, v.env, v.TimeoutMS, v.MemoryMB, toMillis(v.CreatedAt),
	); err != nil {
		return fmt.Errorf("insert version %d: %w", v.Number, err)
	}
	return nil
}

// RoutingChain returns the tenant's functions that run in every routing
// chain, with their live versions: run-first ones, then run-last ones,
// each place sorted by routing_order (ties by creation, then id).
func (s *Store) RoutingChain(ctx context.Context, tenant string) (first, last []functions.Deployed, err error) {
	list, err := queryAll(ctx, s.db, scanDeployed, deployedSelect+`
WHERE f.tenant = ? AND f.routing_priority <> ''
ORDER BY f.routing_order, f.created_at, f.id`, tenant)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: routing chain: %w", err)
	}
	for _, d := range list {
		if d.RoutingPriority == functions.RoutingRunFirst {
			first = append(first, d)
		} else {
			last = append(last, d)
		}
	}
	return first, last, nil
}
