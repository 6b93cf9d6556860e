package gateway

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/queue"
)

// Async runs (Prefer: respond-async). The handler below and the sync
// path share only the checks before a run (lookup, auth, limits, the
// input contract) and the queue.Queue interface: the request is written
// to the queue, durably, before the 202. Workers (RunAsync) claim queued
// runs and run them through the same execution path as calls, with the
// trigger "async".

// AsyncConfig configures async runs. Zero values take the defaults noted.
type AsyncConfig struct {
	// Workers is how many async runs this gateway runs at once: the share
	// of the sandboxes and of each tenant's concurrency async work may
	// hold, so interactive calls keep the rest. Default 2.
	Workers int
	// TenantShare is the fraction of a tenant's concurrency cap its async
	// runs may hold on this gateway (at least one run): the rest is kept
	// for its interactive calls. A run over it waits in the queue, its
	// attempt uncounted. Default 0.5.
	TenantShare float64
	// MaxTenantDepth and MaxDepth bound the queued and running runs of one
	// tenant (429 past it) and of all (503). Defaults 1,000 and 10,000.
	MaxTenantDepth, MaxDepth int
	// MaxAttempts is how many times a run that fails with a 5xx (the
	// function's error, a timeout, a crash) is tried before it is dead.
	// Default 3.
	MaxAttempts int
	// Backoff spaces the attempts (defaults 1 s, doubling, at most 5 min).
	Backoff queue.Backoff
	// Lease is how long a worker holds a claimed run: past it, a run whose
	// gateway died is taken again. It must outlast the longest run.
	// Default: the longest time limit (Limits.MaxTimeoutMS) plus WriteGrace.
	Lease time.Duration
	// CallbackAttempts is how many times a callback is POSTed before the
	// run is dead; CallbackBackoff spaces them (defaults 5; 1 s doubling,
	// at most 5 min); CallbackTimeout bounds each (default 10 s).
	CallbackAttempts int
	CallbackBackoff  queue.Backoff
	CallbackTimeout  time.Duration
	// CallbackWorkers is how many callbacks are delivered at once: a slow
	// receiver holds one of them. Default 4.
	CallbackWorkers int
	// Poll is how often an idle worker looks for runs that came due
	// (retries; runs queued by another gateway). Default 500 ms.
	Poll time.Duration
	// RetryAfter is the Retry-After of a 202 (when to poll) and of a full
	// queue. Default 1 s.
	RetryAfter time.Duration
}

func (c *AsyncConfig) setDefaults() {
	c.Workers = orDefault(c.Workers, 2)
	c.MaxTenantDepth = orDefault(c.MaxTenantDepth, 1000)
	c.MaxDepth = orDefault(c.MaxDepth, 10_000)
	c.MaxAttempts = orDefault(c.MaxAttempts, 3)
	if c.TenantShare <= 0 || c.TenantShare > 1 {
		c.TenantShare = 0.5
	}
	c.CallbackAttempts = orDefault(c.CallbackAttempts, 5)
	c.CallbackWorkers = orDefault(c.CallbackWorkers, 4)
	if c.CallbackTimeout <= 0 {
		c.CallbackTimeout = 10 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = 500 * time.Millisecond
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = time.Second
	}
}

