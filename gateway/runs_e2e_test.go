package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/gateway"
)

// runView is a run record as the API shows it.
type runView struct {
	RequestID  string    `json:"request_id"`
	FunctionID string    `json:"function_id"`
	Tenant     string    `json:"tenant"`
	Trigger    string    `json:"trigger"`
	Status     int       `json:"status"`
	ErrorCode  string    `json:"error_code"`
	StartedAt  time.Time `json:"started_at"`
}

// listRuns GETs one page of a run listing as key.
func (s *server) listRuns(key, path string) (runs []runView, next string) {
	s.t.Helper()
	r := s.as(key, "GET", path, nil)
	if r.status != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	var page struct {
		Runs       []runView `json:"runs"`
		NextCursor *string   `json:"next_cursor"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil || page.Runs == nil {
		s.t.Fatalf("GET %s: %v %s", path, err, r.body)
	}
	if page.NextCursor != nil {
		if *page.NextCursor == "" {
			s.t.Fatalf("GET %s: an empty next_cursor: %s", path, r.body)
		}
		next = *page.NextCursor
	}
	return page.Runs, next
}

// waitRuns polls a listing until it holds n runs (records are stored in
// batches a moment after their runs) and returns them.
func (s *server) waitRuns(key, path string, n int) []runView {
	s.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		runs, _ := s.listRuns(key, path)
		if len(runs) == n {
			return runs
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("GET %s: %d runs, want %d: %+v", path, len(runs), n, runs)
		}
	}
}

func ids(runs []runView) []string {
	out := []string{}
	for _, r := range runs {
		out = append(out, r.RequestID)
	}
	return out
}

// Every trigger leaves a record that says so; the listings filter by
// trigger, status, function and time, name a bad parameter, and show a
// tenant nothing of another's.
func TestRunListingsEndToEnd(t *testing.T) {
	s := startServer(t, t.TempDir())
	acme, sw := routingTenant(s, "acme")
	globex, _ := routingTenant(s, "globex")

	r := s.as(acme, "POST", "/v1/functions", map[string]any{"name": "web", "source": `function main(d) { if (d.fail) throw new Error("asked to fail"); return 1 }`})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy web: %d %s", r.status, r.body)
	}
	web, webUUID := r.json(t)["id"].(string), r.json(t)["uuid"].(string)
	lcr := s.deployAs(acme, map[string]any{"name": "lcr", "source": `function main(d) { d.egress_routing = [{uri: "sip:x@gw.example"}]; return d }`})
	s.assign(acme, "/v1/routing/customers/carrier-7", map[string]any{"function": "lcr", "timeout_ms": 5000})
	r = s.as(acme, "POST", "/v1/functions", map[string]any{"name": "ivr", "type": "app", "source": `import { VoiceResponse } from "voice";
export function main(data) { const r = new VoiceResponse(); r.say("hello"); return r }`})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy ivr: %d %s", r.status, r.body)
	}
	ivr, ivrUUID := r.json(t)["id"].(string), r.json(t)["uuid"].(string)
	r = s.as(globex, "POST", "/v1/functions", map[string]any{"name": "web", "source": `function main() { return 2 }`})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy globex web: %d %s", r.status, r.body)
	}
	globexUUID := r.json(t)["uuid"].(string)

	var failed []string
	for i := range 5 {
		body := `{}`
		if i%2 == 1 {
			body = `{"fail":true}`
		}
		r := s.do("POST", "/v1/fn/"+webUUID, body, map[string]string{"Content-Type": "application/json"})
		if i%2 == 1 {
			failed = append(failed, r.header.Get("X-Request-Id"))
		}
	}
	route := s.route(sw, "/v1/routing/customers/carrier-7", map[string]any{"routing": map[string]any{"to": "+15550100"}, "egress_routing": []any{}})
	if route.status != http.StatusOK {
		t.Fatalf("route: %d %s", route.status, route.body)
	}
	form := url.Values{"CallSid": {"CA0001"}, "From": {"+15551234567"}, "To": {"+15557654321"}, "CallStatus": {"ringing"}}
	if r := s.do("POST", "/v1/voice/"+ivrUUID, form.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); r.status != http.StatusOK {
		t.Fatalf("voice: %d %s", r.status, r.body)
	}
	s.do("POST", "/v1/fn/"+globexUUID, `{}`, nil)

	all := s.waitRuns(acme, "/v1/runs", 7)
	s.waitRuns(globex, "/v1/runs", 1)
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.StartedAt.Before(b.StartedAt) || (a.StartedAt.Equal(b.StartedAt) && a.RequestID < b.RequestID) {
			t.Fatalf("not newest first: %+v", all)
		}
	}
	oldest := all[len(all)-1].StartedAt
	byTrigger := map[string][]runView{}
	for _, r := range all {
		byTrigger[r.Trigger] = append(byTrigger[r.Trigger], r)
	}
	if len(byTrigger["http"]) != 5 || len(byTrigger["routing"]) != 1 || len(byTrigger["voice"]) != 1 {
		t.Fatalf("triggers: %+v", all)
	}
	if rt := byTrigger["routing"][0]; rt.FunctionID != lcr || rt.RequestID != route.header.Get("X-Request-Id")+"-1" {
		t.Fatalf("the routing step's record: %+v", rt)
	}
	if v := byTrigger["voice"][0]; v.FunctionID != ivr || v.Status != 200 {
		t.Fatalf("the voice webhook's record: %+v", v)
	}
	if got := s.stepRecord(acme, failed[0]); got["trigger"] != "http" {
		t.Fatalf("GET /v1/runs/{id} shows the trigger: %v", got)
	}

	slices.Sort(failed)
	for _, tc := range []struct {
		path string
		want int
		only func(runView) bool
	}{
		{"/v1/runs?trigger=http", 5, func(r runView) bool { return r.Trigger == "http" }},
		{"/v1/runs?trigger=routing", 1, func(r runView) bool { return r.FunctionID == lcr }},
		{"/v1/runs?trigger=voice", 1, func(r runView) bool { return r.FunctionID == ivr }},
		{"/v1/runs?trigger=schedule", 0, nil},
		{"/v1/runs?status=ok", 5, func(r runView) bool { return r.Status < 400 && r.ErrorCode == "" }},
		{"/v1/runs?status=error", 2, func(r runView) bool { return slices.Contains(failed, r.RequestID) }},
		{"/v1/runs?status=5xx", 2, func(r runView) bool { return r.Status == 500 }},
		{"/v1/runs?status=500", 2, func(r runView) bool { return r.ErrorCode == "function_error" }},
		{"/v1/runs?status=cancelled", 0, nil},
		{"/v1/runs?status=2xx&trigger=http", 3, func(r runView) bool { return r.FunctionID == web }},
		{"/v1/runs?function=" + web, 5, func(r runView) bool { return r.FunctionID == web }},
		{"/v1/functions/" + web + "/runs?status=error&trigger=http", 2, func(r runView) bool { return r.FunctionID == web }},
		{"/v1/functions/" + ivr + "/runs", 1, func(r runView) bool { return r.Trigger == "voice" }},
		{"/v1/runs?since=1h", 7, nil},
		{"/v1/runs?since=" + url.QueryEscape(oldest.Format(time.RFC3339Nano)), 7, nil},
		{"/v1/runs?until=" + url.QueryEscape(oldest.Format(time.RFC3339Nano)), 0, nil}, // exclusive
		{"/v1/runs?since=" + url.QueryEscape(time.Now().Add(time.Minute).Format(time.RFC3339)), 0, nil},
		{"/v1/runs?limit=2", 2, nil},
	} {
		runs, _ := s.listRuns(acme, tc.path)
		if len(runs) != tc.want {
			t.Errorf("GET %s: %d runs, want %d: %+v", tc.path, len(runs), tc.want, runs)
		}
		for _, r := range runs {
			if r.Tenant != "acme" || (tc.only != nil && !tc.only(r)) {
				t.Errorf("GET %s: unexpected %+v", tc.path, r)
			}
		}
	}

	// A bad filter is a 400 that names it.
	for param, value := range map[string]string{
		"status": "fine", "trigger": "cron", "since": "yesterday", "limit": "0", "cursor": "not-a-cursor",
	} {
		for _, base := range []string{"/v1/runs", "/v1/functions/" + web + "/runs"} {
			r := s.as(acme, "GET", base+"?"+param+"="+value, nil)
			var body struct {
				Error struct {
					Code    string            `json:"code"`
					Message string            `json:"message"`
					Details map[string]string `json:"details"`
				} `json:"error"`
			}
			_ = json.Unmarshal(r.body, &body)
			if r.status != http.StatusBadRequest || body.Error.Code != "invalid_parameter" || body.Error.Details["parameter"] != param ||
				!strings.HasPrefix(body.Error.Message, param+": ") {
				t.Errorf("GET %s?%s=%s: %d %s", base, param, value, r.status, r.body)
			}
		}
	}
	if r := s.as(acme, "GET", "/v1/runs?since=1h&until=2h", nil); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"parameter":"until"`) {
		t.Errorf("until before since: %d %s", r.status, r.body)
	}

	// Tenant isolation: globex sees only its own run, and none of acme's.
	if runs, _ := s.listRuns(globex, "/v1/runs"); len(runs) != 1 || runs[0].Tenant != "globex" {
		t.Errorf("globex's runs: %+v", runs)
	}
	for _, path := range []string{"/v1/functions/" + web + "/runs", "/v1/runs?function=" + web, "/v1/runs/" + failed[0]} {
		if r := s.as(globex, "GET", path, nil); r.status != http.StatusNotFound {
			t.Errorf("globex GET %s: %d %s", path, r.status, r.body)
		}
	}
}

