package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

const orderInput = `{
  "type": "object",
  "required": ["sku", "qty"],
  "properties": {
    "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"},
    "qty": {"type": "integer", "minimum": 1},
    "ship": {"$ref": "#/$defs/address"}
  },
  "additionalProperties": false,
  "$defs": {"address": {"type": "object", "required": ["zip"], "properties": {"zip": {"type": "string"}}}}
}`

const orderOutput = `{"type": "object", "required": ["total"], "properties": {"total": {"type": "number"}, "lines": {"type": "array", "items": {"type": "string"}}}}`

// failures returns "pointer keyword" of each failure in an answer's
// error.details, sorted.
func failuresOf(t *testing.T, r response) []string {
	t.Helper()
	e := r.json(t)["error"].(map[string]any)
	d, _ := e["details"].(map[string]any)
	list, _ := d["failures"].([]any)
	var out []string
	for _, f := range list {
		m := f.(map[string]any)
		out = append(out, m["pointer"].(string)+" "+m["keyword"].(string))
	}
	sort.Strings(out)
	return out
}

// TestContracts: a function with input and output schemas, over HTTP
// against the real server: valid input runs, invalid input is a 400 that
// lists every failing pointer (and never runs), a result that breaks
// the output schema is a 500 bad_output recorded as such, and the
// settings are shown, changed and removed through the admin API.
func TestContracts(t *testing.T) {
	s := startServer(t, t.TempDir())
	src := `function main(d) {
  console.log("ran", d.sku || "");
  if (d.sku === "BAD-1") return {total: "twelve", lines: [1]};
  return {total: d.qty * 2.5, lines: [d.sku]};
}`
	r := s.admin("POST", "/v1/functions", map[string]any{"name": "orders", "source": src,
		"input_schema": json.RawMessage(orderInput), "output_schema": json.RawMessage(orderOutput)})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	fn := r.json(t)
	id, u := fn["id"].(string), fn["uuid"].(string)
	if in, _ := fn["input_schema"].(map[string]any); in["type"] != "object" || fn["output_schema"] == nil {
		t.Fatalf("the answer does not show the schemas: %s", r.body)
	}
	jsonHdr := map[string]string{"Content-Type": "application/json"}

	ok := s.do("POST", "/v1/fn/"+u, `{"sku":"ABC-1","qty":4,"ship":{"zip":"10115"}}`, jsonHdr)
	if ok.status != 200 || string(ok.body) != `{"total":10,"lines":["ABC-1"]}` {
		t.Fatalf("valid input: %d %s", ok.status, ok.body)
	}

	bad := s.do("POST", "/v1/fn/"+u, `{"sku":"abc","qty":0,"ship":{},"extra":1}`, jsonHdr)
	want := []string{" additionalProperties", "/qty minimum", "/ship required", "/sku pattern"}
	if bad.status != http.StatusBadRequest || bad.errorCode(t) != "invalid_input" || strings.Join(failuresOf(t, bad), ",") != strings.Join(want, ",") {
		t.Fatalf("invalid input: %d %s, want failures %q", bad.status, bad.body, want)
	}
	if msg := bad.json(t)["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "/qty") || !strings.Contains(msg, "input_schema") {
		t.Fatalf("message %q does not say what failed", msg)
	}
	// GET: the query is the data, strings, so qty fails its type.
	get := s.do("GET", "/v1/fn/"+u+"?sku=ABC-1&qty=2", nil, nil)
	if get.status != http.StatusBadRequest || strings.Join(failuresOf(t, get), ",") != "/qty type" {
		t.Fatalf("GET: %d %s", get.status, get.body)
	}

	out := s.do("POST", "/v1/fn/"+u, `{"sku":"BAD-1","qty":1}`, jsonHdr)
	if out.status != 500 || out.errorCode(t) != "bad_output" || strings.Join(failuresOf(t, out), ",") != "/lines/0 type,/total type" {
		t.Fatalf("bad output: %d %s", out.status, out.body)
	}
	msg := out.json(t)["error"].(map[string]any)["message"].(string)
	if !strings.Contains(msg, "output_schema") || !strings.Contains(msg, "/total") {
		t.Fatalf("bad_output message %q", msg)
	}
	run := waitRun(t, s, out.header.Get("X-Request-Id"))
	if run["error_code"] != "bad_output" || run["status"].(float64) != 500 || !strings.Contains(run["error"].(string), "/total") {
		t.Fatalf("run record of the bad output: %v", run)
	}
	if logs, _ := run["logs"].([]any); len(logs) != 1 {
		t.Fatalf("the run record lost the run's logs: %v", run)
	}
	// The invalid input never ran: no run record under its id.
	if r := s.admin("GET", "/v1/runs/"+bad.header.Get("X-Request-Id"), nil); r.status != http.StatusNotFound {
		t.Fatalf("invalid input left a run record: %d %s", r.status, r.body)
	}

	// A PUT without the schemas keeps them; null removes one.
	if r := s.admin("PUT", "/v1/functions/"+id, map[string]any{"auth": "public"}); r.status != 200 || r.json(t)["input_schema"] == nil {
		t.Fatalf("PUT without schemas: %d %s", r.status, r.body)
	}
	r = s.admin("PUT", "/v1/functions/"+id, map[string]any{"input_schema": nil})
	if r.status != 200 || r.json(t)["input_schema"] != nil || r.json(t)["output_schema"] == nil {
		t.Fatalf("PUT null: %d %s", r.status, r.body)
	}
	if r := s.do("POST", "/v1/fn/"+u, `{"sku":"x","qty":3}`, jsonHdr); r.status != 200 {
		t.Fatalf("after removing the input schema: %d %s", r.status, r.body)
	}
	if g := s.admin("GET", "/v1/functions/"+id, nil); g.json(t)["output_schema"] == nil || g.json(t)["input_schema"] != nil {
		t.Fatalf("GET: %s", g.body)
	}
}