// wantsAsync reports whether the call asks for Prefer: respond-async
// (RFC 7240), and the gateway has a queue to honour it with.
func (g *Gateway) wantsAsync(c *fiber.Ctx) bool {
	if g.cfg.Queue == nil || c.Method() != fiber.MethodPost {
		return false
	}
	for _, p := range strings.Split(c.Get("Prefer"), ",") {
		if name, _, _ := strings.Cut(strings.TrimSpace(p), ";"); strings.EqualFold(strings.TrimSpace(name), "respond-async") {
			return true
		}
	}
	return false
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// enqueue answers an admitted call that asked for respond-async: the run
// is stored in the queue, then 202 with where to find its outcome.
func (g *Gateway) enqueue(c *fiber.Ctx, d functions.Deployed, rid, export string, data json.RawMessage, headers map[string]string) error {
	key := c.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKey {
		return apiError(http.StatusBadRequest, "invalid_idempotency_key", "the Idempotency-Key header is %d bytes; the limit is %d", len(key), maxIdempotencyKey)
	}
	// The caller's X-Callback-Url wins over the function's callback_url,
	// which was checked when it was set.
	callback := c.Get("X-Callback-Url")
	if callback != "" {
		if err := functions.CheckCallbackURL(callback); err != nil {
			return apiError(http.StatusBadRequest, "invalid_callback_url", "X-Callback-Url %v", err)
		}
	} else {
		callback = d.Settings.CallbackURL
	}
	if callback != "" {
		// A callback nobody could verify is refused now, not dead later.
		cb, ok := g.cfg.Queue.(queue.Callbacks)
		if !ok {
			return apiError(http.StatusNotImplemented, "callbacks_unsupported", "this gateway delivers no callbacks: poll GET /v1/runs/{request_id}")
		}
		secret, err := cb.CallbackSecret(c.UserContext(), d.Tenant)
		if err != nil {
			return err
		}
		if secret == "" {
			return apiError(http.StatusConflict, "no_callback_secret", "the tenant has no callback secret to sign callbacks with: create one with POST /v1/callback-secret")
		}
	}
	kept := make(map[string]string, len(headers))
	for k, v := range headers {
		switch k {
		case "authorization", "cookie", "prefer", "idempotency-key", "content-length", "connection":
		default:
			kept[k] = v
		}
	}
	a := &g.cfg.Async
	r, created, err := g.cfg.Queue.Enqueue(c.UserContext(), queue.Run{
		ID: rid, Tenant: d.Tenant, FunctionID: d.ID, Export: export, Data: data, Headers: kept,
		IdempotencyKey: key, CallbackURL: callback, MaxAttempts: a.MaxAttempts, EnqueuedAt: time.Now(),
	}, queue.Limits{Tenant: a.MaxTenantDepth, Total: a.MaxDepth})
	switch {
	case errors.Is(err, queue.ErrTenantFull):
		g.metrics.refused.WithLabelValues("async_queue").Inc()
		return &APIError{Status: http.StatusTooManyRequests, Code: "queue_full", RetryAfter: a.RetryAfter * 5,
			Message: "this tenant has " + strconv.Itoa(a.MaxTenantDepth) + " async runs queued or running; retry later"}
	case errors.Is(err, queue.ErrFull):
		g.metrics.refused.WithLabelValues("async_queue").Inc()
		return &APIError{Status: http.StatusServiceUnavailable, Code: "queue_full", RetryAfter: a.RetryAfter * 5,
			Message: "the gateway's async queue is full; retry later"}
	case err != nil:
		return err
	}
	if created {
		g.wakeWorkers()
	}
	c.Set(fiber.HeaderLocation, "/v1/runs/"+r.ID)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(max(time.Second, a.RetryAfter).Seconds())))
	c.Set("Preference-Applied", "respond-async")
	return c.Status(http.StatusAccepted).JSON(fiber.Map{"request_id": r.ID, "status": r.State})
}

// asyncWorkers is the gateway's side of the queue: a wake-up for idle
// workers, and the runs they hold.
type asyncWorkers struct {
	wake      chan struct{}
	callbacks chan struct{} // wakes the deliverer
	wg        sync.WaitGroup
	mu        sync.Mutex
	held      map[string]int // tenant → its async runs in progress here
}

// take counts a run of tenant in, unless the tenant's async runs hold
// their share of its concurrency cap already (no cap: no share).
func (a *asyncWorkers) take(tenant string, limit int, share float64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if limit > 0 && a.held[tenant] >= max(1, int(float64(limit)*share)) {
		return false
	}
	a.held[tenant]++
	return true
}

func (a *asyncWorkers) done(tenant string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.held[tenant]--; a.held[tenant] <= 0 {
		delete(a.held, tenant)
	}
}

