// Package cache keeps compiled programs in memory so that a function is not
// recompiled on every invocation.
//
// The cache is a least-recently-used list bounded by the total number of
// bytes its entries occupy, not by their count: compiled scripts vary in size
// by orders of magnitude, so a count bound would either waste memory on a few
// huge programs or evict many small ones needlessly. Concurrent first requests
// for the same key share a single compilation.
//
// The package is generic over the cached value so that it does not depend on
// the JavaScript engine.
package cache

import (
	"fmt"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/sync/singleflight"
)

// Stats is a point-in-time snapshot of a cache's counters and occupancy.
type Stats struct {
	// Hits counts Get calls answered from the cache without compiling.
	Hits uint64
	// Misses counts Get calls that ran a compile or waited on one that
	// another caller was running, whether or not it succeeded.
	Misses uint64
	// Evictions counts entries dropped to make room for newer ones. Entries
	// deleted by Remove and values too large to be kept at all are not counted.
	Evictions uint64
	// Entries is the number of values currently cached.
	Entries int
	// Bytes is the sum of the sizes of the cached values.
	Bytes int64
	// MaxBytes is the budget given to New.
	MaxBytes int64
}

// entry is a cached value together with the size compile reported for it; the
// size is remembered so that the byte total can be reduced exactly when the
// entry leaves the cache.
type entry[V any] struct {
	value V
	size  int64
}

// flight identifies one compilation in progress. Only its address matters:
// Remove drops the registration, and the compiling goroutine compares
// addresses afterwards to learn whether its result is still wanted. It is
// not zero-sized because distinct zero-sized allocations may share an address.
type flight struct{ _ byte }

// result is what a singleflight call hands to each of its callers.
type result[V any] struct {
	value V
	// cached reports that the value came from the cache after all (another
	// flight stored it between the caller's lookup and its own flight), so
	// the callers count a hit rather than a miss.
	cached bool
}

// Cache is a byte-bounded LRU cache of values produced by a compile function.
// It is safe for concurrent use. The zero value is not usable; call New.
type Cache[V any] struct {
	maxBytes int64

	// group deduplicates concurrent compilations of the same key. It has its
	// own lock and is deliberately used outside mu, because the compile
	// function runs inside group.Do and must never run while mu is held:
	// compiling can take milliseconds, and holding mu would stall every
	// lookup, including hits for unrelated keys.
	group singleflight.Group

	// mu guards lru, bytes and pending. simplelru is not safe for concurrent
	// use, and the byte total must change together with the list, so one
	// mutex covers all three rather than relying on golang-lru's locked
	// wrapper plus a second lock for the accounting.
	mu    sync.Mutex
	lru   *simplelru.LRU[string, entry[V]]
	bytes int64
	// pending maps each key being compiled to its flight. Remove deletes the
	// key's registration so that a compilation started before the Remove
	// does not put the stale value back once it finishes.
	pending map[string]*flight

	// The counters are atomics so that Stats and the hit path do not need
	// mu just to count.
	hits, misses, evictions atomic.Uint64
}

// New returns a cache holding at most maxBytes of entries (sizes as reported
// by compile). With maxBytes <= 0 nothing is kept, but Get still compiles and
// still shares concurrent compilations.
func New[V any](maxBytes int64) *Cache[V] {
	// golang-lru bounds by entry count. The count bound is set so high that it
	// never applies, and the byte bound is enforced in store instead.
	l, err := simplelru.NewLRU[string, entry[V]](math.MaxInt, nil)
	if err != nil {
		// NewLRU fails only for a non-positive size.
		panic("cache: " + err.Error())
	}
	return &Cache[V]{
		maxBytes: maxBytes,
		lru:      l,
		pending:  make(map[string]*flight),
	}
}

