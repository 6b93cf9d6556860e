package cluster

import (
	"context"
	"log/slog"
	"time"
)

// Lead runs run while this gateway is the cluster's leader, until ctx
// ends or the bus closes, and returns once run has returned.
//
// Leadership is a session advisory lock held on a connection of its own:
// when the leader stops, or its connection drops, PostgreSQL releases
// the lock and a follower, trying every LeaderRetry, takes it. The
// leader checks its connection as often; when the check fails it
// cancels run's context. Two leaders can overlap briefly (a connection
// the server has not yet seen die), so what run does must be guarded on
// its own too (the schedule's durable claim of each slot).
func (b *Bus) Lead(ctx context.Context, run func(context.Context)) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(b.ctx, cancel) // the bus closing ends it too
	defer stop()
	key := lockKey("leader:" + b.cfg.Prefix)
	for {
		if done := b.holdLock(ctx, key, run); done != nil {
			// The lock is released already; run may still be finishing
			// what it started. One run at a time.
			<-done
		} else {
			select {
			case <-ctx.Done():
				return
			case <-time.After(b.cfg.LeaderRetry):
			}
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// holdLock connects, tries the lock once and, if it got it, leads until
// the connection fails or ctx ends. It returns nil if it did not lead,
// else a channel closed when run has returned.
func (b *Bus) holdLock(ctx context.Context, key int64, run func(context.Context)) <-chan struct{} {
	cctx, cancel := context.WithTimeout(ctx, b.cfg.LeaderRetry*2)
	conn, err := b.connect(cctx, "leader")
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("cluster: leader election: connecting", slog.Any("error", err))
		}
		return nil
	}
	// Closing the connection is what releases the lock: no unlock needed.
	defer conn.Close(context.Background())
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil || !got {
		if err != nil && ctx.Err() == nil {
			b.log.Warn("cluster: leader election", slog.Any("error", err))
		}
		// Followers keep no connection between tries: one per gateway
		// held open for nothing would add up.
		return nil
	}
	b.leader.Store(true)
	b.log.Info("cluster: this gateway leads")
	lctx, lcancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); run(lctx) }()
	defer func() {
		lcancel()
		b.leader.Store(false)
		b.log.Info("cluster: this gateway no longer leads")
	}()
	t := time.NewTicker(b.cfg.LeaderRetry)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return done
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, b.cfg.LeaderRetry)
		err := conn.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("cluster: the leader's connection failed; stepping down", slog.Any("error", err))
			}
			return done
		}
	}
}
