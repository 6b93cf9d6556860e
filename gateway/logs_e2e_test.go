package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/gateway"
)

// follower is an open GET /v1/functions/{id}/logs?follow=1.
type follower struct {
	t      *testing.T
	events chan sseEvent
	cancel context.CancelFunc
}

// follow opens a follow stream and waits for its header: from then on
// the follower gets every line.
func (s *server) follow(key, id, query string) *follower {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/v1/functions/"+id+"/logs?follow=1&"+query, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := testClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		s.t.Fatalf("follow: %d %v", resp.StatusCode, resp.Header)
	}
	f := &follower{t: s.t, events: make(chan sseEvent, 100000), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(f.events)
		sc := bufio.NewScanner(resp.Body)
		var cur sseEvent
		for sc.Scan() {
			switch line := sc.Text(); {
			case line == "" && cur.name != "":
				f.events <- cur
				cur = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				cur.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.data)
			}
		}
	}()
	s.t.Cleanup(cancel)
	if e := f.next(); e.name != "header" || e.data["function_id"] != id {
		s.t.Fatalf("first event %v", e)
	}
	return f
}

func (f *follower) next() sseEvent {
	f.t.Helper()
	select {
	case e, ok := <-f.events:
		if !ok {
			f.t.Fatal("the follow stream ended")
		}
		return e
	case <-time.After(10 * time.Second):
		f.t.Fatal("no event within 10 s")
	}
	return sseEvent{}
}

// lines takes n log events, as "request_id level message".
func (f *follower) lines(n int) []string {
	f.t.Helper()
	var out []string
	for len(out) < n {
		if e := f.next(); e.name == "log" {
			out = append(out, fmt.Sprint(e.data["request_id"], " ", e.data["level"], " ", e.data["message"]))
		}
	}
	return out
}

const threeLevels = `function main(d) { console.debug("dbg", d.n); console.log("hello", d.n); console.warn("careful", d.n); return d.n }`

func TestFollowLogsEndToEnd(t *testing.T) {
	for _, isolation := range isolations {
		t.Run(isolation, func(t *testing.T) {
			s := startServerWith(t, t.TempDir(), isolation, 0, fastKeepAlive)
			id, uuid := s.deploy("chatty", "script", threeLevels)
			all := s.follow(adminKey, id, "")
			warn := s.follow(adminKey, id, "level=warn")
			var rids []string
			for n := 1; n <= 2; n++ {
				r := s.do("POST", "/v1/fn/"+uuid, fmt.Sprintf(`{"n":%d}`, n), nil)
				if r.status != 200 {
					t.Fatalf("run %d: %d %s", n, r.status, r.body)
				}
				rids = append(rids, r.header.Get("X-Request-Id"))
			}
			want := []string{
				rids[0] + " debug dbg 1", rids[0] + " info hello 1", rids[0] + " warn careful 1",
				rids[1] + " debug dbg 2", rids[1] + " info hello 2", rids[1] + " warn careful 2",
			}
			if got := all.lines(6); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("all lines:\n got %q\nwant %q", got, want)
			}
			if got := warn.lines(2); fmt.Sprint(got) != fmt.Sprint([]string{want[2], want[5]}) {
				t.Fatalf("warn lines %q", got)
			}

			// since: the stored lines first, then live ones.
			for _, rid := range rids {
				s.stepRecord(adminKey, rid)
			}
			since := s.follow(adminKey, id, "since=10m&level=info")
			r := s.do("POST", "/v1/fn/"+uuid, `{"n":3}`, nil)
			rid3 := r.header.Get("X-Request-Id")
			got := since.lines(6)
			wantSince := []string{want[1], want[2], want[4], want[5], rid3 + " info hello 3", rid3 + " warn careful 3"}
			if fmt.Sprint(got) != fmt.Sprint(wantSince) {
				t.Fatalf("since lines:\n got %q\nwant %q", got, wantSince)
			}

			// Without follow: the recent stored lines as JSON.
			s.stepRecord(adminKey, rid3)
			r = s.admin("GET", "/v1/functions/"+id+"/logs?level=warn&limit=2", nil)
			var list struct {
				Lines []struct {
					RequestID string `json:"request_id"`
					Level     string `json:"level"`
					Message   string `json:"message"`
					Time      time.Time
				} `json:"lines"`
			}
			if err := json.Unmarshal(r.body, &list); err != nil || r.status != 200 || len(list.Lines) != 2 ||
				list.Lines[0].RequestID != rids[1] || list.Lines[1].Message != "careful 3" || list.Lines[1].Time.IsZero() {
				t.Fatalf("JSON lines: %d %s", r.status, r.body)
			}
			if r = s.admin("GET", "/v1/functions/"+id+"/logs?level=loud", nil); r.status != 400 || r.errorCode(t) != "invalid_parameter" {
				t.Fatalf("bad level: %d %s", r.status, r.body)
			}
		})
	}
}

