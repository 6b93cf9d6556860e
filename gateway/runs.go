package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// runRecorder stores run records off the request path: invocations hand
// records to a bounded queue and a single writer saves them in batches.
// Run records are diagnostics, not acknowledged data, so when the writer
// falls behind the newest records are dropped (and counted) rather than
// slowing every invocation down.
type runRecorder struct {
	store     functions.Store
	log       *slog.Logger
	dropped   func()
	queue     chan functions.Run
	retention time.Duration
	done      chan struct{}
	closeOnce sync.Once
}

const (
	runQueueSize  = 8192
	runBatchSize  = 256
	runFlushEvery = 200 * time.Millisecond
	pruneEvery    = time.Hour
)

func newRunRecorder(store functions.Store, log *slog.Logger, retention time.Duration, dropped func()) *runRecorder {
	rr := &runRecorder{
		store: store, log: log, dropped: dropped, retention: retention,
		queue: make(chan functions.Run, runQueueSize),
		done:  make(chan struct{}),
	}
	go rr.loop()
	return rr
}

func (rr *runRecorder) record(r functions.Run) {
	select {
	case rr.queue <- r:
	default:
		rr.dropped()
	}
}

func (rr *runRecorder) loop() {
	defer close(rr.done)
	flush := time.NewTicker(runFlushEvery)
	defer flush.Stop()
	prune := time.NewTicker(pruneEvery)
	defer prune.Stop()
	batch := make([]functions.Run, 0, runBatchSize)
	save := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rr.store.SaveRuns(ctx, batch); err != nil {
			rr.log.Error("saving run records", slog.Int("count", len(batch)), slog.Any("error", err))
		}
		batch = batch[:0]
	}
	rr.pruneOld()
	for {
		select {
		case r, ok := <-rr.queue:
			if !ok {
				save()
				return
			}
			batch = append(batch, r)
			if len(batch) == runBatchSize {
				save()
			}
		case <-flush.C:
			save()
		case <-prune.C:
			rr.pruneOld()
		}
	}
}

func (rr *runRecorder) pruneOld() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := rr.store.PruneRuns(ctx, time.Now().Add(-rr.retention))
	if err != nil {
		rr.log.Error("pruning run records", slog.Any("error", err))
	} else if n > 0 {
		rr.log.Info("pruned run records", slog.Int64("count", n))
	}
}

// close stops accepting records and waits until the queued ones are saved.
func (rr *runRecorder) close() {
	rr.closeOnce.Do(func() { close(rr.queue) })
	<-rr.done
}
