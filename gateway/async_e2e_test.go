package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions/backend"
	"github.com/scriptforge/scriptforge/functions/queue"
	"github.com/scriptforge/scriptforge/gateway"
)

// asyncServer starts a gateway with the store's queue of async runs; with
// work, its workers run until the test ends.
func asyncServer(t *testing.T, work bool, cfg gateway.AsyncConfig) *server {
	t.Helper()
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
		c.Queue, c.Async = c.Store.(backend.Backend).Queue(), cfg
	})
	if work {
		s.startWorkers()
	}
	return s
}

func (s *server) startWorkers() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.gw.RunAsync(ctx); close(done) }()
	s.t.Cleanup(func() { cancel(); <-done }) // before the server stops: cleanups run last first
}

// queueBackoff retries at once, nearly.
var queueBackoff = queue.Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}

var preferAsync = map[string]string{"Prefer": "respond-async", "Content-Type": "application/json"}

// accept calls uuid asynchronously and checks the 202.
func (s *server) accept(uuid, body string, headers map[string]string) string {
	s.t.Helper()
	h := map[string]string{}
	for k, v := range preferAsync {
		h[k] = v
	}
	for k, v := range headers {
		h[k] = v
	}
	r := s.do("POST", "/v1/fn/"+uuid, body, h)
	if r.status != http.StatusAccepted {
		s.t.Fatalf("async call: %d %s", r.status, r.body)
	}
	m := r.json(s.t)
	id, _ := m["request_id"].(string)
	if id == "" || (m["status"] != "queued" && headers["Idempotency-Key"] == "") || r.header.Get("Location") != "/v1/runs/"+id ||
		r.header.Get("Preference-Applied") != "respond-async" || r.header.Get("Retry-After") == "" {
		s.t.Fatalf("202 without its parts: %v %s", r.header, r.body)
	}
	return id
}

// waitRun polls GET /v1/runs/{id} until the run is in state want.
func (s *server) waitRun(id, want string) map[string]any {
	s.t.Helper()
	var m map[string]any
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r := s.admin("GET", "/v1/runs/"+id, nil)
		if r.status != http.StatusOK {
			s.t.Fatalf("GET run: %d %s", r.status, r.body)
		}
		m = r.json(s.t)
		if m["status"] == want {
			return m
		}
	}
	s.t.Fatalf("run %s did not become %s: %v", id, want, m)
	return nil
}

func TestAsyncRunSucceeds(t *testing.T) {
	s := asyncServer(t, true, gateway.AsyncConfig{})
	_, uuid := s.deploy("double", "script", `function main(d, ctx) { return {x: d.x * 2, trigger: ctx.trigger, h: ctx.request.headers["x-tag"]} }`)
	id := s.accept(uuid, `{"x": 21}`, map[string]string{"X-Tag": "t1"})
	m := s.waitRun(id, "succeeded")
	res, _ := m["result"].(map[string]any)
	if res["x"] != 42.0 || res["h"] != "t1" || m["attempts"] != 1.0 || m["trigger"] != "async" || m["finished_at"] == nil {
		t.Fatalf("run: %v", m)
	}
	// The run record is kept too, with the trigger async.
	runs := s.waitRuns(adminKey, "/v1/runs?trigger=async", 1)
	if runs[0].RequestID != id {
		t.Fatalf("run records: %+v", runs)
	}

	// The same Idempotency-Key is the same run.
	a := s.accept(uuid, `{"x": 1}`, map[string]string{"Idempotency-Key": "k1"})
	if b := s.accept(uuid, `{"x": 2}`, map[string]string{"Idempotency-Key": "k1"}); a != b {
		t.Fatalf("one key, two runs: %s, %s", a, b)
	}

	// Refused before anything is queued: an unknown function, bad JSON,
	// a callback URL (not delivered yet).
	for _, tc := range []struct {
		name, path, body string
		headers          map[string]string
		status           int
		code             string
	}{
		{"unknown function", "/v1/fn/00000000-0000-4000-8000-000000000000", `{}`, nil, 404, "not_found"},
		{"bad JSON", "/v1/fn/" + uuid, `{`, nil, 400, "invalid_json"},
	} {
		h := map[string]string{"Prefer": "respond-async", "Content-Type": "application/json"}
		for k, v := range tc.headers {
			h[k] = v
		}
		r := s.do("POST", tc.path, tc.body, h)
		if r.status != tc.status || r.errorCode(t) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
		}
	}
}