func waitRun(t *testing.T, s *server, rid string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := s.admin("GET", "/v1/runs/"+rid, nil)
		if r.status == 200 {
			return r.json(t)
		}
		if time.Now().After(deadline) {
			t.Fatalf("run record %s never appeared: %d %s", rid, r.status, r.body)
		}
	}
}

// TestHostileSchemas: schemas that would loop, fetch, or cost without
// bound are refused when set, 422 invalid_schema naming the problem.
func TestHostileSchemas(t *testing.T) {
	s := startServer(t, t.TempDir())
	// Each level tries two branches that both look at the same value: 2^40
	// evaluations even for a small value, so the probe at set time stops.
	explosive := `{"$defs":{"l0":{"type":"string","minLength":5}`
	for i := 1; i <= 40; i++ {
		explosive += fmt.Sprintf(`,"l%d":{"anyOf":[{"$ref":"#/$defs/l%d"},{"$ref":"#/$defs/l%d"}]}`, i, i-1, i-1)
	}
	explosive += `},"$ref":"#/$defs/l40"}`
	deep := `{"type":"string"}`
	for range 100 {
		deep = `{"allOf":[` + deep + `]}`
	}
	tests := []struct {
		name   string
		schema string
		want   string
	}{
		{"ref loop", `{"$ref":"#"}`, "$ref loop"},
		{"remote ref", `{"$ref":"http://127.0.0.1:9/s.json"}`, "may not refer to other documents"},
		{"file ref", `{"$ref":"file:///etc/passwd"}`, "may not refer to other documents"},
		{"bad pattern", `{"pattern":"(?<"}`, "pattern"},
		{"huge pattern", `{"pattern":"` + strings.Repeat("(x{1000})", 5000) + `"}`, "pattern"},
		{"deep allOf", deep, "nests"},
		{"not a schema", `"string"`, "object or a boolean"},
		{"huge schema", `{"enum":["` + strings.Repeat("x", 70_000) + `"]}`, "the limit is 65536"},
		{"exponential anyOf", explosive, "budget"},
		{"bad type", `{"type":"text"}`, "type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, field := range []string{"input_schema", "output_schema"} {
				r := s.admin("POST", "/v1/functions", map[string]any{"name": "hostile", "source": "function main(){return 1}",
					field: json.RawMessage(tt.schema)})
				if r.status != http.StatusUnprocessableEntity || r.errorCode(t) != "invalid_schema" {
					t.Fatalf("%s: %d %s", field, r.status, r.body)
				}
				d := r.json(t)["error"].(map[string]any)["details"].(map[string]any)
				if d["field"] != field || !strings.Contains(d["problem"].(string), tt.want) {
					t.Fatalf("%s: details %v, want a problem saying %q", field, d, tt.want)
				}
			}
		})
	}
	// Nothing was created along the way.
	if r := s.admin("GET", "/v1/functions", nil); strings.Contains(string(r.body), "hostile") {
		t.Fatalf("a refused function was created: %s", r.body)
	}
}

