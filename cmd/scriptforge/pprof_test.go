package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The profiler only ever listens on loopback.
func TestPprofAddrLoopbackOnly(t *testing.T) {
	for _, addr := range []string{":6060", "0.0.0.0:6060", "[::]:6060", "10.0.0.1:6060", "example.com:6060", "nonsense"} {
		if srv, err := servePprof(addr, slog.New(slog.DiscardHandler)); err == nil {
			srv.Close()
			t.Errorf("--pprof-addr %s was accepted", addr)
		}
	}
}

// An in-process gateway with --pprof-addr serves the profiler, and its
// /metrics count warm-runtime hits and misses.
func TestInProcessWarmMetricsAndProfiler(t *testing.T) {
	prof := freeAddr(t)
	g := startGateway(t, "--isolation", "inprocess", "--pprof-addr", prof)
	file := writeFile(t, "warm.js", `let n = 0; export function main() { return {n: ++n} }`)
	out, _, code := g.cli(t, "deploy", file)
	if code != 0 {
		t.Fatalf("deploy: %d %s", code, out)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	for want := 1; want <= 3; want++ {
		if out, _, _ := g.cli(t, "invoke", uuid); !regexp.MustCompile(fmt.Sprintf(`"n":\s*%d\b`, want)).MatchString(out) {
			t.Fatalf("call %d: %s (want one warm runtime counting)", want, out)
		}
	}
	body := get(t, g.url+"/metrics")
	for _, re := range []string{`(?m)^scriptforge_warm_runtime_hits_total 2$`, `(?m)^scriptforge_warm_runtime_misses_total 1$`, `(?m)^scriptforge_warm_runtimes_idle 1$`} {
		if !regexp.MustCompile(re).MatchString(body) {
			t.Errorf("/metrics lacks %s:\n%s", re, grep(body, "scriptforge_warm"))
		}
	}
	if body := get(t, "http://"+prof+"/debug/pprof/"); !strings.Contains(body, "goroutine") {
		t.Errorf("the profiler index: %.200s", body)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

func grep(s, sub string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
