package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/cluster"
	"github.com/scriptforge/scriptforge/functions"
)

// The tenant API. The operator (an admin key of the default tenant)
// creates tenants and sets their limits; a tenant's own admin keys manage
// its keys and JWT settings. Nobody else sees a tenant.

// tenantRequest is the body of POST and PATCH /v1/tenants.
type tenantRequest struct {
	ID     *string            `json:"id"`
	Name   *string            `json:"name"`
	Limits *auth.TenantLimits `json:"limits"`
	// RunsRetention replaces the tenant's retention of run records.
	RunsRetention *auth.RunsRetention `json:"runs_retention"`
	// JWT is absent (keep), null (remove) or a JWTConfig (replace).
	JWT json.RawMessage `json:"jwt"`
}

// tenantView is a tenant as the API shows it: no HMAC secrets.
func tenantView(t auth.Tenant) auth.Tenant {
	if t.JWT != nil {
		r := t.JWT.Redacted()
		t.JWT = &r
	}
	return t
}

// caller is the authenticated key of an admin request.
func caller(c *fiber.Ctx) auth.Key {
	k, _ := c.Locals(keyAPIKey).(auth.Key)
	return k
}

func requireOperator(c *fiber.Ctx) error {
	if !caller(c).IsOperator() {
		return apiError(http.StatusForbidden, "forbidden", "only the operator (an admin key of the default tenant) may do this")
	}
	return nil
}

// tenantParam returns the :tenant of the route if the caller may manage it.
func tenantParam(c *fiber.Ctx) (string, error) {
	id, k := c.Params("tenant"), caller(c)
	if k.IsOperator() || (k.Tenant == id && k.HasScope(auth.ScopeAdmin)) {
		return id, nil
	}
	return "", apiError(http.StatusForbidden, "forbidden", "this key may not manage tenant %q", id)
}

func (g *Gateway) createTenant(c *fiber.Ctx) error {
	if err := requireOperator(c); err != nil {
		return err
	}
	var req tenantRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if req.ID == nil {
		return &functions.ValidationError{Field: "id", Message: "is required"}
	}
	t := auth.Tenant{ID: *req.ID, Name: *req.ID}
	if err := auth.ValidateTenantID(t.ID); err != nil {
		return &functions.ValidationError{Field: "id", Message: err.Error()}
	}
	if err := applyTenantRequest(&t, req, true); err != nil {
		return err
	}
	created, err := g.cfg.Tenants.CreateTenant(c.UserContext(), t)
	if err != nil {
		return err
	}
	// Its functions may have run before under the defaults, cached.
	g.tenants.forget(created.ID)
	g.changed(cluster.Invalidation{Kind: cluster.KindTenant, ID: created.ID})
	return c.Status(http.StatusCreated).JSON(tenantView(created))
}

// applyTenantRequest sets what the request names; limits and the runs
// retention (what the tenant costs the operator) only for the operator.
func applyTenantRequest(t *auth.Tenant, req tenantRequest, operator bool) error {
	if req.Name != nil {
		if *req.Name == "" || len(*req.Name) > 200 {
			return &functions.ValidationError{Field: "name", Message: "must be 1–200 characters"}
		}
		t.Name = *req.Name
	}
	if req.Limits != nil {
		if !operator {
			return apiError(http.StatusForbidden, "forbidden", "a tenant's limits are set by the operator")
		}
		if err := req.Limits.Validate(); err != nil {
			return apiError(http.StatusBadRequest, "invalid_limits", "%v", err)
		}
		t.Limits = *req.Limits
	}
	if req.RunsRetention != nil {
		if !operator {
			return apiError(http.StatusForbidden, "forbidden", "a tenant's runs retention is set by the operator")
		}
		if err := req.RunsRetention.Validate(); err != nil {
			return apiError(http.StatusBadRequest, "invalid_runs_retention", "%v", err)
		}
		t.RunsRetention = *req.RunsRetention
	}
	switch {
	case len(req.JWT) == 0:
	case string(req.JWT) == "null":
		t.JWT = nil
	default:
		var cfg auth.JWTConfig
		if err := decodeStrict(req.JWT, &cfg); err != nil {
			return err
		}
		if err := cfg.Validate(); err != nil {
			return apiError(http.StatusBadRequest, "invalid_jwt", "%v", err)
		}
		t.JWT = &cfg
	}
	return nil
}

