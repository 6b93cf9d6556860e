package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// accept POSTs to a function with Prefer: respond-async and returns the run id.
func (g *gatewayProcess) accept(t *testing.T, uuid string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", g.url+"/v1/fn/"+uuid, strings.NewReader(`{}`))
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
