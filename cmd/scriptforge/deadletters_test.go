package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// accept POSTs to a function with Prefer: respond-async and returns the run id.
func (g *gatewayProcess) accept(t *testing.T, uuid string, headers ...string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", g.url+"/v1/fn/"+uuid, strings.NewReader(`{}`))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	req.Header.Set("Prefer", "respond-async")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		RequestID string `json:"request_id"`
	}
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &out) != nil {
		t.Fatalf("async call: %d %s", resp.StatusCode, body)
	}
	return out.RequestID
}

// asyncState polls GET /v1/runs/{id} until the run is in state want.
func (g *gatewayProcess) waitAsync(t *testing.T, id, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequest("GET", g.url+"/v1/runs/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+g.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Status string `json:"status"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		if got = v.Status; got == want {
			return
		}
	}
	t.Fatalf("run %s is %q, not %s", id, got, want)
}

// TestCLIDeadLetters: runs that keep failing are dead after
// --async-max-attempts; 'runs dead' lists them with each attempt's
// error, 'runs redrive' queues them again, 'runs discard' drops one.
func TestCLIDeadLetters(t *testing.T) {
	g := startGateway(t, "--async-max-attempts", "2")
	file := writeFile(t, "flaky.js", `function main(d) { if (!process.env.FIXED) throw new Error("not yet"); return 1 }`)
	out, errOut, code := g.cli(t, "deploy", file)
	if code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}
	id := regexp.MustCompile(`File ID:\s+(\S+)`).FindStringSubmatch(out)[1]
	uuid := regexp.MustCompile(`/v1/fn/([0-9a-f-]{36})`).FindStringSubmatch(out)[1]
	runs := []string{g.accept(t, uuid), g.accept(t, uuid), g.accept(t, uuid)}
	for _, r := range runs {
		g.waitAsync(t, r, "dead")
	}
	out, _, code = g.cli(t, "runs", "dead")
	if code != 0 || strings.Count(out, "attempt 1") != 3 || strings.Count(out, "attempt 2") != 3 || !strings.Contains(out, "not yet") || !strings.Contains(out, runs[0]) {
		t.Fatalf("runs dead: %d\n%s", code, out)
	}
	if out, _, code = g.cli(t, "runs", "discard", runs[2]); code != 0 || !strings.Contains(out, "discarded") {
		t.Fatalf("discard: %d %s", code, out)
	}
	if out, errOut, code = g.cli(t, "deploy", file, "--env", "FIXED=1"); code != 0 || !strings.Contains(out, id) {
		t.Fatalf("fix: %d %s %s", code, out, errOut)
	}
	if out, _, code = g.cli(t, "runs", "redrive", runs[0]); code != 0 || !strings.Contains(out, runs[0]+" queued again") {
		t.Fatalf("redrive one: %d %s", code, out)
	}
	g.waitAsync(t, runs[0], "succeeded")
	if out, _, code = g.cli(t, "runs", "redrive", "--all"); code != 0 || !strings.Contains(out, "1 runs queued again") {
		t.Fatalf("redrive all: %d %s", code, out)
	}
	g.waitAsync(t, runs[1], "succeeded")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"runs", "redrive", runs[0]}, "not_dead"},
		{[]string{"runs", "discard", "nope"}, "not_found"},
		{[]string{"runs", "redrive"}, "--all"},
		{[]string{"runs", "redrive", "x", "--all"}, "not both"},
	} {
		if _, errOut, code := g.cli(t, tc.args...); code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: %d %s", tc.args, code, errOut)
		}
	}
}

// TestKilledWithQueuedRuns: a gateway killed (SIGKILL) with async runs
// queued and running comes back on the same data directory, and every
// accepted run succeeds. Each run reports itself to a counting server at
// its end: a run the killed gateway was running may report twice (it is
// taken again when its lease expires: at least once), never more, and no
// run is lost. The same server is each run's callback URL: every run's
// outcome is delivered, succeeded, under its own idempotency key.
func TestKilledWithQueuedRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a lease to expire")
	}
	var mu sync.Mutex
	seen := map[string]int{}
	delivered := map[string]int{} // Idempotency-Key → succeeded callbacks
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/callback" {
			var v struct {
				Status string `json:"status"`
			}
			if json.NewDecoder(r.Body).Decode(&v) == nil && v.Status == "succeeded" {
				delivered[r.Header.Get("Idempotency-Key")]++
			}
			return
		}
		seen[strings.TrimPrefix(r.URL.Path, "/")]++
	}))
	defer srv.Close()
	flags := []string{"--fetch-allow", "127.0.0.1/32", "--async-workers", "2", "--async-lease", "3s", "--max-timeout", "2s"}
	dir := t.TempDir()
	g := startGateway(t, append([]string{"--data-dir", dir}, flags...)...)
	file := writeFile(t, "report.js", `export default async (d, ctx) => {
	await new Promise(r => setTimeout(r, 150))
	await fetch("`+srv.URL+`/" + ctx.requestId, {method: "POST"})
	return 1
}`)
	out, errOut, code := g.cli(t, "deploy", file, "--type", "app", "--timeout", "2s")
	if code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	req, _ := http.NewRequest("POST", g.url+"/v1/callback-secret", nil)
	req.Header.Set("Authorization", "Bearer "+g.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("callback secret: %v %v", resp, err)
	}
	resp.Body.Close()
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		ids[i] = g.accept(t, uuid, "X-Callback-Url", srv.URL+"/callback")
	}
	time.Sleep(400 * time.Millisecond) // some ran, some are running, most are queued
	if err := g.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = g.cmd.Wait()
	mu.Lock()
	before := len(seen)
	mu.Unlock()
	if before >= n {
		t.Fatalf("all %d runs were over before the kill: nothing tested", n)
	}

	again := serveAgain(t, dir, g.key, flags...)
	for _, id := range ids {
		again.waitAsync(t, id, "succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	twice := 0
	for _, id := range ids {
		switch c := seen[id]; {
		case c == 0:
			t.Errorf("run %s succeeded without running", id)
		case c == 2:
			twice++
		case c > 2:
			t.Errorf("run %s ran %d times", id, c)
		}
	}
	if len(seen) != n || twice > 2 { // 2 workers: at most 2 runs were in flight at the kill
		t.Fatalf("%d runs reported (%d before the kill), %d twice: %v", len(seen), before, twice, seen)
	}
	mu.Unlock()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		if len(delivered) == n {
			break
		}
		mu.Unlock()
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("callbacks of %d runs delivered, want %d: %v", len(delivered), n, delivered)
		}
	}
	for _, id := range ids {
		if delivered[id] == 0 {
			t.Errorf("no callback for %s", id)
		}
	}
	t.Logf("%d of %d runs reported before the kill; %d ran twice", before, n, twice)
}
