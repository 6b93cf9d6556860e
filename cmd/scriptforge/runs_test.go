package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fn runs: the table, filters, a page and its cursor, --all, --json, a
// bad filter named; tenant set sets the runs retention.
func TestCLIRuns(t *testing.T) {
	g := startGateway(t, "--isolation", "inprocess", "--quiet-run-records", "0", "--runs-max-age", "7d", "--runs-max-per-tenant", "1000")
	file := writeFile(t, "flaky.js", `function main(d) { if (d.fail) throw new Error("asked to fail"); console.log("fine"); return 1 }`)
	out, errOut, code := g.cli(t, "deploy", file)
	if code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	id := regexp.MustCompile(`File ID:\s+(\S+)`).FindStringSubmatch(out)[1]
	for i := range 5 {
		data := `{}`
		if i%2 == 1 {
			data = `{"fail":true}`
		}
		if _, _, code := g.cli(t, "invoke", uuid, "--data", data); code != 0 && i%2 == 0 {
			t.Fatalf("invoke %d: %d", i, code)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _, _ := g.cli(t, "fn", "runs", id, "--json")
		var page struct{ Runs []any }
		if json.Unmarshal([]byte(out), &page) == nil && len(page.Runs) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs never stored: %s", out)
		}
	}

	out, _, code = g.cli(t, "fn", "runs", id, "--status", "error", "--since", "1h", "--logs")
	rows := regexp.MustCompile(`(?m)^\S+ \S+\s+http\s+500\s+1\s+.*function_error: .*asked to fail`).FindAllString(out, -1)
	if code != 0 || len(rows) != 2 || strings.Count(out, "STARTED") != 1 || !strings.Contains(out, "    error function_error:") {
		t.Fatalf("fn runs --status error: %d\n%s", code, out)
	}
	out, _, _ = g.cli(t, "fn", "runs", id, "--status", "ok", "--logs")
	if strings.Count(out, "  http  ") != 3 || strings.Count(out, " info  fine") != 3 {
		t.Fatalf("fn runs --status ok --logs:\n%s", out)
	}
	// One page of two, and the cursor to the next.
	out, errOut, _ = g.cli(t, "fn", "runs", id, "--limit", "2")
	cursor := regexp.MustCompile(`--cursor (\S+)`).FindStringSubmatch(errOut)
	if strings.Count(out, "  http  ") != 2 || cursor == nil {
		t.Fatalf("fn runs --limit 2:\n%s\n%s", out, errOut)
	}
	out, _, _ = g.cli(t, "fn", "runs", id, "--limit", "2", "--cursor", cursor[1])
	if strings.Count(out, "  http  ") != 2 {
		t.Fatalf("the second page:\n%s", out)
	}
	// --all follows the cursors; with --json, one list of every page's runs.
	out, errOut, code = g.cli(t, "fn", "runs", id, "--all", "--limit", "2", "--json")
	var all struct {
		Runs []struct {
			RequestID string `json:"request_id"`
			Trigger   string `json:"trigger"`
		} `json:"runs"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &all) != nil || len(all.Runs) != 5 || strings.Contains(errOut, "--cursor") {
		t.Fatalf("fn runs --all --json: %d %s %s", code, out, errOut)
	}
	seen := map[string]bool{}
	for _, r := range all.Runs {
		if seen[r.RequestID] || r.Trigger != "http" {
			t.Fatalf("--all repeated a run or lost its trigger: %s", out)
		}
		seen[r.RequestID] = true
	}
	// The tenant's runs, without an ID; filters that match nothing.
	if out, _, code := g.cli(t, "fn", "runs", "--trigger", "routing"); code != 0 || strings.Contains(out, "http") {
		t.Fatalf("fn runs --trigger routing: %d %s", code, out)
	}
	if out, _, _ := g.cli(t, "fn", "runs", "--status", "2xx", "--all"); strings.Count(out, "  http  ") != 3 {
		t.Fatalf("tenant runs --status 2xx:\n%s", out)
	}
	// A bad filter: the gateway names it.
	for _, bad := range [][]string{{"--status", "fine"}, {"--trigger", "cron"}, {"--since", "yesterday"}, {"--cursor", "nope"}} {
		_, errOut, code := g.cli(t, append([]string{"fn", "runs", id}, bad...)...)
		if code != 1 || !strings.Contains(errOut, "HTTP 400") || !strings.Contains(errOut, strings.TrimPrefix(bad[0], "--")+":") {
			t.Fatalf("fn runs %v: %d %s", bad, code, errOut)
		}
	}

	// tenant set: the runs retention, one flag keeping the other's value.
	out, errOut, code = g.cli(t, "tenant", "set", "default", "--runs-max-count", "50", "--runs-max-age", "30d")
	if code != 0 || !strings.Contains(out, `"max_count": 50`) || !strings.Contains(out, `"max_age": "30d"`) {
		t.Fatalf("tenant set --runs-max-*: %d %s %s", code, out, errOut)
	}
	out, _, _ = g.cli(t, "tenant", "set", "default", "--runs-max-count", "60")
	if !strings.Contains(out, `"max_count": 60`) || !strings.Contains(out, `"max_age": "30d"`) {
		t.Fatalf("tenant set --runs-max-count alone: %s", out)
	}
	if _, errOut, code := g.cli(t, "tenant", "set", "default", "--runs-max-age", "forever"); code != 1 || !strings.Contains(errOut, "--runs-max-age") {
		t.Fatalf("a bad --runs-max-age: %d %s", code, errOut)
	}
}

// fn cancel stops a run in progress; its invoke gets the cancel error,
// and an id that names no run in progress is a clear failure.
func TestCLICancel(t *testing.T) {
	started := make(chan string, 1)
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- r.URL.Query().Get("rid")
	}))
	defer partner.Close()
	g := startGateway(t, "--isolation", "inprocess", "--fetch-allow", "127.0.0.1/32")
	file := writeFile(t, "spin.js", `export async function main(data, ctx) {
	await fetch(process.env.PARTNER + "/?rid=" + ctx.requestId)
	while (true) {}
}`)
	out, errOut, code := g.cli(t, "deploy", file, "--type", "app", "--timeout", "10s", "--env", "PARTNER="+partner.URL)
	if code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	type result struct {
		out, errOut string
		code        int
	}
	invoked := make(chan result, 1)
	go func() {
		out, errOut, code := g.cli(t, "invoke", uuid)
		invoked <- result{out, errOut, code}
	}()
	var rid string
	select {
	case rid = <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the run never started")
	}
	if out, errOut, code := g.cli(t, "fn", "cancel", rid); code != 0 || out != rid+": cancelled\n" {
		t.Fatalf("fn cancel: %d %q %s", code, out, errOut)
	}
	r := <-invoked
	if r.code == 0 || !strings.Contains(r.out+r.errOut, "cancelled") {
		t.Fatalf("the cancelled invoke: %d %s %s", r.code, r.out, r.errOut)
	}
	if _, errOut, code := g.cli(t, "fn", "cancel", rid); code == 0 || !strings.Contains(errOut, "no run") {
		t.Fatalf("fn cancel of a finished run: %d %s", code, errOut)
	}
}
