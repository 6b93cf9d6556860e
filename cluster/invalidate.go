package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"
)

// ErrClosed is what a closed bus answers.
var ErrClosed = errors.New("cluster: the bus is closed")

// Kind is what an invalidation is about.
type Kind string

const (
	// KindFunction: a function's code, settings or address changed (ID is
	// the function's id, UUIDs its invocation addresses, old and new).
	KindFunction Kind = "function"
	// KindKey: an API key was revoked (ID is the key's id).
	KindKey Kind = "key"
	// KindTenant: a tenant's settings changed (ID is the tenant).
	KindTenant Kind = "tenant"
	// KindAssignment: a routing assignment of Tenant changed.
	KindAssignment Kind = "assignment"
	// KindQuarantine: the operator lifted function ID's quarantine.
	KindQuarantine Kind = "quarantine"
	// KindWorker: Worker function ID was stopped or started (State).
	KindWorker Kind = "worker"
)

// States of a KindWorker invalidation.
const (
	WorkerStopped = "stopped"
	WorkerStarted = "started"
)

// Invalidation says that something the gateways cache changed.
type Invalidation struct {
	Kind   Kind     `json:"kind"`
	ID     string   `json:"id,omitempty"`
	Tenant string   `json:"tenant,omitempty"`
	UUIDs  []string `json:"uuids,omitempty"`
	// Gone: the function was deleted (its Worker, if any, stops).
	Gone bool `json:"gone,omitempty"`
	// State is a Worker's, for KindWorker.
	State string `json:"state,omitempty"`
	// Until and Reason, for KindQuarantine: the function is quarantined
	// until then, for that reason. A zero Until: its quarantine is lifted.
	Until  time.Time `json:"until,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

func (k Kind) valid() bool {
	switch k {
	case KindFunction, KindKey, KindTenant, KindAssignment, KindQuarantine, KindWorker:
		return true
	}
	return false
}

// Invalidate tells every gateway, this one included, that inv changed.
// The message and a bump of the cluster's sequence are one statement:
// a gateway that misses the message sees the sequence move when it
// polls, and drops every cache.
func (b *Bus) Invalidate(ctx context.Context, inv Invalidation) error {
	if b.ctx.Err() != nil {
		return ErrClosed
	}
	if !inv.Kind.valid() {
		return fmt.Errorf("cluster: unknown invalidation kind %q", inv.Kind)
	}
	payload, err := json.Marshal(envelope{T: msgInvalidate, From: b.node, Inv: &inv})
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if len(payload) > maxPayload-32 { // room for the seq
		return errors.New("cluster: invalidation too large for a notification")
	}
	// The row lock orders publishers, so notifications arrive in the
	// order of their sequence numbers (NOTIFY is delivered at commit).
	_, err = b.pool.Exec(ctx, `
		WITH s AS (
			INSERT INTO `+SequenceTable+` AS t (prefix, seq) VALUES ($1, 1)
			ON CONFLICT (prefix) DO UPDATE SET seq = t.seq + 1
			RETURNING seq)
		SELECT pg_notify($2, jsonb_set($3::jsonb, '{seq}', to_jsonb(s.seq))::text) FROM s`,
		b.cfg.Prefix, b.chBus, string(payload))
	if err != nil {
		b.publishFails.Add(1)
		return fmt.Errorf("cluster: publishing an invalidation: %w", err)
	}
	return nil
}

// lockKey maps a name to an advisory lock key.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("scriptforge/cluster:" + name))
	return int64(h.Sum64())
}
