package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/storerow"
)

// Create inserts a function with version 1 live, under a fresh id and UUID.
func (s *Store) Create(ctx context.Context, tenant, name string, set functions.Settings, v functions.NewVersion) (functions.Deployed, error) {
	now := s.stamp()
	f, limits, err := storerow.NewFunction(tenant, name, set, now)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("postgres: create function %q: %w", name, err)
	}
	set = f.Settings // with its defaults
	ver, err := storerow.MakeVersion(f.ID, 1, v, now)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("postgres: create function %q: %w", name, err)
	}
	err = inTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
INSERT INTO functions (id, tenant, uuid, name, live_version, latest_version, auth, limits, fresh_runtime, voice, routing_priority, routing_order, input_schema, output_schema, schedule, schedule_since, created_at, updated_at, callback_url)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
			f.ID, f.Tenant, f.UUID, f.Name, f.LiveVersion, f.LatestVersion, string(set.Auth), limits, set.FreshRuntime, storerow.EncodeVoice(set.Voice),
			string(set.RoutingPriority), set.RoutingOrder, string(set.InputSchema), string(set.OutputSchema), string(set.Schedule), storerow.ToMillis(f.CreatedAt),
			storerow.ToMillis(f.CreatedAt), storerow.ToMillis(f.UpdatedAt), set.CallbackURL)
		// The constraint's name tells a name clash (the caller's) from a
		// UUID clash (ours).
		if uniqueViolation(err) == "functions_tenant_name_key" {
			return functions.ErrNameTaken
		}
		if err != nil {
			return err
		}
		return insertVersion(ctx, tx, ver)
	})
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("postgres: create function %q: %w", name, err)
	}
	return functions.Deployed{Function: f, Version: ver.Version}, nil
}

// Deploy appends version latest+1 and makes it live. The UPDATE locks the
// function's row, so concurrent deploys get distinct, consecutive numbers.
func (s *Store) Deploy(ctx context.Context, tenant, id string, v functions.NewVersion) (functions.Deployed, error) {
	now := s.stamp()
	var d functions.Deployed
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		var number int
		err := tx.QueryRow(ctx, `
UPDATE functions SET latest_version = latest_version + 1, live_version = latest_version + 1, updated_at = $1
WHERE tenant = $2 AND id = $3
RETURNING latest_version`, storerow.ToMillis(now), tenant, id).Scan(&number)
		if isNoRows(err) {
			return functions.ErrNotFound
		}
		if err != nil {
			return err
		}
		ver, err := storerow.MakeVersion(id, number, v, now)
		if err != nil {
			return err
		}
		if err := insertVersion(ctx, tx, ver); err != nil {
			return err
		}
		d, err = getDeployed(ctx, tx, `f.tenant = $1 AND f.id = $2`, tenant, id)
		return err
	})
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("postgres: deploy function %s: %w", id, err)
	}
	return d, nil
}

// Rollback makes an existing version live again (older or newer).
func (s *Store) Rollback(ctx context.Context, tenant, id string, version int) (functions.Deployed, error) {
	now := s.stamp()
	var d functions.Deployed
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
UPDATE functions SET live_version = $1, updated_at = $2
WHERE tenant = $3 AND id = $4
  AND EXISTS (SELECT 1 FROM versions WHERE function_id = functions.id AND version = $1)`,
			version, storerow.ToMillis(now), tenant, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			// Tell a missing function from a missing version.
			if _, err := getFunction(ctx, tx, tenant, id); err != nil {
				return err
			}
			return fmt.Errorf("version %d: %w", version, functions.ErrNoSuchVersion)
		}
		d, err = getDeployed(ctx, tx, `f.tenant = $1 AND f.id = $2`, tenant, id)
		return err
	})
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("postgres: rollback function %s: %w", id, err)
	}
	return d, nil
}

// RotateUUID replaces the function's UUID; the old one stops resolving at once.
func (s *Store) RotateUUID(ctx context.Context, tenant, id, newUUID string) (functions.Function, error) {
	if newUUID == "" {
		return functions.Function{}, fmt.Errorf("postgres: rotate uuid of function %s: empty uuid", id)
	}
	f, err := storerow.ScanFunction(s.pool.QueryRow(ctx, `
UPDATE functions SET uuid = $1, updated_at = $2
WHERE tenant = $3 AND id = $4
RETURNING `+storerow.FunctionCols, newUUID, storerow.ToMillis(s.stamp()), tenant, id))
	if isNoRows(err) {
		err = functions.ErrNotFound
	}
	if err != nil {
		return functions.Function{}, fmt.Errorf("postgres: rotate uuid of function %s: %w", id, err)
	}
	return f, nil
}

// UpdateSettings replaces the function's settings. schedule_since moves
// only when the schedule changes: its slots start after it was set.
func (s *Store) UpdateSettings(ctx context.Context, tenant, id string, set functions.Settings) (functions.Function, error) {
	now := storerow.ToMillis(s.stamp())
	limits, err := storerow.EncodeLimits(set.Limits)
	if err != nil {
		return functions.Function{}, fmt.Errorf("postgres: update settings of function %s: %w", id, err)
	}
	f, err := storerow.ScanFunction(s.pool.QueryRow(ctx, `
UPDATE functions SET auth = $1, limits = $2, fresh_runtime = $3, voice = $4, routing_priority = $5, routing_order = $6, input_schema = $7, output_schema = $8,
	schedule_since = CASE WHEN schedule = $9 THEN schedule_since ELSE $10 END, -- SET reads the row as it was: the old schedule
	schedule = $9, updated_at = $10, callback_url = $13
WHERE tenant = $11 AND id = $12
RETURNING `+storerow.FunctionCols, string(set.Auth), limits, set.FreshRuntime, storerow.EncodeVoice(set.Voice),
		string(set.RoutingPriority), set.RoutingOrder, string(set.InputSchema), string(set.OutputSchema),
		string(set.Schedule), now, tenant, id, set.CallbackURL))
	if isNoRows(err) {
		err = functions.ErrNotFound
	}
	if err != nil {
		return functions.Function{}, fmt.Errorf("postgres: update settings of function %s: %w", id, err)
	}
	return f, nil
}

// Delete removes the function, its versions (by cascade), its runs and
// its schedule's fire records.
func (s *Store) Delete(ctx context.Context, tenant, id string) error {
	err := inTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM functions WHERE tenant = $1 AND id = $2`, tenant, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return functions.ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM runs WHERE tenant = $1 AND function_id = $2`, tenant, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM schedule_fires WHERE tenant = $1 AND function_id = $2`, tenant, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete function %s: %w", id, err)
	}
	return nil
}

