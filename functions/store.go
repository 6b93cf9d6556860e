package functions

import (
	"context"
	"errors"
	"time"
)

// Errors a Store returns; callers match them with errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrNameTaken     = errors.New("a function with this name already exists")
	ErrNoSuchVersion = errors.New("no such version")
)

// NewVersion is what a deploy writes: the store numbers it.
type NewVersion struct {
	Type      Type
	Source    string
	Code      string
	Hash      string
	Env       []EnvVar
	TimeoutMS int
	MemoryMB  int
}

// Run is the record of one invocation, kept for logs and debugging.
type Run struct {
	RequestID  string    `json:"request_id"`
	FunctionID string    `json:"function_id"`
	Tenant     string    `json:"tenant"`
	Version    int       `json:"version"`
	Export     string    `json:"export"`
	Trigger    Trigger   `json:"trigger"` // what started the run
	Status     int       `json:"status"`  // HTTP status sent to the caller
	ErrorCode  string    `json:"error_code,omitempty"`
	Error      string    `json:"error,omitempty"`
	Logs       []LogLine `json:"logs"`
	DurationUS int64     `json:"duration_us"`
	// CPUUS is the CPU time the run used, in microseconds; DurationUS is
	// the wall time the gateway spent on the call.
	CPUUS     int64     `json:"cpu_us"`
	StartedAt time.Time `json:"started_at"`
	// TraceID is the W3C trace id (32 hex digits) the call belonged to.
	TraceID string `json:"trace_id,omitempty"`
}

// Store keeps functions, versions and runs. Every method is scoped by
// tenant except the invocation lookup, whose key (the UUID) is the secret.
// Writes return only once they are durable.
type Store interface {
	// Create inserts a function with its settings and its first version,
	// which becomes live, in one transaction.
	Create(ctx context.Context, tenant, name string, s Settings, v NewVersion) (Deployed, error)
	// UpdateSettings replaces the function's settings.
	UpdateSettings(ctx context.Context, tenant, id string, s Settings) (Function, error)
	// Deploy appends a version and makes it live.
	Deploy(ctx context.Context, tenant, id string, v NewVersion) (Deployed, error)
	// Rollback makes an existing version live.
	Rollback(ctx context.Context, tenant, id string, version int) (Deployed, error)
	// RotateUUID gives the function a new UUID; the old one stops working.
	RotateUUID(ctx context.Context, tenant, id, newUUID string) (Function, error)
	Delete(ctx context.Context, tenant, id string) error

	Get(ctx context.Context, tenant, id string) (Deployed, error)
	GetByName(ctx context.Context, tenant, name string) (Deployed, error)
	// List returns the tenant's functions with their live versions, oldest first.
	List(ctx context.Context, tenant string) ([]Deployed, error)
	Versions(ctx context.Context, tenant, id string) ([]Version, error)
	// ByUUID finds the live version for an invocation.
	ByUUID(ctx context.Context, uuid string) (Deployed, error)

	// SaveRuns appends run records in one transaction.
	SaveRuns(ctx context.Context, runs []Run) error
	// Runs lists a page of the tenant's runs that match q, newest first.
	// A q.FunctionID the tenant does not own is ErrNotFound.
	Runs(ctx context.Context, tenant string, q RunQuery) (RunPage, error)
	// RunByID finds one run by its request id.
	RunByID(ctx context.Context, tenant, requestID string) (Run, error)
	// PruneRuns deletes at most batch of the tenant's run records that r
	// does not keep, oldest first, and says how many it deleted: callers
	// repeat it while it deletes a full batch, so no single call holds
	// the store for long.
	PruneRuns(ctx context.Context, tenant string, r RunRetention, batch int) (int64, error)

	Ping(ctx context.Context) error
	Close() error
}
