package gateway

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/scriptforge/scriptforge/functions"
)

// lookupCache maps a UUID to its live deployment so that invocations do
// not query the store each time. Admin writes through this gateway remove
// the entry at once; the TTL bounds staleness for writes made elsewhere.
//
// Unknown UUIDs are remembered too, briefly, so that a flood of guesses
// does not reach the store. That is safe because a UUID is random: no one
// can probe one before it exists.
type lookupCache struct {
	store   functions.Store
	lru     *expirable.LRU[string, functions.Deployed]
	missing *expirable.LRU[string, struct{}]
	// gen counts forgets: a read of the store that a forget overtook
	// (it began before the write was committed) is not kept, or it
	// would serve the old version until the TTL. mu orders adding after
	// a read against forgetting.
	mu  sync.Mutex
	gen atomic.Uint64
}

func newLookupCache(store functions.Store, size int, ttl time.Duration) *lookupCache {
	return &lookupCache{
		store:   store,
		lru:     expirable.NewLRU[string, functions.Deployed](size, nil, ttl),
		missing: expirable.NewLRU[string, struct{}](size, nil, ttl),
	}
}

// get may be given a string in a reused buffer (fiber's): it copies the
// UUID before keeping it.
func (l *lookupCache) get(ctx context.Context, uuid string) (functions.Deployed, error) {
	if d, ok := l.lru.Get(uuid); ok {
		return d, nil
	}
	if _, ok := l.missing.Get(uuid); ok {
		return functions.Deployed{}, functions.ErrNotFound
	}
	uuid = strings.Clone(uuid)
	gen := l.gen.Load()
	d, err := l.store.ByUUID(ctx, uuid)
	if err != nil && !errors.Is(err, functions.ErrNotFound) {
		return functions.Deployed{}, err
	}
	l.mu.Lock()
	if l.gen.Load() == gen {
		if err != nil {
			l.missing.Add(uuid, struct{}{})
		} else {
			l.lru.Add(uuid, d)
		}
	}
	l.mu.Unlock()
	return d, err
}

func (l *lookupCache) forget(uuids ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gen.Add(1)
	for _, u := range uuids {
		l.lru.Remove(u)
		l.missing.Remove(u)
	}
}

// purge drops every entry: another gateway's change may have been missed.
func (l *lookupCache) purge() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gen.Add(1)
	l.lru.Purge()
	l.missing.Purge()
}
