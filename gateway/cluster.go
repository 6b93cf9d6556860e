package gateway

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/scriptforge/scriptforge/cluster"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/logstream"
	"github.com/scriptforge/scriptforge/functions/sandbox"
)

// Several gateways act as one through Config.Bus (package cluster): an
// admin write here is published, and every gateway, this one too, drops
// what its caches hold of it; log followers here see the runs of the
// others; DELETE /v1/runs/{id} reaches the gateway that runs the run.
// Without a bus each hook below is a nil check.

// attachBus hands the bus what this gateway does with its messages.
func (g *Gateway) attachBus() {
	if g.cfg.Bus == nil {
		return
	}
	if g.cfg.Workers != nil {
		// A Worker starting holds its lock while it spawns: stops and
		// starts wait here, in order, not on the bus's goroutine.
		g.workerOps = make(chan func(), 256)
		go func() {
			for {
				select {
				case op := <-g.workerOps:
					op()
				case <-g.closing:
					return
				}
			}
		}()
	}
	if g.cfg.Quarantine != nil {
		// A function that kills sandboxes here would kill them on every
		// gateway: the others take the quarantine on (Impose).
		g.cfg.Quarantine.OnQuarantine(func(fn string, q sandbox.Quarantine) {
			g.changed(cluster.Invalidation{Kind: cluster.KindQuarantine, ID: fn, Until: q.Until, Reason: q.Reason})
		})
	}
	g.cfg.Bus.SetHandlers(cluster.Handlers{
		Invalidate: g.applyInvalidation,
		Purge:      g.purgeCaches,
		Cancel:     func(tenant, rid string) <-chan struct{} { return g.flights.cancel(tenant, rid) },
		Log:        g.logs.Publish,
	})
}

// changed publishes an admin write that changed what caches hold. The
// write is stored already: a publish that fails is retried in the
// background for a while, and other gateways' TTLs bound the rest.
func (g *Gateway) changed(inv cluster.Invalidation) {
	bus := g.cfg.Bus
	if bus == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	err := bus.Invalidate(ctx, inv)
	cancel()
	if err == nil || errors.Is(err, cluster.ErrClosed) { // closed: the gateway is stopping
		return
	}
	// The retries outlive the handler: fiber lends its strings.
	inv.ID, inv.Tenant = strings.Clone(inv.ID), strings.Clone(inv.Tenant)
	inv.UUIDs = slices.Clone(inv.UUIDs)
	for i, u := range inv.UUIDs {
		inv.UUIDs[i] = strings.Clone(u)
	}
	g.log.Warn("cluster: publishing a change failed; retrying", slog.String("kind", string(inv.Kind)), slog.String("id", inv.ID), slog.Any("error", err))
	go func() {
		for range 15 {
			time.Sleep(2 * time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := bus.Invalidate(ctx, inv)
			cancel()
			if err == nil {
				return
			}
		}
		g.log.Error("cluster: a change was not published; other gateways see it when their caches expire",
			slog.String("kind", string(inv.Kind)), slog.String("id", inv.ID))
	}()
}

// functionChanged is the invalidation of d's code, settings or address;
// uuids are addresses it had before, if they changed.
func functionChanged(d functions.Deployed, uuids ...string) cluster.Invalidation {
	return cluster.Invalidation{Kind: cluster.KindFunction, ID: d.ID, Tenant: d.Tenant, UUIDs: append(uuids, d.UUID)}
}

// applyInvalidation drops what the caches hold of inv.
func (g *Gateway) applyInvalidation(inv cluster.Invalidation) {
	switch inv.Kind {
	case cluster.KindFunction:
		g.lookups.forget(inv.UUIDs...)
		g.contracts.forget(inv.ID)
		if g.routingCache != nil {
			g.routingCache.forget(inv.Tenant)
		}
		if inv.Gone { // a Worker of a deleted function stops
			g.workerOp(func(w WorkerControl) { w.Forget(inv.ID) })
		}
	case cluster.KindKey:
		g.auth.ForgetKeys()
	case cluster.KindTenant:
		// The tenant's verifier goes with it, and with the verifier the
		// tokens cached under it (they are keyed by it).
		g.tenants.forget(inv.ID)
	case cluster.KindAssignment:
		if g.routingCache != nil {
			g.routingCache.forget(inv.Tenant)
		}
	case cluster.KindWorker:
		switch inv.State {
		case cluster.WorkerStopped:
			g.workerOp(func(w WorkerControl) { w.Stop(inv.ID) })
		case cluster.WorkerStarted:
			g.workerOp(func(w WorkerControl) { w.Start(inv.ID) })
		}
	case cluster.KindQuarantine:
		switch {
		case g.cfg.Quarantine == nil:
		case inv.Until.IsZero():
			g.cfg.Quarantine.Lift(inv.ID)
		default:
			g.cfg.Quarantine.Impose(inv.ID, sandbox.Quarantine{Since: time.Now(), Until: inv.Until, Reason: inv.Reason})
		}
	}
}

// workerOp queues op on the Workers, if this gateway runs any; a full
// queue (a flood of stops and starts) drops it, with a warning.
func (g *Gateway) workerOp(op func(WorkerControl)) {
	if g.workerOps == nil {
		return
	}
	select {
	case g.workerOps <- func() { op(g.cfg.Workers) }:
	default:
		g.log.Warn("cluster: a Worker stop or start from another gateway was dropped (queue full)")
	}
}

// purgeCaches drops everything cached of the store: a change may have
// been missed.
func (g *Gateway) purgeCaches() {
	g.lookups.purge()
	g.tenants.purge()
	g.contracts.purge()
	if g.routingCache != nil {
		g.routingCache.purge()
	}
	g.auth.ForgetKeys()
}

// followCluster tells the other gateways that function id is followed
// here, so that they send the lines of its runs; the returned func ends
// that.
func (g *Gateway) followCluster(id string) (unfollow func()) {
	if g.cfg.Bus == nil {
		return func() {}
	}
	return g.cfg.Bus.Follow(id)
}

// publishLine hands a run's line to the followers here and, while
// another gateway follows the function, to those over there.
func (t logTap) publishLine(l logstream.Line) {
	t.hub.Publish(t.fn, l)
	if t.bus.Followed(t.fn) {
		t.bus.PublishLog(t.fn, l)
	}
}

// cancelElsewhere asks the other gateways to cancel tenant's run rid:
// (answered, stopped). Without a bus, or when none has it, not answered.
func (g *Gateway) cancelElsewhere(ctx context.Context, tenant, rid string) (bool, bool) {
	if g.cfg.Bus == nil {
		return false, false
	}
	out, err := g.cfg.Bus.Cancel(ctx, tenant, rid, cancelWait, cancelWait)
	if err != nil {
		g.log.Warn("cluster: asking the other gateways to cancel a run", slog.String("request_id", rid), slog.Any("error", err))
	}
	return out != cluster.CancelNotFound, out == cluster.CancelStopped
}
