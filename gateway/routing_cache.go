package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/routing"
)

// routingCache keeps what a routing call reads of the store: the tenant's
// run-first and run-last functions and its assignments with their
// functions. Without it each call made three SQLite reads, which cost the
// gateway more CPU than running the three scripts (bench/routing.sh).
// This gateway's own writes forget a tenant at once; another gateway's
// are seen within the TTL, as with the invocation lookup cache.
type routingCache struct {
	store   routing.Store
	fns     functions.Store
	ttl     time.Duration
	max     int // tenants kept, and assignments per tenant
	mu      sync.Mutex
	tenants map[string]*routingEntry
	// gen counts forgets (under mu): a chain read that one overtook is
	// used but not kept, as in the lookup cache.
	gen uint64
}

type routingEntry struct {
	fetched     time.Time
	first, last []functions.Deployed
	assigned    map[string]assignedEntry // kind/key
}

type assignedEntry struct {
	a routing.Assignment
	d functions.Deployed
}

func newRoutingCache(store routing.Store, fns functions.Store, max int, ttl time.Duration) *routingCache {
	return &routingCache{store: store, fns: fns, ttl: ttl, max: max, tenants: map[string]*routingEntry{}}
}

// entry returns the tenant's fresh entry, reading the chain when needed.
func (rc *routingCache) entry(ctx context.Context, tenant string) (*routingEntry, error) {
	rc.mu.Lock()
	e, gen := rc.tenants[tenant], rc.gen
	rc.mu.Unlock()
	if e != nil && time.Since(e.fetched) < rc.ttl {
		return e, nil
	}
	fetched := time.Now()
	first, last, err := rc.store.RoutingChain(ctx, tenant)
	if err != nil {
		return nil, err
	}
	e = &routingEntry{fetched: fetched, first: first, last: last, assigned: map[string]assignedEntry{}}
	rc.mu.Lock()
	if rc.gen == gen {
		if len(rc.tenants) >= rc.max {
			clear(rc.tenants) // crude, but bounded: refills from the store
		}
		rc.tenants[tenant] = e
	}
	rc.mu.Unlock()
	return e, nil
}

// lookup returns the assignment, its function and the chain's other
// functions. Entries are never changed once shared, only replaced.
func (rc *routingCache) lookup(ctx context.Context, tenant string, kind routing.Kind, key string) (assignedEntry, *routingEntry, error) {
	e, err := rc.entry(ctx, tenant)
	if err != nil {
		return assignedEntry{}, nil, err
	}
	id := string(kind) + "/" + key
	rc.mu.Lock()
	ae, ok := e.assigned[id]
	rc.mu.Unlock()
	if ok {
		return ae, e, nil
	}
	a, err := rc.store.GetAssignment(ctx, tenant, kind, key)
	if err != nil {
		return assignedEntry{}, nil, err // unknown customers are not kept: they would fill the map
	}
	d, err := rc.fns.Get(ctx, tenant, a.FunctionID)
	if err != nil {
		return assignedEntry{}, nil, err
	}
	ae = assignedEntry{a: a, d: d}
	rc.mu.Lock()
	if len(e.assigned) >= rc.max {
		clear(e.assigned)
	}
	e.assigned[id] = ae
	rc.mu.Unlock()
	return ae, e, nil
}

// forget drops what is kept of a tenant, after one of its writes.
func (rc *routingCache) forget(tenant string) {
	rc.mu.Lock()
	rc.gen++
	delete(rc.tenants, tenant)
	rc.mu.Unlock()
}

// purge drops every tenant's entry.
func (rc *routingCache) purge() {
	rc.mu.Lock()
	rc.gen++
	clear(rc.tenants)
	rc.mu.Unlock()
}
