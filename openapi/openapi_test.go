package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
)

// route is one operation the gateway serves.
type route struct {
	method, path string
	admin        bool // needs a bearer API key
}

// routes is every operation the gateway serves; the document must describe each.
var routes = func() []route {
	rs := []route{
		{"GET", "/healthz", false},
		{"GET", "/readyz", false},
		{"GET", "/metrics", false},
		{"GET", "/openapi.json", false},
		{"GET", "/docs", false},
		{"GET", "/docs/{asset}", false},
		{"GET", "/", false},
		{"GET", "/ide/{asset}", false},
		{"GET", "/v1/fn/{uuid}/openapi.json", false},

		{"GET", "/v1/key", true},
		{"POST", "/v1/functions", true},
		{"GET", "/v1/functions", true},
		{"GET", "/v1/functions/{id}", true},
		{"PUT", "/v1/functions/{id}", true},
		{"DELETE", "/v1/functions/{id}", true},
		{"GET", "/v1/functions/{id}/versions", true},
		{"GET", "/v1/functions/{id}/versions/{version}", true},
		{"POST", "/v1/functions/{id}/rollback", true},
		{"POST", "/v1/functions/{id}/rotate-uuid", true},
		{"GET", "/v1/functions/{id}/runs", true},
		{"GET", "/v1/functions/{id}/fires", true},
		{"GET", "/v1/functions/{id}/logs", true},
		{"GET", "/v1/functions/{id}/worker", true},
		{"POST", "/v1/functions/{id}/stop", true},
		{"POST", "/v1/functions/{id}/start", true},
		{"DELETE", "/v1/functions/{id}/quarantine", true},
		{"GET", "/v1/runs", true},
		{"GET", "/v1/runs/{request_id}", true},
		{"DELETE", "/v1/runs/{request_id}", true},
		{"POST", "/v1/callback-secret", true},
		{"GET", "/v1/dead-letters", true},
		{"POST", "/v1/dead-letters/redrive", true},
		{"POST", "/v1/dead-letters/{request_id}/redrive", true},
		{"DELETE", "/v1/dead-letters/{request_id}", true},
		{"POST", "/v1/tenants", true},
		{"GET", "/v1/tenants", true},
		{"GET", "/v1/tenants/{tenant}", true},
		{"PATCH", "/v1/tenants/{tenant}", true},
		{"POST", "/v1/tenants/{tenant}/keys", true},
		{"GET", "/v1/tenants/{tenant}/keys", true},
		{"DELETE", "/v1/tenants/{tenant}/keys/{key}", true},
		{"POST", "/v1/voice/{uuid}", false},
	}
	for _, p := range []string{"/v1/routing/customers/{customer}", "/v1/routing/dids/{did}"} {
		rs = append(rs, route{"GET", p, true}, route{"PUT", p, true}, route{"DELETE", p, true}, route{"POST", p, true})
	}
	rs = append(rs, route{"GET", "/v1/routing/customers", true}, route{"GET", "/v1/routing/dids", true})
	for _, p := range []string{"/v1/fn/{uuid}", "/v1/fn/{uuid}/{export}"} {
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			rs = append(rs, route{m, p, false})
		}
	}
	return rs
}()

// scopeless are the admin operations that need a valid key but no scope.
var scopeless = map[string]bool{"GET /v1/key": true}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

type object = map[string]any

func parse(t *testing.T) object {
	t.Helper()
	var doc object
	dec := json.NewDecoder(bytes.NewReader(Spec()))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("Spec() is not JSON: %v", err)
	}
	if dec.More() {
		t.Fatal("Spec() has data after the JSON document")
	}
	return doc
}

// resolve follows a local $ref ("#/a/b~1c") from the document root.
func resolve(doc object, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("%q is not a local reference", ref)
	}
	var cur any = doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := cur.(type) {
		case object:
			v, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("%q: no %q", ref, tok)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("%q: bad index %q", ref, tok)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("%q: cannot descend into %T at %q", ref, cur, tok)
		}
	}
	return cur, nil
}

// deref follows $ref chains until it reaches an object without one.
func deref(t *testing.T, doc object, v any) object {
	t.Helper()
	for range 10 {
		o, ok := v.(object)
		if !ok {
			t.Fatalf("expected an object, got %T", v)
		}
		ref, ok := o["$ref"].(string)
		if !ok {
			return o
		}
		r, err := resolve(doc, ref)
		if err != nil {
			t.Fatal(err)
		}
		v = r
	}
	t.Fatal("$ref chain too long")
	return nil
}

func operation(doc object, r route) (object, bool) {
	paths, _ := doc["paths"].(object)
	item, _ := paths[r.path].(object)
	op, ok := item[strings.ToLower(r.method)].(object)
	return op, ok
}

func TestSpecIsCachedAndStable(t *testing.T) {
	a, b := Spec(), Spec()
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("Spec() is empty or changes between calls")
	}
	if cap(a) != len(a) {
		t.Error("Spec() capacity is not clipped: an append could overwrite the shared bytes")
	}
	if n := testing.AllocsPerRun(100, func() { _ = Spec() }); n != 0 {
		t.Errorf("Spec() allocates %v times per call; it should return precomputed bytes", n)
	}
}

