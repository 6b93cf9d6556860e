// Package backend names everything a store provides to the gateway, so
// that serve can take either the embedded SQLite store or PostgreSQL
// and the two are held to the same method set at compile time.
package backend

import (
	"context"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/queue"
	"github.com/scriptforge/scriptforge/functions/routing"
	"github.com/scriptforge/scriptforge/functions/schedule"
	"github.com/scriptforge/scriptforge/functions/voice"
)

// Queue is a store's queue of async runs with their callback deliveries.
type Queue interface {
	queue.Queue
	queue.Callbacks
}

// FireReader reads the outcomes of scheduled slots (gateway.FireReader
// has the same methods; it is not imported here to keep the store
// packages free of the gateway).
type FireReader interface {
	LastFire(ctx context.Context, tenant, functionID string) (schedule.Fire, bool, error)
	// Fires lists the latest limit slots, newest first.
	Fires(ctx context.Context, tenant, functionID string, limit int) ([]schedule.Fire, error)
}

// Backend is everything one store keeps: functions.Store (with Ping and
// Close), keys, tenants, kv, routing assignments, voice call state,
// schedules and their fires, and the async queue.
type Backend interface {
	functions.Store
	functions.KVStore
	auth.KeyStore
	auth.TenantStore
	routing.Store
	voice.StateStore
	schedule.Store
	FireReader
	// Queue returns the async queue kept in the same database.
	Queue() Queue
}