func (g *Gateway) wakeWorkers() {
	select {
	case g.async.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// RunAsync runs the queue's workers until ctx ends, then waits for the
// runs they hold. A run is claimed under a lease longer than the longest
// time limit, so a run whose gateway dies is taken again once it expires.
func (g *Gateway) RunAsync(ctx context.Context) {
	if g.cfg.Queue == nil {
		return
	}
	if cb, ok := g.cfg.Queue.(queue.Callbacks); ok {
		for range g.cfg.Async.CallbackWorkers {
			g.async.wg.Add(1)
			go func() {
				defer g.async.wg.Done()
				g.deliverCallbacks(ctx, cb)
			}()
		}
	}
	for range g.cfg.Async.Workers {
		g.async.wg.Add(1)
		go func() {
			defer g.async.wg.Done()
			g.asyncWorker(ctx)
		}()
	}
	g.async.wg.Wait()
}

func (g *Gateway) asyncWorker(ctx context.Context) {
	lease := cmp.Or(g.cfg.Async.Lease, time.Duration(g.cfg.Limits.MaxTimeoutMS)*time.Millisecond+g.cfg.WriteGrace)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		r, ok, err := g.cfg.Queue.Claim(ctx, time.Now(), lease)
		if err != nil && ctx.Err() == nil {
			g.log.Error("async: claim", slog.Any("error", err))
		}
		// Not cancelled with ctx: a shutdown lets the run finish, as it
		// does calls in flight.
		if ok && g.runQueued(context.WithoutCancel(ctx), r) {
			continue
		}
		t.Reset(g.cfg.Async.Poll)
		select {
		case <-ctx.Done():
			return
		case <-g.async.wake:
		case <-t.C:
		}
	}
}

// runQueued makes one attempt of a claimed run and records its outcome:
// a 5xx (the function's fault, a timeout, an over-limit refusal) is
// retried after a backoff, to dead when it was the last attempt; a 4xx
// is the run's final failure. false: the run was given back, its tenant's
// async share being in use.
func (g *Gateway) runQueued(ctx context.Context, r queue.Run) bool {
	// In flight from the claim on: the store says "running" from then, so
	// a DELETE must find the run here, not only once it is set up.
	runCtx, f := g.flights.start(ctx, r.Tenant, r.ID)
	ended := false
	end := func() {
		if !ended {
			ended = true
			g.flights.end(r.ID, f)
		}
	}
	defer end()
	if tenant, err := g.tenants.get(ctx, r.Tenant); err == nil {
		limit := orDefault(tenant.Limits.Concurrency, g.admit.defaults.TenantConcurrency)
		if !g.async.take(r.Tenant, limit, g.cfg.Async.TenantShare) {
			if err := g.cfg.Queue.Release(ctx, r.ID, r.Token, time.Now().Add(g.cfg.Async.Poll)); err != nil {
				g.log.Error("async: release", slog.String("request_id", r.ID), slog.Any("error", err))
			}
			// A DELETE from now on finds the run queued; one that came
			// while it was in flight here is carried out in the queue.
			end()
			if errors.Is(context.Cause(runCtx), errCancelRequested) {
				if _, err := g.cfg.Queue.Cancel(ctx, r.Tenant, r.ID, time.Now()); err != nil {
					g.log.Error("async: cancel", slog.String("request_id", r.ID), slog.Any("error", err))
				}
			}
			return false
		}
		defer g.async.done(r.Tenant)
	} // a tenant that cannot be read fails the attempt below
	started := time.Now()
	res, runErr := g.attemptQueued(ctx, runCtx, r, started)
	// Over: a DELETE from now on must not be told it stopped the run,
	// whose outcome is being recorded.
	end()
	now := time.Now()
	var err error
	switch {
	case runErr == nil:
		o := queue.Outcome{State: queue.Succeeded, Status: http.StatusOK, Result: res.JSON}
		if resp := res.Response; resp != nil {
			o.Status = resp.Status
			o.Result, _ = json.Marshal(struct { // strings and a map: cannot fail
				Status  int               `json:"status"`
				Headers map[string]string `json:"headers"`
				Body    string            `json:"body"`
			}{resp.Status, resp.Headers, string(resp.Body)})
		}
		err = g.cfg.Queue.Complete(ctx, r.ID, r.Token, o, now)
	default:
		ae := toAPIError(runErr)
		msg := ae.Code + ": " + ae.Message
		switch {
		case ae.Code == functions.CodeCancelled:
			err = g.cfg.Queue.Complete(ctx, r.ID, r.Token, queue.Outcome{State: queue.Cancelled, Status: ae.Status, Error: msg}, now)
		case ae.Status >= 500 || ae.Status == http.StatusTooManyRequests:
			var st queue.State
			st, err = g.cfg.Queue.Fail(ctx, r.ID, r.Token, msg, now, now.Add(g.cfg.Async.Backoff.Delay(r.Attempts)))
			if st == queue.Dead {
				g.log.Warn("async: run dead", slog.String("request_id", r.ID), slog.String("function", r.FunctionID), slog.String("error", msg))
			}
		default:
			err = g.cfg.Queue.Complete(ctx, r.ID, r.Token, queue.Outcome{State: queue.Failed, Status: ae.Status, Error: msg}, now)
		}
	}
	if err != nil {
		g.log.Error("async: record outcome", slog.String("request_id", r.ID), slog.Any("error", err))
	} else if r.CallbackURL != "" {
		select {
		case g.async.callbacks <- struct{}{}:
		default:
		}
	}
	return true
}

// attemptQueued runs r once as RunScheduled runs a slot: the live
// version, under the tenant's and the function's limits, under runCtx
// (its flight's: DELETE /v1/runs/{id} stops it), with a run record.
func (g *Gateway) attemptQueued(ctx, runCtx context.Context, r queue.Run, started time.Time) (*functions.Result, error) {
	d, err := g.cfg.Store.Get(ctx, r.Tenant, r.FunctionID)
	if err != nil {
		return nil, err // deleted since: a 404, final
	}
	tenant, err := g.tenants.get(ctx, d.Tenant)
	if err != nil {
		return nil, err
	}
	// The call took its rate tokens when it was accepted: the run is
	// charged its CPU budget and a concurrency slot only.
	release, err := g.admit.admitQueuedRun(ctx, tenant, d)
	if err != nil {
		g.recordRun(functions.TriggerAsync, d, attemptID(r), "", r.Export, started, 0, nil, err)
		return nil, err
	}
	defer release()
	contract, err := g.contracts.get(d)
	if err != nil {
		return nil, err
	}
	inv := invocationOf(d)
	inv.RequestID, inv.Export, inv.Data, inv.Trigger = r.ID, r.Export, r.Data, functions.TriggerAsync
	inv.Request = functions.RequestInfo{Method: http.MethodPost, Query: map[string][]string{}, Headers: r.Headers}
	if inv.Request.Headers == nil {
		inv.Request.Headers = map[string]string{}
	}
	tap := g.tapLogs(inv, r.ID, nil, 0)
	res, runErr := g.execute(runCtx, inv)
	cpu := g.runCost(ctx, tenant, res, runErr)
	if runErr == nil {
		runErr = contract.checkOutput(res)
	}
	tap.finish(res, runErr)
	g.recordRun(functions.TriggerAsync, d, attemptID(r), "", r.Export, started, cpu, res, runErr)
	return res, runErr
}

// asyncRun is GET /v1/runs/{id} of an async run: its state, attempts and
// each one's error, its outcome, and its times.
type asyncRun struct {
	queue.Run
	Trigger functions.Trigger `json:"trigger"`
}

// getAsyncRun answers GET /v1/runs/{id} for a run in the queue; false
// when the id names none.
func (g *Gateway) getAsyncRun(c *fiber.Ctx) (bool, error) {
	if g.cfg.Queue == nil {
		return false, nil
	}
	r, err := g.cfg.Queue.Get(c.UserContext(), tenantOf(c), c.Params("requestId"))
	if errors.Is(err, queue.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	return true, c.JSON(asyncRun{Run: r, Trigger: functions.TriggerAsync})
}

// cancelQueued ends a queued run for DELETE /v1/runs/{id} when it is not
// in flight here; false when the queue has no such run of the tenant.
func (g *Gateway) cancelQueued(c *fiber.Ctx, rid string) (bool, error) {
	if g.cfg.Queue == nil {
		return false, nil
	}
	st, err := g.cfg.Queue.Cancel(c.UserContext(), tenantOf(c), rid, time.Now())
	if errors.Is(err, queue.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if st != queue.Cancelled {
		return true, apiError(http.StatusConflict, "not_cancellable", "run %q is %s, not queued, and not in progress on this gateway", rid, st)
	}
	return true, c.JSON(fiber.Map{"request_id": rid, "status": queue.Cancelled})
}

// attemptID names an attempt's run record: the run's id for the first,
// <id>-attempt-<n> after it, so each attempt keeps its record and logs
// (run records are keyed by request id). The run itself keeps its id:
// ctx.requestId, DELETE /v1/runs/{id}.
func attemptID(r queue.Run) string {
	if r.Attempts <= 1 {
		return r.ID
	}
	return r.ID + "-attempt-" + strconv.Itoa(r.Attempts)
}
