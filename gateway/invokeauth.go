package gateway

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
)

// authorizeInvocation checks the caller against the function's auth mode
// and returns what the function sees as ctx.auth: nil for a public
// function, the verified claims of a JWT, or the API key's identity.
//
// 401 means "who are you?" (no or bad credentials), 403 "I know you, and
// no": a valid key of another tenant, or without functions:invoke.
func (g *Gateway) authorizeInvocation(c *fiber.Ctx, t *tenantEntry, d functions.Deployed) (map[string]any, error) {
	switch d.Auth {
	case functions.AuthJWT:
		token, ok := auth.Bearer(c.Get(fiber.HeaderAuthorization))
		if !ok {
			return nil, unauthorized("this function needs a JWT: send Authorization: Bearer <token>", "")
		}
		return g.verifyJWT(t, token)
	case functions.AuthAPIKey:
		k, err := g.auth.Authenticate(c.UserContext(), c.Get(fiber.HeaderAuthorization))
		switch {
		case errors.Is(err, auth.ErrNoCredentials):
			return nil, unauthorized("this function needs an API key: send Authorization: Bearer <key>", "")
		case errors.Is(err, auth.ErrBadCredentials):
			return nil, unauthorized(err.Error(), "invalid_token")
		case err != nil:
			return nil, err
		case k.Tenant != d.Tenant:
			return nil, forbidden("this API key belongs to another tenant")
		case !k.HasScope(auth.ScopeInvoke):
			return nil, forbidden("this API key lacks the functions:invoke scope")
		}
		return map[string]any{"type": "apikey", "key_id": k.ID, "key_name": k.Name, "tenant": k.Tenant, "scopes": k.Scopes}, nil
	case functions.AuthPublic, "":
		return nil, nil
	}
	return nil, apiError(http.StatusInternalServerError, "internal", "unknown auth mode %q", d.Auth)
}

// unauthorized is a 401 with its RFC 6750 challenge; errCode is "" when
// no credentials came at all.
func unauthorized(msg, errCode string) *APIError {
	challenge := `Bearer realm="scriptforge"`
	if errCode != "" {
		challenge += `, error="` + errCode + `"`
	}
	return &APIError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: msg, Challenge: challenge}
}

func forbidden(msg string) *APIError {
	return &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: msg,
		Challenge: `Bearer realm="scriptforge", error="insufficient_scope", scope="functions:invoke"`}
}
