package gateway

import (
	"log/slog"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/cluster"
	"github.com/scriptforge/scriptforge/functions/sandbox"
)

// A function that keeps killing its sandbox is quarantined by the sandbox
// pool (functions/sandbox); the API shows it on the function and lets
// the operator lift it.

// quarantine returns the function's quarantine, nil if it is in none (or
// functions run in process, where there is no pool to quarantine from).
func (g *Gateway) quarantine(functionID string) *sandbox.Quarantine {
	if g.cfg.Quarantine == nil {
		return nil
	}
	if q, ok := g.cfg.Quarantine.Quarantined(functionID); ok {
		return &q
	}
	return nil
}

// liftQuarantine is DELETE /v1/functions/{id}/quarantine, for the
// operator only: a tenant cannot vouch for its own function. The id is
// global, so the operator needs no access to the tenant's functions.
func (g *Gateway) liftQuarantine(c *fiber.Ctx) error {
	if err := requireOperator(c); err != nil {
		return err
	}
	id := c.Params("id")
	if g.cfg.Quarantine == nil || !g.cfg.Quarantine.Lift(id) {
		return apiError(http.StatusNotFound, "not_quarantined", "function %s is not quarantined", id)
	}
	g.changed(cluster.Invalidation{Kind: cluster.KindQuarantine, ID: id}) // lifted on every gateway
	g.log.Info("quarantine lifted by the operator", slog.String("function_id", id), slog.String("key", caller(c).ID))
	return c.SendStatus(http.StatusNoContent)
}
