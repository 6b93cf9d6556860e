package gateway

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/schedule"
)

var _ schedule.Invoker = (*Gateway)(nil)

// FireReader reads the outcomes of a function's scheduled slots.
type FireReader interface {
	LastFire(ctx context.Context, tenant, functionID string) (schedule.Fire, bool, error)
	// Fires lists the latest limit slots, newest first.
	Fires(ctx context.Context, tenant, functionID string, limit int) ([]schedule.Fire, error)
}

// maxFires bounds one listing of a function's fires.
const maxFires = 1000

// listFires is GET /v1/functions/{id}/fires?limit=: the schedule's latest
// slots, newest first, each claimed, succeeded, failed or skipped (with
// its reason).
func (g *Gateway) listFires(c *fiber.Ctx) error {
	if g.cfg.Fires == nil {
		return apiError(http.StatusNotFound, "not_found", "this gateway keeps no schedule records")
	}
	limit := 50
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxFires {
			return badParam("limit", fmt.Errorf("must be a number from 1 to %d, not %q", maxFires, v))
		}
		limit = n
	}
	ctx, tenant, id := c.UserContext(), tenantOf(c), c.Params("id")
	if _, err := g.cfg.Store.Get(ctx, tenant, id); err != nil {
		return err // another tenant's function is not found either
	}
	list, err := g.cfg.Fires.Fires(ctx, tenant, id, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"fires": list})
}

// RunScheduled runs one slot of a function's schedule (the Runner in
// functions/schedule calls it): the live version, under its tenant's and
// its own limits, on the executor every call uses (a Worker in its own
// sandbox, its state carried from slot to slot), with a run record whose
// trigger is "schedule". data is {"scheduled_at", "schedule"}. The
// function's input_schema is not applied: the data is the gateway's.
func (g *Gateway) RunScheduled(ctx context.Context, j schedule.Job) schedule.Outcome {
	started := time.Now()
	var out schedule.Outcome
	rid := cmp.Or(j.RequestID, newRequestID())
	fail := func(err error) schedule.Outcome {
		ae := toAPIError(err)
		out.Status, out.Error = ae.Status, ae.Code+": "+ae.Message
		if ae.Status >= 500 {
			g.log.Warn("schedule: run failed", slog.String("function", j.FunctionID), slog.Time("slot", j.Slot), slog.Any("error", err))
		}
		return out
	}
	d, err := g.cfg.Store.Get(ctx, j.Tenant, j.FunctionID)
	if err != nil {
		return fail(err) // deleted since the slot was claimed: no run, no record
	}
	tenant, err := g.tenants.get(ctx, d.Tenant)
	if err != nil {
		return fail(err)
	}
	release, _, err := g.admit.admitRun(ctx, tenant, d)
	if err != nil {
		// Over a limit: the slot is not run, and the run record says why.
		g.recordRun(functions.TriggerSchedule, d, rid, "", "", started, 0, nil, err)
		return fail(err)
	}
	defer release()
	inv := invocationOf(d)
	inv.RequestID, inv.Data, inv.Trigger = rid, j.Data(), functions.TriggerSchedule
	inv.Request = functions.RequestInfo{Query: map[string][]string{}, Headers: map[string]string{}}
	// In flight like a call: DELETE /v1/runs/{id} stops it, and the
	// function's log followers see its lines.
	runCtx, f := g.flights.start(ctx, d.Tenant, rid)
	defer g.flights.end(rid, f)
	tap := g.tapLogs(inv, rid, nil, 0)
	res, runErr := g.execute(runCtx, inv)
	cpu := g.runCost(ctx, tenant, res, runErr)
	tap.finish(res, runErr)
	g.recordRun(functions.TriggerSchedule, d, rid, "", "", started, cpu, res, runErr)
	if runErr != nil {
		return fail(runErr)
	}
	out.Status = http.StatusOK
	if res.Response != nil {
		out.Status = res.Response.Status
	}
	return out
}

// NewRequestID returns a request id as the gateway makes them, for the
// scheduler to name a run before it starts (schedule.RunnerConfig).
func NewRequestID() string { return newRequestID() }

// lastFire is the function's latest slot for its view; nil without a
// schedule, without a FireReader, or when none has come yet.
func (g *Gateway) lastFire(ctx context.Context, d functions.Deployed) *schedule.Fire {
	if d.Schedule == "" || g.cfg.Fires == nil {
		return nil
	}
	f, ok, err := g.cfg.Fires.LastFire(ctx, d.Tenant, d.ID)
	if err != nil {
		g.log.Warn("schedule: last fire", slog.String("function", d.ID), slog.Any("error", err))
		return nil
	}
	if !ok {
		return nil
	}
	return &f
}