// TestFunctionOpenAPIDocument: GET /v1/fn/{uuid}/openapi.json describes
// the function (its path, schemas and auth) for whoever may invoke it.
func TestFunctionOpenAPIDocument(t *testing.T) {
	s := startServer(t, t.TempDir())
	pub := s.deployWith(map[string]any{"name": "orders", "source": "function main(d){return {total: 1}}",
		"input_schema": json.RawMessage(orderInput), "output_schema": json.RawMessage(orderOutput)})
	r := s.do("GET", "/v1/fn/"+pub+"/openapi.json", nil, nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("public: %d %s", r.status, r.body)
	}
	doc := r.json(t)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	if _, ok := paths["/v1/fn/"+pub].(map[string]any)["post"]; !ok {
		t.Fatalf("paths %v", paths)
	}
	if servers := doc["servers"].([]any); servers[0].(map[string]any)["url"] != s.url {
		t.Fatalf("servers %v, want %s", servers, s.url)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	in := schemas["Input"].(map[string]any)
	ship := in["properties"].(map[string]any)["ship"].(map[string]any)
	if ship["$ref"] != "#/components/schemas/Input_address" || schemas["Input_address"] == nil || schemas["Output"].(map[string]any)["required"] == nil {
		t.Fatalf("schemas %v", schemas)
	}
	if _, secured := doc["security"]; secured {
		t.Fatal("a public function's document asks for credentials")
	}

	// An apikey function's document needs the same key as a call.
	keyed := s.deployWith(map[string]any{"name": "keyed", "type": "app", "auth": "apikey", "source": "export function main(){return 1}"})
	if r := s.do("GET", "/v1/fn/"+keyed+"/openapi.json", nil, nil); r.status != http.StatusUnauthorized || r.errorCode(t) != "unauthorized" {
		t.Fatalf("apikey without a key: %d %s", r.status, r.body)
	}
	r = s.do("GET", "/v1/fn/"+keyed+"/openapi.json", nil, map[string]string{"Authorization": "Bearer " + adminKey})
	if r.status != 200 {
		t.Fatalf("apikey with a key: %d %s", r.status, r.body)
	}
	doc = r.json(t)
	if _, ok := doc["paths"].(map[string]any)["/v1/fn/"+keyed+"/{export}"]; !ok || doc["security"] == nil {
		t.Fatalf("an app with apikey auth: %s", r.body)
	}
	if r := s.do("GET", "/v1/fn/00000000-0000-4000-8000-000000000000/openapi.json", nil, nil); r.status != http.StatusNotFound {
		t.Fatalf("unknown uuid: %d", r.status)
	}
}

// TestValidationBudget: a schema that is cheap on small values but
// doubles its work per level of a nested value passes when set, and a
// deep value is stopped at the validation budget (400 input_too_costly)
// instead of running 2^depth evaluations; the function never runs.
func TestValidationBudget(t *testing.T) {
	s := startServer(t, t.TempDir())
	explode := `{"$defs":{"n":{"anyOf":[{"type":"array","items":{"$ref":"#/$defs/n"},"minItems":2},{"type":"array","items":{"$ref":"#/$defs/n"}}]}},"$ref":"#/$defs/n"}`
	u := s.deployWith(map[string]any{"name": "nested", "source": "function main(d){return 1}", "input_schema": json.RawMessage(explode)})
	if r := s.do("POST", "/v1/fn/"+u, `[[[]]]`, map[string]string{"Content-Type": "application/json"}); r.status != 200 {
		t.Fatalf("a shallow value: %d %s", r.status, r.body)
	}
	deep := strings.Repeat("[", 60) + strings.Repeat("]", 60)
	start := time.Now()
	r := s.do("POST", "/v1/fn/"+u, deep, map[string]string{"Content-Type": "application/json"})
	if r.status != http.StatusBadRequest || r.errorCode(t) != "input_too_costly" {
		t.Fatalf("a deep value: %d %s", r.status, r.body)
	}
	if d := time.Since(start); d > 15*time.Second { // 2^60 evaluations would take years; generous for loaded -race runs
		t.Fatalf("stopping the validation took %s", d)
	}
}
