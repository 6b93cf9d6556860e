package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/ratelimit"
)

// runRecorder stores run records off the request path: invocations hand
// records to a bounded queue and a single writer saves them in batches.
// Run records are diagnostics, not acknowledged data, so when the writer
// falls behind the newest records are dropped (and counted) rather than
// slowing every invocation down.
//
// A record costs the store more CPU than the rest of a trivial invocation
// (BenchmarkSaveRuns), so quiet runs (answered below 400, no console
// output) are kept up to a rate per function: a run that failed or logged
// is always kept, and a function called less often keeps every run.
type runRecorder struct {
	store     functions.Store
	log       *slog.Logger
	dropped   func()
	queue     chan functions.Run
	done      chan struct{}
	closeOnce sync.Once
	// lateMu and closed let recordLate, which may come after the
	// gateway has shut down, never send on the closed queue.
	lateMu sync.RWMutex
	closed bool

	quiet       *ratelimit.Local // nil: keep every run
	quietPolicy ratelimit.Policy
	skipped     func()
}

const (
	runQueueSize  = 8192
	runBatchSize  = 256
	runFlushEvery = 200 * time.Millisecond
)

// newRunRecorder starts the writer. quietRate is how many quiet runs a
// function keeps per second (a burst of as many); <= 0 keeps them all.
func newRunRecorder(store functions.Store, log *slog.Logger, quietRate float64, dropped, skipped func()) *runRecorder {
	rr := &runRecorder{
		store: store, log: log, dropped: dropped,
		queue:   make(chan functions.Run, runQueueSize),
		done:    make(chan struct{}),
		skipped: skipped,
	}
	if quietRate > 0 {
		// An evicted function starts again with a full budget: that keeps
		// more records, never fewer.
		rr.quiet, _ = ratelimit.NewLocal(quietFunctions)
		rr.quietPolicy = ratelimit.Policy{Name: "quiet_runs", Rate: quietRate, Burst: max(1, int(quietRate))}
	}
	go rr.loop()
	return rr
}

// quietFunctions is how many functions' quiet-run budgets are tracked.
const quietFunctions = 10_000

func (rr *runRecorder) record(r functions.Run) {
	if rr.quiet != nil && r.Status < 400 && r.ErrorCode == "" && len(r.Logs) == 0 {
		if d, err := rr.quiet.Allow(context.Background(), r.FunctionID, rr.quietPolicy); err == nil && !d.Allowed {
			rr.skipped()
			return
		}
	}
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
		}
	}
}

// close stops accepting records and waits until the queued ones are saved.
// recordLate is record for a run that ended after its request was
// answered (a routing chain left behind at its deadline): it may come
// after close, and is then dropped.
func (rr *runRecorder) recordLate(r functions.Run) {
	rr.lateMu.RLock()
	defer rr.lateMu.RUnlock()
	if rr.closed {
		rr.dropped()
		return
	}
	rr.record(r)
}

func (rr *runRecorder) close() {
	rr.closeOnce.Do(func() {
		rr.lateMu.Lock()
		rr.closed = true
		close(rr.queue)
		rr.lateMu.Unlock()
	})
	<-rr.done
}
