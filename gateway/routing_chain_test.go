package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// routingTenant creates a tenant and returns its admin key and a key
// with routing:invoke only, as a softswitch would hold.
func routingTenant(s *server, id string) (admin, switchKey string) {
	s.t.Helper()
	if r := s.admin("POST", "/v1/tenants", map[string]any{"id": id}); r.status != http.StatusCreated {
		s.t.Fatalf("tenant %s: %d %s", id, r.status, r.body)
	}
	return s.newKey(id, "admin"), s.newKey(id, "routing:invoke")
}

// deployAs creates a function in key's tenant and returns its id.
func (s *server) deployAs(key string, req map[string]any) string {
	s.t.Helper()
	r := s.as(key, "POST", "/v1/functions", req)
	if r.status != http.StatusCreated {
		s.t.Fatalf("deploy %v: %d %s", req["name"], r.status, r.body)
	}
	return r.json(s.t)["id"].(string)
}

func (s *server) assign(key, path string, body map[string]any) {
	s.t.Helper()
	if r := s.as(key, "PUT", path, body); r.status != http.StatusOK {
		s.t.Fatalf("assign %s: %d %s", path, r.status, r.body)
	}
}

// route posts a call's routing data as the switch does.
func (s *server) route(key, path string, body any, headers ...string) response {
	s.t.Helper()
	h := map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json"}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	return s.do("POST", path, body, h)
}

// stepRecord waits for a run record to be stored (they are written in
// batches a moment after the run) and returns it.
func (s *server) stepRecord(key, id string) map[string]any {
	s.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r := s.as(key, "GET", "/v1/runs/"+id, nil)
		if r.status == http.StatusOK {
			return r.json(s.t)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("run record %s never appeared: %d %s", id, r.status, r.body)
		}
	}
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return v
}

