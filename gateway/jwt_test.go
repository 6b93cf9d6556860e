package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const jwtSecret = "a-test-hmac-secret-of-at-least-32-bytes!!"

func sign(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// JWT auth end to end: a tenant's JWT settings, a function with auth=jwt,
// claims as ctx.auth, the admin API with a tenant token, and the refusals.
func TestJWTAuth(t *testing.T) {
	s := startServer(t, t.TempDir())
	for _, id := range []string{"acme", "globex"} {
		if r := s.admin("POST", "/v1/tenants", map[string]any{"id": id}); r.status != http.StatusCreated {
			t.Fatalf("tenant %s: %d %s", id, r.status, r.body)
		}
	}
	acmeAdmin := s.newKey("acme", "admin")
	// auth=jwt needs the tenant's JWT settings first.
	r := s.as(acmeAdmin, "POST", "/v1/functions", map[string]any{"name": "early", "source": `function main() {}`, "auth": "jwt"})
	if r.status != http.StatusBadRequest || r.errorCode(t) != "invalid_auth" {
		t.Fatalf("jwt before settings: %d %s", r.status, r.body)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	settings := map[string]any{"jwt": map[string]any{
		"keys":   []map[string]any{{"alg": "HS256", "secret": jwtSecret}, {"kid": "ec1", "alg": "ES256", "pem": ecPEM}},
		"issuer": "https://idp.example", "audience": []string{"scriptforge"},
	}}
	r = s.as(acmeAdmin, "PATCH", "/v1/tenants/acme", settings)
	if r.status != http.StatusOK || strings.Contains(string(r.body), jwtSecret) {
		t.Fatalf("set jwt: %d %s", r.status, r.body)
	}
	if r := s.as(acmeAdmin, "PATCH", "/v1/tenants/acme", map[string]any{"jwt": map[string]any{"keys": []map[string]any{{"alg": "HS256", "secret": "short"}}}}); r.status != http.StatusBadRequest {
		t.Fatalf("a short secret was accepted: %d %s", r.status, r.body)
	}
	r = s.as(acmeAdmin, "POST", "/v1/functions", map[string]any{"name": "who", "type": "app", "auth": "jwt",
		"source": `export function main(d, ctx) { return {sub: ctx.auth.sub, plan: ctx.auth.plan, hdr: "authorization" in ctx.request.headers} }`})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	path := "/v1/fn/" + r.json(t)["uuid"].(string)

	now := time.Now()
	good := jwt.MapClaims{"sub": "user-1", "plan": "gold", "iss": "https://idp.example", "aud": "scriptforge", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for key, val := range good {
			c[key] = val
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	esToken := func(claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
		tok.Header["kid"] = "ec1"
		s, err := tok.SignedString(ecKey)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

	r = s.do("POST", path, `{}`, bearer(sign(t, good)))
	if r.status != 200 || string(r.body) != `{"sub":"user-1","plan":"gold","hdr":false}` {
		t.Fatalf("valid HS256 token: %d %s", r.status, r.body)
	}
	if r := s.do("POST", path, `{}`, bearer(esToken(good))); r.status != 200 {
		t.Fatalf("valid ES256 token: %d %s", r.status, r.body)
	}
	wrongKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, good).SignedString([]byte("another-secret-that-is-long-enough-too"))
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"expired", sign(t, with("exp", now.Add(-time.Hour).Unix()))},
		{"not yet valid", sign(t, with("nbf", now.Add(time.Hour).Unix()))},
		{"wrong issuer", sign(t, with("iss", "https://evil.example"))},
		{"wrong audience", sign(t, with("aud", "someone-else"))},
		{"no expiry", sign(t, with("exp", nil))},
		{"wrong key", wrongKey},
		{"tampered", sign(t, good)[:20] + "x" + sign(t, good)[21:]},
		{"alg none", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + strings.Split(sign(t, good), ".")[1] + "."},
		{"garbage", "not.a.jwt"},
		{"oversized", sign(t, with("pad", strings.Repeat("x", 9<<10)))}, // over the 8 KiB token limit, under the header limit
		{"an API key", acmeAdmin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do("POST", path, `{}`, bearer(tc.token))
			if r.status != http.StatusUnauthorized || r.errorCode(t) != "unauthorized" || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Fatalf("got %d %s (WWW-Authenticate %q)", r.status, r.body, r.header.Get("WWW-Authenticate"))
			}
		})
	}
	if r := s.do("POST", path, `{}`, nil); r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Bearer realm="scriptforge"` {
		t.Fatalf("no token: %d %s %q", r.status, r.body, r.header.Get("WWW-Authenticate"))
	}

	// The admin API takes a tenant's token too, with its scopes.
	adminTok := func(tenant, scope string) map[string]string {
		return bearer(sign(t, jwt.MapClaims{"sub": "ci", "tenant": tenant, "scope": scope, "iss": "https://idp.example",
			"aud": "scriptforge", "exp": now.Add(time.Hour).Unix()}))
	}
	if r := s.do("GET", "/v1/functions", nil, adminTok("acme", "functions:read")); r.status != 200 || !strings.Contains(string(r.body), `"who"`) {
		t.Fatalf("admin API with a token: %d %s", r.status, r.body)
	}
	if r := s.do("POST", "/v1/functions", `{"name":"x","source":"function main(){}"}`, adminTok("acme", "functions:read")); r.status != http.StatusForbidden {
		t.Fatalf("a read-only token deployed: %d %s", r.status, r.body)
	}
	// A token claiming another tenant is checked with that tenant's keys: globex has none.
	if r := s.do("GET", "/v1/functions", nil, adminTok("globex", "admin")); r.status != http.StatusUnauthorized {
		t.Fatalf("a token for another tenant: %d %s", r.status, r.body)
	}
	if r := s.do("GET", "/v1/functions", nil, adminTok("nobody", "admin")); r.status != http.StatusUnauthorized {
		t.Fatalf("a token for an unknown tenant: %d %s", r.status, r.body)
	}
	// Removing the settings closes the function to every token.
	if r := s.as(acmeAdmin, "PATCH", "/v1/tenants/acme", map[string]any{"jwt": nil}); r.status != 200 {
		t.Fatalf("remove jwt: %d %s", r.status, r.body)
	}
	if r := s.do("POST", path, `{}`, bearer(sign(t, good))); r.status != http.StatusUnauthorized {
		t.Fatalf("after removing the settings: %d %s", r.status, r.body)
	}
}
