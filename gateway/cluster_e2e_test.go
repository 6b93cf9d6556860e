package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scriptforge/scriptforge/cluster"
	"github.com/scriptforge/scriptforge/cluster/clustertest"
	"github.com/scriptforge/scriptforge/functions/sandbox"
	"github.com/scriptforge/scriptforge/functions/schedule"
	"github.com/scriptforge/scriptforge/functions/sqlite"
	"github.com/scriptforge/scriptforge/functions/workers"
	"github.com/scriptforge/scriptforge/gateway"
)

// Gateways made one by the cluster bus: n gateways in this process on
// one SQLite file (WAL lets several handles share it), each with a bus
// of one new cluster on the machine's PostgreSQL.

type clusterNode struct {
	*server
	bus    *cluster.Bus
	prefix string // the cluster's
}

func startCluster(t *testing.T, n int, options ...func(*gateway.Config)) []clusterNode {
	t.Helper()
	dsn, prefix := clustertest.DSN(t), clustertest.Prefix(t)
	t.Cleanup(func() { // the cluster's sequence row
		if conn, err := pgx.Connect(context.Background(), dsn); err == nil {
			_, _ = conn.Exec(context.Background(), `DELETE FROM `+cluster.SequenceTable+` WHERE prefix = $1`, prefix)
			conn.Close(context.Background())
		}
	})
	dir := t.TempDir()
	var nodes []clusterNode
	for i := range n {
		bus, err := cluster.Open(context.Background(), cluster.Config{DSN: dsn, Prefix: prefix,
			Node: fmt.Sprintf("%s-%c", prefix, 'a'+i), LeaderRetry: 500 * time.Millisecond, Interest: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(bus.Close) // after the gateway's stop, registered below
		opts := append([]func(*gateway.Config){func(c *gateway.Config) { c.Bus = bus }}, options...)
		nodes = append(nodes, clusterNode{startServerWith(t, dir, "inprocess", 0, opts...), bus, prefix})
	}
	return nodes
}

// eventually polls check every 10 ms until it returns "" (and says how
// long that took) or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, check func() string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		problem := check()
		if problem == "" {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v: %s", what, limit, problem)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClusterDeployIsLiveEverywhere: what changes on the first gateway
// (a deploy, an update, a rollback, a settings change, a new UUID, a
// deletion) is what the others serve within a second, though each had
// the function cached (their caches keep it 30 s on their own).
func TestClusterDeployIsLiveEverywhere(t *testing.T) {
	nodes := startCluster(t, 3)
	a := nodes[0]
	r := a.admin("POST", "/v1/functions", map[string]any{"name": "greet", "auth": "public",
		"source": `function main() { return "v1" }`})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	id, uuid := r.json(t)["id"].(string), r.json(t)["uuid"].(string)
	var worst time.Duration
	expect := func(what, path string, status int, body string) {
		t.Helper()
		for _, n := range nodes[1:] {
			d := eventually(t, time.Second, what+" on "+n.bus.Node(), func() string {
				r := n.do("POST", path, `{}`, nil)
				if r.status != status || body != "" && string(r.body) != body {
					return fmt.Sprintf("%d %s", r.status, r.body)
				}
				return ""
			})
			worst = max(worst, d)
		}
	}
	expect("the deploy", "/v1/fn/"+uuid, 200, `"v1"`) // now cached on each

	if r := a.admin("PUT", "/v1/functions/"+id, map[string]any{"source": `function main() { return "v2" }`}); r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	expect("the update", "/v1/fn/"+uuid, 200, `"v2"`)

	if r := a.admin("POST", "/v1/functions/"+id+"/rollback", map[string]any{"version": 1}); r.status != 200 {
		t.Fatalf("rollback: %d %s", r.status, r.body)
	}
	expect("the rollback", "/v1/fn/"+uuid, 200, `"v1"`)

	if r := a.admin("PUT", "/v1/functions/"+id, map[string]any{"auth": "apikey"}); r.status != 200 {
		t.Fatalf("settings: %d %s", r.status, r.body)
	}
	expect("the settings change", "/v1/fn/"+uuid, 401, "")

	r = a.admin("POST", "/v1/functions/"+id+"/rotate-uuid", nil)
	if r.status != 200 {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	expect("the retired UUID", "/v1/fn/"+uuid, 404, "")

	if r := a.admin("PUT", "/v1/functions/"+id, map[string]any{"auth": "public"}); r.status != 200 {
		t.Fatalf("settings: %d %s", r.status, r.body)
	}
	uuid = r.json(t)["uuid"].(string)
	expect("the new UUID", "/v1/fn/"+uuid, 200, `"v1"`)

	if r := a.admin("DELETE", "/v1/functions/"+id, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	expect("the deletion", "/v1/fn/"+uuid, 404, "")
	t.Logf("slowest change to reach another gateway: %v", worst)
}

// TestClusterMissedChangePurges: a change whose message never came (made
// here through a gateway off the bus, then only the sequence bumped, as
// a lost notification leaves it) is served by the cluster's gateways
// after their next poll, which drops every cache.
func TestClusterMissedChangePurges(t *testing.T) {
	nodes := startCluster(t, 2)
	a, b := nodes[0], nodes[1]
	off := startServerWith(t, a.dir, "inprocess", 0) // the same store, no bus
	applied := b.bus.Stats().Applied
	r := a.admin("POST", "/v1/functions", map[string]any{"name": "greet", "auth": "public", "source": `function main() { return "v1" }`})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	// The deploy's own invalidation reaches b before b caches the
	// function: arriving after, it would drop the cache for a reason.
	// Only the order matters here, not how fast: a generous limit.
	eventually(t, 10*time.Second, "the deploy's invalidation on b", func() string {
		if n := b.bus.Stats().Applied; n == applied {
			return "none applied"
		}
		return ""
	})
	id, uuid := r.json(t)["id"].(string), r.json(t)["uuid"].(string)
	if r := b.do("POST", "/v1/fn/"+uuid, `{}`, nil); string(r.body) != `"v1"` { // cached now
		t.Fatalf("call: %d %s", r.status, r.body)
	}
	if r := off.admin("PUT", "/v1/functions/"+id, map[string]any{"source": `function main() { return "v2" }`}); r.status != 200 {
		t.Fatalf("update off the bus: %d %s", r.status, r.body)
	}
	time.Sleep(2500 * time.Millisecond) // a poll or more: nothing says it changed
	if r := b.do("POST", "/v1/fn/"+uuid, `{}`, nil); string(r.body) != `"v1"` {
		t.Fatalf("the cache was dropped without reason: %d %s", r.status, r.body)
	}
	conn, err := pgx.Connect(context.Background(), clustertest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `UPDATE `+cluster.SequenceTable+` SET seq = seq + 1 WHERE prefix = $1`, b.prefix); err != nil {
		t.Fatal(err)
	}
	d := eventually(t, 3*time.Second, "the missed change", func() string {
		if r := b.do("POST", "/v1/fn/"+uuid, `{}`, nil); string(r.body) != `"v2"` {
			return fmt.Sprintf("%d %s", r.status, r.body)
		}
		return ""
	})
	t.Logf("served after the sequence moved in %v (poll every 2 s)", d)
	if b.bus.Stats().Purges == 0 {
		t.Fatal("no purge counted")
	}
}

// TestClusterKeyRevocation: a key revoked through one gateway is refused
// by the others within a second, though they had it cached (10 s alone).
func TestClusterKeyRevocation(t *testing.T) {
	nodes := startCluster(t, 3)
	a := nodes[0]
	if r := a.admin("POST", "/v1/tenants", map[string]any{"id": "acme"}); r.status != http.StatusCreated {
		t.Fatalf("tenant: %d %s", r.status, r.body)
	}
	r := a.admin("POST", "/v1/tenants/acme/keys", map[string]any{"name": "reader", "scopes": []string{"functions:read"}})
	if r.status != http.StatusCreated {
		t.Fatalf("key: %d %s", r.status, r.body)
	}
	keyID, secret := r.json(t)["id"].(string), r.json(t)["secret"].(string)
	for _, n := range nodes {
		if r := n.as(secret, "GET", "/v1/functions", nil); r.status != 200 {
			t.Fatalf("the key on %s: %d %s", n.bus.Node(), r.status, r.body)
		}
	}
	revoked := time.Now()
	if r := a.admin("DELETE", "/v1/tenants/acme/keys/"+keyID, nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	for _, n := range nodes {
		eventually(t, time.Second-time.Since(revoked), "the revocation on "+n.bus.Node(), func() string {
			if r := n.as(secret, "GET", "/v1/functions", nil); r.status != 401 {
				return fmt.Sprintf("%d %s", r.status, r.body)
			}
			return ""
		})
	}
	t.Logf("refused everywhere %v after the revocation", time.Since(revoked))
}

// TestClusterTenantAndAssignment: a tenant's new limits and a routing
// assignment changed through one gateway hold on another within a
// second, though it had both cached.
func TestClusterTenantAndAssignment(t *testing.T) {
	nodes := startCluster(t, 2)
	a, b := nodes[0], nodes[1]
	admin, sw := routingTenant(a.server, "acme")
	for _, name := range []string{"one", "two"} {
		a.deployAs(admin, map[string]any{"name": name, "source": `function main(d) { d.egress_routing = [{uri: "sip:` + name + `@gw.example"}]; return d }`})
	}
	routed := func() string {
		r := b.route(sw, "/v1/routing/customers/c1", map[string]any{"routing": map[string]any{"to": "1"}})
		return fmt.Sprintf("%d %s", r.status, r.body)
	}
	a.assign(admin, "/v1/routing/customers/c1", map[string]any{"function": "one", "timeout_ms": 5000})
	if got := routed(); !strings.Contains(got, "sip:one@") {
		t.Fatalf("routed on the other gateway: %s", got)
	}
	a.assign(admin, "/v1/routing/customers/c1", map[string]any{"function": "two", "timeout_ms": 5000})
	d := eventually(t, time.Second, "the new assignment", func() string {
		if got := routed(); !strings.Contains(got, "sip:two@") {
			return got
		}
		return ""
	})
	t.Logf("assignment live on the other gateway in %v", d)

	r := a.as(admin, "POST", "/v1/functions", map[string]any{"name": "open", "auth": "public", "source": `function main() { return 1 }`})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	url := "/v1/fn/" + r.json(t)["uuid"].(string)
	for range 3 {
		if r := b.do("POST", url, `{}`, nil); r.status != 200 {
			t.Fatalf("before the limit: %d %s", r.status, r.body)
		}
	}
	if r := a.admin("PATCH", "/v1/tenants/acme", map[string]any{"limits": map[string]any{"rate": 0.001, "burst": 1}}); r.status != 200 {
		t.Fatalf("limits: %d %s", r.status, r.body)
	}
	d = eventually(t, time.Second, "the tenant's new limit", func() string {
		if r := b.do("POST", url, `{}`, nil); r.status != http.StatusTooManyRequests {
			return fmt.Sprintf("%d %s", r.status, r.body)
		}
		return ""
	})
	t.Logf("tenant limit live on the other gateway in %v", d)
}

// TestClusterWorkerStopStart: a Worker stopped through one gateway stops
// on the others, and starts again on all of them.
func TestClusterWorkerStopStart(t *testing.T) {
	nodes := startCluster(t, 2)
	a, b := nodes[0], nodes[1]
	r := a.admin("POST", "/v1/functions", map[string]any{"name": "counter", "type": "worker", "auth": "public",
		"source": `let count = 0; export function main(d) { count++; return {count} }`})
	if r.status != 201 {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	id, u := r.json(t)["id"].(string), r.json(t)["uuid"].(string)
	call := func() response { return b.do("POST", "/v1/fn/"+u, `{}`, nil) }
	for want := 1; want <= 2; want++ {
		if r := call(); string(r.body) != fmt.Sprintf(`{"count":%d}`, want) {
			t.Fatalf("call %d on b: %d %s", want, r.status, r.body)
		}
	}
	if r := a.admin("POST", "/v1/functions/"+id+"/stop", nil); r.status != 200 {
		t.Fatalf("stop on a: %d %s", r.status, r.body)
	}
	eventually(t, time.Second, "the stop on b", func() string {
		if r := call(); r.status != 503 || r.errorCode(t) != workers.CodeStopped {
			return fmt.Sprintf("%d %s", r.status, r.body)
		}
		return ""
	})
	if r := a.admin("POST", "/v1/functions/"+id+"/start", nil); r.status != 200 {
		t.Fatalf("start on a: %d %s", r.status, r.body)
	}
	eventually(t, time.Second, "the start on b", func() string {
		if r := call(); r.status != 200 || string(r.body) != `{"count":1}` { // a fresh runtime
			return fmt.Sprintf("%d %s", r.status, r.body)
		}
		return ""
	})
}

// TestClusterFollowLogs: a follower on the first gateway sees the lines
// of runs served by the others.
func TestClusterFollowLogs(t *testing.T) {
	nodes := startCluster(t, 3, fastKeepAlive)
	a := nodes[0]
	id, uuid := a.deploy("chatty", "script", `function main(d) { console.log("hello", d.n); return d.n }`)
	f := a.follow(adminKey, id, "")
	for _, n := range nodes[1:] {
		eventually(t, time.Second, "the interest reaching "+n.bus.Node(), func() string {
			if !n.bus.Followed(id) {
				return "not followed"
			}
			return ""
		})
	}
	var want []string
	for i, n := range nodes {
		r := n.do("POST", "/v1/fn/"+uuid, fmt.Sprintf(`{"n":%d}`, i), nil)
		if r.status != 200 {
			t.Fatalf("run on %s: %d %s", n.bus.Node(), r.status, r.body)
		}
		want = append(want, fmt.Sprintf("%s info hello %d", r.header.Get("X-Request-Id"), i))
	}
	got := f.lines(3)
	// The local line comes at once, the others over the bus: compare as sets.
	seen := map[string]bool{}
	for _, l := range got {
		seen[l] = true
	}
	for _, w := range want {
		if !seen[w] {
			t.Fatalf("lines %q, missing %q", got, w)
		}
	}
	f.cancel()
	for _, n := range nodes[1:] {
		eventually(t, 2*time.Second, "the interest withdrawn on "+n.bus.Node(), func() string {
			if n.bus.Followed(id) {
				return "still followed"
			}
			return ""
		})
	}
}

// TestClusterFollowLogsMidRun: a follower on another gateway that comes
// while a run followed where it runs is printing gets the lines printed
// after it came.
func TestClusterFollowLogsMidRun(t *testing.T) {
	nodes := startCluster(t, 2, fastKeepAlive)
	a, b := nodes[0], nodes[1]
	id, uuid := a.deploy("slow", "app", `export async function main() {
		console.log("first")
		await new Promise((resolve) => setTimeout(resolve, 1500))
		console.log("second")
		return 1
	}`)
	if r := a.admin("PUT", "/v1/functions/"+id, map[string]any{"timeout_ms": 5000}); r.status != 200 {
		t.Fatalf("set timeout: %d %s", r.status, r.body)
	}
	here := b.follow(adminKey, id, "")
	answered := invokeAsync(context.Background(), b.url+"/v1/fn/"+uuid, `{}`)
	first := here.lines(1)[0]
	if !strings.HasSuffix(first, " info first") {
		t.Fatalf("the follower where it runs: %q", first)
	}
	rid := strings.Fields(first)[0]
	there := a.follow(adminKey, id, "")
	eventually(t, time.Second, "the interest reaching b", func() string {
		if !b.bus.Followed(id) {
			return "not followed"
		}
		return ""
	})
	if r := <-answered; r.err != nil || r.resp.status != 200 {
		t.Fatalf("run: %v %+v", r.err, r.resp)
	}
	if got := there.lines(1); got[0] != rid+" info second" {
		t.Fatalf("the follower on a: %q, want the line printed after it came", got)
	}
}

// TestClusterCancel: DELETE /v1/runs/{id} on a gateway that does not run
// the run stops it on the one that does, and answers as if local.
func TestClusterCancel(t *testing.T) {
	p := newPartner(t)
	nodes := startCluster(t, 3, func(c *gateway.Config) { c.Executor = loopbackExecutor(t, "inprocess") })
	a, b := nodes[0], nodes[1]
	globex, _ := routingTenant(a.server, "globex")
	r := a.admin("POST", "/v1/functions", map[string]any{"name": "spin", "type": "app", "source": spinSource, "auth": "public",
		"timeout_ms": 5000, "env": map[string]any{"PARTNER": p.URL}})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	answered := invokeAsync(context.Background(), b.url+"/v1/fn/"+r.json(t)["uuid"].(string), `{}`)
	rid := p.waitStarted(t)
	if r := a.as(globex, "DELETE", "/v1/runs/"+rid, nil); r.status != http.StatusNotFound {
		t.Fatalf("another tenant's DELETE: %d %s", r.status, r.body)
	}
	asked := time.Now()
	r = a.admin("DELETE", "/v1/runs/"+rid, nil)
	if r.status != http.StatusOK || r.json(t)["status"] != "cancelled" || r.json(t)["request_id"] != rid {
		t.Fatalf("DELETE through another gateway: %d %s", r.status, r.body)
	}
	ans := <-answered
	if ans.err != nil || ans.resp.status != 499 || ans.resp.errorCode(t) != "cancelled" {
		t.Fatalf("the run's caller: %v %d %s", ans.err, ans.resp.status, ans.resp.body)
	}
	t.Logf("the run on %s stopped %v after the DELETE on %s", b.bus.Node(), ans.at.Sub(asked), a.bus.Node())
	start := time.Now()
	if r := a.admin("DELETE", "/v1/runs/"+rid, nil); r.status != http.StatusNotFound {
		t.Fatalf("DELETE of a finished run: %d %s", r.status, r.body)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("a 404 took %v", waited)
	}
}

// TestClusterCancelAsync: an async run accepted on one gateway and
// running on another is cancelled through the first.
func TestClusterCancelAsync(t *testing.T) {
	nodes := startCluster(t, 2, func(c *gateway.Config) { c.Queue = c.Store.(*sqlite.Store).Queue() })
	a, b := nodes[0], nodes[1]
	b.startWorkers() // only b runs async work
	uuid := a.deployWith(map[string]any{"name": "spin", "source": `function main(d) { while (true) {} }`, "timeout_ms": 5000})
	id := a.accept(uuid, `{}`, nil)
	a.waitRun(id, "running")
	// The queue says running a moment before b's run can be cancelled:
	// until then a's DELETE is a 409, as on a single gateway.
	eventually(t, 2*time.Second, "DELETE through a", func() string {
		if r := a.admin("DELETE", "/v1/runs/"+id, nil); r.status != 200 || r.json(t)["status"] != "cancelled" {
			return fmt.Sprintf("%d %s", r.status, r.body)
		}
		return ""
	})
	a.waitRun(id, "cancelled")
}

// fastClock runs a minute per second of real time: minute slots come
// every second.
type fastClock struct{ base, start time.Time }

func (c fastClock) Now() time.Time                         { return c.base.Add(time.Since(c.start) * 60) }
func (c fastClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// slotLog records which gateway ran each slot.
type slotLog struct {
	mu     sync.Mutex
	bySlot map[time.Time][]int
	order  []int // gateway of each run, in order
}

func (l *slotLog) ran(slot time.Time, node int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bySlot[slot] = append(l.bySlot[slot], node)
	l.order = append(l.order, node)
}

func (l *slotLog) runs() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.order...)
}

type countingInvoker struct {
	gw   *gateway.Gateway
	node int
	log  *slotLog
}

func (ci countingInvoker) RunScheduled(ctx context.Context, j schedule.Job) schedule.Outcome {
	ci.log.ran(j.Slot, ci.node)
	return ci.gw.RunScheduled(ctx, j)
}

// TestClusterSchedulerFailover: only the leader runs the schedules; when
// its bus closes another gateway leads within 10 s, and no slot runs
// twice.
func TestClusterSchedulerFailover(t *testing.T) {
	nodes := startCluster(t, 3)
	clock := fastClock{base: time.Now(), start: time.Now()}
	log := &slotLog{bySlot: map[time.Time][]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	for i, n := range nodes {
		runner, err := schedule.NewRunner(schedule.RunnerConfig{Store: n.store, Invoker: countingInvoker{n.gw, i, log},
			Clock: clock, Interval: 100 * time.Millisecond, NewRequestID: gateway.NewRequestID})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); n.bus.Lead(ctx, runner.Run) }()
	}
	r := nodes[0].admin("POST", "/v1/functions", map[string]any{"name": "tick", "source": `function main(d) { return d.scheduled_at }`,
		"schedule": map[string]any{"cron": "* * * * *"}})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	eventually(t, 10*time.Second, "three slots run", func() string {
		if n := len(log.runs()); n < 3 {
			return fmt.Sprintf("%d runs", n)
		}
		return ""
	})
	leader := -1
	for i, n := range nodes {
		if n.bus.IsLeader() {
			leader = i
		}
	}
	before := log.runs()
	for _, n := range before {
		if n != leader {
			t.Fatalf("gateway %d ran a slot while %d led: %v", n, leader, before)
		}
	}
	if body := nodes[leader].admin("GET", "/readyz", nil).body; !strings.Contains(string(body), `"leader":true`) {
		t.Fatalf("the leader's /readyz: %s", body)
	}
	nodes[leader].bus.Close()
	took := eventually(t, 10*time.Second, "another gateway running the slots", func() string {
		runs := log.runs()
		if last := runs[len(runs)-1]; last == leader {
			return "still the old leader's"
		}
		return ""
	})
	t.Logf("gateway %d led; after its bus closed another ran the next slot in %v", leader, took)
	eventually(t, 10*time.Second, "three more slots", func() string {
		if n := len(log.runs()); n < len(before)+3 {
			return fmt.Sprintf("%d runs", n)
		}
		return ""
	})
	cancel()
	wg.Wait()
	log.mu.Lock()
	defer log.mu.Unlock()
	for slot, ran := range log.bySlot {
		if len(ran) != 1 {
			t.Fatalf("slot %v ran %d times (gateways %v)", slot, len(ran), ran)
		}
	}
	leaders := 0
	for _, n := range nodes {
		if n.bus.IsLeader() {
			leaders++
		}
	}
	if leaders != 0 {
		t.Fatalf("%d gateways still say they lead after the scheduler stopped", leaders)
	}
}

// poolQuarantines stands in for a gateway's sandbox pool in what the
// cluster does with quarantines: decide (as the pool does when a function
// kills its sandboxes), take one on (Impose), lift.
type poolQuarantines struct {
	mu   sync.Mutex
	held map[string]sandbox.Quarantine
	told func(string, sandbox.Quarantine)
}

func (p *poolQuarantines) Quarantined(fn string) (sandbox.Quarantine, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q, ok := p.held[fn]
	return q, ok
}

func (p *poolQuarantines) Lift(fn string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.held[fn]
	delete(p.held, fn)
	return ok
}

func (p *poolQuarantines) QuarantineStats() sandbox.QuarantineStats { return sandbox.QuarantineStats{} }

func (p *poolQuarantines) Impose(fn string, q sandbox.Quarantine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held[fn] = q
}

func (p *poolQuarantines) OnQuarantine(f func(string, sandbox.Quarantine)) { p.told = f }

func (p *poolQuarantines) decide(fn string, q sandbox.Quarantine) {
	p.Impose(fn, q)
	p.told(fn, q)
}

// TestClusterQuarantineSpreads: a quarantine one gateway's pool decides
// is shown and applied by the others within a second; the operator's lift
// on any gateway lifts it everywhere.
func TestClusterQuarantineSpreads(t *testing.T) {
	pools := []*poolQuarantines{{held: map[string]sandbox.Quarantine{}}, {held: map[string]sandbox.Quarantine{}}}
	i := 0
	nodes := startCluster(t, 2, func(c *gateway.Config) { c.Quarantine = pools[i]; i++ })
	a, b := nodes[0], nodes[1]
	id, _ := a.deploy("bomb", "script", `function main() { return 1 }`)
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	pools[0].decide(id, sandbox.Quarantine{Since: time.Now(), Until: until, Offences: 2, Reason: "it killed its sandbox twice"})
	eventually(t, time.Second, "the quarantine on b", func() string {
		q, ok := pools[1].Quarantined(id)
		if !ok || !q.Until.Equal(until) || q.Reason != "it killed its sandbox twice" {
			return fmt.Sprintf("%+v %v", q, ok)
		}
		return ""
	})
	if f := b.admin("GET", "/v1/functions/"+id, nil).json(t); f["quarantine"] == nil {
		t.Fatalf("b does not show the quarantine: %v", f)
	}
	if r := b.admin("DELETE", "/v1/functions/"+id+"/quarantine", nil); r.status != 204 {
		t.Fatalf("lift on b: %d %s", r.status, r.body)
	}
	eventually(t, time.Second, "the lift on a", func() string {
		if q, ok := pools[0].Quarantined(id); ok {
			return fmt.Sprintf("still %+v", q)
		}
		return ""
	})
}