// A three-script chain (run-first, assigned, run-last) adds, removes and
// replaces headers on two egress routes; each script gets the data the
// previous one returned, and the answer is the last one's.
func TestRoutingChainHeaders(t *testing.T) {
	s := startServer(t, t.TempDir())
	admin, sw := routingTenant(s, "acme")
	otherAdmin, _ := routingTenant(s, "globex")
	s.deployAs(admin, map[string]any{"name": "normalise", "routing_priority": "run-first", "routing_order": 10, "source": `
function main(d, ctx) {
	d.routing.to = d.routing.to.replace(/^00/, "+");
	d.routing.budget_seen = typeof ctx.deadline === "number" && ctx.deadline > 0 && ctx.deadline <= 10000;
	d.headers = [{key: "X-Trace", value: "t-" + d.routing.call_id}];
	d.remove_headers = [{key: "P-Charge-Info"}];
	return d;
}`})
	// Runs before normalise (lower order): it sees the raw number.
	s.deployAs(admin, map[string]any{"name": "audit", "routing_priority": "run-first", "routing_order": 1, "source": `
function main(d) { d.routing.raw_to = d.routing.to; return d }`})
	s.deployAs(admin, map[string]any{"name": "lcr", "source": `
function main(d) {
	const to = d.routing.to;
	d.egress_routing = [
		{uri: "sip:" + to + "@gw1.carrier-a.example", headers: [{key: "X-Route", value: 1}, {key: "X-Carrier", value: "alpha"}]},
		{uri: "sip:" + to + "@gw2.carrier-b.example", headers: [{key: "X-Route", value: 2}]},
	];
	return d;
}`})
	s.deployAs(admin, map[string]any{"name": "policy", "routing_priority": "run-last", "source": `
function main(d) {
	const [a, b] = d.egress_routing;
	a.headers = a.headers.filter(h => h.key !== "X-Carrier");   // removed
	a.remove_headers = [{key: "X-Carrier"}];
	b.remove_headers = [{key: "X-Route"}];                        // replaced: removed, then added
	b.headers = [{key: "X-Route", value: "2b"}, {key: "X-Policy", value: 7}];
	return d;
}`})
	// Neither a disabled function nor another tenant's run-first one runs.
	s.deployAs(admin, map[string]any{"name": "idle", "source": `function main() { throw new Error("603 Decline") }`})
	s.deployAs(otherAdmin, map[string]any{"name": "intruder", "routing_priority": "run-first", "source": `function main() { throw new Error("603 Decline") }`})
	s.assign(admin, "/v1/routing/customers/carrier-7", map[string]any{"function": "lcr", "timeout_ms": 10000})

	r := s.route(sw, "/v1/routing/customers/carrier-7", map[string]any{
		"routing":        map[string]any{"call_id": "c1", "from": "+442079460000", "to": "0015550100"},
		"egress_routing": []any{},
	})
	if r.status != http.StatusOK {
		t.Fatalf("route: %d %s", r.status, r.body)
	}
	want := decodeJSON(t, []byte(`{
		"routing": {"call_id": "c1", "from": "+442079460000", "to": "+15550100", "raw_to": "0015550100", "budget_seen": true},
		"headers": [{"key": "X-Trace", "value": "t-c1"}],
		"remove_headers": [{"key": "P-Charge-Info"}],
		"egress_routing": [
			{"uri": "sip:+15550100@gw1.carrier-a.example", "headers": [{"key": "X-Route", "value": 1}], "remove_headers": [{"key": "X-Carrier"}]},
			{"uri": "sip:+15550100@gw2.carrier-b.example", "headers": [{"key": "X-Route", "value": "2b"}, {"key": "X-Policy", "value": 7}], "remove_headers": [{"key": "X-Route"}]}
		]}`))
	if got := decodeJSON(t, r.body); !reflect.DeepEqual(got, want) {
		t.Fatalf("route:\n got %s", r.body)
	}
	// The same answer, flat, for a switch that reads top-level fields only:
	// each route's header edits folded onto the call-wide ones.
	flat := s.route(sw, "/v1/routing/customers/carrier-7?format=flat", map[string]any{
		"routing": map[string]any{"call_id": "c1", "from": "+442079460000", "to": "0015550100"},
	})
	wantFlat := map[string]any{
		"action": "route", "routes": 2.0,
		"headers": "X-Trace: t-c1\r\n", "remove_headers": "P-Charge-Info",
		"routing_call_id": "c1", "routing_from": "+442079460000", "routing_to": "+15550100", "routing_raw_to": "0015550100", "routing_budget_seen": true,
		"route_0_uri": "sip:+15550100@gw1.carrier-a.example", "route_0_headers": "X-Trace: t-c1\r\nX-Route: 1\r\n", "route_0_remove_headers": "P-Charge-Info,X-Carrier",
		"route_1_uri": "sip:+15550100@gw2.carrier-b.example", "route_1_headers": "X-Trace: t-c1\r\nX-Route: 2b\r\nX-Policy: 7\r\n", "route_1_remove_headers": "P-Charge-Info,X-Route",
	}
	if got := decodeJSON(t, flat.body); flat.status != 200 || !reflect.DeepEqual(got, wantFlat) {
		t.Fatalf("flat route: %d\n got %s", flat.status, flat.body)
	}
	if r := s.route(sw, "/v1/routing/customers/carrier-7?format=xml", map[string]any{"routing": map[string]any{}}); r.status != 400 || !strings.Contains(string(r.body), "invalid_format") {
		t.Fatalf("an unknown format: %d %s", r.status, r.body)
	}
	// One run record per step, under the request id and the step's number.
	rid := r.header.Get("X-Request-Id")
	for i, name := range []string{"audit", "normalise", "lcr", "policy"} {
		if rec := s.stepRecord(admin, fmt.Sprintf("%s-%d", rid, i+1)); rec["status"] != 200.0 {
			t.Fatalf("run record of step %d (%s): %v", i+1, name, rec)
		}
	}
	// The same call as a DID, through its own assignment.
	s.assign(admin, "/v1/routing/dids/+15550100", map[string]any{"function": "lcr", "timeout_ms": 10000})
	if r := s.route(sw, "/v1/routing/dids/+15550100", map[string]any{"routing": map[string]any{"call_id": "c2", "to": "+15550100"}}); r.status != 200 || !strings.Contains(string(r.body), `"X-Policy"`) {
		t.Fatalf("route a DID: %d %s", r.status, r.body)
	}
}

