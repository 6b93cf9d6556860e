package gateway_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/gateway"
)

var serverTimingRE = regexp.MustCompile(`(?:^|, )cpu;dur=(\d+\.\d{3}), total;dur=(\d+\.\d{3})$`)

// serverTiming returns the cpu and total durations of a Server-Timing header.
func serverTiming(t *testing.T, r response) (cpu, total time.Duration) {
	t.Helper()
	m := serverTimingRE.FindStringSubmatch(r.header.Get("Server-Timing"))
	if m == nil {
		t.Fatalf("Server-Timing %q: want cpu;dur=<ms>, total;dur=<ms>", r.header.Get("Server-Timing"))
	}
	ms := func(s string) time.Duration {
		f, _ := strconv.ParseFloat(s, 64)
		return time.Duration(f * float64(time.Millisecond))
	}
	return ms(m[1]), ms(m[2])
}

// runRecord waits for the run record of a call and returns it.
func (s *server) runRecord(r response) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec := s.admin("GET", "/v1/runs/"+r.header.Get("X-Request-Id"), nil)
		if rec.status == http.StatusOK {
			return rec.json(s.t)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("run record never appeared: %d %s", rec.status, rec.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Each run's CPU time reaches the caller (Server-Timing), the run record
// (cpu_us) and /metrics, for failed runs too, in both isolation modes.
func TestRunCPUReported(t *testing.T) {
	for _, isolation := range isolations {
		t.Run(isolation, func(t *testing.T) {
			s := startServerWith(t, t.TempDir(), isolation, 0)
			_, u := s.deploy("cpu", "app", `export default async function (d) {
				let x = 0
				for (let i = 0; i < 20000; i++) x = (x + i * 7) % 1000003
				if (d.wait) await new Promise(r => setTimeout(r, 500))
				if (d.fail) throw new Error("failed after work " + x)
				if (d.timing) return new Response("ok", { headers: { "Server-Timing": "db;dur=5" } })
				return x
			}`)
			json := map[string]string{"Content-Type": "application/json"}
			for _, tc := range []struct {
				name, body string
				status     int
				waits      bool
			}{
				{"ok", `{}`, 200, false},
				{"thrown", `{"fail":true}`, 500, false},
				{"awaits a timer", `{"wait":true}`, 200, true},
				{"own Server-Timing", `{"timing":true}`, 200, false},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := s.do("POST", "/v1/fn/"+u, tc.body, json)
					if r.status != tc.status {
						t.Fatalf("%d %s", r.status, r.body)
					}
					cpu, total := serverTiming(t, r)
					if cpu <= 0 || cpu > total {
						t.Fatalf("Server-Timing cpu %v, total %v: want 0 < cpu <= total", cpu, total)
					}
					// The 500 ms asleep are not CPU time. (What is, under -race on a
					// busy machine, can be tens of ms: a new runtime, the loop.)
					if tc.waits && (total < 500*time.Millisecond || cpu > total-400*time.Millisecond) {
						t.Fatalf("a run awaiting 500 ms: cpu %v, total %v", cpu, total)
					}
					if tc.name == "own Server-Timing" && !strings.HasPrefix(r.header.Get("Server-Timing"), "db;dur=5, cpu;dur=") {
						t.Fatalf("the function's Server-Timing is lost: %q", r.header.Get("Server-Timing"))
					}
					rec := s.runRecord(r)
					cpuUS, _ := rec["cpu_us"].(float64)
					if want := float64(cpu.Microseconds()); cpuUS < want-1 || cpuUS > want+1 || cpuUS > rec["duration_us"].(float64) {
						t.Fatalf("run record cpu_us %v (duration_us %v), Server-Timing cpu %v", rec["cpu_us"], rec["duration_us"], cpu)
					}
				})
			}
			m := s.do("GET", "/metrics", nil, nil)
			if !regexp.MustCompile(`(?m)^scriptforge_run_cpu_seconds_count 4$`).Match(m.body) ||
				!strings.Contains(string(m.body), `scriptforge_run_cpu_seconds_bucket{le="1e-05"}`) {
				t.Fatalf("/metrics lacks the CPU histogram of 4 runs:\n%s", grepLines(m.body, "scriptforge_run_cpu"))
			}
		})
	}
}

