package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/scriptforge/scriptforge/auth"
)

// errNoJWT: the tenant has no JWT settings, so no token of it can verify.
var errNoJWT = errors.New("the tenant accepts no JWTs (it has no JWT settings)")

// verifier returns the tenant's JWT verifier, built on first use and
// closed when the entry leaves the cache. Verifiers share the gateway's
// cache of verified tokens.
func (e *tenantEntry) verifier(client *http.Client, tokens *auth.TokenCache) (*auth.Verifier, error) {
	if e.JWT == nil {
		return nil, errNoJWT
	}
	e.once.Do(func() {
		e.v, e.verr = auth.NewVerifier(context.Background(), *e.JWT, auth.WithHTTPClient(client), auth.WithTokenCache(tokens))
	})
	return e.v, e.verr
}

// looksLikeJWT tells a JWT (three base64url parts) from an API key.
func looksLikeJWT(cred string) bool {
	return strings.Count(cred, ".") == 2 && !strings.HasPrefix(cred, "sfk_")
}

// verifyJWT checks a token against the tenant's settings; a failure is a
// 401 whose challenge says why.
func (g *Gateway) verifyJWT(t *tenantEntry, token string) (auth.Claims, error) {
	v, err := t.verifier(g.cfg.JWKSClient, g.tokens)
	if errors.Is(err, errTenantChanged) {
		return nil, apiError(http.StatusServiceUnavailable, "tenant_changed", "%v", err)
	}
	if err != nil {
		return nil, &APIError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "invalid token: " + err.Error(),
			Challenge: `Bearer realm="scriptforge", error="invalid_token", error_description="the tenant accepts no tokens"`}
	}
	claims, err := v.Verify(token)
	if err != nil {
		return nil, &APIError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: err.Error(), Challenge: auth.WWWAuthenticate(err)}
	}
	return claims, nil
}

// jwtKey authenticates an admin request that carries a JWT. The token
// names its tenant in a "tenant" claim, read unverified only to pick the
// keys that must then verify it; its scopes come from "scope" (OAuth 2.0,
// space-separated) or "scp" (an array).
func (g *Gateway) jwtKey(c *fiber.Ctx, token string) (auth.Key, error) {
	var unverified jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &unverified); err != nil {
		return auth.Key{}, unauthorized("malformed token", "invalid_token")
	}
	tenantID, _ := unverified["tenant"].(string)
	if tenantID == "" {
		return auth.Key{}, unauthorized(`the token names no tenant: admin API tokens need a "tenant" claim`, "invalid_token")
	}
	t, err := g.tenants.get(c.UserContext(), tenantID)
	if err != nil {
		return auth.Key{}, err
	}
	claims, err := g.verifyJWT(t, token)
	if err != nil {
		return auth.Key{}, err
	}
	var scopes []string
	switch s := claims["scope"].(type) {
	case string:
		scopes = strings.Fields(s)
	}
	if scp, ok := claims["scp"].([]any); ok {
		for _, s := range scp {
			if str, ok := s.(string); ok {
				scopes = append(scopes, str)
			}
		}
	}
	sub, _ := claims["sub"].(string)
	return auth.Key{ID: "jwt", Tenant: tenantID, Name: sub, Scopes: scopes}, nil
}
