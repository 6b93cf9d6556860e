package gateway_test

import (
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions/sandbox"
	"github.com/scriptforge/scriptforge/gateway"
)

// The quarantine through the API: a bomb that kills its sandbox twice
// shows a quarantine object and is refused with 503 quarantined and
// Retry-After (this pool has no quarantine sandboxes); /metrics counts it;
// only the operator may lift it.
func TestQuarantineAPI(t *testing.T) {
	var pool *sandbox.Pool
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(cfg *gateway.Config) {
		pool = sandbox.New(sandbox.Config{Size: 1, MemoryMB: 128, QuarantineSandboxes: -1,
			Env:     []string{childEnv + "=128"},
			Command: func() *exec.Cmd { return exec.Command(os.Args[0], "-test.run=^$") }})
		if err := pool.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		cfg.Executor, cfg.Quarantine = pool, pool
	})
	r := s.admin("POST", "/v1/functions", map[string]any{"name": "bomb", "type": "script", "memory_mb": 1024,
		"source": `function main() { return "x".repeat(450e6).length }`})
	if r.status != 201 {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	bombID, bomb := r.json(t)["id"].(string), r.json(t)["uuid"].(string)
	steadyID, steady := s.deploy("steady", "script", `function main(d) { return {ok: d.n} }`)

	for i := 0; i < 2; i++ {
		if r := s.do("POST", "/v1/fn/"+bomb, nil, nil); r.status != 503 || r.errorCode(t) != "memory_limit" {
			t.Fatalf("bomb %d: %d %s", i, r.status, r.body)
		}
		if n := s.do("POST", "/v1/fn/"+steady, `{"n":1}`, map[string]string{"Content-Type": "application/json"}); n.status != 200 {
			t.Fatalf("neighbour after bomb %d: %d %s", i, n.status, n.body)
		}
	}
	r = s.do("POST", "/v1/fn/"+bomb, nil, nil)
	if r.status != 503 || r.errorCode(t) != "quarantined" || !strings.Contains(string(r.body), "quarantined until") {
		t.Fatalf("bomb in quarantine: %d %s", r.status, r.body)
	}
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 50 || ra > 60 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}

	f := s.admin("GET", "/v1/functions/"+bombID, nil).json(t)
	q, _ := f["quarantine"].(map[string]any)
	since, _ := time.Parse(time.RFC3339Nano, q["since"].(string))
	until, _ := time.Parse(time.RFC3339Nano, q["until"].(string))
	if q["offences"] != 2.0 || until.Sub(since) != time.Minute || !strings.Contains(q["reason"].(string), "out of memory") {
		t.Fatalf("quarantine: %v", f["quarantine"])
	}
	if f := s.admin("GET", "/v1/functions/"+steadyID, nil).json(t); f["quarantine"] != nil {
		t.Fatalf("the neighbour shows a quarantine: %v", f["quarantine"])
	}
	metrics := func() string { return string(s.do("GET", "/metrics", nil, nil).body) }
	for _, want := range []string{"scriptforge_quarantined_functions 1", "scriptforge_quarantines_total 1", `scriptforge_invocations_total{outcome="quarantined"} 1`} {
		if m := metrics(); !strings.Contains(m, want) {
			t.Fatalf("metrics lack %q:\n%s", want, grep(m, "quarantin"))
		}
	}

	// Only the operator lifts it: not a tenant's admin, not a default-tenant key without admin.
	if r := s.admin("POST", "/v1/tenants", map[string]any{"id": "acme"}); r.status != 201 {
		t.Fatalf("tenant: %d %s", r.status, r.body)
	}
	for _, key := range []string{s.newKey("acme", "admin"), s.newKey("default", "functions:write", "functions:read")} {
		if r := s.as(key, "DELETE", "/v1/functions/"+bombID+"/quarantine", nil); r.status != http.StatusForbidden || r.errorCode(t) != "forbidden" {
			t.Fatalf("lift by a non-operator: %d %s", r.status, r.body)
		}
	}
	if r := s.admin("DELETE", "/v1/functions/"+bombID+"/quarantine", nil); r.status != http.StatusNoContent {
		t.Fatalf("lift: %d %s", r.status, r.body)
	}
	if f := s.admin("GET", "/v1/functions/"+bombID, nil).json(t); f["quarantine"] != nil {
		t.Fatalf("still quarantined: %v", f["quarantine"])
	}
	if m := metrics(); !strings.Contains(m, "scriptforge_quarantined_functions 0") || !strings.Contains(m, "scriptforge_quarantines_total 1") {
		t.Fatalf("metrics after the lift:\n%s", grep(m, "quarantin"))
	}
	for _, id := range []string{bombID, steadyID, "fn_nope"} {
		if r := s.admin("DELETE", "/v1/functions/"+id+"/quarantine", nil); r.status != 404 || r.errorCode(t) != "not_quarantined" {
			t.Fatalf("lift of %s, not quarantined: %d %s", id, r.status, r.body)
		}
	}
	// Lifted, it runs on the shared sandbox again (and kills it: one kill is no quarantine).
	if r := s.do("POST", "/v1/fn/"+bomb, nil, nil); r.status != 503 || r.errorCode(t) != "memory_limit" {
		t.Fatalf("bomb after the lift: %d %s", r.status, r.body)
	}
	if _, in := pool.Quarantined(bombID); in {
		t.Fatal("quarantined again after one kill")
	}
}

// In process there is no sandbox pool, hence no quarantine: nothing to
// show, nothing to lift.
func TestNoQuarantineInProcess(t *testing.T) {
	s := startServer(t, t.TempDir())
	id, _ := s.deploy("f", "script", `function main() { return 1 }`)
	if f := s.admin("GET", "/v1/functions/"+id, nil).json(t); f["quarantine"] != nil {
		t.Fatalf("quarantine in process: %v", f["quarantine"])
	}
	if r := s.admin("DELETE", "/v1/functions/"+id+"/quarantine", nil); r.status != 404 || r.errorCode(t) != "not_quarantined" {
		t.Fatalf("lift: %d %s", r.status, r.body)
	}
	if m := string(s.do("GET", "/metrics", nil, nil).body); strings.Contains(m, "scriptforge_quarantine") {
		t.Fatalf("quarantine metrics in process:\n%s", grep(m, "quarantin"))
	}
}

// grep keeps the lines of s that match pattern.
func grep(s, pattern string) string {
	re := regexp.MustCompile(pattern)
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if re.MatchString(line) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
