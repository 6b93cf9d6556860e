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
// The registry is per gateway: in scale-out mode a DELETE must reach the
// gateway that runs the run (it answers 404 on any other). A load
// balancer that spreads requests has to route it there (fly.io: the
// fly-replay header to the instance named in the run's record), or the
// DELETE has to be broadcast to every gateway; neither is built yet.

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
	done   chan struct{} // closed when the run is over
}

func newFlights() *flights { return &flights{runs: make(map[string]*flight)} }

// start registers the run of request rid of tenant, and returns the
// context to run it under. The caller calls end when the run is over.
func (fs *flights) start(parent context.Context, tenant, rid string) (context.Context, *flight) {
	ctx, cancel := context.WithCancelCause(parent)
	f := &flight{tenant: tenant, cancel: cancel, done: make(chan struct{})}
	fs.mu.Lock()
	fs.runs[rid] = f
	fs.mu.Unlock()
	return ctx, f
}

func (fs *flights) end(rid string, f *flight) {
	fs.mu.Lock()
	if fs.runs[rid] == f {
		delete(fs.runs, rid)
	}
	fs.mu.Unlock()
	close(f.done)
	f.cancel(nil)
}

// lookup finds tenant's run rid; another tenant's is not found.
func (fs *flights) lookup(tenant, rid string) *flight {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f := fs.runs[rid]; f != nil && f.tenant == tenant {
		return f
	}
	return nil
}

func (fs *flights) count() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return len(fs.runs)
}

func (f *flight) clientGone() { f.cancel(errClientGone) }

// track runs inv's run under a context that DELETE and the client's
// departure cancel; stop ends both.
func (g *Gateway) track(c *fiber.Ctx, tenant, rid string) (context.Context, func()) {
	ctx, f := g.flights.start(c.UserContext(), tenant, rid)
	if g.cfg.NoDisconnectWatch {
		return ctx, func() { g.flights.end(rid, f) }
	}
	w := watchConn(c.Context().Conn(), watchDelay, f.clientGone)
	return ctx, func() {
		w.stop()
		g.flights.end(rid, f)
	}
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
	f := g.flights.lookup(tenantOf(c), rid)
	if f == nil {
		return apiError(http.StatusNotFound, "not_found", "no run %q in progress on this gateway (it may be over: see GET /v1/runs/%s)", rid, rid)
	}
	f.cancel(errCancelRequested)
	t := time.NewTimer(cancelWait)
	defer t.Stop()
	select {
	case <-f.done:
		return c.JSON(fiber.Map{"request_id": rid, "status": functions.CodeCancelled})
	case <-t.C:
		return c.Status(http.StatusAccepted).JSON(fiber.Map{"request_id": rid, "status": "cancelling"})
	}
}