// An overrunning script gets the timeout action back at its deadline,
// not when it ends; a switch's shorter X-Deadline-Ms wins.
func TestRoutingDeadline(t *testing.T) {
	s := startServer(t, t.TempDir())
	admin, sw := routingTenant(s, "acme")
	s.deployAs(admin, map[string]any{"name": "spin", "timeout_ms": 5000, "source": `function main(d) { for (;;) {} }`})
	s.deployAs(admin, map[string]any{"name": "wait", "type": "app", "timeout_ms": 5000, "source": `
export async function main(d) { await new Promise(r => setTimeout(r, 3000)); return d }`})
	s.assign(admin, "/v1/routing/customers/spinner", map[string]any{"function": "spin", "timeout_ms": 150})
	s.assign(admin, "/v1/routing/customers/waiter", map[string]any{"function": "wait", "timeout_ms": 1000, "timeout_action": "503 Service Unavailable"})

	call := map[string]any{"routing": map[string]any{"to": "+15550100"}}
	var worst time.Duration
	check := func(path string, budget time.Duration, wantCode float64, headers ...string) {
		t.Helper()
		start := time.Now()
		r := s.route(sw, path, call, headers...)
		took := time.Since(start)
		st, _ := r.json(t)["status"].(map[string]any)
		if r.status != http.StatusOK || st == nil || st["code"] != wantCode {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		// Measured at the client, so it includes the request's trip:
		// the answer must still come within 20 ms after the deadline
		// (60 ms under the race detector, which slows every goroutine
		// switch on the way; a run's end is seconds away either way).
		off, slack := took-budget, 20*time.Millisecond
		if raceBuild {
			slack = 60 * time.Millisecond
		}
		if off < -2*time.Millisecond || off > slack {
			t.Fatalf("%s: answered after %v for a budget of %v", path, took, budget)
		}
		worst = max(worst, off)
	}
	for range 5 {
		check("/v1/routing/customers/spinner", 150*time.Millisecond, 480)
		check("/v1/routing/customers/waiter", 60*time.Millisecond, 503, "X-Deadline-Ms", "60")
	}
	t.Logf("the timeout action came at most %v after the deadline", worst)
	r := s.route(sw, "/v1/routing/customers/spinner", call)
	if got := r.json(t)["status"]; !reflect.DeepEqual(got, map[string]any{"code": 480.0, "message": "Temporarily Unavailable"}) {
		t.Fatalf("timeout action: %s", r.body)
	}
	// The record of the overrunning step says what happened.
	if m := s.stepRecord(admin, r.header.Get("X-Request-Id")+"-1"); m["error_code"] != "timeout" || !strings.Contains(fmt.Sprint(m["error"]), "480 Temporarily Unavailable") {
		t.Fatalf("run record: %v", m)
	}
	// The header longer than the assignment changes nothing; a bad one is a 400.
	if r := s.route(sw, "/v1/routing/customers/spinner", call, "X-Deadline-Ms", "5000"); r.status != 200 {
		t.Fatalf("longer header: %d %s", r.status, r.body)
	}
	for _, v := range []string{"soon", "0", "-5", "600000"} {
		if r := s.route(sw, "/v1/routing/customers/spinner", call, "X-Deadline-Ms", v); r.status != 400 || r.errorCode(t) != "invalid_deadline" {
			t.Fatalf("X-Deadline-Ms %q: %d %s", v, r.status, r.body)
		}
	}
}

// A SIP error thrown (or rejected) by a run-first script ends the chain
// with its code; any other error is a 500 status, with the reason kept in
// the run record.
func TestRoutingSIPErrors(t *testing.T) {
	s := startServer(t, t.TempDir())
	admin, sw := routingTenant(s, "acme")
	gate := s.deployAs(admin, map[string]any{"name": "gate", "routing_priority": "run-first", "source": `
function main(d) {
	if (d.routing.from === "+15550999") throw new Error("486 Busy Here");
	if (d.routing.from === "anonymous") throw new TypeError("cannot read the caller");
	return d;
}`})
	s.deployAs(admin, map[string]any{"name": "reject", "type": "app", "source": `
export async function main(d) {
	if (d.routing.to === "+15550000") return Promise.reject([404, "Not Found"]);
	d.routing.routed = true;
	return d;
}`})
	s.assign(admin, "/v1/routing/customers/c1", map[string]any{"function": "reject", "timeout_ms": 10000})

	for _, tc := range []struct {
		from, to string
		code     float64
		message  string
	}{
		{"+15550999", "+15550100", 486, "Busy Here"},
		{"+15550100", "+15550000", 404, "Not Found"},
		{"anonymous", "+15550100", 500, "Server Internal Error"},
	} {
		r := s.route(sw, "/v1/routing/customers/c1", map[string]any{"routing": map[string]any{"from": tc.from, "to": tc.to}})
		want := map[string]any{"status": map[string]any{"code": tc.code, "message": tc.message}}
		if got := decodeJSON(t, r.body); r.status != 200 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s → %s: %d %s", tc.from, tc.to, r.status, r.body)
		}
		flat := s.route(sw, "/v1/routing/customers/c1?format=flat", map[string]any{"routing": map[string]any{"from": tc.from, "to": tc.to}})
		want = map[string]any{"action": "reject", "code": tc.code, "reason": tc.message}
		if got := decodeJSON(t, flat.body); flat.status != 200 || !reflect.DeepEqual(got, want) {
			t.Fatalf("flat %s → %s: %d %s", tc.from, tc.to, flat.status, flat.body)
		}
		if tc.code == 500 {
			rec := s.stepRecord(admin, r.header.Get("X-Request-Id")+"-1")
			if rec["function_id"] != gate || !strings.Contains(fmt.Sprint(rec["error"]), "cannot read the caller") {
				t.Fatalf("the record does not say why: %v", rec)
			}
		}
	}
	// After a run-first refusal the assigned function never ran.
	r := s.route(sw, "/v1/routing/customers/c1", map[string]any{"routing": map[string]any{"from": "+15550999"}})
	s.stepRecord(admin, r.header.Get("X-Request-Id")+"-1")
	if rec := s.as(admin, "GET", "/v1/runs/"+r.header.Get("X-Request-Id")+"-2", nil); rec.status != 404 {
		t.Fatalf("the assigned function ran after a refusal: %s", rec.body)
	}
}

