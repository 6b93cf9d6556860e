package gateway_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/gateway"
	"github.com/scriptforge/scriptforge/ratelimit"
)

// hammer calls path from workers goroutines for d and counts answers by status.
func (s *server) hammer(path string, workers int, d time.Duration, headers func(i int) map[string]string) map[int]int {
	var mu sync.Mutex
	counts := map[int]int{}
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				var h map[string]string
				if headers != nil {
					h = headers(int(n.Add(1)))
				}
				r := s.do("POST", path, `{}`, h)
				mu.Lock()
				counts[r.status]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return counts
}

// within reports whether got is within 10% of want.
func within(got, want float64) bool { return got >= want*0.9 && got <= want*1.1 }

// Each limit holds within 10% of its rate over a couple of seconds, and
// refusals say which limit and when to retry.
func TestRateLimitsHold(t *testing.T) {
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
		c.Usage = gateway.UsageDefaults{IPRate: 40, IPBurst: 10}
	})
	for _, id := range []string{"acme", "globex"} {
		r := s.admin("POST", "/v1/tenants", map[string]any{"id": id, "limits": map[string]any{"rate": 50, "burst": 12, "ip_rate": 1e6, "ip_burst": 1e6}})
		if r.status != http.StatusCreated {
			t.Fatalf("tenant %s: %d %s", id, r.status, r.body)
		}
	}
	acme := s.newKey("acme", "functions:write", "functions:read")
	deployIn := func(key, name string, limits map[string]any) string {
		r := s.as(key, "POST", "/v1/functions", map[string]any{"name": name, "source": `function main() { return 1 }`, "limits": limits})
		if r.status != http.StatusCreated {
			t.Fatalf("deploy %s: %d %s", name, r.status, r.body)
		}
		return "/v1/fn/" + r.json(t)["uuid"].(string)
	}
	tenantPath := deployIn(acme, "tenant-bound", nil)                                                             // the tenant's 50/s
	fnPath := deployIn(s.newKey("globex", "functions:write"), "fn-bound", map[string]any{"rate": 20, "burst": 5}) // its own 20/s
	_, ipUUID := s.deploy("ip-bound", "script", `function main() { return 1 }`)                                   // the default tenant: the default IP limit

	// Bursts of a quarter second: with a burst of 1, a stall of the
	// machine (the race detector, other packages' tests) lost every token
	// it would have refilled, and the count fell short of the rate.
	const d = 3 * time.Second
	cases := []struct {
		name  string
		path  string
		rate  float64
		burst float64
	}{
		{"tenant", tenantPath, 50, 12},
		{"function", fnPath, 20, 5},
		{"ip", "/v1/fn/" + ipUUID, 40, 10},
	}
	t.Run("rates", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				counts := s.hammer(tc.path, 8, d, nil)
				want := tc.rate*d.Seconds() + tc.burst
				if ok := float64(counts[200]); !within(ok, want) || counts[429] == 0 {
					t.Fatalf("%v answered: %v; want %.0f ± 10%% with 200", tc.name, counts, want)
				}
				if len(counts) != 2 {
					t.Fatalf("unexpected statuses: %v", counts)
				}
			})
		}
	})
	t.Run("refusal", func(t *testing.T) {
		// One call every 2 s: the second call, right after the first, is
		// refused however slow the machine.
		if r := s.admin("POST", "/v1/tenants", map[string]any{"id": "slowco", "limits": map[string]any{"ip_rate": 1e6, "ip_burst": 1e6}}); r.status != http.StatusCreated {
			t.Fatalf("tenant: %d %s", r.status, r.body)
		}
		slow := deployIn(s.newKey("slowco", "functions:write"), "slow", map[string]any{"rate": 0.5, "burst": 1})
		if r := s.do("POST", slow, `{}`, nil); r.status != 200 || r.header.Get("RateLimit-Policy") == "" {
			t.Fatalf("first call: %d %s %v", r.status, r.body, r.header)
		}
		r := s.do("POST", slow, `{}`, nil)
		if r.status != http.StatusTooManyRequests || r.errorCode(t) != "rate_limited" || !strings.Contains(string(r.body), "this function is over its limit of 0.5") {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		retry, _ := strconv.Atoi(r.header.Get("Retry-After"))
		if retry < 1 || retry > 2 || r.header.Get("RateLimit-Policy") != `"function";q=1;w=2` || !strings.HasPrefix(r.header.Get("RateLimit"), `"function";r=0;t=`) {
			t.Fatalf("headers: Retry-After %q, RateLimit-Policy %q, RateLimit %q", r.header.Get("Retry-After"), r.header.Get("RateLimit-Policy"), r.header.Get("RateLimit"))
		}
		time.Sleep(time.Duration(retry) * time.Second)
		if ok := s.do("POST", slow, `{}`, nil); ok.status != 200 {
			t.Fatalf("after Retry-After: %d %s", ok.status, ok.body)
		}
	})
}

