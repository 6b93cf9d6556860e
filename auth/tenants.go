package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"
)

// Tenant owns functions and API keys and carries the settings every one
// of its functions shares: how its JWTs are verified and its fair-usage
// limits.
type Tenant struct {
	ID     string       `json:"id"`
	Name   string       `json:"name"`
	Limits TenantLimits `json:"limits"`
	// JWT is how the tenant's tokens are verified; nil: the tenant
	// accepts no JWTs.
	JWT *JWTConfig `json:"jwt,omitempty"`
	// RunsRetention is how many run records, and how old, are kept.
	RunsRetention RunsRetention `json:"runs_retention"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
}

// TenantLimits are a tenant's fair-usage limits. A zero field takes the
// gateway's default (its flags); the operator sets them, not the tenant.
type TenantLimits struct {
	// Rate is sustained invocations per second over all the tenant's
	// functions; Burst how many may come at once.
	Rate  float64 `json:"rate,omitempty"`
	Burst int     `json:"burst,omitempty"`
	// IPRate and IPBurst limit each client IP calling the tenant's functions.
	IPRate  float64 `json:"ip_rate,omitempty"`
	IPBurst int     `json:"ip_burst,omitempty"`
	// Concurrency caps the tenant's runs in progress.
	Concurrency int `json:"concurrency,omitempty"`
	// CPUMS is the tenant's CPU budget: milliseconds of run CPU time per
	// second over all its functions (1000: one core's worth).
	CPUMS float64 `json:"cpu_ms,omitempty"`
}

// Validate checks limits from the API; field names match the JSON.
func (l TenantLimits) Validate() error {
	rate := func(field string, v float64) error {
		if v < 0 || v > 1e6 || math.IsNaN(v) {
			return fmt.Errorf("limits.%s must be between 0 (the gateway's default) and 1e6 per second", field)
		}
		return nil
	}
	count := func(field string, v, hi int) error {
		if v < 0 || v > hi {
			return fmt.Errorf("limits.%s must be between 0 (the gateway's default) and %d", field, hi)
		}
		return nil
	}
	return errors.Join(rate("rate", l.Rate), count("burst", l.Burst, 1e6),
		rate("ip_rate", l.IPRate), count("ip_burst", l.IPBurst, 1e6), count("concurrency", l.Concurrency, 1e5),
		rate("cpu_ms", l.CPUMS))
}

// Errors of a TenantStore, matched with errors.Is.
var (
	ErrTenantNotFound = errors.New("no such tenant")
	ErrTenantExists   = errors.New("a tenant with this id already exists")
)

var tenantIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// ValidateTenantID checks a tenant id: 2–63 lower-case letters, digits
// and '-', as in a DNS label, so it fits URLs, logs and metric labels.
func ValidateTenantID(id string) error {
	if !tenantIDRE.MatchString(id) {
		return fmt.Errorf("tenant id %q must be 2–63 lower-case letters, digits or '-', starting with a letter or digit", id)
	}
	return nil
}

// TenantStore keeps tenants. Writes return once durable.
type TenantStore interface {
	CreateTenant(ctx context.Context, t Tenant) (Tenant, error)
	Tenant(ctx context.Context, id string) (Tenant, error)
	// Tenants lists all tenants, oldest first.
	Tenants(ctx context.Context) ([]Tenant, error)
	// UpdateTenant replaces the tenant's name, JWT settings and limits.
	UpdateTenant(ctx context.Context, t Tenant) (Tenant, error)
}