// Each malformed header shape, returned by a script or sent by the
// switch, is a 422 naming the exact path.
func TestRoutingHeaderShapes(t *testing.T) {
	s := startServer(t, t.TempDir())
	admin, sw := routingTenant(s, "acme")
	s.deployAs(admin, map[string]any{"name": "echo", "source": `function main(d) { return d.routing.reply }`})
	s.assign(admin, "/v1/routing/customers/c1", map[string]any{"function": "echo", "timeout_ms": 10000})

	many := make([]any, 33)
	for i := range many {
		many[i] = map[string]any{"key": fmt.Sprintf("X-H%d", i), "value": i}
	}
	for _, tc := range []struct {
		reply any
		path  string
	}{
		{"a string", "data"},
		{map[string]any{"headers": map[string]any{}}, "headers"},
		{map[string]any{"headers": []any{map[string]any{"value": "x"}}}, "headers[0].key"},
		{map[string]any{"headers": []any{map[string]any{"key": "X-A"}}}, "headers[0].value"},
		{map[string]any{"headers": []any{map[string]any{"key": "X A", "value": "1"}}}, "headers[0].key"},
		{map[string]any{"headers": []any{map[string]any{"key": "X-A", "value": true}}}, "headers[0].value"},
		{map[string]any{"headers": []any{map[string]any{"key": "X-A", "value": "a\r\nVia: evil"}}}, "headers[0].value"},
		{map[string]any{"headers": []any{map[string]any{"key": "X-A", "value": strings.Repeat("v", 1025)}}}, "headers[0].value"},
		{map[string]any{"headers": many}, "headers"},
		{map[string]any{"remove_headers": []any{map[string]any{"key": 5}}}, "remove_headers[0].key"},
		{map[string]any{"remove_headers": []any{"X-A"}}, "remove_headers[0]"},
		{map[string]any{"egress_routing": map[string]any{}}, "egress_routing"},
		{map[string]any{"egress_routing": []any{"sip:x"}}, "egress_routing[0]"},
		{map[string]any{"egress_routing": []any{map[string]any{}, map[string]any{}, map[string]any{"headers": []any{map[string]any{"key": "", "value": "1"}}}}}, "egress_routing[2].headers[0].key"},
		{map[string]any{"egress_routing": []any{map[string]any{"remove_headers": []any{map[string]any{"key": "X-A", "extra": 1}}}}}, "egress_routing[0].remove_headers[0].extra"},
		{map[string]any{"egress_routing": []any{map[string]any{"headers": []any{map[string]any{"key": "X-A", "value": []any{1}}}}}}, "egress_routing[0].headers[0].value"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := s.route(sw, "/v1/routing/customers/c1", map[string]any{"routing": map[string]any{"reply": tc.reply}})
			m := r.json(t)
			details, _ := m["error"].(map[string]any)["details"].(map[string]any)
			if r.status != http.StatusUnprocessableEntity || r.errorCode(t) != "invalid_routing_data" || details["path"] != tc.path ||
				!strings.HasPrefix(m["error"].(map[string]any)["message"].(string), tc.path+": ") {
				t.Fatalf("returned by the script: %d %s; want the path %s", r.status, r.body, tc.path)
			}
			if tc.path == "data" {
				return
			}
			// The same shape sent by the switch is refused before any script runs.
			r = s.route(sw, "/v1/routing/customers/c1", tc.reply)
			details, _ = r.json(t)["error"].(map[string]any)["details"].(map[string]any)
			if r.status != http.StatusUnprocessableEntity || details["path"] != tc.path {
				t.Fatalf("sent by the switch: %d %s; want the path %s", r.status, r.body, tc.path)
			}
		})
	}
	// Removing without a value is fine; a number is a value.
	ok := map[string]any{"remove_headers": []any{map[string]any{"key": "X-A"}}, "headers": []any{map[string]any{"key": "X-A", "value": 5060}}}
	if r := s.route(sw, "/v1/routing/customers/c1", map[string]any{"routing": map[string]any{"reply": ok}}); r.status != 200 || !strings.Contains(string(r.body), `"value":5060`) {
		t.Fatalf("a good shape: %d %s", r.status, r.body)
	}
}