// A tenant at its limit does not slow another: all of the neighbour's
// calls succeed, and fast, while the first tenant is refused.
func TestTenantAtLimitDoesNotSlowAnother(t *testing.T) {
	s := startServer(t, t.TempDir())
	for id, rate := range map[string]int{"noisy": 10, "quiet": 1000} {
		if r := s.admin("POST", "/v1/tenants", map[string]any{"id": id, "limits": map[string]any{"rate": rate, "ip_rate": 1e5, "ip_burst": 1e5}}); r.status != http.StatusCreated {
			t.Fatalf("tenant %s: %d %s", id, r.status, r.body)
		}
	}
	deploy := func(tenant string) string {
		r := s.as(s.newKey(tenant, "functions:write"), "POST", "/v1/functions", map[string]any{"name": "f", "source": `function main() { return 1 }`})
		if r.status != http.StatusCreated {
			t.Fatalf("deploy: %d %s", r.status, r.body)
		}
		return "/v1/fn/" + r.json(t)["uuid"].(string)
	}
	noisy, quiet := deploy("noisy"), deploy("quiet")
	stop := make(chan struct{})
	var refused atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if r := s.do("POST", noisy, `{}`, nil); r.status == http.StatusTooManyRequests {
					refused.Add(1)
				}
			}
		}()
	}
	var slowest time.Duration
	for i := 0; i < 200; i++ {
		start := time.Now()
		r := s.do("POST", quiet, `{}`, nil)
		slowest = max(slowest, time.Since(start))
		if r.status != http.StatusOK {
			t.Fatalf("the quiet tenant got %d %s", r.status, r.body)
		}
	}
	close(stop)
	wg.Wait()
	if refused.Load() == 0 {
		t.Fatal("the noisy tenant was never refused")
	}
	if slowest > time.Second { // generous for -race on a busy machine; a queue behind the noisy tenant would be seconds
		t.Fatalf("the quiet tenant's slowest call took %v", slowest)
	}
}