// Paging by cursor visits every record that was there when the walk
// began, once, in order, while invocations keep adding records.
func TestRunPagingUnderConcurrentInserts(t *testing.T) {
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) { c.QuietRunRecords = -1 })
	id, uuid := s.deploy("busy", "script", `function main() { return 1 }`)
	for range 40 {
		s.do("POST", "/v1/fn/"+uuid, `{}`, nil)
	}
	s.waitRuns(adminKey, "/v1/functions/"+id+"/runs?limit=1000", 40)
	before, _ := s.listRuns(adminKey, "/v1/functions/"+id+"/runs?limit=1000")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "POST", s.url+"/v1/fn/"+uuid, strings.NewReader(`{}`))
				if resp, err := testClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}
		}()
	}
	var walked []runView
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		path := "/v1/functions/" + id + "/runs?limit=7"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		page, next := s.listRuns(adminKey, path)
		if len(page) > 7 {
			t.Fatalf("a page of %d, limit 7", len(page))
		}
		walked = append(walked, page...)
		if next == "" {
			break
		}
		cursor = next
		time.Sleep(30 * time.Millisecond) // let batches of new records land mid-walk
	}
	cancel()
	wg.Wait()
	seen := map[string]bool{}
	for i, r := range walked {
		if seen[r.RequestID] {
			t.Fatalf("run %s came twice", r.RequestID)
		}
		seen[r.RequestID] = true
		if i > 0 {
			p := walked[i-1]
			if p.StartedAt.Before(r.StartedAt) || (p.StartedAt.Equal(r.StartedAt) && p.RequestID < r.RequestID) {
				t.Fatalf("out of order at %d: %+v then %+v", i, p, r)
			}
		}
	}
	for _, r := range before {
		if !seen[r.RequestID] {
			t.Fatalf("run %s, stored before the walk, was skipped", r.RequestID)
		}
	}
	after := len(s.waitRunsAtLeast(adminKey, "/v1/functions/"+id+"/runs?limit=1000", len(before)+1))
	t.Logf("walked %d records in pages of 7; %d were there before, %d after", len(walked), len(before), after)
}