// Credentials: routing:invoke or a JWT; another tenant's switch sees none
// of this tenant's assignments.
func TestRoutingAuthAndIsolation(t *testing.T) {
	s := startServer(t, t.TempDir())
	admin, sw := routingTenant(s, "acme")
	_, otherSwitch := routingTenant(s, "globex")
	s.deployAs(admin, map[string]any{"name": "lcr", "source": `function main(d) { d.routing.ok = true; return d }`})
	s.assign(admin, "/v1/routing/customers/carrier-7", map[string]any{"function": "lcr", "timeout_ms": 10000})
	call := map[string]any{"routing": map[string]any{"to": "+15550100"}}
	path := "/v1/routing/customers/carrier-7"

	if r := s.do("POST", path, call, nil); r.status != 401 {
		t.Fatalf("no credential: %d %s", r.status, r.body)
	}
	if r := s.route("sfk_not-a-key", path, call); r.status != 401 {
		t.Fatalf("bad key: %d %s", r.status, r.body)
	}
	invoker := s.newKey("acme", "functions:invoke")
	if r := s.route(invoker, path, call); r.status != 403 || !strings.Contains(string(r.body), "routing:invoke") {
		t.Fatalf("functions:invoke only: %d %s", r.status, r.body)
	}
	if r := s.route(otherSwitch, path, call); r.status != 404 || r.errorCode(t) != "assignment_not_found" {
		t.Fatalf("another tenant's switch: %d %s", r.status, r.body)
	}
	if r := s.route(sw, path, call); r.status != 200 || !strings.Contains(string(r.body), `"ok":true`) {
		t.Fatalf("the tenant's switch: %d %s", r.status, r.body)
	}
	if r := s.route(sw, "/v1/routing/customers/nobody", call); r.status != 404 || r.errorCode(t) != "assignment_not_found" {
		t.Fatalf("unassigned customer: %d %s", r.status, r.body)
	}
	if r := s.route(sw, path, "{not json"); r.status != 400 || r.errorCode(t) != "invalid_json" {
		t.Fatalf("bad JSON: %d %s", r.status, r.body)
	}
	if r := s.route(sw, path, ""); r.status != 400 || r.errorCode(t) != "invalid_json" {
		t.Fatalf("empty body: %d %s", r.status, r.body)
	}
}

