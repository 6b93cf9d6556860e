package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/functions/queue"
)

// The dead letters: the tenant's async runs whose attempts are spent,
// each with every attempt's error, to be redriven (queued again with
// fresh attempts) or discarded.

// maxDeadList bounds one listing of dead runs.
const maxDeadList = 1000

func (g *Gateway) queueOr404() (queue.Queue, error) {
	if g.cfg.Queue == nil {
		return nil, apiError(http.StatusNotFound, "not_found", "this gateway keeps no async runs")
	}
	return g.cfg.Queue, nil
}

// listDead is GET /v1/dead-letters?limit=: the latest to die first.
func (g *Gateway) listDead(c *fiber.Ctx) error {
	q, err := g.queueOr404()
	if err != nil {
		return err
	}
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxDeadList {
			return badParam("limit", fmt.Errorf("must be a number from 1 to %d, not %q", maxDeadList, v))
		}
		limit = n
	}
	list, err := q.Dead(c.UserContext(), tenantOf(c), limit)
	if err != nil {
		return err
	}
	out := make([]asyncRun, len(list))
	for i, r := range list {
		out[i] = asyncRun{Run: r, Trigger: "async"}
	}
	return c.JSON(fiber.Map{"runs": out})
}

// redrive is POST /v1/dead-letters/{requestId}/redrive, and without an
// id (POST /v1/dead-letters/redrive) every dead run of the tenant.
func (g *Gateway) redrive(c *fiber.Ctx) error {
	q, err := g.queueOr404()
	if err != nil {
		return err
	}
	id := c.Params("requestId")
	n, err := q.Redrive(c.UserContext(), tenantOf(c), id, time.Now())
	if err != nil {
		return deadLetterError(err, id)
	}
	if n > 0 {
		g.wakeWorkers()
	}
	if id != "" {
		return c.JSON(fiber.Map{"request_id": id, "status": queue.Queued})
	}
	return c.JSON(fiber.Map{"redriven": n})
}

// discardDead is DELETE /v1/dead-letters/{requestId}.
func (g *Gateway) discardDead(c *fiber.Ctx) error {
	q, err := g.queueOr404()
	if err != nil {
		return err
	}
	ctx, tenant, id := c.UserContext(), tenantOf(c), c.Params("requestId")
	r, err := q.Get(ctx, tenant, id)
	if err != nil {
		return deadLetterError(err, id)
	}
	if r.State != queue.Dead {
		return deadLetterError(queue.ErrState, id)
	}
	if err := q.Discard(ctx, tenant, id); err != nil {
		return deadLetterError(err, id)
	}
	return c.SendStatus(http.StatusNoContent)
}

func deadLetterError(err error, id string) error {
	switch {
	case errors.Is(err, queue.ErrNotFound):
		return apiError(http.StatusNotFound, "not_found", "no async run %q", id)
	case errors.Is(err, queue.ErrState):
		return apiError(http.StatusConflict, "not_dead", "run %q is not in the dead letters (see GET /v1/runs/%s)", id, id)
	}
	return err
}
