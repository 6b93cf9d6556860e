package gateway_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/gateway"
)

// sseEvent is one event (or comment) of a stream, as it arrived.
type sseEvent struct {
	name    string // "" for a comment
	data    map[string]any
	comment string
	at      time.Time
}

// readEvents reads a stream to its end (or until stop says so).
func readEvents(t *testing.T, body io.Reader, stop func(sseEvent) bool) []sseEvent {
	t.Helper()
	var out []sseEvent
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var cur sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.name == "" && cur.comment == "" {
				continue
			}
			cur.at = time.Now()
			out = append(out, cur)
			if stop != nil && stop(cur) {
				return out
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, ": "):
			cur.comment = strings.TrimPrefix(line, ": ")
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.data); err != nil {
				t.Fatalf("data is not JSON: %q", line)
			}
		default:
			t.Fatalf("not an event-stream line: %q", line)
		}
	}
	return out
}

// stream makes a request that asks for an event stream and reads it.
func (s *server) stream(method, path, body string, headers map[string]string) (*http.Response, []sseEvent) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp, readEvents(s.t, resp.Body, nil)
}

// names lists the events, comments left out.
func names(evs []sseEvent) []string {
	var out []string
	for _, e := range evs {
		if e.name != "" {
			out = append(out, e.name)
		}
	}
	return out
}

func only(evs []sseEvent, name string) []sseEvent {
	var out []sseEvent
	for _, e := range evs {
		if e.name == name {
			out = append(out, e)
		}
	}
	return out
}

func fastKeepAlive(c *gateway.Config) { c.SSEKeepAlive = 100 * time.Millisecond }

// busyLogger logs, then keeps its thread busy 300 ms (no output, so
// keep-alives go out), then logs again and returns.
const busyLogger = `function main(d) {
	console.log("first", d.n); console.warn("second")
	const until = Date.now() + 300; while (Date.now() < until) {}
	console.error("third")
	return {n: d.n}
}`

// An invocation with Accept: text/event-stream gets its run as events,
// in order, with each line as it is printed; in both isolations.
func TestRunStreamEndToEnd(t *testing.T) {
	for _, isolation := range isolations {
		t.Run(isolation, func(t *testing.T) {
			s := startServerWith(t, t.TempDir(), isolation, 0, fastKeepAlive)
			id, uuid := s.deploy("busy", "script", busyLogger)
			s.do("POST", "/v1/fn/"+uuid, `{"n":0}`, nil) // compiled and warm: the timings below are the run's

			resp, evs := s.stream("POST", "/v1/fn/"+uuid, `{"n":1}`, nil)
			h := resp.Header
			if resp.StatusCode != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") ||
				h.Get("Cache-Control") != "no-cache" || h.Get("X-Accel-Buffering") != "no" || h.Get("X-Request-Id") == "" {
				t.Fatalf("status %d, headers %v", resp.StatusCode, h)
			}
			if got := strings.Join(names(evs), ","); got != "header,log,log,log,message" {
				t.Fatalf("events %s", got)
			}
			head := only(evs, "header")[0].data
			if head["request_id"] != h.Get("X-Request-Id") || head["function_id"] != id || head["version"] != 1.0 {
				t.Fatalf("header %v", head)
			}
			if st, err := time.Parse(time.RFC3339Nano, head["started_at"].(string)); err != nil || time.Since(st) > time.Minute {
				t.Fatalf("started_at %v: %v", head["started_at"], err)
			}
			logs := only(evs, "log")
			for i, want := range [][2]string{{"info", "first 1"}, {"warn", "second"}, {"error", "third"}} {
				if logs[i].data["level"] != want[0] || logs[i].data["message"] != want[1] {
					t.Fatalf("log %d: %v", i, logs[i].data)
				}
				if _, err := time.Parse(time.RFC3339Nano, logs[i].data["time"].(string)); err != nil {
					t.Fatalf("log %d time: %v", i, logs[i].data)
				}
			}
			msg := only(evs, "message")[0]
			if msg.data["status"] != 200.0 || msg.data["duration_ms"].(float64) < 290 {
				t.Fatalf("message %v", msg.data)
			}
			// The run's CPU time: some (a loaded machine gives the busy
			// loop's thread only part of its 300 ms), never more than it
			// lasted.
			if cpu, ok := msg.data["cpu_ms"].(float64); !ok || cpu <= 0 || cpu > msg.data["duration_ms"].(float64)+50 {
				t.Fatalf("message cpu_ms: %v", msg.data)
			}
			if r, _ := json.Marshal(msg.data["result"]); string(r) != `{"n":1}` {
				t.Fatalf("result %s", r)
			}
			// The header went out at once (within the coalescing window),
			// and the first line as it was printed, not with the result.
			if early := msg.at.Sub(evs[0].at); early < 250*time.Millisecond {
				t.Fatalf("the header came %v before the message; want ~300ms", early)
			}
			if early := msg.at.Sub(logs[0].at); early < 200*time.Millisecond {
				t.Fatalf("the first log came %v before the message; want ~300ms", early)
			}
			// The busy wait is quiet: keep-alives came between the second and third lines.
			var keepAlives int
			for _, e := range evs {
				if e.comment == "keep-alive" && e.at.After(logs[1].at) && !e.at.After(logs[2].at) {
					keepAlives++
				}
			}
			if keepAlives == 0 {
				t.Fatalf("no keep-alive during the quiet run: %v", evs)
			}
			// The run is recorded as any other.
			if rec := s.stepRecord(adminKey, h.Get("X-Request-Id")); rec["status"] != 200.0 {
				t.Fatalf("run record %v", rec)
			}

			// A thrown error ends the stream with error, after the lines before it.
			_, uuid = s.deploy("thrower", "script", `function main() { console.log("about to"); throw new Error("480 Temporarily Unavailable") }`)
			resp, evs = s.stream("POST", "/v1/fn/"+uuid, `{}`, nil)
			if got := strings.Join(names(evs), ","); got != "header,log,error" {
				t.Fatalf("thrown: events %s", got)
			}
			e := only(evs, "error")[0].data
			if e["code"] != "480" || e["sip_code"] != 480.0 || e["status"] != 422.0 || e["request_id"] != resp.Header.Get("X-Request-Id") ||
				e["message"] != "Temporarily Unavailable" {
				t.Fatalf("error event %v", e)
			}

			// A returned Response is the message's status, headers and body.
			_, uuid = s.deploy("resp", "app", `export function main() { return new Response("créé", {status: 201, headers: {"content-type": "text/plain", "x-a": "b"}}) }`)
			_, evs = s.stream("GET", "/v1/fn/"+uuid, "", nil)
			m := only(evs, "message")[0].data
			if m["status"] != 201.0 || m["body"] != "créé" || m["content_type"] != "text/plain" || m["headers"].(map[string]any)["x-a"] != "b" {
				t.Fatalf("Response message %v", m)
			}

			// Checks before the run answer as ever: no stream.
			r := s.do("POST", "/v1/fn/"+uuid, `{bad`, map[string]string{"Accept": "text/event-stream", "Content-Type": "application/json"})
			if r.status != 400 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("bad JSON with a stream asked for: %d %s", r.status, r.body)
			}
			// And without the header, nothing changes.
			r = s.do("POST", "/v1/fn/"+s.deployUUID("plain", busyLogger), `{"n":2}`, nil)
			if r.status != 200 || string(r.body) != `{"n":2}` {
				t.Fatalf("plain call: %d %s", r.status, r.body)
			}
		})
	}
}