// TestAsyncBackpressure: past the tenant's depth a 429, past the
// gateway's a 503, both with Retry-After; nothing drains (no workers).
func TestAsyncBackpressure(t *testing.T) {
	s := asyncServer(t, false, gateway.AsyncConfig{MaxTenantDepth: 2, MaxDepth: 3})
	_, mine := s.deploy("slow", "script", `function main(d) { return d }`)
	other := s.createFor("t_other", "other", `function main(d) { return d }`)
	steps := []struct {
		uuid   string
		status int
	}{
		{mine, 202}, {mine, 202}, {mine, 429}, {other, 202}, {other, 503},
	}
	for i, st := range steps {
		r := s.do("POST", "/v1/fn/"+st.uuid, `{}`, preferAsync)
		if r.status != st.status {
			t.Fatalf("call %d: %d %s, want %d", i, r.status, r.body, st.status)
		}
		if st.status != 202 {
			if r.errorCode(t) != "queue_full" {
				t.Fatalf("call %d: %s", i, r.body)
			}
			if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
				t.Fatalf("call %d: Retry-After %q", i, r.header.Get("Retry-After"))
			}
		}
	}
}

// TestAsyncCancelQueued: DELETE ends a queued run; once workers start it
// is never run.
func TestAsyncCancelQueued(t *testing.T) {
	s := asyncServer(t, false, gateway.AsyncConfig{})
	_, uuid := s.deploy("f", "script", `function main(d) { return d }`)
	id := s.accept(uuid, `{}`, nil)
	r := s.admin("DELETE", "/v1/runs/"+id, nil)
	if r.status != 200 || r.json(t)["status"] != "cancelled" {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if r := s.admin("DELETE", "/v1/runs/"+id, nil); r.status != 200 || r.json(t)["status"] != "cancelled" { // the same answer
		t.Fatalf("cancel twice: %d %s", r.status, r.body)
	}
	later := s.accept(uuid, `{}`, nil)
	s.startWorkers()
	s.waitRun(later, "succeeded")
	if m := s.waitRun(id, "cancelled"); m["attempts"] != 0.0 {
		t.Fatalf("a cancelled run ran: %v", m)
	}
}

// TestAsyncCancelRunning: DELETE stops a run in progress; it ends cancelled.
func TestAsyncCancelRunning(t *testing.T) {
	s := asyncServer(t, true, gateway.AsyncConfig{})
	uuid := s.deployWith(map[string]any{"name": "spin", "source": `function main(d) { while (true) {} }`, "timeout_ms": 5000})
	id := s.accept(uuid, `{}`, nil)
	s.waitRun(id, "running")
	if r := s.admin("DELETE", "/v1/runs/"+id, nil); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	s.waitRun(id, "cancelled")
}

// TestAsyncRetriedToDead: a function that keeps failing is tried
// MaxAttempts times, then dead with every attempt's error.
func TestAsyncRetriedToDead(t *testing.T) {
	s := asyncServer(t, true, gateway.AsyncConfig{MaxAttempts: 3, Backoff: queueBackoff})
	fn, uuid := s.deploy("boom", "script", `function main(d) { if (!process.env.FIXED) throw new Error("boom"); return {fixed: true} }`)
	id := s.accept(uuid, `{}`, nil)
	m := s.waitRun(id, "dead")
	errs, _ := m["errors"].([]any)
	if m["attempts"] != 3.0 || len(errs) != 3 {
		t.Fatalf("dead run: %v", m)
	}
	// Each attempt has its run record.
	for _, rec := range []string{id, id + "-attempt-2", id + "-attempt-3"} {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			r := s.admin("GET", "/v1/runs/"+rec, nil)
			if r.status == 200 && (rec == id || r.json(t)["status"] == 500.0) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run record %s: %d %s", rec, r.status, r.body)
			}
		}
	}
	others := []string{s.accept(uuid, `{}`, nil), s.accept(uuid, `{}`, nil)}
	for _, o := range others {
		s.waitRun(o, "dead")
	}
	r := s.admin("GET", "/v1/dead-letters", nil)
	var list struct {
		Runs []struct {
			RequestID string `json:"request_id"`
			Errors    []any  `json:"errors"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(r.body, &list); err != nil || r.status != 200 || len(list.Runs) != 3 || len(list.Runs[0].Errors) != 3 {
		t.Fatalf("dead letters: %d %s", r.status, r.body)
	}

	// Bad requests: a run that is not dead, one that does not exist, a bad limit.
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"POST", "/v1/dead-letters/nope/redrive", 404, "not_found"},
		{"DELETE", "/v1/dead-letters/nope", 404, "not_found"},
		{"GET", "/v1/dead-letters?limit=0", 400, "invalid_parameter"},
	} {
		if r := s.admin(tc.method, tc.path, nil); r.status != tc.status || r.errorCode(t) != tc.code {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
		}
	}

	// Mended, one run is redriven to success, one discarded, the rest
	// redriven all at once.
	if r := s.admin("PUT", "/v1/functions/"+fn, map[string]any{"env": map[string]any{"FIXED": "1"}}); r.status != 200 {
		t.Fatalf("fix: %d %s", r.status, r.body)
	}
	if r := s.admin("POST", "/v1/dead-letters/"+id+"/redrive", nil); r.status != 200 {
		t.Fatalf("redrive: %d %s", r.status, r.body)
	}
	if m := s.waitRun(id, "succeeded"); m["result"].(map[string]any)["fixed"] != true {
		t.Fatalf("redriven: %v", m)
	}
	if r := s.admin("POST", "/v1/dead-letters/"+id+"/redrive", nil); r.status != http.StatusConflict || r.errorCode(t) != "not_dead" {
		t.Fatalf("redrive a run that succeeded: %d %s", r.status, r.body)
	}
	if r := s.admin("DELETE", "/v1/dead-letters/"+others[0], nil); r.status != http.StatusNoContent {
		t.Fatalf("discard: %d %s", r.status, r.body)
	}
	// Its run record stays (the first attempt's); the queue forgets it.
	// Records are written up to runFlushEvery after a run: on a fast
	// store all of the above can take less.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r := s.admin("GET", "/v1/runs/"+others[0], nil)
		if r.status == 200 && r.json(t)["status"] == 500.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a discarded run: %d %s", r.status, r.body)
		}
	}
	r = s.admin("POST", "/v1/dead-letters/redrive", nil)
	if r.status != 200 || r.json(t)["redriven"] != 1.0 {
		t.Fatalf("redrive all: %d %s", r.status, r.body)
	}
	s.waitRun(others[1], "succeeded")
}

// TestAsyncKeepsInteractiveShare: with a tenant cap of 2 and half of it
// for async work, three slow async runs go one at a time, and a call made
// meanwhile gets the other slot at once instead of waiting behind them.
func TestAsyncKeepsInteractiveShare(t *testing.T) {
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
		c.Queue, c.Async = c.Store.(backend.Backend).Queue(), gateway.AsyncConfig{Workers: 3, Poll: 20 * time.Millisecond}
		c.Usage.TenantConcurrency = 2
	})
	s.startWorkers()
	slow := s.deployWith(map[string]any{"name": "slow", "type": "app", "timeout_ms": 5000,
		"source": `export async function main() { await new Promise(r => setTimeout(r, 600)); return 1 }`})
	_, fast := s.deploy("fast", "script", `function main() { return 2 }`)
	ids := []string{s.accept(slow, `{}`, nil), s.accept(slow, `{}`, nil), s.accept(slow, `{}`, nil)}
	s.waitRun(ids[0], "running")
	began := time.Now()
	if r := s.do("POST", "/v1/fn/"+fast, `{}`, nil); r.status != 200 {
		t.Fatalf("interactive call: %d %s", r.status, r.body)
	}
	if d := time.Since(began); d > 300*time.Millisecond {
		t.Fatalf("the interactive call waited %v behind async runs", d)
	}
	for _, id := range ids {
		if m := s.waitRun(id, "succeeded"); m["attempts"] != 1.0 {
			t.Fatalf("a run given back counted an attempt: %v", m)
		}
	}
	// One at a time: by their run records, none began before the one
	// before it ended.
	s.waitRuns(adminKey, "/v1/runs?trigger=async", 3)
	var page struct {
		Runs []struct {
			StartedAt  time.Time `json:"started_at"`
			DurationUS int64     `json:"duration_us"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(s.admin("GET", "/v1/runs?trigger=async", nil).body, &page); err != nil || len(page.Runs) != 3 {
		t.Fatalf("run records: %v", err)
	}
	for i := 0; i+1 < len(page.Runs); i++ { // newest first
		prev, next := page.Runs[i+1], page.Runs[i]
		if end := prev.StartedAt.Add(time.Duration(prev.DurationUS) * time.Microsecond); next.StartedAt.Before(end) {
			t.Fatalf("two async runs of one tenant at once: one ran until %v, the next began at %v", end, next.StartedAt)
		}
	}
}