func TestVersionAndInfo(t *testing.T) {
	doc := parse(t)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	info, _ := doc["info"].(object)
	desc, _ := info["description"].(string)
	for _, want := range []string{"main(data, ctx)", "ctx.request", "ctx.requestId", "ctx.env", "ctx.function", "ctx.log", "new Response", "480", "604", "sip_code", "worker", "--isolation=process", "--isolation=inprocess"} {
		if !strings.Contains(desc, want) {
			t.Errorf("info.description does not mention %q", want)
		}
	}
	schemes, _ := resolveOrNil(doc, "#/components/securitySchemes/bearerAuth").(object)
	if schemes["type"] != "http" || schemes["scheme"] != "bearer" {
		t.Errorf("securitySchemes.bearerAuth = %v, want http bearer", schemes)
	}
}

func resolveOrNil(doc object, ref string) any {
	v, _ := resolve(doc, ref)
	return v
}

func TestEveryRouteIsDescribed(t *testing.T) {
	doc := parse(t)
	seenIDs := map[string]string{}
	for _, r := range routes {
		name := r.method + " " + r.path
		op, ok := operation(doc, r)
		if !ok {
			t.Errorf("%s: missing", name)
			continue
		}
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", name)
		} else if other, dup := seenIDs[id]; dup {
			t.Errorf("%s: operationId %q also used by %s", name, id, other)
		}
		seenIDs[id] = name

		responses, _ := op["responses"].(object)
		if len(responses) == 0 {
			t.Errorf("%s: no responses", name)
		}
		// The calls that run functions take and answer W3C trace context.
		traced := strings.HasPrefix(r.path, "/v1/fn/") || strings.HasPrefix(r.path, "/v1/voice/") ||
			(strings.HasPrefix(r.path, "/v1/routing/") && r.method == "POST")
		for code, resp := range responses {
			hdrs, _ := deref(t, doc, resp)["headers"].(object)
			if _, ok := hdrs["X-Request-Id"]; !ok {
				t.Errorf("%s: response %s does not declare X-Request-Id", name, code)
			}
			if _, ok := hdrs["traceparent"]; traced && !ok {
				t.Errorf("%s: response %s does not declare traceparent", name, code)
			}
		}
		if traced {
			params, _ := op["parameters"].([]any)
			pathParams, _ := doc["paths"].(object)[r.path].(object)["parameters"].([]any)
			found := false
			for _, p := range append(params, pathParams...) {
				if ref, _ := p.(object)["$ref"].(string); ref == "#/components/parameters/Traceparent" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: does not take a traceparent header", name)
			}
		}

		sec, overridden := op["security"].([]any)
		switch {
		case r.admin && overridden:
			t.Errorf("%s: admin operation overrides the document's bearerAuth security", name)
		case !r.admin && (!overridden || len(sec) != 0):
			t.Errorf("%s: needs no auth but does not say `security: []`", name)
		}
		if r.admin {
			for _, code := range []string{"401", "403"} {
				if code == "403" && scopeless[name] {
					continue // any valid key may call it
				}
				if _, ok := responses[code]; !ok {
					t.Errorf("%s: admin operation lacks a %s response", name, code)
				}
			}
			if resp, ok := responses["401"]; ok {
				hdrs, _ := deref(t, doc, resp)["headers"].(object)
				if _, ok := hdrs["WWW-Authenticate"]; !ok {
					t.Errorf("%s: 401 does not declare WWW-Authenticate", name)
				}
			}
		}
	}

	// And nothing beyond them: an operation the gateway does not serve is a lie.
	known := map[string]bool{}
	for _, r := range routes {
		known[r.method+" "+r.path] = true
	}
	paths, _ := doc["paths"].(object)
	for p, item := range paths {
		for _, m := range httpMethods {
			if _, ok := item.(object)[m]; ok && !known[strings.ToUpper(m)+" "+p] {
				t.Errorf("%s %s is described but not served", strings.ToUpper(m), p)
			}
		}
	}
}

func TestGlobalSecurityIsBearer(t *testing.T) {
	doc := parse(t)
	sec, _ := doc["security"].([]any)
	if len(sec) != 1 {
		t.Fatalf("top-level security = %v, want [{bearerAuth: []}]", doc["security"])
	}
	if _, ok := sec[0].(object)["bearerAuth"]; !ok {
		t.Fatalf("top-level security = %v, want [{bearerAuth: []}]", doc["security"])
	}
}

func TestRefsResolve(t *testing.T) {
	doc := parse(t)
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case object:
			if ref, ok := v["$ref"]; ok {
				s, isStr := ref.(string)
				if !isStr {
					t.Errorf("$ref %v is not a string", ref)
				} else {
					refs = append(refs, s)
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
	if len(refs) == 0 {
		t.Fatal("found no $ref at all; the walk is broken")
	}
	sort.Strings(refs)
	for _, ref := range refs {
		if _, err := resolve(doc, ref); err != nil {
			t.Error(err)
		}
	}
}

// TestComponentsAreUsed keeps the document tidy: every component is referenced.
func TestComponentsAreUsed(t *testing.T) {
	doc := parse(t)
	text := string(Spec())
	comps, _ := doc["components"].(object)
	for kind, group := range comps {
		if kind == "securitySchemes" {
			continue // referenced by name in security requirements
		}
		for name := range group.(object) {
			if !strings.Contains(text, `"#/components/`+kind+`/`+name+`"`) {
				t.Errorf("components.%s.%s is never referenced", kind, name)
			}
		}
	}
}

func errs(es []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "\n  %s", e.Error())
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n    %s at %s (line %d)", f.Reason, f.KeywordLocation, f.Line)
		}
	}
	return b.String()
}

