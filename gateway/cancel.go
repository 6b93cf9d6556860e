package gateway

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/functions"
)

// Cancelling a run: DELETE /v1/runs/{request_id}, or the client closing
// its connection (see disconnect.go), cancels the context the executor
// runs it under; the executor interrupts it and answers
// functions.CodeCancelled with functions.StatusCancelled (499), which
// its caller, if still there, gets as the JSON error, and which its run
// record keeps.
//
// The registry is per gateway. With a cluster bus (Config.Bus), a
// DELETE for a run this gateway does not hold is asked of the others
// over the bus; the one that runs it cancels it and answers, and the
// DELETE is answered as if the run were here (cluster.go).

var (
	errCancelRequested = errors.New("cancelled by DELETE /v1/runs/{request_id}")
	errClientGone      = errors.New("the client closed its connection")
)

// flights are the runs in progress on this gateway, by request id.
type flights struct {
	mu   sync.Mutex
	runs map[string]*flight
}

// flight is one run in progress.
type flight struct {
	tenant string
	cancel context.CancelCauseFunc
	watch  connWatch // its client's connection (the zero value: not watched)
	// over is set, and done closed if a DELETE made it, when the run
	// ends; both under flights.mu. done is made only for a DELETE: most
	// runs end without one.
	over bool
	done chan struct{}
}

func newFlights() *flights { return &flights{runs: make(map[string]*flight)} }

// start registers the run of request rid of tenant, and returns the
// context to run it under. The caller calls end when the run is over.
func (fs *flights) start(parent context.Context, tenant, rid string) (context.Context, *flight) {
	ctx, cancel := context.WithCancelCause(parent)
	f := &flight{tenant: tenant, cancel: cancel}
	fs.mu.Lock()
	fs.runs[rid] = f
	fs.mu.Unlock()
	return ctx, f
}

// end stops watching the run's client and forgets the run.
func (fs *flights) end(rid string, f *flight) {
	f.watch.stop()
	fs.mu.Lock()
	if fs.runs[rid] == f {
		delete(fs.runs, rid)
	}
	f.over = true
	if f.done != nil {
		close(f.done)
	}
	fs.mu.Unlock()
	f.cancel(nil)
}

// ender is end for a streamed run, which outlives its handler: called
// when the run is over, it forgets the run, then calls done.
func (fs *flights) ender(rid string, f *flight, done func()) func() {
	return func() {
		fs.end(rid, f)
		done()
	}
}

// cancel tells tenant's run rid to stop and returns a channel closed
// when it is over; nil when there is no such run (another tenant's is
// not found).
func (fs *flights) cancel(tenant, rid string) <-chan struct{} {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.runs[rid]
	if f == nil || f.tenant != tenant {
		return nil
	}
	f.cancel(errCancelRequested)
	if f.done == nil {
		f.done = make(chan struct{})
		if f.over {
			close(f.done)
		}
	}
	return f.done
}

func (fs *flights) count() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return len(fs.runs)
}

// track returns the context to run request rid's run under, which
// DELETE and the client's departure cancel; the caller ends it with
// g.flights.end(rid, f) when the run is over.
func (g *Gateway) track(c *fiber.Ctx, tenant, rid string) (context.Context, *flight) {
	ctx, f := g.flights.start(c.UserContext(), tenant, rid)
	if !g.cfg.NoDisconnectWatch {
		f.watch.begin(c.Context().Conn(), watchDelay, f.cancel)
	}
	return ctx, f
}

// cancelWait is how long DELETE waits for the run to stop before it
// answers 202 instead of 200.
const cancelWait = time.Second

// cancelRun is DELETE /v1/runs/{requestId}: it tells a run of the
// caller's tenant in progress on this gateway to stop. 200 when it has
// stopped within cancelWait, 202 when it was told and has not yet; 404
// for a run that is unknown, over, another tenant's or on another gateway.
func (g *Gateway) cancelRun(c *fiber.Ctx) error {
	rid := c.Params("requestId")
	done := g.flights.cancel(tenantOf(c), rid)
	if done == nil {
		found, err := g.cancelQueued(c, rid)
		var ae *APIError
		// An async run running on another gateway is that gateway's to stop.
		elsewhere := found && errors.As(err, &ae) && ae.Code == "not_cancellable"
		if found && !elsewhere {
			return err
		}
		// A run the store calls running may be this gateway's, claimed a
		// moment ago and not yet in flight here.
		if elsewhere {
			if done = g.flights.await(tenantOf(c), rid, claimGap); done != nil {
				return g.awaitCancelled(c, rid, done)
			}
		}
		switch answered, stopped := g.cancelElsewhere(c.UserContext(), tenantOf(c), rid); {
		case stopped:
			return c.JSON(fiber.Map{"request_id": rid, "status": functions.CodeCancelled})
		case answered:
			return c.Status(http.StatusAccepted).JSON(fiber.Map{"request_id": rid, "status": "cancelling"})
		case found:
			return err
		}
		return apiError(http.StatusNotFound, "not_found", "no run %q in progress on this gateway (it may be over: see GET /v1/runs/%s)", rid, rid)
	}
	return g.awaitCancelled(c, rid, done)
}

// awaitCancelled answers a DELETE that told a run here to stop: 200 once
// it has, 202 if it has not within cancelWait.
func (g *Gateway) awaitCancelled(c *fiber.Ctx, rid string, done <-chan struct{}) error {
	t := time.NewTimer(cancelWait)
	defer t.Stop()
	select {
	case <-done:
		return c.JSON(fiber.Map{"request_id": rid, "status": functions.CodeCancelled})
	case <-t.C:
		return c.Status(http.StatusAccepted).JSON(fiber.Map{"request_id": rid, "status": "cancelling"})
	}
}

// claimGap bounds the time between the queue marking a run claimed and
// the claiming worker putting it in flight: one store round trip.
const claimGap = 100 * time.Millisecond

// await is cancel retried for up to wait, for a run about to start here.
func (fs *flights) await(tenant, rid string, wait time.Duration) <-chan struct{} {
	for deadline := time.Now().Add(wait); ; time.Sleep(2 * time.Millisecond) {
		if done := fs.cancel(tenant, rid); done != nil || time.Now().After(deadline) {
			return done
		}
	}
}