func (s *server) deployUUID(name, src string) string {
	_, uuid := s.deploy(name, "script", src)
	return uuid
}

// Routing and voice calls stream the same way: a chain's steps' lines in
// order, each with its step, then the answer as the message.
func TestRoutingAndVoiceStreams(t *testing.T) {
	for _, isolation := range isolations {
		t.Run(isolation, func(t *testing.T) {
			s := startServerWith(t, t.TempDir(), isolation, 0, fastKeepAlive)
			admin, sw := routingTenant(s, "acme")
			first := s.deployAs(admin, map[string]any{"name": "first", "routing_priority": "run-first", "source": `
function main(d) { console.log("first step"); d.routing.a = 1; return d }`})
			route := s.deployAs(admin, map[string]any{"name": "route", "source": `
function main(d) { console.warn("route step", d.routing.a); d.egress_routing = [{uri: "sip:a@gw1"}]; return d }`})
			s.assign(admin, "/v1/routing/customers/c1", map[string]any{"function": "route", "timeout_ms": 10000})
			resp, evs := s.stream("POST", "/v1/routing/customers/c1", `{"routing":{}}`, map[string]string{"Authorization": "Bearer " + sw})
			if got := strings.Join(names(evs), ","); resp.StatusCode != 200 || got != "header,log,log,message" {
				t.Fatalf("routing: %d events %s", resp.StatusCode, got)
			}
			head := evs[0].data
			steps, _ := head["steps"].([]any)
			if head["function_id"] != route || len(steps) != 2 || steps[0].(map[string]any)["function_id"] != first {
				t.Fatalf("routing header %v", head)
			}
			logs := only(evs, "log")
			if logs[0].data["message"] != "first step" || logs[0].data["step"] != 1.0 || logs[0].data["function_id"] != first ||
				logs[1].data["message"] != "route step 1" || logs[1].data["step"] != 2.0 || logs[1].data["level"] != "warn" {
				t.Fatalf("routing logs %v %v", logs[0].data, logs[1].data)
			}
			msg := only(evs, "message")[0].data
			if b, _ := json.Marshal(msg["result"]); msg["status"] != 200.0 || string(b) != `{"egress_routing":[{"uri":"sip:a@gw1"}],"routing":{"a":1}}` {
				t.Fatalf("routing message %v", msg)
			}

			// A follower of a step's function gets its lines, tagged with
			// the step's record id (<request id>-<step>), from plain calls too.
			f := s.follow(admin, route, "")
			r := s.route(sw, "/v1/routing/customers/c1", map[string]any{"routing": map[string]any{}})
			if got := f.lines(1); r.status != 200 || got[0] != r.header.Get("X-Request-Id")+"-2 warn route step 1" {
				t.Fatalf("followed step: %d %q", r.status, got)
			}

			_, uuid := s.deploy("voice", "app", `import { VoiceResponse } from "voice";
export function main(data) { console.log("call", data.call.id); const r = new VoiceResponse(); r.say("hello"); return r }`)
			resp, evs = s.stream("POST", "/v1/voice/"+uuid, `{"call_id":"c-1"}`, nil)
			if got := strings.Join(names(evs), ","); resp.StatusCode != 200 || got != "header,log,message" {
				t.Fatalf("voice: %d events %s", resp.StatusCode, got)
			}
			if l := only(evs, "log")[0].data; l["message"] != "call c-1" {
				t.Fatalf("voice log %v", l)
			}
			m := only(evs, "message")[0].data
			if body, _ := m["body"].(string); m["status"] != 200.0 || !strings.Contains(body, "<Say") || !strings.Contains(body, "hello") ||
				!strings.HasPrefix(m["content_type"].(string), "text/xml") {
				t.Fatalf("voice message %v", m)
			}
		})
	}
}