func newValidator(t *testing.T) validator.Validator {
	t.Helper()
	d, err := libopenapi.NewDocument(Spec())
	if err != nil {
		t.Fatalf("libopenapi cannot read the document: %v", err)
	}
	if v := d.GetSpecInfo().Version; v != "3.1.0" {
		t.Fatalf("libopenapi sees version %q", v)
	}
	if _, err := d.BuildV3Model(); err != nil {
		t.Fatalf("libopenapi cannot build the model: %v", err)
	}
	v, es := validator.NewValidator(d)
	if len(es) > 0 {
		t.Fatalf("NewValidator: %v", es)
	}
	return v
}

// TestValidOpenAPI31 checks the document against the official OpenAPI 3.1
// JSON Schema, through libopenapi-validator.
func TestValidOpenAPI31(t *testing.T) {
	d, err := libopenapi.NewDocument(Spec())
	if err != nil {
		t.Fatal(err)
	}
	if ok, es := schema_validation.ValidateOpenAPIDocument(d); !ok {
		t.Fatalf("not a valid OpenAPI 3.1 document:%s", errs(es))
	}
	if ok, es := newValidator(t).ValidateDocument(); !ok {
		t.Fatalf("ValidateDocument:%s", errs(es))
	}
}

// TestValidatorIsNotVacuous makes sure the document check above can fail.
func TestValidatorIsNotVacuous(t *testing.T) {
	doc := parse(t)
	delete(doc, "info")
	doc["paths"].(object)["/healthz"].(object)["get"].(object)["responses"] = "none"
	broken, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	d, err := libopenapi.NewDocument(broken)
	if err != nil {
		return // rejected outright: fine
	}
	if ok, _ := schema_validation.ValidateOpenAPIDocument(d); ok {
		t.Fatal("a document without info and with malformed responses passed validation")
	}
}

// exchange is one request and the response the gateway would send.
type exchange struct {
	name        string
	method, url string
	reqType     string
	reqBody     string
	status      int
	respType    string
	respBody    string
	wantValid   bool
}

const (
	fnJSON = `{"id":"fn_abcdefghijklmnop","uuid":"0b6f3a8e-2c1d-4e5f-9a7b-1c2d3e4f5a6b","name":"hello",
		"tenant":"default","type":"script","version":2,"latest_version":3,
		"url":"https://gw.example/v1/fn/0b6f3a8e-2c1d-4e5f-9a7b-1c2d3e4f5a6b","timeout_ms":1000,"memory_mb":64,
		"env":[{"name":"GREETING","flag":"plain","value":"hi"},{"name":"TOKEN","flag":"private"}],
		"hash":"` + hash + `","auth":"public","limits":{},"fresh_runtime":false,"created_at":"2026-11-24T10:00:00Z","updated_at":"2026-11-24T10:05:00Z"}`
	fnScheduledJSON = `{"id":"fn_abcdefghijklmnop","uuid":"0b6f3a8e-2c1d-4e5f-9a7b-1c2d3e4f5a6b","name":"hello",
		"tenant":"default","type":"script","version":2,"latest_version":3,
		"url":"https://gw.example/v1/fn/0b6f3a8e-2c1d-4e5f-9a7b-1c2d3e4f5a6b","timeout_ms":1000,"memory_mb":64,"env":[],
		"hash":"` + hash + `","auth":"public","limits":{},"fresh_runtime":false,"created_at":"2026-11-24T10:00:00Z","updated_at":"2026-11-24T10:05:00Z",
		"schedule":{"cron":"*/5 * * * *","tz":"Europe/Paris","overlap":"skip"},
		"next_fires":["2026-12-06T11:05:00+01:00","2026-12-06T11:10:00+01:00","2026-12-06T11:15:00+01:00","2026-12-06T11:20:00+01:00","2026-12-06T11:25:00+01:00"]}`
	hash       = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	errJSON    = `{"error":{"code":"name_taken","message":"taken","request_id":"r1"}}`
	tenantJSON = `{"id":"acme","name":"Acme","limits":{"rate":100},"created_at":"2026-11-24T10:00:00Z","updated_at":"2026-11-24T10:00:00Z"}`
	keyJSON    = `{"id":"key_abc","tenant":"acme","name":"ci","scopes":["functions:write"],"created_at":"2026-11-24T10:00:00Z"}`
	uuidURL    = "/v1/fn/0b6f3a8e-2c1d-4e5f-9a7b-1c2d3e4f5a6b"
	fnURL      = "/v1/functions/fn_abcdefghijklmnop"
)