// Get returns the function with its live version.
func (s *Store) Get(ctx context.Context, tenant, id string) (functions.Deployed, error) {
	d, err := getDeployed(ctx, s.pool, `f.tenant = $1 AND f.id = $2`, tenant, id)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("postgres: get function %s: %w", id, err)
	}
	return d, nil
}

// GetByName returns the tenant's function called name with its live version.
func (s *Store) GetByName(ctx context.Context, tenant, name string) (functions.Deployed, error) {
	d, err := getDeployed(ctx, s.pool, `f.tenant = $1 AND f.name = $2`, tenant, name)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("postgres: get function %q: %w", name, err)
	}
	return d, nil
}

// ByUUID finds the live version for an invocation; knowing the UUID is
// the permission, so it is not scoped by tenant.
func (s *Store) ByUUID(ctx context.Context, id string) (functions.Deployed, error) {
	d, err := getDeployed(ctx, s.pool, `f.uuid = $1`, id)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("postgres: get function by uuid: %w", err)
	}
	return d, nil
}

// List returns the tenant's functions, oldest first, id breaking ties.
func (s *Store) List(ctx context.Context, tenant string) ([]functions.Deployed, error) {
	list, err := queryAll(ctx, s.pool, storerow.ScanDeployed, storerow.DeployedSelect+`WHERE f.tenant = $1 ORDER BY f.created_at, f.id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("postgres: list functions: %w", err)
	}
	return list, nil
}

// Versions returns all versions of the function, newest first.
func (s *Store) Versions(ctx context.Context, tenant, id string) ([]functions.Version, error) {
	// Every function has version 1: no rows means no such function here.
	out, err := queryAll(ctx, s.pool, storerow.ScanVersion, `SELECT `+storerow.VersionCols+`
FROM versions v JOIN functions f ON f.id = v.function_id
WHERE f.tenant = $1 AND f.id = $2
ORDER BY v.version DESC`, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: versions of function %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("postgres: versions of function %s: %w", id, functions.ErrNotFound)
	}
	return out, nil
}

// getFunction reads the function head only; no row is ErrNotFound.
func getFunction(ctx context.Context, q querier, tenant, id string) (functions.Function, error) {
	f, err := storerow.ScanFunction(q.QueryRow(ctx, `SELECT `+storerow.FunctionCols+` FROM functions WHERE tenant = $1 AND id = $2`, tenant, id))
	if isNoRows(err) {
		return functions.Function{}, functions.ErrNotFound
	}
	return f, err
}

// getDeployed reads one function joined with its live version; where
// filters on the functions table aliased as f.
func getDeployed(ctx context.Context, q querier, where string, args ...any) (functions.Deployed, error) {
	d, err := storerow.ScanDeployed(q.QueryRow(ctx, storerow.DeployedSelect+`WHERE `+where, args...))
	if isNoRows(err) {
		return functions.Deployed{}, functions.ErrNotFound
	}
	return d, err
}

func insertVersion(ctx context.Context, tx pgx.Tx, v storerow.NewVersion) error {
	if _, err := tx.Exec(ctx, `
INSERT INTO versions (function_id, version, type, source, code, hash, env, timeout_ms, memory_mb, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		v.FunctionID, v.Number, string(v.Type), []byte(v.Source), []byte(v.Code), v.Hash, v.EnvJSON, v.TimeoutMS, v.MemoryMB, storerow.ToMillis(v.CreatedAt),
	); err != nil {
		return fmt.Errorf("insert version %d: %w", v.Number, err)
	}
	return nil
}

// RoutingChain returns the tenant's functions that run in every routing
// chain with their live versions: run-first ones, then run-last ones,
// each sorted by routing_order (ties by creation, then id).
func (s *Store) RoutingChain(ctx context.Context, tenant string) (first, last []functions.Deployed, err error) {
	list, err := queryAll(ctx, s.pool, storerow.ScanDeployed, storerow.DeployedSelect+`
WHERE f.tenant = $1 AND f.routing_priority <> ''
ORDER BY f.routing_order, f.created_at, f.id`, tenant)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: routing chain: %w", err)
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
