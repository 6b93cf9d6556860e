package gateway_test

import (
	"net/http"
	"testing"
)

// Assignments through the admin API: validation with clear 4xx codes,
// replacement, listing, and another tenant's assignments invisible.
func TestRoutingAssignmentsAPI(t *testing.T) {
	s := startServer(t, t.TempDir())
	for _, id := range []string{"acme", "globex"} {
		if r := s.admin("POST", "/v1/tenants", map[string]any{"id": id}); r.status != http.StatusCreated {
			t.Fatalf("tenant %s: %d %s", id, r.status, r.body)
		}
	}
	acme, globex := s.newKey("acme", "functions:read", "functions:write"), s.newKey("globex", "admin")
	if r := s.as(acme, "POST", "/v1/functions", map[string]any{"name": "lcr", "source": `function main(d) { return d }`}); r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	globexFn := s.as(globex, "POST", "/v1/functions", map[string]any{"name": "theirs", "source": `function main(d) { return d }`}).json(t)["id"].(string)

	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"bad customer", "PUT", "/v1/routing/customers/a%20b", map[string]any{"function": "lcr", "timeout_ms": 500}, 400, "invalid_customer"},
		{"bad did", "PUT", "/v1/routing/dids/555-0100", map[string]any{"function": "lcr", "timeout_ms": 500}, 400, "invalid_did"},
		{"no function", "PUT", "/v1/routing/customers/c1", map[string]any{"timeout_ms": 500}, 400, "invalid_function"},
		{"no timeout", "PUT", "/v1/routing/customers/c1", map[string]any{"function": "lcr"}, 400, "invalid_timeout_ms"},
		{"timeout too long", "PUT", "/v1/routing/customers/c1", map[string]any{"function": "lcr", "timeout_ms": 60000}, 400, "invalid_timeout_ms"},
		{"2xx action", "PUT", "/v1/routing/customers/c1", map[string]any{"function": "lcr", "timeout_ms": 500, "timeout_action": "200 OK"}, 400, "invalid_timeout_action"},
		{"action without reason", "PUT", "/v1/routing/customers/c1", map[string]any{"function": "lcr", "timeout_ms": 500, "timeout_action": "480"}, 400, "invalid_timeout_action"},
		{"unknown field", "PUT", "/v1/routing/customers/c1", map[string]any{"function": "lcr", "timeout_ms": 500, "timeout": 1}, 400, "invalid_json"},
		{"another tenant's function", "PUT", "/v1/routing/customers/c1", map[string]any{"function": globexFn, "timeout_ms": 500}, 404, "not_found"},
		{"unknown customer", "GET", "/v1/routing/customers/nobody", nil, 404, "assignment_not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.as(acme, tc.method, tc.path, tc.body)
			if r.status != tc.status || r.errorCode(t) != tc.code {
				t.Fatalf("%d %s; want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}

	r := s.as(acme, "PUT", "/v1/routing/customers/carrier-7", map[string]any{"function": "lcr", "timeout_ms": 800})
	if m := r.json(t); r.status != 200 || m["timeout_action"] != "480 Temporarily Unavailable" || m["id"] != "carrier-7" || m["type"] != "customer" {
		t.Fatalf("assign: %d %s", r.status, r.body)
	}
	r = s.as(acme, "PUT", "/v1/routing/customers/carrier-7", map[string]any{"function": "lcr", "timeout_ms": 300, "timeout_action": "503 Service Unavailable"})
	if m := r.json(t); r.status != 200 || m["timeout_ms"] != 300.0 || m["timeout_action"] != "503 Service Unavailable" {
		t.Fatalf("replace: %d %s", r.status, r.body)
	}
	if r := s.as(acme, "PUT", "/v1/routing/dids/+442079460000", map[string]any{"function": "lcr", "timeout_ms": 1000}); r.status != 200 {
		t.Fatalf("assign did: %d %s", r.status, r.body)
	}
	if l := s.as(acme, "GET", "/v1/routing/customers", nil).json(t)["assignments"].([]any); len(l) != 1 {
		t.Fatalf("acme's customers: %v", l)
	}

	// globex sees, changes and deletes none of it.
	if l := s.as(globex, "GET", "/v1/routing/customers", nil).json(t)["assignments"].([]any); len(l) != 0 {
		t.Fatalf("globex sees acme's customers: %v", l)
	}
	if l := s.as(globex, "GET", "/v1/routing/dids", nil).json(t)["assignments"].([]any); len(l) != 0 {
		t.Fatalf("globex sees acme's DIDs: %v", l)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if r := s.as(globex, m, "/v1/routing/customers/carrier-7", nil); r.status != 404 || r.errorCode(t) != "assignment_not_found" {
			t.Fatalf("globex %s: %d %s", m, r.status, r.body)
		}
	}
	if r := s.as(acme, "GET", "/v1/routing/customers/carrier-7", nil); r.status != 200 {
		t.Fatalf("acme lost its assignment: %d %s", r.status, r.body)
	}
	// A read-only key may look but not change.
	reader := s.newKey("acme", "functions:read")
	if r := s.as(reader, "DELETE", "/v1/routing/customers/carrier-7", nil); r.status != 403 {
		t.Fatalf("read-only delete: %d %s", r.status, r.body)
	}
	if r := s.as(acme, "DELETE", "/v1/routing/customers/carrier-7", nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
}