// Get returns the cached value for key, or runs compile once (even under
// concurrent callers for the same key), caches the value with the size it
// reports, and returns it. Errors are returned to every waiting caller and not
// cached, so the next Get tries again. An entry larger than maxBytes is
// returned but not kept. A negative size is treated as zero.
//
// A panic in compile is recovered and returned as an error to every waiting
// caller. singleflight would otherwise re-raise it in a new goroutine whenever
// other callers were waiting, where no recover can reach it and it would
// crash the process.
//
// If Remove(key) is called while compile runs, the callers already waiting
// still receive its value, but the value is not cached.
func (c *Cache[V]) Get(key string, compile func() (V, int64, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.lru.Get(key) // Get, not Peek: a hit makes the entry most recent.
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
		return e.value, nil
	}

	v, err, _ := c.group.Do(key, func() (any, error) { return c.fill(key, compile) })
	if err != nil {
		c.misses.Add(1)
		var zero V
		return zero, err
	}
	r := v.(result[V])
	if r.cached {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return r.value, nil
}

// fill runs in the single goroutine that leads a flight for key. It compiles
// and stores the value, unless another flight already stored it or a Remove
// invalidated this one meanwhile.
func (c *Cache[V]) fill(key string, compile func() (V, int64, error)) (res result[V], err error) {
	c.mu.Lock()
	// Look again: between the caller's miss and the start of this flight, an
	// earlier flight for the same key may have stored its value and left the
	// singleflight group. Compiling again would waste the work.
	if e, ok := c.lru.Get(key); ok {
		c.mu.Unlock()
		return result[V]{value: e.value, cached: true}, nil
	}
	f := &flight{}
	c.pending[key] = f
	c.mu.Unlock()

	// Deferred so that the registration is dropped even if compile panics or
	// calls runtime.Goexit.
	var (
		value V
		size  int64
		ok    bool
	)
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.pending[key] != f {
			return // Removed while compiling: leave the newer state alone.
		}
		delete(c.pending, key)
		if ok {
			c.store(key, value, size)
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			if perr, isErr := r.(error); isErr {
				err = fmt.Errorf("cache: compile %q panicked: %w\n%s", key, perr, debug.Stack())
			} else {
				err = fmt.Errorf("cache: compile %q panicked: %v\n%s", key, r, debug.Stack())
			}
		}
	}()

	value, size, err = compile()
	if err != nil {
		return result[V]{}, err
	}
	ok = true
	return result[V]{value: value}, nil
}

// store adds the value and evicts least-recently-used entries until the cache
// is within its byte budget again. c.mu must be held.
func (c *Cache[V]) store(key string, value V, size int64) {
	size = max(size, 0)
	if size > c.maxBytes {
		// Checked before adding, so that a value that could never fit does
		// not first flush everything else out.
		return
	}
	if old, ok := c.lru.Peek(key); ok {
		// Not expected, since flights for a key do not overlap, but keep the
		// byte total exact if it ever happens.
		c.bytes -= old.size
	}
	c.lru.Add(key, entry[V]{value: value, size: size})
	c.bytes += size
	for c.bytes > c.maxBytes {
		_, old, ok := c.lru.RemoveOldest()
		if !ok {
			break
		}
		c.bytes -= old.size
		c.evictions.Add(1)
	}
}

// Remove deletes key from the cache. A compilation of key that is in progress
// is disowned: its result still reaches the callers already waiting for it but
// is not cached, and the next Get starts a fresh compilation instead of
// joining the old one. This is what makes Remove usable for invalidation when
// a function's source changes while its old version is being compiled.
func (c *Cache[V]) Remove(key string) {
	c.mu.Lock()
	if e, ok := c.lru.Peek(key); ok {
		c.lru.Remove(key)
		c.bytes -= e.size
	}
	delete(c.pending, key)
	// Under mu so that no new flight can register between the delete above
	// and the Forget; a flight registered after this point is a new one.
	c.group.Forget(key)
	c.mu.Unlock()
}

// Stats returns a snapshot of the counters and the current occupancy. The
// counters are read individually, so under concurrent use they need not be
// mutually consistent.
func (c *Cache[V]) Stats() Stats {
	c.mu.Lock()
	entries, bytes := c.lru.Len(), c.bytes
	c.mu.Unlock()
	return Stats{
		Hits:      c.hits.Load(),
		Misses:    c.misses.Load(),
		Evictions: c.evictions.Load(),
		Entries:   entries,
		Bytes:     bytes,
		MaxBytes:  c.maxBytes,
	}
}
