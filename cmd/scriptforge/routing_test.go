package main

import (
	"regexp"
	"strings"
	"testing"
)

// A function deployed with a routing priority shows it; routing assign,
// list and unassign manage a customer's and a DID's assignments.
func TestCLIRouting(t *testing.T) {
	g := startGateway(t)
	file := writeFile(t, "normalise.js", `function main(d) { return d }`)
	out, errOut, code := g.cli(t, "deploy", file, "--routing-priority", "run-first", "--routing-order", "5")
	if code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}
	id := regexp.MustCompile(`File ID:\s+(\S+)`).FindStringSubmatch(out)[1]
	if out, _, _ := g.cli(t, "fn", "show", id); !strings.Contains(out, "Routing:  run-first (order 5)") {
		t.Fatalf("show: %s", out)
	}
	if _, errOut, code := g.cli(t, "deploy", file, "--routing-priority", "sometimes"); code == 0 || !strings.Contains(errOut, "routing_priority") {
		t.Fatalf("a bad priority: %d %s", code, errOut)
	}

	out, errOut, code = g.cli(t, "routing", "assign", "customer", "carrier-7", "--function", "normalise", "--timeout", "800ms")
	if code != 0 || !strings.Contains(out, "Assigned customer carrier-7 to "+id+": 800 ms, then 480 Temporarily Unavailable") {
		t.Fatalf("assign: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := g.cli(t, "routing", "assign", "did", "+15550100", "--function", id, "--timeout", "1s", "--timeout-action", "200 OK"); code == 0 || !strings.Contains(errOut, "timeout_action") {
		t.Fatalf("a bad action: %d %s", code, errOut)
	}
	if _, errOut, code := g.cli(t, "routing", "assign", "did", "+15550100", "--function", id, "--timeout", "1s", "--timeout-action", "503 Service Unavailable"); code != 0 {
		t.Fatalf("assign did: %d %s", code, errOut)
	}
	out, _, _ = g.cli(t, "routing", "list", "dids")
	if !strings.Contains(out, "+15550100") || !strings.Contains(out, "503 Service Unavailable") || strings.Contains(out, "carrier-7") {
		t.Fatalf("list dids: %s", out)
	}
	if out, _, code := g.cli(t, "routing", "unassign", "customer", "carrier-7"); code != 0 || !strings.Contains(out, "Unassigned customer carrier-7") {
		t.Fatalf("unassign: %s", out)
	}
	if _, errOut, code := g.cli(t, "routing", "unassign", "customer", "carrier-7"); code == 0 || !strings.Contains(errOut, "404") {
		t.Fatalf("unassign twice: %d %s", code, errOut)
	}
}
