package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestScheduleBody: what the flags send, and what they refuse before
// asking the gateway.
func TestScheduleBody(t *testing.T) {
	for _, tc := range []struct {
		name string
		sf   scheduleFlags
		want string // JSON, or the error
		err  bool
	}{
		{"cron", scheduleFlags{expr: "*/5 * * * *"}, `{"cron":"*/5 * * * *"}`, false},
		{"cron in a zone, overlap", scheduleFlags{expr: " @daily ", tz: "Europe/Paris", overlap: "allow"}, `{"cron":"@daily","overlap":"allow","tz":"Europe/Paris"}`, false},
		{"fields", scheduleFlags{expr: `{"minutes":[0,30],"hours":[9]}`, tz: "UTC"}, `{"hours":[9],"minutes":[0,30],"tz":"UTC"}`, false},
		{"clear", scheduleFlags{}, `null`, false},
		{"zone twice", scheduleFlags{expr: `{"minutes":[0],"tz":"UTC"}`, tz: "Europe/Paris"}, "give it once", true},
		{"broken JSON", scheduleFlags{expr: `{"minutes":[0`}, "not a JSON object", true},
		{"zone without a schedule", scheduleFlags{tz: "UTC"}, "need a schedule", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.sf.body()
			if tc.err {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			got, _ := json.Marshal(b)
			if err != nil || string(got) != tc.want {
				t.Fatalf("body = %s %v, want %s", got, err, tc.want)
			}
		})
	}
}

func TestCLISchedule(t *testing.T) {
	g := startGateway(t)
	file := writeFile(t, "report.js", `function main(d) { return d }`)
	out, errOut, code := g.cli(t, "deploy", file, "--schedule", "30 9 * * 1-5", "--tz", "Europe/Paris")
	if code != 0 || !regexp.MustCompile(`Schedule: \{"cron":"30 9 \* \* 1-5","tz":"Europe/Paris","overlap":"skip"\}, next at \S+T09:30:00\+0[12]:00`).MatchString(out) {
		t.Fatalf("deploy: %d\n%s\n%s", code, out, errOut)
	}
	id := regexp.MustCompile(`File ID:\s+(\S+)`).FindStringSubmatch(out)[1]

	out, _, code = g.cli(t, "fn", "schedule", id)
	if code != 0 || strings.Count(out, "next: ") != 5 || !strings.Contains(out, `"tz":"Europe/Paris"`) {
		t.Fatalf("show: %d %s", code, out)
	}
	out, _, code = g.cli(t, "fn", "schedule", id, `{"minutes":[0],"hours":[6,18]}`, "--overlap", "allow")
	if code != 0 || !strings.Contains(out, `{"minutes":[0],"hours":[6,18],"tz":"UTC","overlap":"allow"}`) || !regexp.MustCompile(`next: \S+T(06|18):00:00Z`).MatchString(out) {
		t.Fatalf("set fields: %d %s", code, out)
	}
	if out, _, code = g.cli(t, "fn", "show", id); code != 0 || !strings.Contains(out, "Schedule: ") {
		t.Fatalf("fn show: %d %s", code, out)
	}
	// The gateway's refusals come through with the field.
	_, errOut, code = g.cli(t, "fn", "schedule", id, "*/5 * * *")
	if code != 1 || !strings.Contains(errOut, "invalid_schedule") || !strings.Contains(errOut, "schedule.cron") {
		t.Fatalf("bad cron: %d %s", code, errOut)
	}
	_, errOut, code = g.cli(t, "fn", "schedule", id, "@hourly", "--tz", "Europe/Lutetia")
	if code != 1 || !strings.Contains(errOut, "schedule.tz") {
		t.Fatalf("bad zone: %d %s", code, errOut)
	}
	if _, errOut, code = g.cli(t, "fn", "schedule", id, "@hourly", "--clear"); code != 1 || !strings.Contains(errOut, "not both") {
		t.Fatalf("schedule and --clear: %d %s", code, errOut)
	}
	if _, errOut, code = g.cli(t, "deploy", file, "--tz", "UTC"); code != 1 || !strings.Contains(errOut, "go with --schedule") {
		t.Fatalf("--tz alone: %d %s", code, errOut)
	}
	if out, _, code = g.cli(t, "fn", "schedule", id, "--clear"); code != 0 || !strings.Contains(out, "no schedule") {
		t.Fatalf("clear: %d %s", code, out)
	}
	if out, _, code = g.cli(t, "fn", "schedule", "--help"); code != 0 || !strings.Contains(out, "daylight saving") || !strings.Contains(out, "--clear") {
		t.Fatalf("help: %d %s", code, out)
	}
	if out, _, code = g.cli(t, "deploy", "--help"); code != 0 || !strings.Contains(out, "--schedule") || !strings.Contains(out, "--tz") {
		t.Fatalf("deploy help: %d %s", code, out)
	}
}

