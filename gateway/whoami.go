package gateway

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/auth"
)

// keyView is GET /v1/key: the calling key, and the scopes it grants
// spelled out (admin grants every one), for clients that adapt to them.
type keyView struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Tenant string   `json:"tenant"`
	Scopes []string `json:"scopes"`
	// Grants is every scope the key passes, admin's included.
	Grants   []string `json:"grants"`
	Operator bool     `json:"operator"`
}

// allScopes is what admin grants, in the order clients list them.
var allScopes = []string{auth.ScopeAdmin, auth.ScopeFunctionsRead, auth.ScopeFunctionsWrite, auth.ScopeInvoke, auth.ScopeRoutingInvoke}

func (g *Gateway) currentKey(c *fiber.Ctx) error {
	k, _ := c.Locals(keyAPIKey).(auth.Key) // requireScope set it
	v := keyView{ID: k.ID, Name: k.Name, Tenant: k.Tenant, Scopes: slices.Clone(k.Scopes), Grants: []string{}, Operator: k.IsOperator()}
	if v.Scopes == nil {
		v.Scopes = []string{}
	}
	for _, s := range allScopes {
		if k.HasScope(s) {
			v.Grants = append(v.Grants, s)
		}
	}
	return c.JSON(v)
}