// Another tenant's function is not found, streamed or not; a key
// without functions:read is refused.
func TestFollowLogsTenancy(t *testing.T) {
	s := startServerWith(t, t.TempDir(), "inprocess", 0, fastKeepAlive)
	id, _ := s.deploy("mine", "script", threeLevels)
	other, sw := routingTenant(s, "acme")
	for _, q := range []string{"", "?follow=1"} {
		if r := s.as(other, "GET", "/v1/functions/"+id+"/logs"+q, nil); r.status != 404 || r.errorCode(t) != "not_found" {
			t.Fatalf("other tenant%s: %d %s", q, r.status, r.body)
		}
		if r := s.as(sw, "GET", "/v1/functions/"+id+"/logs"+q, nil); r.status != 403 {
			t.Fatalf("routing key%s: %d %s", q, r.status, r.body)
		}
	}
	if r := s.do("GET", "/v1/functions/"+id+"/logs", nil, nil); r.status != 401 {
		t.Fatalf("no credential: %d %s", r.status, r.body)
	}
}

// flood prints lines straight into a run's OnLog, far faster than any
// stream can write them, then runs the function.
type flood struct {
	functions.Executor
	lines int
}

func (f flood) Execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	if inv.OnLog != nil {
		for i := range f.lines {
			inv.OnLog(functions.LogLine{Time: time.Now().UTC(), Level: "info", Message: fmt.Sprint("line ", i)})
		}
	}
	return f.Executor.Execute(ctx, inv)
}

// A follower that cannot keep up misses lines and is told how many; one
// that reads nothing at all slows no run; the same holds for a streamed
// run's own client.
func TestSlowFollowers(t *testing.T) {
	const lines = 20000
	s := startServerWith(t, t.TempDir(), "inprocess", 0, fastKeepAlive, func(c *gateway.Config) {
		c.FollowBuffer, c.SSEBuffer = 2, 2
		c.Executor = flood{c.Executor, lines}
	})
	id, uuid := s.deploy("quiet", "script", `function main() { return 1 }`)
	// One that never reads: the gateway's writes to it fill the socket and stall.
	stalled, err := http.NewRequest("GET", s.url+"/v1/functions/"+id+"/logs?follow=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	stalled.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := testClient.Do(stalled)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	f := s.follow(adminKey, id, "")
	start := time.Now()
	for range 5 {
		if r := s.do("POST", "/v1/fn/"+uuid, `{}`, nil); r.status != 200 {
			t.Fatalf("run: %d %s", r.status, r.body)
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("5 runs of %d lines each took %v with slow followers", lines, took)
	}
	var got, missed int
	for got+missed < 5*lines {
		switch e := f.next(); e.name {
		case "log":
			got++
		case "dropped":
			missed += int(e.data["count"].(float64))
		}
	}
	if missed == 0 || got+missed != 5*lines {
		t.Fatalf("got %d, told of %d dropped, of %d", got, missed, 5*lines)
	}

	_, evs := s.stream("POST", "/v1/fn/"+uuid, `{}`, nil)
	got, missed = len(only(evs, "log")), 0
	for _, e := range only(evs, "dropped") {
		missed += int(e.data["count"].(float64))
	}
	if missed == 0 || got+missed != lines || names(evs)[len(names(evs))-1] != "message" {
		t.Fatalf("streamed run: %d lines, %d dropped, of %d; events end %v", got, missed, lines, names(evs)[len(names(evs))-1])
	}
}

// A follow stream outlives the server's write timeout (runs' longest
// time plus a grace), and ends when the gateway shuts down instead of
// holding the shutdown.
func TestFollowOutlivesWriteTimeoutAndEndsAtShutdown(t *testing.T) {
	s := startServerWith(t, t.TempDir(), "inprocess", 0, fastKeepAlive, func(c *gateway.Config) {
		c.Limits.MaxTimeoutMS, c.Limits.DefaultTimeoutMS, c.WriteGrace = 300, 300, 100*time.Millisecond
	})
	id, uuid := s.deploy("later", "script", `function main() { console.log("still here"); return 1 }`)
	f := s.follow(adminKey, id, "")
	time.Sleep(1500 * time.Millisecond) // three times the write timeout
	if r := s.do("POST", "/v1/fn/"+uuid, `{}`, nil); r.status != 200 {
		t.Fatalf("run: %d %s", r.status, r.body)
	}
	if got := f.lines(1); !strings.HasSuffix(got[0], "info still here") {
		t.Fatalf("line %q", got)
	}
	start := time.Now()
	s.stop()
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("shutdown with a follower open took %v", took)
	}
	for range f.events { // the stream ends
	}
}
