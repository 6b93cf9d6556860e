package gateway

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
)

// runPruner keeps each tenant's run records within its retention (count
// and age) in the background. It deletes in batches of pruneBatch, each
// its own short transaction, and pauses pruneGap between batches: SQLite
// has one writer at a time and hands the lock over by polling, so a
// pruner that began its next batch at once could keep the run writer
// (and deploys) waiting through a backlog of millions of records.
// Invocations themselves never wait on it: they hand records to the
// writer's queue.
type runPruner struct {
	store    functions.Store
	tenants  auth.TenantStore
	log      *slog.Logger
	defaults auth.RunsRetention // the server's, for tenants without their own
	every    time.Duration
	gap      time.Duration // between batches; pruneGap when zero
	pruned   func(n int64)

	cancel context.CancelFunc
	done   chan struct{}
}

// pruneBatch is how many records one delete removes at most: a few
// milliseconds of SQLite's time. pruneGap lets other writers in after
// each: at most 50,000 records a second are pruned, far more than a
// single SQLite file takes in.
const (
	pruneBatch = 500
	pruneGap   = 10 * time.Millisecond
)

// start runs a prune at once, then every p.every, until close.
func (p *runPruner) start() {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		tick := time.NewTicker(p.every)
		defer tick.Stop()
		for {
			p.pruneAll(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// close stops the pruner, between two batches at the latest.
func (p *runPruner) close() {
	p.cancel()
	<-p.done
}

// retention is what the tenant keeps: its own settings, else the server's.
func (p *runPruner) retention(t auth.Tenant, now time.Time) functions.RunRetention {
	count := t.RunsRetention.MaxCount
	if count <= 0 {
		count = p.defaults.MaxCount
	}
	age := time.Duration(t.RunsRetention.MaxAge)
	if age <= 0 {
		age = time.Duration(p.defaults.MaxAge)
	}
	var r functions.RunRetention
	if age > 0 {
		r.Before = now.Add(-age)
	}
	if count > 0 {
		r.Keep = count
	}
	return r
}

// pruneAll prunes every tenant's records and returns how many it deleted.
// A tenant whose prune fails is logged and left for the next round.
func (p *runPruner) pruneAll(ctx context.Context) int64 {
	list, err := p.tenants.Tenants(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error("pruning run records: listing tenants", slog.Any("error", err))
		}
		return 0
	}
	var total int64
	for _, t := range list {
		keep := p.retention(t, time.Now())
		for ctx.Err() == nil {
			n, err := p.store.PruneRuns(ctx, t.ID, keep, pruneBatch)
			if err != nil {
				if ctx.Err() == nil {
					p.log.Error("pruning run records", slog.String("tenant", t.ID), slog.Any("error", err))
				}
				break
			}
			total += n
			p.pruned(n)
			if n < pruneBatch || !p.pause(ctx) {
				break
			}
		}
	}
	if total > 0 {
		p.log.Info("pruned run records", slog.Int64("count", total))
	}
	return total
}

// pause waits between two batches; false if the pruner was closed meanwhile.
func (p *runPruner) pause(ctx context.Context) bool {
	t := time.NewTimer(cmp.Or(p.gap, pruneGap))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
