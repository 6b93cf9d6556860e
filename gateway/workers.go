package gateway

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/cluster"
	"github.com/scriptforge/scriptforge/functions"
)

// worker returns the id of the Worker function the request names.
func (g *Gateway) worker(c *fiber.Ctx) (string, error) {
	d, err := g.cfg.Store.Get(c.UserContext(), tenantOf(c), c.Params("id"))
	if err != nil {
		return "", err
	}
	if d.Version.Type != functions.TypeWorker {
		return "", apiError(http.StatusBadRequest, "not_a_worker", "%s is a %s function; only Worker functions can be stopped and started", d.Name, d.Version.Type)
	}
	if g.cfg.Workers == nil {
		return "", apiError(http.StatusServiceUnavailable, "no_workers", "this gateway runs no Worker functions")
	}
	return d.ID, nil
}

// workerAction applies act (Stop, Start, or nil to only look) to the
// request's Worker and answers with its status; with a cluster bus the
// other gateways' runtimes of the Worker are stopped or started too
// (state says which).
func (g *Gateway) workerAction(act func(WorkerControl, string), state string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := g.worker(c)
		if err != nil {
			return err
		}
		if act != nil {
			act(g.cfg.Workers, id)
			g.changed(cluster.Invalidation{Kind: cluster.KindWorker, ID: id, State: state})
		}
		return c.JSON(g.cfg.Workers.Status(id))
	}
}