// TestServeRunsSchedules is the real-time check: serve's scheduler runs a
// function deployed with a one-minute schedule within its next minute,
// once, with trigger schedule, and GET shows the outcome.
func TestServeRunsSchedules(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the next minute")
	}
	g := startGateway(t)
	file := writeFile(t, "minutely.js", `function main(d, ctx) { console.log(ctx.trigger, d.scheduled_at); return 1 }`)
	out, errOut, code := g.cli(t, "deploy", file, "--schedule", "* * * * *", "--tz", "America/New_York")
	if code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}
	id := regexp.MustCompile(`File ID:\s+(\S+)`).FindStringSubmatch(out)[1]
	get := func(path string, v any) {
		t.Helper()
		req, _ := http.NewRequest("GET", g.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+g.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var runs struct {
		Runs []struct {
			Trigger string `json:"trigger"`
			Status  int    `json:"status"`
			Logs    []struct {
				Message string `json:"message"`
			} `json:"logs"`
		} `json:"runs"`
	}
	for deadline := time.Now().Add(75 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		get("/v1/functions/"+id+"/runs?trigger=schedule", &runs)
		if len(runs.Runs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scheduled run within 75 s: %s", g.stderr)
		}
	}
	r := runs.Runs[0]
	if r.Trigger != "schedule" || r.Status != 200 || len(r.Logs) != 1 || !regexp.MustCompile(`^schedule \S+T\S+:00-0[45]:00$`).MatchString(r.Logs[0].Message) {
		t.Fatalf("run %+v", r)
	}
	var fn struct {
		LastFire struct {
			State     string `json:"state"`
			RequestID string `json:"request_id"`
		} `json:"last_fire"`
	}
	for deadline := time.Now().Add(10 * time.Second); fn.LastFire.State != "succeeded"; time.Sleep(50 * time.Millisecond) {
		get("/v1/functions/"+id, &fn)
		if time.Now().After(deadline) {
			t.Fatalf("last_fire %+v", fn.LastFire)
		}
	}
	if out, _, code := g.cli(t, "fn", "schedule", id); code != 0 || !strings.Contains(out, "succeeded, run "+fn.LastFire.RequestID) {
		t.Fatalf("fn schedule: %d %s", code, out)
	}
	if out, _, code := g.cli(t, "fn", "fires", id, "--limit", "5"); code != 0 || !regexp.MustCompile(`(?m)^\S+\s+succeeded\s+`+fn.LastFire.RequestID).MatchString(out) {
		t.Fatalf("fn fires: %d %s", code, out)
	}
}

// serveAgain starts `serve` on an existing data directory, with the admin
// key it printed the first time, and waits until it listens.
func serveAgain(t *testing.T, dir, key string, flags ...string) *gatewayProcess {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary, append([]string{"serve", "--addr", addr, "--data-dir", dir, "--log-format", "text"}, flags...)...)
	cmd.Env = append(withoutEnv(os.Environ(), "SCRIPTFORGE_ADMIN_KEY"), "SCRIPTFORGE_ADMIN_KEY="+key)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	g := &gatewayProcess{cmd: cmd, url: "http://" + addr, key: key, stderr: &stderr}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(g.url + "/healthz"); err == nil {
			resp.Body.Close()
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway did not come back")
		}
	}
}

type fireView struct {
	Slot      string `json:"slot"`
	State     string `json:"state"`
	RequestID string `json:"request_id"`
}

func (g *gatewayProcess) fires(t *testing.T, id string) []fireView {
	t.Helper()
	req, _ := http.NewRequest("GET", g.url+"/v1/functions/"+id+"/fires", nil)
	req.Header.Set("Authorization", "Bearer "+g.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Fires []fireView `json:"fires"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	return list.Fires
}

// TestKilledDuringASlot: a gateway killed (SIGKILL) during a slot's run
// comes back and does not run that slot again; the next slot runs.
func TestKilledDuringASlot(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for two minute marks")
	}
	dir := t.TempDir()
	g := startGateway(t, "--data-dir", dir)
	file := writeFile(t, "slow.js", `export async function main() { await new Promise(r => setTimeout(r, 20000)); return 1 }`)
	out, errOut, code := g.cli(t, "deploy", file, "--type", "app", "--timeout", "25s", "--schedule", "* * * * *")
	if code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}
	id := regexp.MustCompile(`File ID:\s+(\S+)`).FindStringSubmatch(out)[1]
	var claimed fireView
	for deadline := time.Now().Add(75 * time.Second); claimed.State == ""; time.Sleep(100 * time.Millisecond) {
		if fs := g.fires(t, id); len(fs) > 0 {
			claimed = fs[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("no slot claimed within 75 s")
		}
	}
	if claimed.State != "claimed" || claimed.RequestID == "" {
		t.Fatalf("first slot %+v", claimed)
	}
	if err := g.cmd.Process.Kill(); err != nil { // SIGKILL, in the middle of the run
		t.Fatal(err)
	}
	_ = g.cmd.Wait()

	again := serveAgain(t, dir, g.key)
	time.Sleep(3 * time.Second) // ticks of the new gateway within the same minute
	fs := again.fires(t, id)
	if len(fs) == 0 || fs[0] != claimed {
		t.Fatalf("after the restart: %+v, want only %+v", fs, claimed)
	}
	// The next slot is the new gateway's.
	for deadline := time.Now().Add(65 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		fs = again.fires(t, id)
		if len(fs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no next slot: %+v\n%s", fs, again.stderr)
		}
	}
	if fs[1] != claimed || fs[0].Slot <= claimed.Slot || fs[0].RequestID == claimed.RequestID {
		t.Fatalf("fires %+v", fs)
	}
}