// TestSchemasMatchTraffic runs realistic requests and responses through the
// validator, so a schema that is valid but wrong (a misspelt property, a
// wrong type, a missing content type) is caught.
func TestSchemasMatchTraffic(t *testing.T) {
	v := newValidator(t)
	cases := []exchange{
		{"deploy", "POST", "/v1/functions", "application/json",
			`{"name":"hello","source":"export function main(d){return d}","env":{"A":"1","B":{"value":"x","flag":"private"}},"timeout_ms":1000}`,
			201, "application/json", fnJSON, true},
		{"deploy with unknown field", "POST", "/v1/functions", "application/json",
			`{"name":"hello","source":"x","colour":"red"}`, 201, "application/json", fnJSON, false},
		{"deploy without source", "POST", "/v1/functions", "application/json",
			`{"name":"hello"}`, 201, "application/json", fnJSON, false},
		{"deploy with a bad name", "POST", "/v1/functions", "application/json",
			`{"name":"-x","source":"x"}`, 201, "application/json", fnJSON, false},
		{"deploy with a bad env flag", "POST", "/v1/functions", "application/json",
			`{"name":"x","source":"x","env":{"A":{"flag":"secret"}}}`, 201, "application/json", fnJSON, false},
		{"name taken", "POST", "/v1/functions", "application/json",
			`{"name":"hello","source":"x"}`, 409, "application/json", errJSON, true},
		{"compile error", "POST", "/v1/functions", "application/json", `{"name":"hello","source":"x("}`, 400, "application/json",
			`{"error":{"code":"compile_error","message":"no","request_id":"r1","details":{"line":1,"column":3,"message":"Unexpected end of file"}}}`, true},
		{"compile error with bad details", "POST", "/v1/functions", "application/json", `{"name":"hello","source":"x("}`, 400, "application/json",
			`{"error":{"code":"compile_error","message":"no","request_id":"r1","details":{"line":"one","column":3,"message":"m"}}}`, false},
		{"update keeps a secret", "PUT", "/v1/functions/fn_abcdefghijklmnop", "application/json",
			`{"env":{"TOKEN":{}},"memory_mb":128}`, 200, "application/json", fnJSON, true},
		{"update cannot rename", "PUT", "/v1/functions/fn_abcdefghijklmnop", "application/json",
			`{"name":"other"}`, 200, "application/json", fnJSON, false},
		{"update the schedule", "PUT", "/v1/functions/fn_abcdefghijklmnop", "application/json",
			`{"schedule":{"cron":"*/5 * * * *","tz":"Europe/Paris","overlap":"skip"}}`, 200, "application/json", fnScheduledJSON, true},
		{"schedule by fields", "POST", "/v1/functions", "application/json",
			`{"name":"hello","source":"x","schedule":{"minutes":[0,30],"hours":[9],"days_of_week":[1,2,3,4,5],"tz":"UTC"}}`, 201, "application/json", fnScheduledJSON, true},
		{"clear the schedule", "PUT", "/v1/functions/fn_abcdefghijklmnop", "application/json",
			`{"schedule":null}`, 200, "application/json", strings.TrimSuffix(fnJSON, "}") + `,"schedule":null}`, true},
		{"schedule with an unknown field", "PUT", "/v1/functions/fn_abcdefghijklmnop", "application/json",
			`{"schedule":{"cron":"@daily","zone":"UTC"}}`, 200, "application/json", fnJSON, false},
		{"schedule with a weekday out of range", "PUT", "/v1/functions/fn_abcdefghijklmnop", "application/json",
			`{"schedule":{"days_of_week":[7]}}`, 200, "application/json", fnJSON, false},
		{"bad schedule", "PUT", "/v1/functions/fn_abcdefghijklmnop", "application/json", `{"schedule":{"cron":"@daily","tz":"Mars/Base"}}`, 422, "application/json",
			`{"error":{"code":"invalid_schedule","message":"schedule.tz: unknown time zone","request_id":"r1","details":{"field":"schedule.tz","problem":"unknown time zone"}}}`, true},
		{"last fire", "GET", "/v1/functions/fn_abcdefghijklmnop", "", "", 200, "application/json",
			strings.TrimSuffix(fnScheduledJSON, "}") + `,"last_fire":{"slot":"2026-12-06T10:00:00Z","state":"skipped","reason":"overlap","at":"2026-12-06T10:00:01Z"}}`, true},
		{"last fire in an unknown state", "GET", "/v1/functions/fn_abcdefghijklmnop", "", "", 200, "application/json",
			strings.TrimSuffix(fnScheduledJSON, "}") + `,"last_fire":{"slot":"2026-12-06T10:00:00Z","state":"lost","at":"2026-12-06T10:00:01Z"}}`, false},
		{"fires", "GET", "/v1/functions/fn_abcdefghijklmnop/fires?limit=2", "", "", 200, "application/json",
			`{"fires":[{"slot":"2026-12-06T10:05:00+01:00","state":"succeeded","request_id":"r1","status":200,"at":"2026-12-06T09:05:01Z"},{"slot":"2026-12-06T10:00:00+01:00","state":"skipped","reason":"missed","at":"2026-12-06T09:05:01Z"}]}`, true},
		{"fires limit too big", "GET", "/v1/functions/fn_abcdefghijklmnop/fires?limit=5000", "", "", 200, "application/json", `{"fires":[]}`, false},
		{"fires not a list", "GET", "/v1/functions/fn_abcdefghijklmnop", "", "", 200, "application/json",
			strings.TrimSuffix(fnJSON, "}") + `,"next_fires":"2026-12-06T11:05:00+01:00"}`, false},
		{"list", "GET", "/v1/functions", "", "", 200, "application/json", `{"functions":[` + fnJSON + `]}`, true},
		{"get with source", "GET", "/v1/functions/fn_abcdefghijklmnop", "", "", 200, "application/json",
			strings.TrimSuffix(fnJSON, "}") + `,"source":"export function main(){}"}`, true},
		{"function without hash", "GET", "/v1/functions/fn_abcdefghijklmnop", "", "", 200, "application/json",
			strings.Replace(fnJSON, `"hash":"`+hash+`",`, "", 1), false},
		{"delete", "DELETE", "/v1/functions/fn_abcdefghijklmnop", "", "", 204, "", "", true},
		{"versions", "GET", "/v1/functions/fn_abcdefghijklmnop/versions", "", "", 200, "application/json",
			`{"versions":[{"version":3,"type":"app","hash":"` + hash + `","timeout_ms":1000,"memory_mb":64,"env":[],"created_at":"2026-11-24T10:00:00Z","live":false}]}`, true},
		{"version", "GET", "/v1/functions/fn_abcdefghijklmnop/versions/2", "", "", 200, "application/json",
			`{"version":2,"type":"script","hash":"` + hash + `","timeout_ms":1000,"memory_mb":64,"env":[],"created_at":"2026-11-24T10:00:00Z","live":true,"source":"x"}`, true},
		{"rollback", "POST", "/v1/functions/fn_abcdefghijklmnop/rollback", "application/json", `{"version":2}`, 200, "application/json", fnJSON, true},
		{"rollback without version", "POST", "/v1/functions/fn_abcdefghijklmnop/rollback", "application/json", `{}`, 200, "application/json", fnJSON, false},
		{"rotate", "POST", "/v1/functions/fn_abcdefghijklmnop/rotate-uuid", "", "", 200, "application/json", fnJSON, true},
		{"runs", "GET", "/v1/functions/fn_abcdefghijklmnop/runs?limit=5", "", "", 200, "application/json",
			`{"runs":[{"request_id":"r1-2","function_id":"fn_abcdefghijklmnop","version":2,"export":"","trigger":"routing","status":480,"error_code":"480","error":"busy",
			"logs":[{"time":"2026-11-24T10:00:00Z","level":"warn","message":"m"}],"duration_us":1200,"cpu_us":800,"started_at":"2026-11-24T10:00:00Z"}],"next_cursor":"MToxNzY0MDAwMDAwMDAwOnIx"}`, true},
		{"runs filtered", "GET", "/v1/functions/fn_abcdefghijklmnop/runs?status=5xx&trigger=voice&since=10m&until=2026-12-01T00:00:00Z&cursor=MToxOnI", "", "", 200, "application/json", `{"runs":[]}`, true},
		{"runs with a bad status", "GET", "/v1/functions/fn_abcdefghijklmnop/runs?status=fine", "", "", 400, "application/json",
			`{"error":{"code":"invalid_parameter","message":"status: m","request_id":"r","details":{"parameter":"status"}}}`, false},
		{"runs with a bad trigger", "GET", "/v1/runs?trigger=cron", "", "", 200, "application/json", `{"runs":[]}`, false},
		{"tenant's runs", "GET", "/v1/runs?function=fn_abcdefghijklmnop&status=ok&limit=10", "", "", 200, "application/json",
			`{"runs":[{"request_id":"r1","function_id":"fn_abcdefghijklmnop","tenant":"acme","version":2,"export":"","trigger":"voice","status":200,"logs":[],"duration_us":5,"cpu_us":3,"started_at":"2026-11-24T10:00:00Z"}]}`, true},
		{"runs limit too big", "GET", "/v1/functions/fn_abcdefghijklmnop/runs?limit=5000", "", "", 200, "application/json", `{"runs":[]}`, false},
		{"run", "GET", "/v1/runs/r1", "", "", 200, "application/json",
			`{"request_id":"r1","function_id":"fn_abcdefghijklmnop","version":2,"export":"hello","trigger":"http","status":200,"logs":[],"duration_us":5,"cpu_us":3,"started_at":"2026-11-24T10:00:00Z"}`, true},
		{"async run", "GET", "/v1/runs/r1", "", "", 200, "application/json",
			`{"request_id":"r1","function_id":"fn_abcdefghijklmnop","status":"dead","attempts":3,"max_attempts":3,"errors":[{"attempt":1,"at":"2026-12-06T10:00:00Z","error":"internal: boom"}],"error":"internal: boom","enqueued_at":"2026-12-06T10:00:00Z","started_at":"2026-12-06T10:00:01Z","finished_at":"2026-12-06T10:00:02Z","trigger":"async"}`, true},
		{"async run succeeded", "GET", "/v1/runs/r1", "", "", 200, "application/json",
			`{"request_id":"r1","function_id":"fn_abcdefghijklmnop","status":"succeeded","attempts":1,"max_attempts":3,"result_status":200,"result":{"x":42},"enqueued_at":"2026-12-06T10:00:00Z","trigger":"async"}`, true},
		{"async run in an unknown state", "GET", "/v1/runs/r1", "", "", 200, "application/json",
			`{"request_id":"r1","function_id":"fn_abcdefghijklmnop","status":"lost","attempts":1,"max_attempts":3,"enqueued_at":"2026-12-06T10:00:00Z","trigger":"async"}`, false},
		{"cancel a finished async run", "DELETE", "/v1/runs/r1", "", "", 409, "application/json", `{"error":{"code":"not_cancellable","message":"m","request_id":"r"}}`, true},
		{"callback secret", "POST", "/v1/callback-secret", "", "", 201, "application/json", `{"secret":"whsec_` + strings.Repeat("ab", 32) + `"}`, true},
		{"callback secret, bad", "POST", "/v1/callback-secret", "", "", 201, "application/json", `{"secret":"hunter2"}`, false},
		{"async run with a callback", "GET", "/v1/runs/r1", "", "", 200, "application/json",
			`{"request_id":"r1","function_id":"fn_abcdefghijklmnop","callback_url":"https://example.com/hook","status":"succeeded","attempts":1,"max_attempts":3,"result_status":200,"result":1,"enqueued_at":"2026-12-06T10:00:00Z","callback_state":"delivered","callback_attempts":2,"trigger":"async"}`, true},
		{"dead letters", "GET", "/v1/dead-letters?limit=10", "", "", 200, "application/json",
			`{"runs":[{"request_id":"r1","function_id":"fn_abcdefghijklmnop","status":"dead","attempts":3,"max_attempts":3,"errors":[{"attempt":3,"at":"2026-12-06T10:00:00Z","error":"timeout: m"}],"enqueued_at":"2026-12-06T10:00:00Z","trigger":"async"}]}`, true},
		{"redrive all", "POST", "/v1/dead-letters/redrive", "", "", 200, "application/json", `{"redriven":2}`, true},
		{"redrive one", "POST", "/v1/dead-letters/r1/redrive", "", "", 200, "application/json", `{"request_id":"r1","status":"queued"}`, true},
		{"redrive one not dead", "POST", "/v1/dead-letters/r1/redrive", "", "", 409, "application/json", `{"error":{"code":"not_dead","message":"m","request_id":"r"}}`, true},
		{"discard", "DELETE", "/v1/dead-letters/r1", "", "", 204, "", "", true},
		{"unauthorized", "GET", "/v1/functions", "", "", 401, "application/json", `{"error":{"code":"unauthorized","message":"m","request_id":"r"}}`, true},
		{"error without request_id", "GET", "/v1/functions", "", "", 401, "application/json", `{"error":{"code":"unauthorized","message":"m"}}`, false},

		{"deploy a worker", "POST", "/v1/functions", "application/json",
			`{"name":"counter","type":"worker","source":"let n=0; export function main(){return ++n}"}`,
			201, "application/json", strings.Replace(fnJSON, `"type":"script"`, `"type":"worker"`, 1), true},
		{"deploy an unknown type", "POST", "/v1/functions", "application/json",
			`{"name":"counter","type":"daemon","source":"x"}`, 201, "application/json", fnJSON, false},
		{"worker running", "GET", fnURL + "/worker", "", "", 200, "application/json",
			`{"state":"running","hash":"` + hash + `","started_at":"2026-11-24T10:00:00Z","restarts":2}`, true},
		{"worker idle", "GET", fnURL + "/worker", "", "", 200, "application/json", `{"state":"idle","restarts":0}`, true},
		{"worker in an unknown state", "GET", fnURL + "/worker", "", "", 200, "application/json", `{"state":"paused","restarts":0}`, false},
		{"worker without restarts", "GET", fnURL + "/worker", "", "", 200, "application/json", `{"state":"idle"}`, false},
		{"worker with negative restarts", "GET", fnURL + "/worker", "", "", 200, "application/json", `{"state":"idle","restarts":-1}`, false},
		{"worker with a bad hash", "GET", fnURL + "/worker", "", "", 200, "application/json",
			`{"state":"running","hash":"v2","started_at":"2026-11-24T10:00:00Z","restarts":0}`, false},
		{"stop worker", "POST", fnURL + "/stop", "", "", 200, "application/json", `{"state":"stopped","restarts":1}`, true},
		{"start worker", "POST", fnURL + "/start", "", "", 200, "application/json", `{"state":"idle","restarts":1}`, true},
		{"start a non-worker", "POST", fnURL + "/start", "", "", 400, "application/json",
			`{"error":{"code":"not_a_worker","message":"m","request_id":"r"}}`, true},
		{"stop without workers", "POST", fnURL + "/stop", "", "", 503, "application/json",
			`{"error":{"code":"no_workers","message":"m","request_id":"r"}}`, true},
		{"worker of an unknown function", "GET", "/v1/functions/fn_bbbbbbbbbbbbbbbb/worker", "", "", 404, "application/json",
			`{"error":{"code":"not_found","message":"m","request_id":"r"}}`, true},
		{"worker with a malformed id", "GET", "/v1/functions/nope/worker", "", "", 200, "application/json", `{"state":"idle","restarts":0}`, false},

		{"invoke async", "POST", uuidURL, "application/json", `{}`, 202, "application/json", `{"request_id":"r1","status":"queued"}`, true},
		{"invoke async, bad state", "POST", uuidURL, "application/json", `{}`, 202, "application/json", `{"request_id":"r1","status":"later"}`, false},
		{"invoke async, queue full", "POST", uuidURL, "application/json", `{}`, 429, "application/json", `{"error":{"code":"queue_full","message":"m","request_id":"r"}}`, true},
		{"invoke JSON", "POST", uuidURL, "application/json", `[1,2,3]`, 200, "application/json", `{"sum":6}`, true},
		{"invoke form", "PUT", uuidURL, "application/x-www-form-urlencoded", `a=1&b=2`, 200, "application/json", `"ok"`, true},
		{"invoke text", "PATCH", uuidURL + "/handle", "text/plain", `hello`, 200, "application/json", `null`, true},
		{"invoke xml", "POST", uuidURL, "application/xml", `<a/>`, 200, "application/json", `1`, true},
		{"invoke query", "GET", uuidURL + "?a=x&a=y&b=z", "", "", 200, "application/json", `{"ok":true}`, true},
		{"invoke export", "DELETE", uuidURL + "/cleanUp", "", "", 200, "application/json", `{}`, true},
		{"invoke custom response", "GET", uuidURL, "", "", 201, "text/html", `<p>hi</p>`, true},
		{"invoke SIP", "POST", uuidURL, "application/json", `{}`, 422, "application/json",
			`{"error":{"code":"480","message":"Temporarily Unavailable","request_id":"r","sip_code":480}}`, true},
		{"invoke timeout", "GET", uuidURL, "", "", 504, "application/json", `{"error":{"code":"timeout","message":"m","request_id":"r"}}`, true},
		{"invoke stopped worker", "POST", uuidURL, "application/json", `{}`, 503, "application/json",
			`{"error":{"code":"worker_stopped","message":"m","request_id":"r"}}`, true},
		{"invoke out of memory", "GET", uuidURL + "/handle", "", "", 503, "application/json",
			`{"error":{"code":"memory_limit","message":"m","request_id":"r"}}`, true},
		{"invoke sandbox restarted", "DELETE", uuidURL, "", "", 503, "application/json",
			`{"error":{"code":"sandbox_restarted","message":"m","request_id":"r"}}`, true},
		{"invoke sandbox crash", "PATCH", uuidURL + "/handle", "application/json", `{}`, 502, "application/json",
			`{"error":{"code":"sandbox_crash","message":"m","request_id":"r"}}`, true},
		{"invoke sandbox crash without code", "POST", uuidURL, "application/json", `{}`, 502, "application/json",
			`{"error":{"message":"m","request_id":"r"}}`, false},
		{"invoke bad media type", "POST", uuidURL, "application/octet-stream", `xx`, 415, "application/json",
			`{"error":{"code":"unsupported_media_type","message":"m","request_id":"r"}}`, false},

		{"function with settings", "GET", fnURL, "", "", 200, "application/json",
			strings.Replace(fnJSON, `"auth":"public","limits":{}`, `"auth":"apikey","limits":{"rate":20,"burst":40,"concurrency":4}`, 1), true},
		{"function with an unknown auth mode", "GET", fnURL, "", "", 200, "application/json",
			strings.Replace(fnJSON, `"auth":"public"`, `"auth":"none"`, 1), false},
		{"function without settings", "GET", fnURL, "", "", 200, "application/json",
			strings.Replace(fnJSON, `"auth":"public","limits":{},`, ``, 1), false},
		{"settings only", "PUT", fnURL, "application/json", `{"auth":"jwt","limits":{"rate":5}}`, 200, "application/json", fnJSON, true},
		{"limits with an unknown field", "PUT", fnURL, "application/json", `{"limits":{"qps":5}}`, 200, "application/json", fnJSON, false},

		{"create tenant", "POST", "/v1/tenants", "application/json", `{"id":"acme","name":"Acme","limits":{"rate":100,"cpu_ms":500}}`, 201, "application/json", tenantJSON, true},
		{"tenant with a bad id", "POST", "/v1/tenants", "application/json", `{"id":"acme"}`, 201, "application/json",
			strings.Replace(tenantJSON, `"id":"acme"`, `"id":"Not OK"`, 1), false},
		{"tenant request with an unknown field", "POST", "/v1/tenants", "application/json", `{"id":"acme","plan":"gold"}`, 201, "application/json", tenantJSON, false},
		{"tenant exists", "POST", "/v1/tenants", "application/json", `{"id":"acme"}`, 409, "application/json",
			`{"error":{"code":"tenant_exists","message":"m","request_id":"r"}}`, true},
		{"list tenants", "GET", "/v1/tenants", "", "", 200, "application/json", `{"tenants":[` + tenantJSON + `]}`, true},
		{"tenant with jwt settings", "GET", "/v1/tenants/acme", "", "", 200, "application/json",
			strings.Replace(tenantJSON, `"limits":{"rate":100}`, `"limits":{},"jwt":{"keys":[{"alg":"HS256","secret":"(set)"}],"audience":["api"]}`, 1), true},
		{"set jwt settings", "PATCH", "/v1/tenants/acme", "application/json",
			`{"jwt":{"keys":[{"kid":"k1","alg":"ES256","pem":"-----BEGIN PUBLIC KEY-----"}],"issuer":"https://idp.example","leeway_seconds":10}}`, 200, "application/json", tenantJSON, true},
		{"remove jwt settings", "PATCH", "/v1/tenants/acme", "application/json", `{"jwt":null}`, 200, "application/json", tenantJSON, true},
		{"set runs retention", "PATCH", "/v1/tenants/acme", "application/json", `{"runs_retention":{"max_count":5000,"max_age":"30d"}}`, 200, "application/json",
			strings.Replace(tenantJSON, `"limits":{"rate":100}`, `"limits":{"rate":100},"runs_retention":{"max_count":5000,"max_age":"30d"}`, 1), true},
		{"runs retention in hours", "PATCH", "/v1/tenants/acme", "application/json", `{"runs_retention":{"max_age":"36h"}}`, 200, "application/json",
			strings.Replace(tenantJSON, `"limits":{"rate":100}`, `"limits":{"rate":100},"runs_retention":{}`, 1), true},
		{"runs retention of a bad age", "PATCH", "/v1/tenants/acme", "application/json", `{"runs_retention":{"max_age":"a week"}}`, 200, "application/json", tenantJSON, false},
		{"runs retention with an unknown field", "PATCH", "/v1/tenants/acme", "application/json", `{"runs_retention":{"max_runs":5}}`, 200, "application/json", tenantJSON, false},
		{"jwt with an unknown algorithm", "PATCH", "/v1/tenants/acme", "application/json", `{"jwt":{"keys":[{"alg":"none"}]}}`, 200, "application/json", tenantJSON, false},
		{"unknown tenant", "GET", "/v1/tenants/nobody", "", "", 404, "application/json",
			`{"error":{"code":"tenant_not_found","message":"m","request_id":"r"}}`, true},
		{"create key", "POST", "/v1/tenants/acme/keys", "application/json", `{"name":"ci","scopes":["functions:write"]}`, 201, "application/json",
			strings.TrimSuffix(keyJSON, "}") + `,"secret":"sfk_0123456789abcdefghijklmnopqrstuv"}`, true},
		{"key with an unknown scope", "POST", "/v1/tenants/acme/keys", "application/json", `{"name":"ci","scopes":["root"]}`, 201, "application/json",
			strings.TrimSuffix(keyJSON, "}") + `,"secret":"sfk_0123456789abcdefghijklmnopqrstuv"}`, false},
		{"list keys", "GET", "/v1/tenants/acme/keys", "", "", 200, "application/json",
			`{"keys":[` + strings.TrimSuffix(keyJSON, "}") + `,"last_used_at":"2026-11-24T11:00:00Z","revoked_at":"2026-11-24T12:00:00Z"}]}`, true},
		{"a key list that shows a hash", "GET", "/v1/tenants/acme/keys", "", "", 200, "application/json",
			`{"keys":[` + strings.TrimSuffix(keyJSON, "}") + `,"hash":"abc"}]}`, false},
		{"revoke key", "DELETE", "/v1/tenants/acme/keys/key_abc", "", "", 204, "", "", true},

		{"invoke without a credential", "POST", uuidURL, "application/json", `{}`, 401, "application/json",
			`{"error":{"code":"unauthorized","message":"m","request_id":"r"}}`, true},
		{"invoke with another tenant's key", "POST", uuidURL, "application/json", `{}`, 403, "application/json",
			`{"error":{"code":"forbidden","message":"m","request_id":"r"}}`, true},
		{"invoke over a limit", "POST", uuidURL, "application/json", `{}`, 429, "application/json",
			`{"error":{"code":"rate_limited","message":"m","request_id":"r"}}`, true},

		{"health", "GET", "/healthz", "", "", 200, "application/json", `{"status":"ok"}`, true},
		{"ready", "GET", "/readyz", "", "", 200, "application/json", `{"status":"ready"}`, true},
		{"not ready", "GET", "/readyz", "", "", 503, "application/json", `{"error":{"code":"not_ready","message":"m","request_id":"r"}}`, true},
		{"metrics", "GET", "/metrics", "", "", 200, "text/plain", "# HELP x y\nx 1\n", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader
			if c.reqBody != "" {
				body = strings.NewReader(c.reqBody)
			}
			req := httptest.NewRequest(c.method, "http://gw.example"+c.url, body)
			if c.reqType != "" {
				req.Header.Set("Content-Type", c.reqType)
			}
			if strings.HasPrefix(c.url, "/v1/functions") || strings.HasPrefix(c.url, "/v1/runs") || strings.HasPrefix(c.url, "/v1/dead-letters") || strings.HasPrefix(c.url, "/v1/callback-secret") || strings.HasPrefix(c.url, "/v1/tenants") {
				req.Header.Set("Authorization", "Bearer sk_test")
			}
			resp := &http.Response{
				StatusCode: c.status,
				Header:     http.Header{"X-Request-Id": {"r1"}},
				Body:       io.NopCloser(strings.NewReader(c.respBody)),
				Request:    req,
			}
			if c.respType != "" {
				resp.Header.Set("Content-Type", c.respType)
			}
			switch c.status {
			case http.StatusUnauthorized:
				resp.Header.Set("WWW-Authenticate", `Bearer realm="scriptforge"`)
			case http.StatusForbidden:
				resp.Header.Set("WWW-Authenticate", `Bearer realm="scriptforge", error="insufficient_scope", scope="functions:invoke"`)
			case http.StatusTooManyRequests:
				resp.Header.Set("Retry-After", "1")
				resp.Header.Set("RateLimit-Policy", `"function";q=40;w=2`)
				resp.Header.Set("RateLimit", `"function";r=0;t=1`)
			}
			ok, es := v.ValidateHttpRequestResponse(req, resp)
			switch {
			case c.wantValid && !ok:
				t.Errorf("%s %s -> %d rejected:%s", c.method, c.url, c.status, errs(es))
			case !c.wantValid && ok:
				t.Errorf("%s %s -> %d accepted; the schema should reject it", c.method, c.url, c.status)
			}
		})
	}
}