// A switch may present a JWT of the tenant instead of a key; its claims
// reach ctx.auth, and scopes, when the token has any, must allow routing.
func TestRoutingJWT(t *testing.T) {
	s := startServer(t, t.TempDir())
	admin, _ := routingTenant(s, "acme")
	if r := s.as(admin, "PATCH", "/v1/tenants/acme", map[string]any{"jwt": map[string]any{
		"keys": []map[string]any{{"alg": "HS256", "secret": jwtSecret}}, "issuer": "https://idp.example", "audience": []string{"scriptforge"},
	}}); r.status != 200 {
		t.Fatalf("jwt settings: %d %s", r.status, r.body)
	}
	s.deployAs(admin, map[string]any{"name": "who", "source": `function main(d, ctx) { d.routing.by = ctx.auth.type + ":" + ctx.auth.key_name; return d }`})
	s.assign(admin, "/v1/routing/customers/c1", map[string]any{"function": "who", "timeout_ms": 10000})
	token := func(scope string) string {
		claims := jwt.MapClaims{"sub": "sbc-1", "tenant": "acme", "iss": "https://idp.example", "aud": "scriptforge", "exp": time.Now().Add(time.Hour).Unix()}
		if scope != "" {
			claims["scope"] = scope
		}
		return sign(t, claims)
	}
	call := map[string]any{"routing": map[string]any{}}
	for _, scope := range []string{"", "routing:invoke functions:read"} {
		if r := s.route(token(scope), "/v1/routing/customers/c1", call); r.status != 200 || !strings.Contains(string(r.body), `"by":"jwt:sbc-1"`) {
			t.Fatalf("token with scopes %q: %d %s", scope, r.status, r.body)
		}
	}
	if r := s.route(token("functions:read"), "/v1/routing/customers/c1", call); r.status != 403 {
		t.Fatalf("a token without routing:invoke: %d %s", r.status, r.body)
	}
}

