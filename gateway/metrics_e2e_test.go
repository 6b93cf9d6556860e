package gateway_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/functions/sandbox"
	"github.com/scriptforge/scriptforge/gateway"
)

// statsExecutor is an executor with its engine figures: an engine's, or
// a pool of one sandbox's, as the sandbox reports them.
func statsExecutor(t *testing.T, isolation string) (functions.Executor, func() engine.Stats) {
	t.Helper()
	if isolation == "inprocess" {
		eng := engine.New(engine.Config{Host: "test"})
		t.Cleanup(eng.Close)
		return eng, eng.Stats
	}
	pool := sandbox.New(sandbox.Config{Size: 1, MemoryMB: sandboxMemoryMB,
		Env:     []string{childEnv + "=" + strconv.Itoa(sandboxMemoryMB)},
		Command: func() *exec.Cmd { return exec.Command(os.Args[0], "-test.run=^$") }})
	if err := pool.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, pool.EngineStats
}

// scrape reads /metrics into series → value; a series is its name and
// its non-empty labels, sorted: name{a="1",b="2"}.
func (s *server) scrape() map[string]float64 {
	s.t.Helper()
	r := s.do("GET", "/metrics", nil, nil)
	out := map[string]float64{}
	line := regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	label := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
	for _, l := range strings.Split(string(r.body), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		var labels []string
		for _, lm := range label.FindAllStringSubmatch(m[2], -1) {
			if lm[2] != "" {
				labels = append(labels, lm[1]+`="`+lm[2]+`"`)
			}
		}
		slices.Sort(labels)
		key := m[1]
		if len(labels) > 0 {
			key += "{" + strings.Join(labels, ",") + "}"
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		out[key] = v
	}
	return out
}

// waitDeltas polls /metrics until each series has moved by its delta
// from base (a sandbox reports its figures every 250 ms), and fails
// with what moved if it does not within a few seconds.
func (s *server) waitDeltas(base map[string]float64, want map[string]float64) map[string]float64 {
	s.t.Helper()
	var now map[string]float64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		now = s.scrape()
		ok := true
		for k, d := range want {
			if now[k]-base[k] != d {
				ok = false
			}
		}
		if ok {
			return now
		}
		if time.Now().After(deadline) {
			break
		}
	}
	var diffs []string
	for k, d := range want {
		diffs = append(diffs, k+": moved "+strconv.FormatFloat(now[k]-base[k], 'g', -1, 64)+", want "+strconv.FormatFloat(d, 'g', -1, 64))
	}
	slices.Sort(diffs)
	s.t.Fatalf("/metrics:\n%s", strings.Join(diffs, "\n"))
	return nil
}

