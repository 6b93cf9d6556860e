package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions/postgres/pgtest"
	"github.com/scriptforge/scriptforge/internal/servicetest"
)

// The cluster tests start gateway processes on one PostgreSQL schema of
// their own and one redis-server of their own, and check what issue 17
// asks of them end to end: they behave as one.

const clusterKey = "sfk_cluster-test-admin-key-0123456789"

// clusterBurst is the tenant's burst in the rate tests.
const clusterBurst = 10

// gatewayCluster is a set of gateway processes sharing one store and one Redis.
type gatewayCluster struct {
	t     *testing.T
	db    string
	redis *servicetest.RedisServer
	gws   []*gatewayProcess
	flags []string
	// id names the cluster: its Redis key prefix and its bus's channels
	// and leader lock, which are the database's, not the schema's.
	id string
}

func newCluster(t *testing.T, n int, flags ...string) *gatewayCluster {
	t.Helper()
	c := &gatewayCluster{t: t, db: pgtest.URL(t), redis: servicetest.NewRedisServer(t), flags: flags,
		id: fmt.Sprintf("sft%d", time.Now().UnixNano())}
	var wg sync.WaitGroup
	c.gws = make([]*gatewayProcess, n)
	for i := range n { // together, as a fleet starts: one migrates, all start
		wg.Add(1)
		go func() { defer wg.Done(); c.gws[i] = c.launch() }()
	}
	wg.Wait()
	return c
}

func (c *gatewayCluster) launch() *gatewayProcess {
	c.t.Helper()
	g := launchGateway(c.t, []string{"DATABASE_URL=" + c.db, "SCRIPTFORGE_ADMIN_KEY=" + clusterKey},
		append([]string{"--isolation", "inprocess", "--redis-url", "redis://" + c.redis.Addr(),
			"--redis-prefix", c.id + ":", "--cluster-prefix", c.id}, c.flags...)...)
	g.key = clusterKey
	return g
}

