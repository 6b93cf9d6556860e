package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// as sends an admin request with the given key.
func (s *server) as(key, method, path string, body any) response {
	s.t.Helper()
	return s.do(method, path, body, map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json"})
}

// newKey creates a key in tenant with the operator key and returns its secret.
func (s *server) newKey(tenant string, scopes ...string) string {
	s.t.Helper()
	r := s.admin("POST", "/v1/tenants/"+tenant+"/keys", map[string]any{"name": "test " + strings.Join(scopes, ","), "scopes": scopes})
	if r.status != http.StatusCreated {
		s.t.Fatalf("create key in %s: %d %s", tenant, r.status, r.body)
	}
	return r.json(s.t)["secret"].(string)
}

func TestTenantsAndKeys(t *testing.T) {
	s := startServer(t, t.TempDir())
	if r := s.admin("POST", "/v1/tenants", map[string]any{"id": "acme", "name": "Acme", "limits": map[string]any{"rate": 50}}); r.status != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", r.status, r.body)
	}
	acmeAdmin := s.newKey("acme", "admin")

	for _, tc := range []struct {
		name, key, method, path string
		body                    any
		status                  int
		code                    string
	}{
		{"duplicate tenant", adminKey, "POST", "/v1/tenants", map[string]any{"id": "acme"}, 409, "tenant_exists"},
		{"bad tenant id", adminKey, "POST", "/v1/tenants", map[string]any{"id": "Not OK"}, 400, "invalid_id"},
		{"unknown field", adminKey, "POST", "/v1/tenants", map[string]any{"id": "x1", "plan": "gold"}, 400, "invalid_json"},
		{"bad limits", adminKey, "POST", "/v1/tenants", map[string]any{"id": "x2", "limits": map[string]any{"rate": -1}}, 400, "invalid_limits"},
		{"tenant admin creates a tenant", acmeAdmin, "POST", "/v1/tenants", map[string]any{"id": "evil"}, 403, "forbidden"},
		{"tenant admin lists tenants", acmeAdmin, "GET", "/v1/tenants", nil, 403, "forbidden"},
		{"tenant admin reads another tenant", acmeAdmin, "GET", "/v1/tenants/default", nil, 403, "forbidden"},
		{"tenant admin keys another tenant", acmeAdmin, "POST", "/v1/tenants/default/keys", map[string]any{"name": "x", "scopes": []string{"admin"}}, 403, "forbidden"},
		{"tenant admin raises its limits", acmeAdmin, "PATCH", "/v1/tenants/acme", map[string]any{"limits": map[string]any{"rate": 1e6}}, 403, "forbidden"},
		{"unknown tenant", adminKey, "GET", "/v1/tenants/nobody", nil, 404, "tenant_not_found"},
		{"key without scopes", adminKey, "POST", "/v1/tenants/acme/keys", map[string]any{"name": "x"}, 400, "invalid_scopes"},
		{"key with an unknown scope", adminKey, "POST", "/v1/tenants/acme/keys", map[string]any{"name": "x", "scopes": []string{"root"}}, 400, "invalid_scopes"},
		{"key for an unknown tenant", adminKey, "POST", "/v1/tenants/nobody/keys", map[string]any{"name": "x", "scopes": []string{"admin"}}, 404, "tenant_not_found"},
		{"revoke an unknown key", adminKey, "DELETE", "/v1/tenants/acme/keys/key_nope", nil, 404, "not_found"},
		{"no key at all", "", "GET", "/v1/tenants", nil, 401, "unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.as(tc.key, tc.method, tc.path, tc.body)
			if r.status != tc.status || r.errorCode(t) != tc.code {
				t.Fatalf("got %d %s; want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}

	// The tenant's admin renames it and sees it; the operator sees all.
	if r := s.as(acmeAdmin, "PATCH", "/v1/tenants/acme", map[string]any{"name": "Acme Corp"}); r.status != 200 || r.json(t)["name"] != "Acme Corp" {
		t.Fatalf("rename: %d %s", r.status, r.body)
	}
	if r := s.admin("GET", "/v1/tenants", nil); r.status != 200 || !strings.Contains(string(r.body), `"Acme Corp"`) || !strings.Contains(string(r.body), `"default"`) {
		t.Fatalf("list: %d %s", r.status, r.body)
	}

	// Keys: the secret is shown once; the list has no secrets or hashes.
	r := s.as(acmeAdmin, "POST", "/v1/tenants/acme/keys", map[string]any{"name": "deployer", "scopes": []string{"functions:read", "functions:write"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create key: %d %s", r.status, r.body)
	}
	deployer := r.json(t)["secret"].(string)
	deployerID := r.json(t)["id"].(string)
	list := s.as(acmeAdmin, "GET", "/v1/tenants/acme/keys", nil)
	if list.status != 200 || strings.Contains(string(list.body), deployer) || strings.Contains(string(list.body), "hash") || !strings.Contains(string(list.body), deployerID) {
		t.Fatalf("key list: %d %s", list.status, list.body)
	}

	// Revocation takes effect on the next request.
	if r := s.as(deployer, "GET", "/v1/functions", nil); r.status != 200 {
		t.Fatalf("deployer before revocation: %d %s", r.status, r.body)
	}
	if r := s.as(acmeAdmin, "DELETE", "/v1/tenants/acme/keys/"+deployerID, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := s.as(deployer, "GET", "/v1/functions", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("revoked key still works: %d %s", r.status, r.body)
	}
	// Last use is recorded (in the background).
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := s.as(acmeAdmin, "GET", "/v1/tenants/acme/keys", nil)
		if strings.Contains(string(list.body), `"last_used_at"`) && strings.Contains(string(list.body), `"revoked_at"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no last_used_at / revoked_at: %s", list.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Scopes decide what a key may do, and tenants never see each other's
// functions.
func TestScopesAndTenantIsolation(t *testing.T) {
	s := startServer(t, t.TempDir())
	for _, id := range []string{"acme", "globex"} {
		if r := s.admin("POST", "/v1/tenants", map[string]any{"id": id}); r.status != http.StatusCreated {
			t.Fatalf("create tenant %s: %d %s", id, r.status, r.body)
		}
	}
	acmeWrite := s.newKey("acme", "functions:write")
	acmeRead := s.newKey("acme", "functions:read")
	acmeInvoke := s.newKey("acme", "functions:invoke")
	globex := s.newKey("globex", "admin")

	r := s.as(acmeWrite, "POST", "/v1/functions", map[string]any{"name": "secret-router", "source": `function main() { return "acme" }`})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	if r.json(t)["tenant"] != "acme" {
		t.Fatalf("deployed into %v", r.json(t)["tenant"])
	}

	for _, tc := range []struct {
		name, key, method, path string
		body                    any
		status                  int
	}{
		{"reader reads", acmeRead, "GET", "/v1/functions/" + id, nil, 200},
		{"reader lists versions", acmeRead, "GET", "/v1/functions/" + id + "/versions", nil, 200},
		{"reader cannot deploy", acmeRead, "POST", "/v1/functions", map[string]any{"name": "x", "source": "function main(){}"}, 403},
		{"reader cannot delete", acmeRead, "DELETE", "/v1/functions/" + id, nil, 403},
		{"invoker cannot list", acmeInvoke, "GET", "/v1/functions", nil, 403},
		{"write alone cannot read", acmeWrite, "GET", "/v1/functions/" + id, nil, 403},
		{"another tenant cannot read", globex, "GET", "/v1/functions/" + id, nil, 404},
		{"another tenant cannot change", globex, "PUT", "/v1/functions/" + id, map[string]any{"source": `function main() { return "pwned" }`}, 404},
		{"another tenant cannot roll back", globex, "POST", "/v1/functions/" + id + "/rollback", map[string]any{"version": 1}, 404},
		{"another tenant cannot rotate", globex, "POST", "/v1/functions/" + id + "/rotate-uuid", nil, 404},
		{"another tenant cannot read runs", globex, "GET", "/v1/functions/" + id + "/runs", nil, 404},
		{"another tenant cannot delete", globex, "DELETE", "/v1/functions/" + id, nil, 404},
		{"the operator does not see it either", adminKey, "GET", "/v1/functions/" + id, nil, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := s.as(tc.key, tc.method, tc.path, tc.body); r.status != tc.status {
				t.Fatalf("got %d %s; want %d", r.status, r.body, tc.status)
			}
		})
	}
	if r := s.as(globex, "GET", "/v1/functions", nil); r.status != 200 || strings.Contains(string(r.body), id) {
		t.Fatalf("another tenant's list: %d %s", r.status, r.body)
	}
	// Still acme's, unchanged.
	if r := s.as(acmeRead, "GET", "/v1/functions/"+id, nil); r.status != 200 || r.json(t)["version"].(float64) != 1 {
		t.Fatalf("after the attempts: %d %s", r.status, r.body)
	}
}
