package storerow

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/scriptforge/scriptforge/functions"
)

const (
	// FunctionCols are the columns ScanFunction reads, in its order.
	FunctionCols = `id, tenant, uuid, name, live_version, latest_version, auth, limits, fresh_runtime, voice, routing_priority, routing_order, input_schema, output_schema, schedule, callback_url, created_at, updated_at`
	// VersionCols are the columns ScanVersion reads; the versions table
	// is aliased as v.
	VersionCols = `v.function_id, v.version, v.type, v.source, v.code, v.hash, v.env, v.timeout_ms, v.memory_mb, v.created_at`
	// DeployedSelect reads functions (aliased as f) joined with their live
	// version, for ScanDeployed; a store appends its WHERE.
	DeployedSelect = `
SELECT f.id, f.tenant, f.uuid, f.name, f.live_version, f.latest_version, f.auth, f.limits, f.fresh_runtime, f.voice, f.routing_priority, f.routing_order, f.input_schema, f.output_schema, f.schedule, f.callback_url, f.created_at, f.updated_at, ` + VersionCols + `
FROM functions f JOIN versions v ON v.function_id = f.id AND v.version = f.live_version
`
)

// functionRow holds the columns of a function that need decoding.
type functionRow struct {
	limits, voice    string
	created, updated int64
}

func (r *functionRow) dest(f *functions.Function) []any {
	return []any{&f.ID, &f.Tenant, &f.UUID, &f.Name, &f.LiveVersion, &f.LatestVersion,
		&f.Auth, &r.limits, &f.FreshRuntime, &r.voice, &f.RoutingPriority, &f.RoutingOrder,
		&f.InputSchema, &f.OutputSchema, &f.Schedule, &f.CallbackURL, &r.created, &r.updated}
}

func (r *functionRow) decode(f *functions.Function) error {
	if err := DecodeObject(r.limits, &f.Limits); err != nil {
		return fmt.Errorf("limits of %s: %w", f.ID, err)
	}
	var err error
	if f.Voice, err = DecodeVoice(r.voice); err != nil {
		return fmt.Errorf("voice of %s: %w", f.ID, err)
	}
	f.CreatedAt, f.UpdatedAt = FromMillis(r.created), FromMillis(r.updated)
	return nil
}

// versionRow holds the columns of a version that need decoding. Source
// and code are bytes: BYTEA in PostgreSQL, TEXT in SQLite, and both
// drivers scan either into []byte.
type versionRow struct {
	env          string
	source, code []byte
	created      int64
}

func (vr *versionRow) dest(v *functions.Version) []any {
	return []any{&v.FunctionID, &v.Number, &v.Type, &vr.source, &vr.code, &v.Hash, &vr.env, &v.TimeoutMS, &v.MemoryMB, &vr.created}
}

func (vr *versionRow) decode(v *functions.Version) error {
	v.Source, v.Code = string(vr.source), string(vr.code)
	v.CreatedAt = FromMillis(vr.created)
	if err := DecodeList(vr.env, &v.Env); err != nil {
		return fmt.Errorf("env of %s version %d: %w", v.FunctionID, v.Number, err)
	}
	return nil
}

// ScanFunction reads a row of FunctionCols.
func ScanFunction(row Scanner) (functions.Function, error) {
	var f functions.Function
	var r functionRow
	if err := row.Scan(r.dest(&f)...); err != nil {
		return functions.Function{}, err
	}
	if err := r.decode(&f); err != nil {
		return functions.Function{}, err
	}
	return f, nil
}

// ScanVersion reads a row of VersionCols.
func ScanVersion(row Scanner) (functions.Version, error) {
	var v functions.Version
	var vr versionRow
	if err := row.Scan(vr.dest(&v)...); err != nil {
		return functions.Version{}, err
	}
	if err := vr.decode(&v); err != nil {
		return functions.Version{}, err
	}
	return v, nil
}

// ScanDeployed reads a row of DeployedSelect.
func ScanDeployed(row Scanner) (functions.Deployed, error) {
	var d functions.Deployed
	var r functionRow
	var vr versionRow
	if err := row.Scan(append(r.dest(&d.Function), vr.dest(&d.Version)...)...); err != nil {
		return functions.Deployed{}, err
	}
	if err := r.decode(&d.Function); err != nil {
		return functions.Deployed{}, err
	}
	if err := vr.decode(&d.Version); err != nil {
		return functions.Deployed{}, err
	}
	return d, nil
}

// NewVersion is a version ready to insert, with its env column encoded
// in EnvJSON.
type NewVersion struct {
	functions.Version
	EnvJSON string
}

// MakeVersion builds version number of a function from what the caller
// deployed, created at now.
func MakeVersion(functionID string, number int, nv functions.NewVersion, now time.Time) (NewVersion, error) {
	enc, err := EncodeList(nv.Env)
	if err != nil {
		return NewVersion{}, fmt.Errorf("encode env: %w", err)
	}
	return NewVersion{
		Version: functions.Version{
			FunctionID: functionID,
			Number:     number,
			Type:       nv.Type,
			Source:     nv.Source,
			Code:       nv.Code,
			Hash:       nv.Hash,
			// A copy: the caller changing its slice later cannot change
			// what we report as stored.
			Env:       append([]functions.EnvVar{}, nv.Env...),
			TimeoutMS: nv.TimeoutMS,
			MemoryMB:  nv.MemoryMB,
			CreatedAt: now,
		},
		EnvJSON: enc,
	}, nil
}

// NewFunction is a function about to be created at now: a fresh id and
// UUID, version 1 live, public unless set says otherwise. limits is its
// limits column.
func NewFunction(tenant, name string, set functions.Settings, now time.Time) (f functions.Function, limits string, err error) {
	if set.Auth == "" {
		set.Auth = functions.AuthPublic
	}
	if limits, err = EncodeLimits(set.Limits); err != nil {
		return functions.Function{}, "", err
	}
	return functions.Function{
		ID:            functions.NewID("fn_"),
		Tenant:        tenant,
		UUID:          uuid.NewString(),
		Name:          name,
		LiveVersion:   1,
		LatestVersion: 1,
		Settings:      set,
		CreatedAt:     now,
		UpdatedAt:     now,
	}, limits, nil
}

// EncodeLimits is a function's limits column.
func EncodeLimits(l functions.UsageLimits) (string, error) {
	b, err := json.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("encode limits: %w", err)
	}
	return string(b), nil
}