// In sandbox processes too: ctx.deadline crosses the process boundary,
// and an overrunning script's timeout action comes at its deadline.
func TestRoutingInSandbox(t *testing.T) {
	s := startServerWith(t, t.TempDir(), "process", 0)
	admin, sw := routingTenant(s, "acme")
	s.deployAs(admin, map[string]any{"name": "budget", "routing_priority": "run-first", "source": `
function main(d, ctx) { d.routing.left = ctx.deadline; return d }`})
	s.deployAs(admin, map[string]any{"name": "route", "source": `
function main(d) { if (d.routing.spin) for (;;) {} d.egress_routing = [{uri: "sip:a@gw1"}]; return d }`})
	// A generous budget first: the sandbox compiles both scripts (slow under -race).
	s.assign(admin, "/v1/routing/customers/c1", map[string]any{"function": "route", "timeout_ms": 10000})
	r := s.route(sw, "/v1/routing/customers/c1", map[string]any{"routing": map[string]any{}})
	var got struct {
		Routing struct {
			Left *float64 `json:"left"`
		} `json:"routing"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil || r.status != 200 || got.Routing.Left == nil || *got.Routing.Left <= 0 || *got.Routing.Left > 10000 {
		t.Fatalf("ctx.deadline in a sandbox: %d %s", r.status, r.body)
	}
	s.assign(admin, "/v1/routing/customers/c1", map[string]any{"function": "route", "timeout_ms": 300})
	start := time.Now()
	r = s.route(sw, "/v1/routing/customers/c1", map[string]any{"routing": map[string]any{"spin": true}})
	took := time.Since(start)
	if st, _ := r.json(t)["status"].(map[string]any); st == nil || st["code"] != 480.0 || took > 320*time.Millisecond {
		t.Fatalf("overrun in a sandbox: %d %s after %v", r.status, r.body, took)
	}
	t.Logf("in a sandbox, the timeout action came %v after the request, for a 300 ms budget", took)
	// The chain ran in one frame; its records, written once the sandbox
	// stopped it, are still per step: the first passed, the second is
	// the timeout, with the CPU it burnt.
	rid := r.header.Get("X-Request-Id")
	if m := s.stepRecord(admin, rid+"-1"); m["error_code"] != nil || m["function_id"] == nil {
		t.Fatalf("first step's record: %v", m)
	}
	m := s.stepRecord(admin, rid+"-2")
	if m["error_code"] != "timeout" || !strings.Contains(fmt.Sprint(m["error"]), "480 Temporarily Unavailable") {
		t.Fatalf("overrunning step's record: %v", m)
	}
	if cpu, _ := m["cpu_us"].(float64); cpu < 100_000 {
		t.Fatalf("overrunning step's CPU: %v", m)
	}
}

// What the gateway keeps of a tenant's routing is forgotten on its writes:
// a new version, a new priority, a new assignment reach the next call.
func TestRoutingSeesWritesAtOnce(t *testing.T) {
	s := startServer(t, t.TempDir())
	admin, sw := routingTenant(s, "acme")
	id := s.deployAs(admin, map[string]any{"name": "lcr", "source": `function main(d) { d.routing.v = 1; return d }`})
	other := s.deployAs(admin, map[string]any{"name": "other", "source": `function main(d) { d.routing.v = "other"; return d }`})
	s.assign(admin, "/v1/routing/customers/c1", map[string]any{"function": "lcr", "timeout_ms": 10000})
	call := map[string]any{"routing": map[string]any{}}
	expect := func(want string) {
		t.Helper()
		if r := s.route(sw, "/v1/routing/customers/c1", call); r.status != 200 || !strings.Contains(string(r.body), want) {
			t.Fatalf("want %s: %d %s", want, r.status, r.body)
		}
	}
	expect(`"v":1`)
	if r := s.as(admin, "PUT", "/v1/functions/"+id, map[string]any{"source": `function main(d) { d.routing.v = 2; return d }`}); r.status != 200 {
		t.Fatalf("redeploy: %d %s", r.status, r.body)
	}
	expect(`"v":2`)
	if r := s.as(admin, "PUT", "/v1/functions/"+other, map[string]any{"routing_priority": "run-last"}); r.status != 200 || r.json(t)["routing_priority"] != "run-last" {
		t.Fatalf("priority: %d %s", r.status, r.body)
	}
	expect(`"v":"other"`)
	if r := s.as(admin, "PUT", "/v1/functions/"+other, map[string]any{"routing_priority": "disabled"}); r.status != 200 {
		t.Fatalf("priority: %d %s", r.status, r.body)
	}
	expect(`"v":2`)
	s.assign(admin, "/v1/routing/customers/c1", map[string]any{"function": other, "timeout_ms": 10000})
	expect(`"v":"other"`)
	if r := s.as(admin, "DELETE", "/v1/functions/"+other, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := s.route(sw, "/v1/routing/customers/c1", call); r.status != 404 {
		t.Fatalf("a deleted function still routes: %d %s", r.status, r.body)
	}
}
