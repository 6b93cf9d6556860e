package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

// Invocation auth per function: public, apikey (jwt in jwt_test.go), with
// 401 and 403 used as RFC 6750 says.
func TestInvocationAPIKeyAuth(t *testing.T) {
	s := startServer(t, t.TempDir())
	for _, id := range []string{"acme", "globex"} {
		if r := s.admin("POST", "/v1/tenants", map[string]any{"id": id}); r.status != http.StatusCreated {
			t.Fatalf("create tenant %s: %d %s", id, r.status, r.body)
		}
	}
	acmeDeploy := s.newKey("acme", "functions:write", "functions:read")
	acmeInvoke := s.newKey("acme", "functions:invoke")
	globexInvoke := s.newKey("globex", "functions:invoke")

	r := s.as(acmeDeploy, "POST", "/v1/functions", map[string]any{"name": "who", "type": "app",
		"source": `export function main(d, ctx) { return {auth: ctx.auth, sawAuthorization: "authorization" in ctx.request.headers} }`})
	if r.status != http.StatusCreated || r.json(t)["auth"] != "public" {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	id, path := r.json(t)["id"].(string), "/v1/fn/"+r.json(t)["uuid"].(string)
	if r := s.do("POST", path, `{}`, nil); r.status != 200 || string(r.body) != `{"auth":null,"sawAuthorization":false}` {
		t.Fatalf("public: %d %s", r.status, r.body)
	}

	// Closing it takes effect on the next call, without a new version.
	r = s.as(acmeDeploy, "PUT", "/v1/functions/"+id, map[string]any{"auth": "apikey"})
	if r.status != 200 || r.json(t)["auth"] != "apikey" || r.json(t)["version"].(float64) != 1 {
		t.Fatalf("set apikey: %d %s", r.status, r.body)
	}
	bearer := func(k string) map[string]string { return map[string]string{"Authorization": "Bearer " + k} }
	for _, tc := range []struct {
		name      string
		headers   map[string]string
		status    int
		challenge string
	}{
		{"no credentials", nil, 401, `Bearer realm="scriptforge"`},
		{"unknown key", bearer("sfk_not_a_real_key_at_all_000000"), 401, `Bearer realm="scriptforge", error="invalid_token"`},
		{"wrong scheme", map[string]string{"Authorization": "Basic " + acmeInvoke}, 401, `error="invalid_token"`},
		{"another tenant's key", bearer(globexInvoke), 403, `error="insufficient_scope"`},
		{"a key without functions:invoke", bearer(acmeDeploy), 403, `error="insufficient_scope"`},
		{"the operator's key", bearer(adminKey), 403, `error="insufficient_scope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do("POST", path, `{}`, tc.headers)
			code := map[int]string{401: "unauthorized", 403: "forbidden"}[tc.status]
			if r.status != tc.status || r.errorCode(t) != code || !strings.Contains(r.header.Get("WWW-Authenticate"), tc.challenge) {
				t.Fatalf("got %d %s (WWW-Authenticate %q)", r.status, r.body, r.header.Get("WWW-Authenticate"))
			}
		})
	}
	r = s.do("POST", path, `{}`, bearer(acmeInvoke))
	if r.status != 200 {
		t.Fatalf("with the right key: %d %s", r.status, r.body)
	}
	got := r.json(t)
	a, _ := got["auth"].(map[string]any)
	if a["type"] != "apikey" || a["tenant"] != "acme" || !strings.HasPrefix(a["key_id"].(string), "key_") || got["sawAuthorization"] != false {
		t.Fatalf("ctx.auth: %s", r.body)
	}
	if strings.Contains(string(r.body), acmeInvoke) {
		t.Fatal("the key reached the function")
	}
	// Invalid settings are refused and change nothing.
	if r := s.as(acmeDeploy, "PUT", "/v1/functions/"+id, map[string]any{"auth": "none"}); r.status != 400 || r.errorCode(t) != "invalid_auth" {
		t.Fatalf("bad auth mode: %d %s", r.status, r.body)
	}
	if r := s.do("POST", path, `{}`, nil); r.status != 401 {
		t.Fatalf("after a refused change: %d %s", r.status, r.body)
	}
}