func grepLines(b []byte, substr string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A tenant over its CPU budget is refused with 429 cpu_limited and the
// RateLimit headers, waits in proportion to what it burned, and is served
// again once the budget has refilled; a neighbour is not affected.
func TestCPUBudget(t *testing.T) {
	for _, mode := range limitModes {
		t.Run(mode.name, func(t *testing.T) { testCPUBudget(t, mode.options(t)) })
	}
}

func testCPUBudget(t *testing.T, limits func(*gateway.Config)) {
	s := startServerWith(t, t.TempDir(), "inprocess", 0, limits, func(c *gateway.Config) { c.Usage.CPUBurst = time.Second })
	// 50 ms of CPU per second, 50 ms at once.
	for id, cpu := range map[string]int{"heavy": 50, "light": 0} {
		if r := s.admin("POST", "/v1/tenants", map[string]any{"id": id, "limits": map[string]any{"cpu_ms": cpu}}); r.status != http.StatusCreated {
			t.Fatalf("tenant %s: %d %s", id, r.status, r.body)
		}
	}
	deploy := func(tenant, src string) string {
		r := s.as(s.newKey(tenant, "functions:write"), "POST", "/v1/functions", map[string]any{"name": "f", "source": src})
		if r.status != http.StatusCreated {
			t.Fatalf("deploy: %d %s", r.status, r.body)
		}
		return "/v1/fn/" + r.json(t)["uuid"].(string)
	}
	// Spins for 150 ms of wall time (7.5 ms of refill); how much of it is
	// CPU depends on how busy the machine is, so the test calls until refused.
	heavy := deploy("heavy", `function main(d) { const t = Date.now(); while (Date.now() - t < (d.ms || 0)) {} return 1 }`)
	light := deploy("light", `function main() { return 1 }`)

	var refused response
	var burned time.Duration
	for i := 0; ; i++ {
		r := s.do("POST", heavy, `{"ms":150}`, nil)
		if r.status == http.StatusTooManyRequests {
			refused = r
			break
		}
		if r.status != http.StatusOK || i == 40 {
			t.Fatalf("call %d: %d %s (CPU so far %v)", i, r.status, r.body, burned)
		}
		cpu, _ := serverTiming(t, r)
		burned += cpu
	}
	if refused.errorCode(t) != "cpu_limited" || !strings.Contains(string(refused.body), "CPU budget of 50 ms per second (burst 50 ms)") ||
		refused.header.Get("RateLimit-Policy") != `"cpu";q=50;w=1` ||
		!strings.HasPrefix(refused.header.Get("RateLimit"), `"cpu";r=0;t=`) {
		t.Fatalf("refusal: %d %s %v", refused.status, refused.body, refused.header)
	}
	// The debt is what was burned beyond the 50 ms burst (minus the
	// refill meanwhile); at 50 ms per second it takes debt/50 seconds.
	retry, err := strconv.Atoi(refused.header.Get("Retry-After"))
	if maxRetry := int((burned-50*time.Millisecond)/(50*time.Millisecond)) + 1; err != nil || retry < 1 || retry > maxRetry {
		t.Fatalf("Retry-After %q after burning %v: want 1..%d", refused.header.Get("Retry-After"), burned, maxRetry)
	}
	if r := s.do("POST", light, `{}`, nil); r.status != http.StatusOK {
		t.Fatalf("the other tenant: %d %s", r.status, r.body)
	}
	// Refused calls do not run, so they cost nothing and do not deepen the debt.
	if r := s.do("POST", heavy, `{}`, nil); r.status != http.StatusTooManyRequests {
		t.Fatalf("still in debt: %d %s", r.status, r.body)
	}
	time.Sleep(time.Duration(retry) * time.Second)
	if r := s.do("POST", heavy, `{}`, nil); r.status != http.StatusOK {
		t.Fatalf("after Retry-After: %d %s", r.status, r.body)
	}
}