// do sends one request with the admin key (or key) and returns the status and body.
func do(t *testing.T, method, url, key string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// within polls check on every gateway until it holds on all of them,
// failing after limit; it returns how long that took.
func (c *gatewayCluster) within(limit time.Duration, what string, check func(g *gatewayProcess) bool) time.Duration {
	c.t.Helper()
	start := time.Now()
	for _, g := range c.gws {
		for !check(g) {
			if time.Since(start) > limit {
				c.t.Fatalf("%s: not on %s after %v", what, g.url, limit)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return time.Since(start)
}

func answers(t *testing.T, g *gatewayProcess, uuid, want string) bool {
	status, body := do(t, "POST", g.url+"/v1/fn/"+uuid, "", map[string]any{})
	return status == 200 && strings.TrimSpace(string(body)) == want
}

// TestClusterActsAsOne: a deploy, an update and a rollback on one gateway
// are served by all within a second, a key revoked on one is refused by
// all within a second, a tenant's rate holds across them within ±10%,
// and with Redis stopped calls go on and the shared limit comes back
// with it.
func TestClusterActsAsOne(t *testing.T) {
	t.Parallel()
	const rate = 40
	// A quarter second of burst: with none, a slow caller (a loaded CI
	// machine, the race detector) misses emission slots that a bucket of
	// one cannot keep, and fewer than the rate get through.
	c := newCluster(t, 3, "--tenant-rate", fmt.Sprint(rate), "--tenant-burst", fmt.Sprint(clusterBurst))
	a := c.gws[0]

	// Deploy, update, rollback on A; B and C cached the earlier answer.
	status, body := do(t, "POST", a.url+"/v1/functions", clusterKey, map[string]any{"name": "f", "source": `function main() { return "v1" }`})
	if status != 201 {
		t.Fatalf("deploy: %d %s", status, body)
	}
	var fn struct{ ID, UUID string }
	json.Unmarshal(body, &fn)
	took := c.within(time.Second, "the deploy", func(g *gatewayProcess) bool { return answers(t, g, fn.UUID, `"v1"`) })
	t.Logf("deploy live on all three after %v", took)
	if status, body := do(t, "PUT", a.url+"/v1/functions/"+fn.ID, clusterKey, map[string]any{"source": `function main() { return "v2" }`}); status != 200 {
		t.Fatalf("update: %d %s", status, body)
	}
	took = c.within(time.Second, "the update", func(g *gatewayProcess) bool { return answers(t, g, fn.UUID, `"v2"`) })
	t.Logf("update live on all three after %v", took)
	if status, body := do(t, "POST", c.gws[1].url+"/v1/functions/"+fn.ID+"/rollback", clusterKey, map[string]any{"version": 1}); status != 200 {
		t.Fatalf("rollback through B: %d %s", status, body)
	}
	took = c.within(time.Second, "the rollback", func(g *gatewayProcess) bool { return answers(t, g, fn.UUID, `"v1"`) })
	t.Logf("rollback live on all three after %v", took)

	// A key every gateway has accepted (and cached) is revoked on C.
	status, body = do(t, "POST", a.url+"/v1/tenants/default/keys", clusterKey, map[string]any{"name": "reader", "scopes": []string{"functions:read"}})
	if status != 201 {
		t.Fatalf("create key: %d %s", status, body)
	}
	var key struct{ ID, Secret string }
	json.Unmarshal(body, &key)
	c.within(time.Second, "the new key", func(g *gatewayProcess) bool {
		s, _ := do(t, "GET", g.url+"/v1/functions", key.Secret, nil)
		return s == 200
	})
	if status, body := do(t, "DELETE", c.gws[2].url+"/v1/tenants/default/keys/"+key.ID, clusterKey, nil); status != 204 && status != 200 {
		t.Fatalf("revoke: %d %s", status, body)
	}
	took = c.within(time.Second, "the revocation", func(g *gatewayProcess) bool {
		s, _ := do(t, "GET", g.url+"/v1/functions", key.Secret, nil)
		return s == 401
	})
	t.Logf("key refused by all three after %v", took)

	// The tenant's rate, across the three.
	if ok, _ := c.load(fn.UUID, 3*time.Second, rate); !ok {
		t.Fatal("the shared rate did not hold")
	}

	// Redis stops: every call still answers, 200 or 429, never a failure.
	c.redis.Stop()
	if _, failed := c.load(fn.UUID, 2*time.Second, 0); failed > 0 {
		t.Fatalf("%d calls failed while Redis was down", failed)
	}
	c.redis.Start()
	c.within(5*time.Second, "limits shared again", func(g *gatewayProcess) bool {
		return metricValue(t, g, "scriptforge_ratelimit_shared") == 1
	})
	if ok, _ := c.load(fn.UUID, 2*time.Second, rate); !ok {
		t.Fatal("the shared rate did not come back with Redis")
	}
}

// load calls uuid through every gateway in turn, as fast as 12 callers
// can, for d. With rate > 0 it checks that the calls let through match
// rate per second within ±10%, the burst aside. It returns that,
// and how many calls got neither a 200 nor a 429.
func (c *gatewayCluster) load(uuid string, d time.Duration, rate int) (bool, int) {
	c.t.Helper()
	var ok, refused, failed atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := i; time.Now().Before(stop); n++ {
				status, _ := do(c.t, "POST", c.gws[n%len(c.gws)].url+"/v1/fn/"+uuid, "", map[string]any{})
				switch status {
				case 200:
					ok.Add(1)
				case 429:
					refused.Add(1)
				default:
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	got := float64(ok.Load()) / d.Seconds()
	c.t.Logf("%.1f calls/s let through, %d refused, %d failed (rate %d)", got, refused.Load(), failed.Load(), rate)
	if rate == 0 {
		return true, int(failed.Load())
	}
	return got >= 0.9*float64(rate) && got <= 1.1*float64(rate)+clusterBurst/d.Seconds() && failed.Load() == 0, int(failed.Load())
}

func metricValue(t *testing.T, g *gatewayProcess, name string) float64 {
	for _, line := range strings.Split(get(t, g.url+"/metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return -1
}

// leader is the gateway whose scriptforge_cluster_leader is 1, waiting
// up to 15 s for one.
func (c *gatewayCluster) leader(alive []*gatewayProcess) *gatewayProcess {
	c.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, g := range alive {
			if metricValue(c.t, g, "scriptforge_cluster_leader") == 1 {
				return g
			}
		}
	}
	c.t.Fatal("no gateway leads")
	return nil
}

// slots reads a function's fires through g, their slots parsed.
func slots(t *testing.T, g *gatewayProcess, fnID string) []struct {
	Slot  time.Time
	State string
} {
	t.Helper()
	var out []struct {
		Slot  time.Time
		State string
	}
	for _, f := range g.fires(t, fnID) {
		at, err := time.Parse(time.RFC3339, f.Slot)
		if err != nil {
			t.Fatalf("slot %q: %v", f.Slot, err)
		}
		out = append(out, struct {
			Slot  time.Time
			State string
		}{at, f.State})
	}
	return out
}

// TestClusterSchedulerFailover: a schedule fires once per slot across
// three gateways; when the leader is killed, another fires the next
// slot, and no slot is lost or fired twice. It follows a one-minute
// schedule in real time, so it takes one to two minutes.
func TestClusterSchedulerFailover(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3)
	status, body := do(t, "POST", c.gws[0].url+"/v1/functions", clusterKey, map[string]any{
		"name": "tick", "source": `function main(d) { console.log("tick", d.scheduled_at); return 1 }`,
		"schedule": map[string]any{"cron": "* * * * *"}})
	if status != 201 {
		t.Fatalf("deploy: %d %s", status, body)
	}
	var fn struct{ ID string }
	json.Unmarshal(body, &fn)

	leader := c.leader(c.gws)
	var alive []*gatewayProcess
	for _, g := range c.gws {
		if g != leader {
			alive = append(alive, g)
		}
	}
	succeeded := func(after time.Time) bool {
		for _, f := range slots(t, alive[0], fn.ID) {
			if f.State == "succeeded" && f.Slot.After(after) {
				return true
			}
		}
		return false
	}
	waitFor := func(what string, limit time.Duration, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(limit); !ok(); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v; fires %+v", what, limit, slots(t, alive[0], fn.ID))
			}
		}
	}
	// scheduledRuns counts the function's run records of trigger schedule.
	scheduledRuns := func(g *gatewayProcess) (int, []byte) {
		status, body := do(t, "GET", g.url+"/v1/functions/"+fn.ID+"/runs?trigger=schedule", clusterKey, nil)
		var runs struct{ Runs []struct{ Trigger string } }
		if status != 200 || json.Unmarshal(body, &runs) != nil {
			t.Fatalf("runs: %d %s", status, body)
		}
		n := 0
		for _, r := range runs.Runs {
			if r.Trigger == "schedule" {
				n++
			}
		}
		return n, body
	}
	waitFor("a first slot fired", 75*time.Second, func() bool { return succeeded(time.Time{}) })
	// Run records are written in batches, a few each 200 ms: a kill -9
	// before its batch would lose the record (not the slot's fire, which
	// is claimed and settled in the store on its own).
	waitFor("the first slot's run record", 5*time.Second, func() bool { n, _ := scheduledRuns(alive[0]); return n >= 1 })
	if err := leader.cmd.Process.Kill(); err != nil { // kill -9: no goodbye
		t.Fatal(err)
	}
	killed := time.Now()
	newLeader := c.leader(alive)
	t.Logf("%s took the lead %v after the kill", newLeader.url, time.Since(killed).Round(time.Millisecond))
	if time.Since(killed) > 10*time.Second {
		t.Errorf("the lead was taken %v after the kill; want within 10 s", time.Since(killed))
	}
	waitFor("a slot after the kill fired", 75*time.Second, func() bool { return succeeded(killed) })

	// Every slot from the first to the last, once each, all succeeded;
	// and one scheduled run per slot.
	list := slots(t, alive[0], fn.ID)
	seen := map[time.Time]int{} // by instant: slots come in the schedule's zone
	first, last := list[0].Slot, list[0].Slot
	for _, f := range list {
		seen[f.Slot]++
		if f.State != "succeeded" {
			t.Errorf("slot %s: %s", f.Slot, f.State)
		}
		if f.Slot.Before(first) {
			first = f.Slot
		}
		if f.Slot.After(last) {
			last = f.Slot
		}
	}
	for s := first; !s.After(last); s = s.Add(time.Minute) {
		if seen[s] != 1 {
			t.Errorf("slot %s fired %d times", s, seen[s])
		}
	}
	// Run records are written in batches: give the last one time to land.
	var n int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if n, body = scheduledRuns(alive[1]); n >= len(seen) || time.Now().After(deadline) {
			break
		}
	}
	if n != len(seen) {
		t.Errorf("%d scheduled runs for %d slots: %s", n, len(seen), body)
	}
}

// TestClusterAsyncSurvivesAKill: async runs accepted on one gateway all
// complete, each delivered to its callback once, while another gateway
// that was running some of them is killed.
func TestClusterAsyncSurvivesAKill(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	delivered := map[string]int{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			RequestID string `json:"request_id"`
			Status    string
		}
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &m) != nil || m.Status != "succeeded" {
			t.Errorf("callback %s", b)
		}
		mu.Lock()
		delivered[m.RequestID]++
		mu.Unlock()
	}))
	defer receiver.Close()
	// Leases short enough for the test, longer than a run may take.
	c := newCluster(t, 3, "--fetch-allow", "127.0.0.1/32", "--max-timeout", "2s", "--async-lease", "4s")
	a := c.gws[0]
	if status, body := do(t, "POST", a.url+"/v1/callback-secret", clusterKey, nil); status != 201 {
		t.Fatalf("callback secret: %d %s", status, body)
	}
	status, body := do(t, "POST", a.url+"/v1/functions", clusterKey, map[string]any{"name": "slow", "type": "app",
		"source": `export async function main() { await new Promise((r) => setTimeout(r, 300)); return {ok: true} }`})
	if status != 201 {
		t.Fatalf("deploy: %d %s", status, body)
	}
	var fn struct{ UUID string }
	json.Unmarshal(body, &fn)

	const n = 30
	ids := make([]string, n)
	for i := range n {
		ids[i] = a.accept(t, fn.UUID, "X-Callback-Url", receiver.URL+"/hook")
	}
	// B has taken some: kill it mid-run.
	time.Sleep(400 * time.Millisecond)
	if err := c.gws[1].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, id := range ids {
		for {
			status, body := do(t, "GET", c.gws[2].url+"/v1/runs/"+id, clusterKey, nil)
			var m struct {
				Status        string `json:"status"`
				CallbackState string `json:"callback_state"`
			}
			json.Unmarshal(body, &m)
			if status == 200 && m.Status == "succeeded" && m.CallbackState == "delivered" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %s: %d %s", id, status, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		if delivered[id] != 1 {
			t.Errorf("run %s delivered %d times", id, delivered[id])
		}
	}
	if len(delivered) != n {
		t.Errorf("%d runs delivered, %d accepted", len(delivered), n)
	}
}