// waitRunsAtLeast polls a listing until it holds n runs or more.
func (s *server) waitRunsAtLeast(key, path string, n int) []runView {
	s.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		runs, _ := s.listRuns(key, path)
		if len(runs) >= n {
			return runs
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("GET %s: %d runs, want at least %d", path, len(runs), n)
		}
	}
}

// Retention: a tenant's own max_count keeps its newest records; the
// server's max age prunes another tenant's old ones; only the operator
// sets a retention.
func TestRunRetentionEndToEnd(t *testing.T) {
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
		c.QuietRunRecords = -1
		c.RunRetention = 24 * time.Hour
		c.RunPruneInterval = 50 * time.Millisecond
	})
	acme, _ := routingTenant(s, "acme")
	globex, _ := routingTenant(s, "globex")

	for _, tc := range []struct {
		key  string
		body string
		want int
		code string
	}{
		{acme, `{"runs_retention":{"max_count":3}}`, http.StatusForbidden, "forbidden"},
		{adminKey, `{"runs_retention":{"max_count":-1}}`, http.StatusBadRequest, "invalid_runs_retention"},
		{adminKey, `{"runs_retention":{"max_age":"400d"}}`, http.StatusBadRequest, "invalid_runs_retention"},
		{adminKey, `{"runs_retention":{"max_age":"soon"}}`, http.StatusBadRequest, ""},
		{adminKey, `{"runs_retention":{"max_count":3}}`, http.StatusOK, ""},
	} {
		r := s.as(tc.key, "PATCH", "/v1/tenants/acme", tc.body)
		if r.status != tc.want || (tc.code != "" && r.errorCode(t) != tc.code) {
			t.Errorf("PATCH %s: %d %s", tc.body, r.status, r.body)
		}
	}
	if r := s.as(acme, "GET", "/v1/tenants/acme", nil); !strings.Contains(string(r.body), `"runs_retention":{"max_count":3}`) {
		t.Fatalf("the tenant shows its retention: %s", r.body)
	}

	// globex keeps the server's 24 h: records of two days ago go.
	old := time.Now().Add(-48 * time.Hour)
	var seeded []functions.Run
	for i := range 1200 { // more than one prune batch
		seeded = append(seeded, functions.Run{RequestID: fmt.Sprintf("old-%04d", i), FunctionID: "fn_gone", Tenant: "globex",
			Status: 200, StartedAt: old.Add(time.Duration(i) * time.Millisecond)})
	}
	seeded = append(seeded, functions.Run{RequestID: "recent", FunctionID: "fn_gone", Tenant: "globex", Status: 200, StartedAt: time.Now().Add(-time.Hour)})
	if err := s.store.SaveRuns(context.Background(), seeded); err != nil {
		t.Fatal(err)
	}

	r := s.as(acme, "POST", "/v1/functions", map[string]any{"name": "f", "source": `function main() { return 1 }`})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	uuid := r.json(t)["uuid"].(string)
	var rids []string
	for range 8 {
		rids = append(rids, s.do("POST", "/v1/fn/"+uuid, `{}`, nil).header.Get("X-Request-Id"))
		// Runs that start in one millisecond are ordered by request id,
		// not by arrival: a millisecond apart, "the newest 3" is plain.
		time.Sleep(2 * time.Millisecond)
	}
	newest := rids[len(rids)-3:]
	slices.Reverse(newest)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		a, _ := s.listRuns(acme, "/v1/runs")
		g, _ := s.listRuns(globex, "/v1/runs")
		if slices.Equal(ids(a), newest) && slices.Equal(ids(g), []string{"recent"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after pruning: acme %v (want %v), globex %d runs %.3v… (want [recent])", ids(a), newest, len(g), ids(g))
		}
	}
	if r := s.do("GET", "/metrics", nil, nil); !strings.Contains(string(r.body), "scriptforge_run_records_pruned_total") {
		t.Errorf("no pruned counter in /metrics")
	}
}
