package gateway

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/scriptforge/scriptforge/auth"
)

// tenantCache keeps what invocations need of a tenant (its limits, and
// its JWT verifier) so that a call does not read the store. Updates
// through this gateway drop the entry at once; the TTL bounds staleness
// for updates made through another gateway.
type tenantCache struct {
	store auth.TenantStore
	lru   *expirable.LRU[string, *tenantEntry]
}

// tenantEntry is a tenant as invocations use it.
type tenantEntry struct {
	auth.Tenant
	once sync.Once // builds v
	v    *auth.Verifier
	verr error
}

// errTenantChanged: the tenant's entry left the cache (its settings
// changed, here or on another gateway) before its verifier was built.
var errTenantChanged = errors.New("the tenant's settings changed during the request; try again")

func newTenantCache(store auth.TenantStore, size int, ttl time.Duration) *tenantCache {
	// A verifier may refresh a JWK Set in the background: an entry that
	// leaves the cache stops it.
	onEvict := func(_ string, e *tenantEntry) {
		// Wait for a verifier being built; none is built after, and a
		// request still holding the entry is told to try again.
		e.once.Do(func() { e.verr = errTenantChanged })
		if e.v != nil {
			e.v.Close()
		}
	}
	return &tenantCache{store: store, lru: expirable.NewLRU[string, *tenantEntry](size, onEvict, ttl)}
}

func (tc *tenantCache) get(ctx context.Context, id string) (*tenantEntry, error) {
	if e, ok := tc.lru.Get(id); ok {
		return e, nil
	}
	t, err := tc.store.Tenant(ctx, id)
	if errors.Is(err, auth.ErrTenantNotFound) {
		// Functions of a tenant without a row (made before tenants were)
		// run under the defaults.
		t, err = auth.Tenant{ID: id, Name: id}, nil
	}
	if err != nil {
		return nil, err
	}
	e := &tenantEntry{Tenant: t}
	tc.lru.Add(id, e)
	return e, nil
}

func (tc *tenantCache) forget(id string) { tc.lru.Remove(id) }

// purge drops every tenant (their verifiers close as they go).
func (tc *tenantCache) purge() { tc.lru.Purge() }
