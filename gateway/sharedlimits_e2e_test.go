package gateway_test

import (
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/gateway"
	"github.com/scriptforge/scriptforge/internal/servicetest"
	"github.com/scriptforge/scriptforge/ratelimit"
)

// sharedGateway is a gateway whose limits are shared through the Redis at
// addr.
func sharedGateway(t *testing.T, addr, id string) (*server, *ratelimit.Cluster) {
	t.Helper()
	c, err := ratelimit.NewCluster(ratelimit.ClusterConfig{URL: "redis://" + addr, Prefix: "sftest:gw:", ID: id,
		Heartbeat: 50 * time.Millisecond, Lease: time.Second, MaxKeys: 1000, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	lim, _ := c.Limiter()
	conc, _ := c.Concurrency()
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(cfg *gateway.Config) {
		// No refill within the test: the burst is what a tenant gets.
		cfg.Usage = gateway.UsageDefaults{TenantRate: 0.001, TenantBurst: 6, TenantConcurrency: 4}
		cfg.Limiter, cfg.Concurrency, cfg.SharedLimits = lim, conc, c
	})
	return s, c
}

// limitModes are the two places a gateway's limits live: in its memory,
// or shared through the machine's Redis (a key prefix of the test's own).
var limitModes = []struct {
	name    string
	options func(t *testing.T) func(*gateway.Config)
}{
	{"local", func(*testing.T) func(*gateway.Config) { return func(*gateway.Config) {} }},
	{"shared", withSharedLimits},
}

// withSharedLimits is a gateway option: limits shared through Redis.
func withSharedLimits(t *testing.T) func(*gateway.Config) {
	t.Helper()
	rdb, prefix := servicetest.Redis(t)
	c, err := ratelimit.NewCluster(ratelimit.ClusterConfig{URL: "redis://" + rdb.Options().Addr, Prefix: prefix,
		MaxKeys: 1000, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	lim, _ := c.Limiter()
	conc, _ := c.Concurrency()
	return func(cfg *gateway.Config) { cfg.Limiter, cfg.Concurrency, cfg.SharedLimits = lim, conc, c }
}

// Shared caps answer as local ones: a run that finds its function's
// slot taken waits, and is refused with 429 concurrency_limited when the
// slot is not given back in time; a slot given back is free again.
func TestSharedConcurrencyCap(t *testing.T) {
	hold := newGate(t)
	s := startServerWith(t, t.TempDir(), "inprocess", 0, withSharedLimits(t), func(c *gateway.Config) {
		c.Executor = loopbackExecutor(t, "inprocess")
		c.Usage = gateway.UsageDefaults{TenantConcurrency: 10, QueueWait: 100 * time.Millisecond}
	})
	path := "/v1/fn/" + s.deployWith(map[string]any{"name": "slow", "type": "app", "limits": map[string]any{"concurrency": 1},
		"timeout_ms": 5000, "env": map[string]any{"GATE": hold.URL}, // the held run must not time out
		"source": `export async function main(d) { if (d.hold) await fetch(process.env.GATE); return "done" }`})
	first := make(chan response, 1)
	go func() { first <- s.do("POST", path, `{"hold":true}`, nil) }()
	hold.waitEntered(t) // the first runs, holding the slot until released
	r := s.do("POST", path, `{}`, nil)
	hold.release()
	if r.status != http.StatusTooManyRequests || r.errorCode(t) != "concurrency_limited" || r.header.Get("Retry-After") != "1" ||
		!strings.Contains(string(r.body), "function already has 1 runs in progress") {
		t.Fatalf("while the slot is held: %d %s %v", r.status, r.body, r.header)
	}
	if r := <-first; r.status != http.StatusOK {
		t.Fatalf("the first: %d %s", r.status, r.body)
	}
	for i := range 3 {
		if r := s.do("POST", path, `{}`, nil); r.status != http.StatusOK {
			t.Fatalf("call %d after the slot was given back: %d %s", i, r.status, r.body)
		}
	}
}

// metricValue reads one sample of s's /metrics.
func metricValue(t *testing.T, s *server, name string) string {
	t.Helper()
	r := s.do("GET", "/metrics", nil, nil)
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(r.body)
	if m == nil {
		t.Fatalf("%s is not on /metrics", name)
	}
	return string(m[1])
}

// Two gateways hold one tenant limit between them; with Redis stopped each
// holds its half and no call fails; with Redis back they share again.
func TestSharedLimitsAcrossGateways(t *testing.T) {
	srv := servicetest.NewRedisServer(t)
	a, ca := sharedGateway(t, srv.Addr(), "a")
	b, cb := sharedGateway(t, srv.Addr(), "b")
	_, uuidA := a.deploy("shared", "script", `function main() { return 1 }`)
	_, uuidB := b.deploy("shared", "script", `function main() { return 1 }`)
	for deadline := time.Now().Add(10 * time.Second); ca.Gateways() != 2 || cb.Gateways() != 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the gateways do not count each other")
		}
	}
	// calls sends n calls alternating between the gateways and tallies
	// the answers.
	calls := func(n int, gws ...*server) map[int]int {
		counts := map[int]int{}
		for i := range n {
			s, uuid := gws[i%len(gws)], uuidA
			if s == b {
				uuid = uuidB
			}
			counts[s.do("POST", "/v1/fn/"+uuid, `{}`, nil).status]++
		}
		return counts
	}
	// Deploying took none of the tenant's invocations: 6 across both.
	if got := calls(10, a, b); got[http.StatusOK] != 6 || got[http.StatusTooManyRequests] != 4 {
		t.Fatalf("shared: %v, want 6 × 200 and 4 × 429", got)
	}

	srv.Stop()
	if got := calls(6, a); got[http.StatusOK] != 3 || got[http.StatusTooManyRequests] != 3 {
		t.Fatalf("Redis down: %v, want 3 × 200 (half the burst) and 3 × 429", got)
	}
	if v := metricValue(t, a, "scriptforge_ratelimit_fallback_total"); v != "1" {
		t.Fatalf("fallback_total %s, want 1", v)
	}
	if v := metricValue(t, a, "scriptforge_ratelimit_shared"); v != "0" {
		t.Fatalf("shared %s, want 0", v)
	}

	srv.Start()
	for deadline := time.Now().Add(10 * time.Second); !ca.Shared() || !cb.Shared() || ca.Gateways() != 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the gateways did not share again")
		}
	}
	// The restarted Redis kept nothing: a full shared burst again.
	if got := calls(10, a, b); got[http.StatusOK] != 6 || got[http.StatusTooManyRequests] != 4 {
		t.Fatalf("shared again: %v, want 6 × 200 and 4 × 429", got)
	}
	if v := metricValue(t, a, "scriptforge_ratelimit_shared"); v != "1" {
		t.Fatalf("shared %s, want 1", v)
	}
}
