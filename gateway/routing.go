package gateway

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/cluster"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/routing"
)

// Class 4 routing: the admin API of assignments here, the chain in
// routing_chain.go; the logic of both lives in functions/routing.

// routingKind is the kind a route serves, from its path segment.
func routingKind(segment string) routing.Kind {
	if segment == "dids" {
		return routing.KindDID
	}
	return routing.KindCustomer
}

// assignRequest is the body of PUT /v1/routing/{customers|dids}/{key}.
type assignRequest struct {
	// Function is the function's File ID or its name.
	Function      *string `json:"function"`
	TimeoutMS     *int    `json:"timeout_ms"`
	TimeoutAction *string `json:"timeout_action"`
}

func (g *Gateway) routingStore() (routing.Store, error) {
	if g.cfg.Routing == nil {
		return nil, apiError(http.StatusNotImplemented, "routing_unavailable", "this gateway's store keeps no routing assignments")
	}
	return g.cfg.Routing, nil
}

// assignmentKey reads and checks the customer or DID of the path.
func assignmentKey(c *fiber.Ctx, kind routing.Kind) (string, error) {
	key := strings.Clone(c.Params(string(kind)))
	if err := routing.ValidateKey(kind, key); err != nil {
		return "", err
	}
	return key, nil
}

func noAssignment(kind routing.Kind, key string) error {
	return apiError(http.StatusNotFound, "assignment_not_found", "no function is assigned to %s %q", kind, key)
}

func (g *Gateway) putAssignment(kind routing.Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		store, err := g.routingStore()
		if err != nil {
			return err
		}
		key, err := assignmentKey(c, kind)
		if err != nil {
			return err
		}
		var req assignRequest
		if err := decodeStrict(c.Body(), &req); err != nil {
			return err
		}
		if req.Function == nil || *req.Function == "" {
			return &functions.ValidationError{Field: "function", Message: "is required: the File ID or name of the function to run"}
		}
		if req.TimeoutMS == nil {
			return &functions.ValidationError{Field: "timeout_ms", Message: "is required: how long the whole chain may take, in milliseconds"}
		}
		if err := routing.ValidateTimeout(*req.TimeoutMS); err != nil {
			return err
		}
		action := routing.DefaultActionText
		if req.TimeoutAction != nil {
			action = *req.TimeoutAction
		}
		ta, err := routing.ParseTimeoutAction(action)
		if err != nil {
			return err
		}
		ctx, tenant := c.UserContext(), tenantOf(c)
		d, err := g.cfg.Store.Get(ctx, tenant, *req.Function)
		if errors.Is(err, functions.ErrNotFound) {
			d, err = g.cfg.Store.GetByName(ctx, tenant, *req.Function)
		}
		if errors.Is(err, functions.ErrNotFound) {
			return apiError(http.StatusNotFound, "not_found", "this tenant has no function with the id or name %q", *req.Function)
		}
		if err != nil {
			return err
		}
		defer g.assignmentChanged(tenant)
		a, err := store.PutAssignment(ctx, routing.Assignment{
			Tenant: tenant, Kind: kind, Key: key, FunctionID: d.ID, TimeoutMS: *req.TimeoutMS, TimeoutAction: ta,
		})
		if errors.Is(err, functions.ErrNotFound) { // deleted meanwhile
			return apiError(http.StatusNotFound, "not_found", "function %s was deleted meanwhile", d.ID)
		}
		if err != nil {
			return err
		}
		return c.JSON(a)
	}
}

func (g *Gateway) getAssignment(kind routing.Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		store, err := g.routingStore()
		if err != nil {
			return err
		}
		key, err := assignmentKey(c, kind)
		if err != nil {
			return err
		}
		a, err := store.GetAssignment(c.UserContext(), tenantOf(c), kind, key)
		if errors.Is(err, routing.ErrNoAssignment) {
			return noAssignment(kind, key)
		}
		if err != nil {
			return err
		}
		return c.JSON(a)
	}
}

func (g *Gateway) deleteAssignment(kind routing.Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		store, err := g.routingStore()
		if err != nil {
			return err
		}
		key, err := assignmentKey(c, kind)
		if err != nil {
			return err
		}
		defer g.assignmentChanged(tenantOf(c))
		err = store.DeleteAssignment(c.UserContext(), tenantOf(c), kind, key)
		if errors.Is(err, routing.ErrNoAssignment) {
			return noAssignment(kind, key)
		}
		if err != nil {
			return err
		}
		return c.SendStatus(http.StatusNoContent)
	}
}

func (g *Gateway) listAssignments(kind routing.Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		store, err := g.routingStore()
		if err != nil {
			return err
		}
		list, err := store.ListAssignments(c.UserContext(), tenantOf(c), kind)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"assignments": list})
	}
}

// assignmentChanged drops the tenant's routing cache here and on the
// other gateways, whatever the write's outcome.
func (g *Gateway) assignmentChanged(tenant string) {
	g.routingCache.forget(tenant)
	g.changed(cluster.Invalidation{Kind: cluster.KindAssignment, Tenant: tenant})
}

// forgetRoutingOnWrite drops the routing cache of the tenant after any
// change to its functions: a new version, a routing priority, a deletion
// must reach its next routed call.
func (g *Gateway) forgetRoutingOnWrite(c *fiber.Ctx) error {
	err := c.Next()
	if c.Method() != fiber.MethodGet && g.routingCache != nil {
		g.routingCache.forget(tenantOf(c))
	}
	return err
}
