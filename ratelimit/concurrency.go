package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrConcurrency is wrapped by every refusal from Concurrency.Acquire, so
// callers can answer all of them alike with errors.Is.
var ErrConcurrency = errors.New("ratelimit: concurrency limit")

var (
	// ErrQueueFull means the key's holders and waiting queue were both full.
	ErrQueueFull = fmt.Errorf("%w: queue full", ErrConcurrency)
	// ErrQueueTimeout means the caller waited its full wait without a slot.
	ErrQueueTimeout = fmt.Errorf("%w: timed out waiting in queue", ErrConcurrency)
	// ErrTooManyKeys means maxKeys keys were already active; this points at
	// server capacity rather than at one client, so a 503 fits better than
	// a 429.
	ErrTooManyKeys = fmt.Errorf("%w: too many active keys", ErrConcurrency)
)

// Concurrency caps how many callers per key run at once, with a bounded
// FIFO queue of waiters behind them.
//
// Only keys with holders or waiters are kept, so memory follows the number
// of requests in flight, not the number of distinct keys ever seen. As a
// further guard, at most maxKeys keys may be active at once: Acquire refuses
// a new key beyond that with ErrTooManyKeys. Keys already active are not
// affected.
type Concurrency struct {
	mu      sync.Mutex
	maxKeys int
	keys    map[string]*slot
}

// slot is the state of one active key.
type slot struct {
	holders int
	waiters []*waiter // FIFO: index 0 is served first
}

// waiter is a queued Acquire call. ready is closed when a releasing holder
// hands its place over; granted (guarded by Concurrency.mu) settles the race
// between that hand-over and the waiter giving up.
type waiter struct {
	ready   chan struct{}
	granted bool
}

// NewConcurrency returns a Concurrency that tracks at most maxKeys active
// keys at once.
func NewConcurrency(maxKeys int) (*Concurrency, error) {
	if maxKeys < 1 {
		return nil, fmt.Errorf("ratelimit: maxKeys %d must be at least 1", maxKeys)
	}
	return &Concurrency{maxKeys: maxKeys, keys: make(map[string]*slot)}, nil
}

// Acquire waits for one of limit slots for key. Up to queue callers wait
// beyond the limit, in arrival order, each for at most wait and never past
// ctx; a caller finding the queue full gets ErrQueueFull at once, and one
// whose wait expires gets ErrQueueTimeout. If ctx ends first, its error is
// returned. wait <= 0 disables queueing.
//
// On success the caller must call release when done; calling it again does
// nothing. limit <= 0 means unlimited: Acquire always succeeds and release is
// a no-op.
func (c *Concurrency) Acquire(ctx context.Context, key string, limit, queue int, wait time.Duration) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return func() {}, nil
	}

	c.mu.Lock()
	s := c.keys[key]
	if s == nil {
		if len(c.keys) >= c.maxKeys {
			c.mu.Unlock()
			return nil, ErrTooManyKeys
		}
		s = &slot{}
		c.keys[key] = s
	}
	// Newcomers do not overtake queued waiters even if a slot looks free.
	if s.holders < limit && len(s.waiters) == 0 {
		s.holders++
		c.mu.Unlock()
		return c.releaser(key), nil
	}
	if wait <= 0 || len(s.waiters) >= queue {
		c.mu.Unlock()
		return nil, ErrQueueFull
	}
	w := &waiter{ready: make(chan struct{})}
	s.waiters = append(s.waiters, w)
	c.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return c.releaser(key), nil
	case <-timer.C:
		if c.abandon(key, w) {
			return c.releaser(key), nil // the hand-over won the race
		}
		return nil, ErrQueueTimeout
	case <-ctx.Done():
		if c.abandon(key, w) {
			c.release(key) // pass the slot on: this caller is gone
		}
		return nil, ctx.Err()
	}
}

// abandon takes w out of key's queue, or reports true if a holder already
// handed its slot to w.
func (c *Concurrency) abandon(key string, w *waiter) (granted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w.granted {
		return true
	}
	s := c.keys[key]
	if i := slices.Index(s.waiters, w); i >= 0 {
		s.waiters = slices.Delete(s.waiters, i, i+1)
	}
	c.dropIfIdle(key, s)
	return false
}

// releaser returns an idempotent release function for one held slot.
func (c *Concurrency) releaser(key string) func() {
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			c.release(key)
		}
	}
}

// release frees one held slot of key, handing it straight to the oldest
// waiter if there is one, so a newcomer cannot slip in between.
func (c *Concurrency) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.keys[key]
	if len(s.waiters) > 0 {
		w := s.waiters[0]
		s.waiters[0] = nil
		s.waiters = s.waiters[1:]
		w.granted = true
		close(w.ready)
		return
	}
	s.holders--
	c.dropIfIdle(key, s)
}

// dropIfIdle forgets key once nobody holds or waits for it. c.mu must be held.
func (c *Concurrency) dropIfIdle(key string, s *slot) {
	if s.holders == 0 && len(s.waiters) == 0 {
		delete(c.keys, key)
	}
}

// InFlight returns how many callers currently hold a slot for key.
func (c *Concurrency) InFlight(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.keys[key]; s != nil {
		return s.holders
	}
	return 0
}

// Len returns the number of active keys (with holders or waiters).
func (c *Concurrency) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.keys)
}

// waiting returns how many callers are queued for key (for tests).
func (c *Concurrency) waiting(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.keys[key]; s != nil {
		return len(s.waiters)
	}
	return 0
}
