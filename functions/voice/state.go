package voice

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// Per-call state: one JSON object per tenant and call id, kept across the
// webhooks of a call, with a time to live, and deleted when the call ends.

// Defaults of a function's voice settings.
const (
	DefaultStateTTL      = time.Hour
	MaxStateTTL          = 7 * 24 * time.Hour
	DefaultMaxStateBytes = 64 << 10
)

// ErrStateConflict is a write whose version is no longer the stored one:
// another event of the call wrote in between (on another gateway; one
// gateway serialises a call's events with Locks).
var ErrStateConflict = errors.New("the call's state changed meanwhile")

// State is a call's stored state. Version 0 means nothing is stored.
type State struct {
	Data    json.RawMessage
	Version int64
}

// StateStore keeps call state. Every method is scoped by tenant; writes
// return once durable; an expired state reads as absent.
type StateStore interface {
	// CallState returns the call's state, or State{} when there is none.
	CallState(ctx context.Context, tenant, callID string) (State, error)
	// SaveCallState stores data if the stored version is still version
	// (0: none stored), for ttl from now, and returns the new version;
	// ErrStateConflict if another write came first.
	SaveCallState(ctx context.Context, tenant, callID string, data json.RawMessage, version int64, ttl time.Duration) (int64, error)
	// DeleteCallState forgets the call's state; none is not an error.
	DeleteCallState(ctx context.Context, tenant, callID string) error
	// PruneCallState deletes expired states of every tenant.
	PruneCallState(ctx context.Context) (int64, error)
}

// Locks serialises the events of one call within a gateway: the second
// event waits for the first to have run and stored its state, so neither
// loses the other's writes. The zero value is ready to use.
type Locks struct {
	mu    sync.Mutex
	calls map[string]*callLock
}

type callLock struct {
	ch   chan struct{} // holds a token while the call is locked
	refs int
}

// Lock waits for the call (tenant and id) to be free, or for ctx to end,
// and returns the function that frees it.
func (l *Locks) Lock(ctx context.Context, tenant, callID string) (func(), error) {
	key := tenant + "\x00" + callID
	l.mu.Lock()
	if l.calls == nil {
		l.calls = map[string]*callLock{}
	}
	c := l.calls[key]
	if c == nil {
		c = &callLock{ch: make(chan struct{}, 1)}
		l.calls[key] = c
	}
	c.refs++
	l.mu.Unlock()
	drop := func() {
		l.mu.Lock()
		if c.refs--; c.refs == 0 {
			delete(l.calls, key) // the map holds calls in progress only
		}
		l.mu.Unlock()
	}
	select {
	case c.ch <- struct{}{}:
		return func() { <-c.ch; drop() }, nil
	case <-ctx.Done():
		drop()
		return nil, context.Cause(ctx)
	}
}