// 10,000 client addresses cost bounded memory: the buckets live in an LRU.
func TestManyClientIPsBoundedMemory(t *testing.T) {
	local, err := ratelimit.NewLocal(1000)
	if err != nil {
		t.Fatal(err)
	}
	proxies, err := ratelimit.ParseTrustedProxies([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
		c.Limiter, c.RateLimitKeys = local, 1000
		c.TrustedProxies, c.ClientIPHeader = proxies, "X-Forwarded-For"
		c.Usage = gateway.UsageDefaults{IPRate: 1, IPBurst: 1}
	})
	_, uuid := s.deploy("f", "script", `function main() { return 1 }`)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	// At least 2,000 addresses, twice the cap, in rounds of a second: a
	// loaded machine takes more rounds, not a weaker check.
	var addr atomic.Int64
	counts, total := map[int]int{}, 0
	for deadline := time.Now().Add(30 * time.Second); total < 2000; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d calls in 30 s: %v", total, counts)
		}
		for status, n := range s.hammer("/v1/fn/"+uuid, 8, time.Second, func(int) map[string]string {
			i := addr.Add(1)
			return map[string]string{"X-Forwarded-For": fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}
		}) {
			counts[status] += n
		}
		total = counts[200] + counts[429]
	}
	// Every address is new, so each has a full bucket: none is refused.
	if counts[429] != 0 {
		t.Fatalf("distinct addresses refused: %v", counts)
	}
	if n := local.Len(); n > 1000 {
		t.Fatalf("%d buckets for a cap of 1000", n)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 32<<20 {
		t.Fatalf("heap grew by %d MiB over %d addresses", grew>>20, total)
	}
	// The header is believed from a trusted proxy only: one address, one bucket.
	spoofed := 0
	for i := 0; i < 5; i++ {
		r := s.do("POST", "/v1/fn/"+uuid, `{}`, map[string]string{"X-Forwarded-For": "192.0.2.1"})
		if r.status == http.StatusTooManyRequests {
			spoofed++
		}
	}
	if spoofed == 0 {
		t.Fatal("the same forwarded address was never limited")
	}
}

// gate is a local server a function's run can wait on: a fetch of its
// URL tells the test the run is under way (entered) and answers only once
// the test opens the gate, so a test holds a run as long as it needs
// whatever the machine's speed. Functions reach it through a
// loopbackExecutor.
type gate struct {
	*httptest.Server
	entered chan struct{}
	open    chan struct{}
	opened  sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{entered: make(chan struct{}, 16), open: make(chan struct{})}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.entered <- struct{}{}
		select {
		case <-g.open:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { g.release(); g.Close() })
	return g
}

// waitEntered waits for a run to reach the gate.
func (g *gate) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no run reached the gate")
	}
}

// release opens the gate for good.
func (g *gate) release() { g.opened.Do(func() { close(g.open) }) }

// A function's concurrency cap: one run at a time, one more waits, a third
// is refused at once.
func TestConcurrencyCap(t *testing.T) {
	hold := newGate(t)
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
		c.Executor = loopbackExecutor(t, "inprocess")
		// Long enough that the waiting run cannot give up on a slow machine.
		c.Usage = gateway.UsageDefaults{Queue: 1, QueueWait: 10 * time.Second}
	})
	// The test server's longest time limit: the held run must not time out.
	r := s.admin("POST", "/v1/functions", map[string]any{"name": "slow", "type": "app", "limits": map[string]any{"concurrency": 1},
		"timeout_ms": 5000, "env": map[string]any{"GATE": hold.URL},
		"source": `export async function main(d) { if (d.hold) await fetch(process.env.GATE); return "done" }`})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	path := "/v1/fn/" + r.json(t)["uuid"].(string)
	results := make(chan response, 3)
	go func() { results <- s.do("POST", path, `{"hold":true}`, nil) }()
	hold.waitEntered(t) // the first runs, holding the slot until released
	for i := 0; i < 2; i++ {
		// Whichever comes first waits in the queue, the other is refused.
		go func() { results <- s.do("POST", path, `{}`, nil) }()
	}
	// The refusal comes while the first still runs; only then is the
	// slot given back, to the one waiting.
	select {
	case first := <-results:
		hold.release()
		results <- first
	case <-time.After(15 * time.Second): // none refused: the counts below say so
		hold.release()
	}
	counts := map[int]int{}
	for i := 0; i < 3; i++ {
		r := <-results
		counts[r.status]++
		if r.status == http.StatusTooManyRequests {
			if r.errorCode(t) != "concurrency_limited" || r.header.Get("Retry-After") != "1" || !strings.Contains(string(r.body), "function already has 1 runs in progress") {
				t.Fatalf("refusal: %d %s %v", r.status, r.body, r.header)
			}
		}
	}
	if counts[200] != 2 || counts[429] != 1 {
		t.Fatalf("answers: %v; want two runs (one after waiting) and one refusal", counts)
	}
}