// Known calls move the series they should, by as much as they should:
// the engine figures (from inside the sandboxes in process isolation),
// the runs by tenant, function and status, runs in flight and auth
// failures.
func TestMetricsEndToEnd(t *testing.T) {
	for _, isolation := range isolations {
		t.Run(isolation, func(t *testing.T) {
			exec, stats := statsExecutor(t, isolation)
			s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
				c.Executor, c.EngineStats, c.MetricsFunctionIDs = exec, stats, 1
			})
			base := s.scrape()
			id, uuid := s.deploy("probe", "app", `export async function main(data) {
				if (data.fetch) { try { await fetch("http://169.254.169.254/latest/meta-data/") } catch (e) { return e.code } }
				if (data.spin) while (true) {}
				if (data.wait) await new Promise((resolve) => setTimeout(resolve, 400))
				return "ok"
			}`)
			_, otherUUID := s.deploy("other", "script", `function main() { return 1 }`)
			post := func(u, body string) response {
				return s.do("POST", "/v1/fn/"+u, body, map[string]string{"Content-Type": "application/json"})
			}
			// Each deploy compiles its program in the background: wait for
			// both compiles to be counted, however long a loaded machine
			// takes, so that the calls below find the program ready.
			base = s.waitDeltas(base, map[string]float64{"scriptforge_program_cache_misses_total": 2})

			for range 3 {
				if r := post(uuid, `{}`); r.status != http.StatusOK {
					t.Fatalf("invoke: %d %s", r.status, r.body)
				}
			}
			if r := post(uuid, `{"fetch":true}`); string(r.body) != `"blocked"` {
				t.Fatalf("blocked fetch: %d %s", r.status, r.body)
			}
			base = s.waitDeltas(base, map[string]float64{
				// One program lookup (the first call's runtime), found: the deploy compiled it.
				"scriptforge_program_cache_hits_total":                                                        1,
				"scriptforge_program_cache_misses_total":                                                      0,
				"scriptforge_warm_runtime_misses_total":                                                       1,
				"scriptforge_warm_runtime_hits_total":                                                         3,
				`scriptforge_fetches_total{result="blocked"}`:                                                 1,
				`scriptforge_fetches_total{result="ok"}`:                                                      0,
				`scriptforge_function_invocations_total{function="` + id + `",status="200",tenant="default"}`: 4,
				`scriptforge_invocations_total{outcome="ok"}`:                                                 4,
			})

			// A run stopped by its time limit: its runtime is discarded as interrupted.
			if r := s.admin("PUT", "/v1/functions/"+id, map[string]any{"timeout_ms": 100}); r.status != http.StatusOK {
				t.Fatalf("set timeout: %d %s", r.status, r.body)
			}
			base = s.scrape()
			if r := post(uuid, `{"spin":true}`); r.status != http.StatusGatewayTimeout {
				t.Fatalf("spin: %d %s", r.status, r.body)
			}
			if r := post(otherUUID, `{}`); r.status != http.StatusOK {
				t.Fatalf("other: %d %s", r.status, r.body)
			}
			base = s.waitDeltas(base, map[string]float64{
				`scriptforge_warm_runtime_discards_total{reason="interrupted"}`:                               1,
				`scriptforge_function_invocations_total{function="` + id + `",status="504",tenant="default"}`: 1,
				// Past the one function id labelled: the rest are _other.
				`scriptforge_function_invocations_total{function="_other",status="200",tenant="default"}`: 1,
			})

			// A run in progress counts in flight.
			if r := s.admin("PUT", "/v1/functions/"+id, map[string]any{"timeout_ms": 5000}); r.status != http.StatusOK {
				t.Fatalf("set timeout: %d %s", r.status, r.body)
			}
			answered := invokeAsync(context.Background(), s.url+"/v1/fn/"+uuid, `{"wait":true}`)
			s.waitDeltas(map[string]float64{}, map[string]float64{"scriptforge_runs_in_flight": 1})
			if a := <-answered; a.err != nil || a.resp.status != http.StatusOK {
				t.Fatalf("wait: %v %d", a.err, a.resp.status)
			}
			s.waitDeltas(map[string]float64{}, map[string]float64{"scriptforge_runs_in_flight": 0})

			// A sandbox's heap that passes its limit: its heap watcher trips
			// and the count reaches the gateway. Not under the race detector,
			// which makes these copies ten times slower and whose shadow
			// memory shares the sandbox's cap.
			if isolation == "process" && !raceBuild {
				bomb := s.deployWith(map[string]any{"name": "bomb", "timeout_ms": 5000,
					"source": `function main() { const a = []; for (let i = 0; ; i++) a.push("x".repeat(1 << 24) + i) }`})
				base = s.scrape()
				if r := post(bomb, `{}`); r.status != http.StatusServiceUnavailable || r.errorCode(t) != "memory_limit" {
					t.Fatalf("bomb: %d %s", r.status, r.body)
				}
				// The watcher may trip more than once while the garbage waits for a GC.
				for deadline := time.Now().Add(10 * time.Second); s.scrape()["scriptforge_heap_limit_trips_total"] < base["scriptforge_heap_limit_trips_total"]+1; time.Sleep(50 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatal("no heap-limit trip counted from the sandbox")
					}
				}
				if n := exec.(*sandbox.Pool).Restarts(); n != 0 {
					t.Fatalf("the sandbox died (%d restarts): the heap watcher should have stopped the bomb", n)
				}
			}

			// Auth failures: no credential (401), a key without the scope (403).
			reader := s.newKey("default", "functions:read")
			base = s.scrape()
			if r := s.do("GET", "/v1/functions", nil, nil); r.status != http.StatusUnauthorized {
				t.Fatalf("no key: %d", r.status)
			}
			if r := s.as(reader, "DELETE", "/v1/functions/"+id, nil); r.status != http.StatusForbidden {
				t.Fatalf("read-only key: %d", r.status)
			}
			s.waitDeltas(base, map[string]float64{
				`scriptforge_auth_failures_total{reason="unauthenticated"}`: 1,
				`scriptforge_auth_failures_total{reason="forbidden"}`:       1,
			})
		})
	}
}
