package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/storerow"
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
	f, limits, err := storerow.NewFunction(tenant, name, set, now)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("sqlite: create function %q: %w", name, err)
	}
	set = f.Settings // with its defaults
	ver, err := storerow.MakeVersion(f.ID, 1, v, now)
	if err != nil {
		return functions.Deployed{}, fmt.Errorf("sqlite: create function %q: %w", name, err)
	}
	err = inTx(ctx, s.db, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
INSERT INTO functions (id, tenant, uuid, name, live_version, latest_version, auth, limits, fresh_runtime, voice, routing_priority, routing_order, input_schema, output_schema, schedule, schedule_since, callback_url, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.ID, f.Tenant, f.UUID, f.Name, f.LiveVersion, f.LatestVersion, string(set.Auth), limits, set.FreshRuntime, storerow.EncodeVoice(set.Voice),
			string(set.RoutingPriority), set.RoutingOrder, string(set.InputSchema), string(set.OutputSchema), string(set.Schedule), storerow.ToMillis(f.CreatedAt),
			set.CallbackURL, storerow.ToMillis(f.CreatedAt), storerow.ToMillis(f.UpdatedAt))
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
RETURNING latest_version`, storerow.ToMillis(now), tenant, id).Scan(&number)
		if errors.Is(err, sql.ErrNoRows) {
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
			version, storerow.ToMillis(now), tenant, id, version)
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
RETURNING `+storerow.FunctionCols, newUUID, storerow.ToMillis(s.stamp()), tenant, id)
	f, err := storerow.ScanFunction(row)
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
	now := storerow.ToMillis(s.stamp())
	limits, err := storerow.EncodeLimits(set.Limits)
	if err != nil {
		return functions.Function{}, fmt.Errorf("sqlite: update settings of function %s: %w", id, err)
	}
	row := s.db.QueryRowContext(ctx, `
UPDATE functions SET auth = ?, limits = ?, fresh_runtime = ?, voice = ?, routing_priority = ?, routing_order = ?, input_schema = ?, output_schema = ?,
	schedule_since = CASE WHEN schedule = ? THEN schedule_since ELSE ? END, -- SET reads the row as it was: the old schedule
	schedule = ?, callback_url = ?, updated_at = ?
WHERE tenant = ? AND id = ?
RETURNING `+storerow.FunctionCols, string(set.Auth), limits, set.FreshRuntime, storerow.EncodeVoice(set.Voice),
		string(set.RoutingPriority), set.RoutingOrder, string(set.InputSchema), string(set.OutputSchema),
		string(set.Schedule), now, string(set.Schedule), set.CallbackURL, now, tenant, id)
	f, err := storerow.ScanFunction(row)
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
	list, err := queryAll(ctx, s.db, storerow.ScanDeployed, storerow.DeployedSelect+`WHERE f.tenant = ? ORDER BY f.created_at, f.id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list functions: %w", err)
	}
	return list, nil
}

// Versions returns all versions of the function, newest first.
func (s *Store) Versions(ctx context.Context, tenant, id string) ([]functions.Version, error) {
	// The join scopes by tenant. Every function has at least version 1, so
	// no rows means no such function for this tenant.
	out, err := queryAll(ctx, s.db, storerow.ScanVersion, `
SELECT `+storerow.VersionCols+`
FROM versions v JOIN functions f ON f.id = v.function_id
WHERE f.tenant = ? AND f.id = ?
ORDER BY v.version DESC`, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: versions of function %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sqlite: versions of function %s: %w", id, functions.ErrNotFound)
	}
	return out, nil
}

// scanner is one row, *sql.Row or *sql.Rows.
type scanner = storerow.Scanner

// getFunction reads the function head only; sql.ErrNoRows becomes ErrNotFound.
func getFunction(ctx context.Context, q querier, tenant, id string) (functions.Function, error) {
	f, err := storerow.ScanFunction(q.QueryRowContext(ctx,
		`SELECT `+storerow.FunctionCols+` FROM functions WHERE tenant = ? AND id = ?`, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return functions.Function{}, functions.ErrNotFound
	}
	return f, err
}

// getDeployed reads one function joined with its live version, in one query.
// where filters on the functions table aliased as f.
func getDeployed(ctx context.Context, q querier, where string, args ...any) (functions.Deployed, error) {
	d, err := storerow.ScanDeployed(q.QueryRowContext(ctx, storerow.DeployedSelect+`WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return functions.Deployed{}, functions.ErrNotFound
	}
	return d, err
}

func insertVersion(ctx context.Context, tx *sql.Tx, v storerow.NewVersion) error {
	if _, err := tx.ExecContext(ctx, `
INSERT INTO versions (function_id, version, type, source, code, hash, env, timeout_ms, memory_mb, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.FunctionID, v.Number, string(v.Type), v.Source, v.Code, v.Hash, v.EnvJSON, v.TimeoutMS, v.MemoryMB, storerow.ToMillis(v.CreatedAt),
	); err != nil {
		return fmt.Errorf("insert version %d: %w", v.Number, err)
	}
	return nil
}

// RoutingChain returns the tenant's functions that run in every routing
// chain, with their live versions: run-first ones, then run-last ones,
// each place sorted by routing_order (ties by creation, then id).
func (s *Store) RoutingChain(ctx context.Context, tenant string) (first, last []functions.Deployed, err error) {
	list, err := queryAll(ctx, s.db, storerow.ScanDeployed, storerow.DeployedSelect+`
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