func (g *Gateway) listTenants(c *fiber.Ctx) error {
	if err := requireOperator(c); err != nil {
		return err
	}
	list, err := g.cfg.Tenants.Tenants(c.UserContext())
	if err != nil {
		return err
	}
	for i := range list {
		list[i] = tenantView(list[i])
	}
	return c.JSON(fiber.Map{"tenants": list})
}

func (g *Gateway) getTenant(c *fiber.Ctx) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	t, err := g.cfg.Tenants.Tenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(tenantView(t))
}

func (g *Gateway) updateTenant(c *fiber.Ctx) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	var req tenantRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if req.ID != nil && *req.ID != id {
		return &functions.ValidationError{Field: "id", Message: "cannot be changed"}
	}
	t, err := g.cfg.Tenants.Tenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := applyTenantRequest(&t, req, caller(c).IsOperator()); err != nil {
		return err
	}
	updated, err := g.cfg.Tenants.UpdateTenant(c.UserContext(), t)
	if err != nil {
		return err
	}
	g.tenants.forget(id)
	g.changed(cluster.Invalidation{Kind: cluster.KindTenant, ID: id})
	return c.JSON(tenantView(updated))
}

// keyRequest is the body of POST /v1/tenants/{tenant}/keys.
type keyRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// createdKey is a new key with its secret: the only time it is shown.
type createdKey struct {
	auth.Key
	Secret string `json:"secret"`
}

func (g *Gateway) createKey(c *fiber.Ctx) error {
	tenant, err := tenantParam(c)
	if err != nil {
		return err
	}
	var req keyRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if req.Name == "" || len(req.Name) > 200 {
		return &functions.ValidationError{Field: "name", Message: "must be 1–200 characters"}
	}
	if len(req.Scopes) == 0 {
		return &functions.ValidationError{Field: "scopes", Message: "needs at least one of admin, functions:read, functions:write, functions:invoke, routing:invoke"}
	}
	for _, s := range req.Scopes {
		if !auth.ValidScope(s) {
			return &functions.ValidationError{Field: "scopes", Message: "unknown scope " + s + " (known: admin, functions:read, functions:write, functions:invoke, routing:invoke)"}
		}
	}
	if _, err := g.cfg.Tenants.Tenant(c.UserContext(), tenant); err != nil {
		return err
	}
	secret := auth.NewSecret()
	k := auth.Key{ID: functions.NewID("key_"), Tenant: tenant, Name: req.Name, Hash: auth.HashKey(secret),
		Scopes: req.Scopes, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if err := g.cfg.Keys.CreateKey(c.UserContext(), k); err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(createdKey{Key: k, Secret: secret})
}

func (g *Gateway) listKeys(c *fiber.Ctx) error {
	tenant, err := tenantParam(c)
	if err != nil {
		return err
	}
	keys, err := g.cfg.Keys.Keys(c.UserContext(), tenant)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"keys": keys})
}

func (g *Gateway) revokeKey(c *fiber.Ctx) error {
	tenant, err := tenantParam(c)
	if err != nil {
		return err
	}
	err = g.cfg.Keys.RevokeKey(c.UserContext(), tenant, c.Params("key"))
	g.auth.ForgetKeys() // whatever the outcome: a key that authenticated may be gone
	g.changed(cluster.Invalidation{Kind: cluster.KindKey, ID: c.Params("key"), Tenant: tenant})
	if errors.Is(err, auth.ErrKeyNotFound) {
		return apiError(http.StatusNotFound, "not_found", "no such live key in this tenant")
	}
	if err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}
