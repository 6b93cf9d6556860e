package gateway

import (
	"context"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/scriptforge/scriptforge/functions"
)

// lookupCache maps a UUID to its live deployment so that invocations do
// not query the store each time. Admin writes through this gateway remove
// the entry at once; the TTL bounds staleness for writes made elsewhere.
type lookupCache struct {
	store functions.Store
	lru   *expirable.LRU[string, functions.Deployed]
}

func newLookupCache(store functions.Store, size int, ttl time.Duration) *lookupCache {
	return &lookupCache{store: store, lru: expirable.NewLRU[string, functions.Deployed](size, nil, ttl)}
}

func (l *lookupCache) get(ctx context.Context, uuid string) (functions.Deployed, error) {
	if d, ok := l.lru.Get(uuid); ok {
		return d, nil
	}
	d, err := l.store.ByUUID(ctx, uuid)
	if err != nil {
		return functions.Deployed{}, err
	}
	l.lru.Add(uuid, d)
	return d, nil
}

func (l *lookupCache) forget(uuids ...string) {
	for _, u := range uuids {
		l.lru.Remove(u)
	}
}