// The SSE clients connected now are on /metrics.
func TestSSEClientsGauge(t *testing.T) {
	hold := newGate(t)
	s := startServerWith(t, t.TempDir(), "inprocess", 0, fastKeepAlive, func(c *gateway.Config) { c.Executor = loopbackExecutor(t, "inprocess") })
	// The run lasts until the test has seen the gauge: the test server's
	// longest time limit keeps it from timing out first.
	uuid := s.deployWith(map[string]any{"name": "slow", "type": "app", "timeout_ms": 5000, "env": map[string]any{"GATE": hold.URL},
		"source": `export async function main() { await fetch(process.env.GATE); return 1 }`})
	gauge := func() string {
		r := s.do("GET", "/metrics", nil, nil)
		for _, line := range strings.Split(string(r.body), "\n") {
			if strings.HasPrefix(line, "scriptforge_sse_clients ") {
				return strings.TrimPrefix(line, "scriptforge_sse_clients ")
			}
		}
		t.Fatalf("no scriptforge_sse_clients in /metrics")
		return ""
	}
	if g := gauge(); g != "0" {
		t.Fatalf("gauge before: %s", g)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.stream("POST", "/v1/fn/"+uuid, `{}`, nil)
	}()
	hold.waitEntered(t)
	var during string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if during = gauge(); during == "1" {
			break
		}
	}
	hold.release()
	<-done
	if during != "1" {
		t.Fatalf("gauge during the stream: %s", during)
	}
	for deadline := time.Now().Add(10 * time.Second); gauge() != "0"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gauge after the stream: %s", gauge())
		}
	}
}

// A run that ends within the coalescing window is one body (one write,
// with a length); with the window off, even a fast run is streamed. The
// metrics count which.
func TestRunStreamCoalesces(t *testing.T) {
	for _, c := range []struct {
		name     string
		coalesce time.Duration
		chunked  bool
		answer   string
	}{{"window", 500 * time.Millisecond, false, "whole"}, {"no window", -1, true, "events"}} {
		t.Run(c.name, func(t *testing.T) {
			s := startServerWith(t, t.TempDir(), "inprocess", 0, func(cfg *gateway.Config) { cfg.SSECoalesce = c.coalesce })
			uuid := s.deployUUID("fast", `function main() { console.log("quick"); return 1 }`)
			s.do("POST", "/v1/fn/"+uuid, `{}`, nil) // compiled and warm
			resp, evs := s.stream("POST", "/v1/fn/"+uuid, `{}`, nil)
			if got := strings.Join(names(evs), ","); got != "header,log,message" {
				t.Fatalf("events %s", got)
			}
			if chunked := resp.ContentLength < 0; chunked != c.chunked {
				t.Fatalf("content length %d; want chunked %v", resp.ContentLength, c.chunked)
			}
			metrics := string(s.do("GET", "/metrics", nil, nil).body)
			if want := `scriptforge_sse_runs_total{answer="` + c.answer + `"} 1`; !strings.Contains(metrics, want) {
				t.Fatalf("no %s in /metrics", want)
			}
		})
	}
}
