package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions/schedule"
)

// TestScheduleSetting: a schedule is set on create or PUT, shown with its
// next five fires in its zone, kept by a PUT that leaves it out and by a
// rollback, cleared with null; bad ones are 422 naming the field.
func TestScheduleSetting(t *testing.T) {
	s := startServer(t, t.TempDir())
	r := s.admin("POST", "/v1/functions", map[string]any{"name": "tick", "source": "function main(d){return d}",
		"schedule": map[string]any{"cron": "*/5 * * * *", "tz": "Europe/Paris"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)

	type view struct {
		Version   int             `json:"version"`
		Schedule  json.RawMessage `json:"schedule"`
		NextFires []string        `json:"next_fires"`
	}
	get := func() view {
		t.Helper()
		r := s.admin("GET", "/v1/functions/"+id, nil)
		var v view
		if r.status != 200 || json.Unmarshal(r.body, &v) != nil {
			t.Fatalf("get: %d %s", r.status, r.body)
		}
		return v
	}
	v := get()
	if string(v.Schedule) != `{"cron":"*/5 * * * *","tz":"Europe/Paris","overlap":"skip"}` {
		t.Fatalf("schedule %s", v.Schedule)
	}
	if len(v.NextFires) != 5 {
		t.Fatalf("next_fires %v", v.NextFires)
	}
	var prev time.Time
	for _, f := range v.NextFires {
		ft, err := time.Parse(time.RFC3339, f)
		if err != nil || ft.Minute()%5 != 0 || !ft.After(prev) || !ft.After(time.Now().Add(-time.Second)) {
			t.Fatalf("fire %q in %v (%v)", f, v.NextFires, err)
		}
		// In the schedule's zone: +01:00 in winter, +02:00 in summer.
		if !strings.HasSuffix(f, "+01:00") && !strings.HasSuffix(f, "+02:00") {
			t.Fatalf("fire %q is not in Europe/Paris time", f)
		}
		prev = ft
	}

	// Bad input: 422 invalid_schedule naming the field; nothing changes.
	for _, tc := range []struct {
		name     string
		schedule string
		field    string
		problem  string
	}{
		{"bad cron", `{"cron":"*/5 * * *"}`, "schedule.cron", "five fields"},
		{"cron out of range", `{"cron":"0 25 * * *"}`, "schedule.cron", "above maximum"},
		{"seconds", `{"cron":"0 */5 * * * *"}`, "schedule.cron", "seconds"},
		{"every", `{"cron":"@every 1m"}`, "schedule.cron", "@every"},
		{"unknown zone", `{"cron":"@daily","tz":"Europe/Atlantis"}`, "schedule.tz", "unknown time zone"},
		{"bad overlap", `{"cron":"@daily","overlap":"never"}`, "schedule.overlap", "skip or allow"},
		{"both forms", `{"cron":"@daily","minutes":[0]}`, "schedule.cron", "not both"},
		{"hour 24", `{"hours":[24]}`, "schedule.hours", "between 0 and 23"},
		{"weekday as a name", `{"days_of_week":["mon"]}`, "schedule.days_of_week", "wrong type"},
		{"unknown field", `{"cron":"@daily","zone":"UTC"}`, "schedule", "unknown field"},
		{"a string", `"*/5 * * * *"`, "schedule", "must be an object"},
		{"never fires", `{"cron":"0 0 31 2 *"}`, "schedule.cron", "never fires"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.admin("PUT", "/v1/functions/"+id, map[string]any{"schedule": json.RawMessage(tc.schedule)})
			if r.status != http.StatusUnprocessableEntity || r.errorCode(t) != "invalid_schedule" {
				t.Fatalf("%d %s", r.status, r.body)
			}
			d := r.json(t)["error"].(map[string]any)["details"].(map[string]any)
			if d["field"] != tc.field || !strings.Contains(d["problem"].(string), tc.problem) {
				t.Fatalf("details %v, want %s: %q", d, tc.field, tc.problem)
			}
		})
	}
	if got := get(); string(got.Schedule) != string(v.Schedule) || got.Version != 1 {
		t.Fatalf("a refused PUT changed the function: %s v%d", got.Schedule, got.Version)
	}

	// The product's fields; a settings-only PUT deploys nothing.
	r = s.admin("PUT", "/v1/functions/"+id, map[string]any{"schedule": map[string]any{
		"minutes": []int{30, 0}, "hours": []int{9}, "days_of_week": []int{1, 2, 3, 4, 5}}})
	if r.status != 200 {
		t.Fatalf("put fields: %d %s", r.status, r.body)
	}
	v = get()
	if string(v.Schedule) != `{"minutes":[0,30],"hours":[9],"days_of_week":[1,2,3,4,5],"tz":"UTC","overlap":"skip"}` || v.Version != 1 {
		t.Fatalf("fields: %s v%d", v.Schedule, v.Version)
	}
	for _, f := range v.NextFires {
		ft, _ := time.Parse(time.RFC3339, f)
		if wd := ft.Weekday(); wd == time.Saturday || wd == time.Sunday || ft.Hour() != 9 || !strings.HasSuffix(f, "Z") {
			t.Fatalf("fire %s of a working-day 9:00 UTC schedule", f)
		}
	}

	// A deploy that leaves the schedule out keeps it, and so does a rollback.
	if r := s.admin("PUT", "/v1/functions/"+id, map[string]any{"source": "function main(){return 2}"}); r.status != 200 {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	if r := s.admin("POST", "/v1/functions/"+id+"/rollback", map[string]any{"version": 1}); r.status != 200 {
		t.Fatalf("rollback: %d %s", r.status, r.body)
	}
	if got := get(); string(got.Schedule) != string(v.Schedule) {
		t.Fatalf("after deploy and rollback: %s", got.Schedule)
	}

	// null clears it: no schedule, no fires.
	if r := s.admin("PUT", "/v1/functions/"+id, map[string]any{"schedule": nil}); r.status != 200 {
		t.Fatalf("clear: %d %s", r.status, r.body)
	}
	r = s.admin("GET", "/v1/functions/"+id, nil)
	if m := r.json(t); m["schedule"] != nil || m["next_fires"] != nil {
		t.Fatalf("after clearing: schedule %v, next_fires %v", m["schedule"], m["next_fires"])
	}

	// Refused on create too, and nothing is created.
	r = s.admin("POST", "/v1/functions", map[string]any{"name": "bad", "source": "function main(){}",
		"schedule": map[string]any{"cron": "@daily", "tz": "Nowhere/Town"}})
	if r.status != http.StatusUnprocessableEntity || r.errorCode(t) != "invalid_schedule" {
		t.Fatalf("create with a bad zone: %d %s", r.status, r.body)
	}
	if r := s.admin("GET", "/v1/functions", nil); strings.Contains(string(r.body), `"bad"`) {
		t.Fatalf("a refused function was created: %s", r.body)
	}
}

// stepClock is the scheduler's clock in these tests: set by hand.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}
func (c *stepClock) After(time.Duration) <-chan time.Time { return nil }

// TestScheduledRuns: a slot runs the live version through the gateway's
// own path, in both isolations: data {"scheduled_at", "schedule"},
// ctx.trigger "schedule", a run record with trigger schedule, and the
// outcome on GET /v1/functions/{id}. A Worker keeps its state from one
// slot to the next.
func TestScheduledRuns(t *testing.T) {
	for _, isolation := range isolations {
		t.Run(isolation, func(t *testing.T) {
			s := startServerWith(t, t.TempDir(), isolation, 0)
			src := `let n = 0;
exports.main = (d, ctx) => { n++; console.log("slot", d.scheduled_at, ctx.trigger, d.schedule.cron, n); return n }`
			r := s.admin("POST", "/v1/functions", map[string]any{"name": "tick", "type": "worker", "source": src,
				"schedule": map[string]any{"cron": "* * * * *", "tz": "Europe/Paris"}})
			if r.status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			id := r.json(t)["id"].(string)
			d, err := s.store.Get(context.Background(), "default", id)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := d.Schedule.Parse()
			if err != nil {
				t.Fatal(err)
			}
			clock := &stepClock{}
			runner, err := schedule.NewRunner(schedule.RunnerConfig{Store: s.store, Invoker: s.gw, Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			first := sc.Next(d.UpdatedAt)
			for i := range 2 {
				clock.mu.Lock()
				clock.now = first.Add(time.Duration(i)*time.Minute + time.Second)
				clock.mu.Unlock()
				if err := runner.Tick(context.Background()); err != nil {
					t.Fatal(err)
				}
				runner.Wait()
			}
			runs := s.waitRuns(adminKey, "/v1/functions/"+id+"/runs?trigger=schedule", 2)
			for _, run := range runs {
				if run.Trigger != "schedule" || run.Status != 200 {
					t.Fatalf("run %+v", run)
				}
			}
			// The newest run: its data and ctx, and the Worker's state.
			r = s.admin("GET", "/v1/runs/"+runs[0].RequestID, nil)
			want := fmt.Sprintf("slot %s schedule * * * * * 2", first.Add(time.Minute).In(sc.Location()).Format(time.RFC3339))
			if !strings.Contains(string(r.body), want) {
				t.Fatalf("run record %s, want a line %q", r.body, want)
			}
			fires, err := s.store.Fires(context.Background(), "default", id, 10)
			if err != nil || len(fires) != 2 || fires[0].State != schedule.FireSucceeded || fires[0].RequestID != runs[0].RequestID {
				t.Fatalf("fires %+v %v", fires, err)
			}
		})
	}
}

// TestLastFireShown: GET /v1/functions/{id} shows the latest slot's outcome.
func TestLastFireShown(t *testing.T) {
	s := startServer(t, t.TempDir())
	r := s.admin("POST", "/v1/functions", map[string]any{"name": "boom", "source": "function main(){ throw new Error('no') }",
		"schedule": map[string]any{"cron": "@hourly"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	if m := s.admin("GET", "/v1/functions/"+id, nil).json(t); m["last_fire"] != nil {
		t.Fatalf("a last_fire before any slot: %v", m["last_fire"])
	}
	d, _ := s.store.Get(context.Background(), "default", id)
	sc, _ := d.Schedule.Parse()
	clock := &stepClock{now: sc.Next(d.UpdatedAt)}
	runner, _ := schedule.NewRunner(schedule.RunnerConfig{Store: s.store, Invoker: s.gw, Clock: clock})
	if err := runner.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	runner.Wait()
	last, _ := s.admin("GET", "/v1/functions/"+id, nil).json(t)["last_fire"].(map[string]any)
	if last == nil || last["state"] != "failed" || last["status"] != 500.0 || !strings.Contains(last["error"].(string), "function_error") || last["slot"] != clock.now.UTC().Format(time.RFC3339) {
		t.Fatalf("last_fire %v", last)
	}

	// Three hours down: the latest slot runs, the two before are listed
	// as missed, newest first.
	clock.now = clock.now.Add(3*time.Hour + time.Minute)
	if err := runner.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	runner.Wait()
	var list struct {
		Fires []struct {
			State, Reason string
		} `json:"fires"`
	}
	if r := s.admin("GET", "/v1/functions/"+id+"/fires?limit=3", nil); r.status != 200 || json.Unmarshal(r.body, &list) != nil {
		t.Fatalf("fires: %d %s", r.status, r.body)
	}
	if len(list.Fires) != 3 || list.Fires[0].State != "failed" || list.Fires[1].Reason != "missed" || list.Fires[2].Reason != "missed" {
		t.Fatalf("fires %+v", list.Fires)
	}
	for _, tc := range []struct {
		path   string
		status int
		code   string
	}{
		{"/v1/functions/" + id + "/fires?limit=0", 400, "invalid_parameter"},
		{"/v1/functions/" + id + "/fires?limit=many", 400, "invalid_parameter"},
		{"/v1/functions/fn_nosuchfunction/fires", 404, "not_found"},
	} {
		if r := s.admin("GET", tc.path, nil); r.status != tc.status || r.errorCode(t) != tc.code {
			t.Fatalf("GET %s: %d %s", tc.path, r.status, r.body)
		}
	}
}

// TestCancelScheduledRun: a scheduled run is in flight like a call:
// DELETE /v1/runs/{id}, with the id its claim recorded, stops it, and the
// slot is recorded as failed, cancelled.
func TestCancelScheduledRun(t *testing.T) {
	s := startServer(t, t.TempDir())
	r := s.admin("POST", "/v1/functions", map[string]any{"name": "slow", "type": "app", "timeout_ms": 5000,
		"source":   "exports.main = async () => { await new Promise(r => setTimeout(r, 4000)); return 1 }",
		"schedule": map[string]any{"cron": "@hourly"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	d, _ := s.store.Get(context.Background(), "default", id)
	sc, _ := d.Schedule.Parse()
	runner, _ := schedule.NewRunner(schedule.RunnerConfig{Store: s.store, Invoker: s.gw, Clock: &stepClock{now: sc.Next(d.UpdatedAt)}})
	if err := runner.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	fires, err := s.store.Fires(context.Background(), "default", id, 1)
	if err != nil || len(fires) != 1 || fires[0].State != schedule.FireClaimed || fires[0].RequestID == "" {
		t.Fatalf("claim %+v %v", fires, err)
	}
	rid := fires[0].RequestID
	started := time.Now()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r = s.admin("DELETE", "/v1/runs/"+rid, nil)
		if r.status != http.StatusNotFound || time.Now().After(deadline) {
			break
		}
	}
	if r.status != http.StatusOK {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	runner.Wait()
	if time.Since(started) > 2*time.Second {
		t.Fatalf("the run went on for %s after its cancel", time.Since(started))
	}
	fires, _ = s.store.Fires(context.Background(), "default", id, 1)
	if fires[0].State != schedule.FireFailed || !strings.Contains(fires[0].Error, "cancelled") || fires[0].Status != 499 {
		t.Fatalf("after cancel: %+v", fires[0])
	}
	runs := s.waitRuns(adminKey, "/v1/functions/"+id+"/runs?trigger=schedule", 1)
	if runs[0].RequestID != rid || runs[0].ErrorCode != "cancelled" {
		t.Fatalf("run record %+v", runs[0])
	}
}

// TestScheduledRunAfterShutdown: a scheduled run that ends after the
// gateway shut down (past serve's grace) loses its record, not the process.
func TestScheduledRunAfterShutdown(t *testing.T) {
	s := startServer(t, t.TempDir())
	r := s.admin("POST", "/v1/functions", map[string]any{"name": "late", "source": "function main(){ return 1 }",
		"schedule": map[string]any{"cron": "@hourly"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.gw.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	out := s.gw.RunScheduled(context.Background(), schedule.Job{Tenant: "default", FunctionID: id, Slot: time.Now(), RequestID: "late-1"})
	if out.Status != 200 {
		t.Fatalf("outcome %+v", out)
	}
}
