package gateway_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/gateway"
)

// cancelWithin is how soon a cancelled run must stop (issue 14); the
// race detector slows the goroutines a cancel goes through several times
// over, on a machine the tests share.
var cancelWithin = func() time.Duration {
	if raceBuild {
		return 300 * time.Millisecond
	}
	return 100 * time.Millisecond
}()

// partner is a local server a function fetches from: /started?rid=
// reports the run's request id to the test, /hang never answers (until
// the fetch is aborted).
type partner struct {
	*httptest.Server
	started chan string
}

func newPartner(t *testing.T) *partner {
	p := &partner{started: make(chan string, 16)}
	quit := make(chan struct{})
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/started":
			p.started <- r.URL.Query().Get("rid")
			w.WriteHeader(http.StatusNoContent)
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-quit:
			}
		}
	}))
	t.Cleanup(func() { close(quit); p.Close() })
	return p
}

func (p *partner) waitStarted(t *testing.T) string {
	t.Helper()
	select {
	case rid := <-p.started:
		return rid
	case <-time.After(10 * time.Second):
		t.Fatal("the run never started")
		return ""
	}
}

// spinSource is an App that reports its request id, then spins in
// JavaScript or waits on a fetch that never answers.
const spinSource = `export async function main(data, ctx) {
	await fetch(process.env.PARTNER + "/started?rid=" + ctx.requestId)
	if (data.hang) await fetch(process.env.PARTNER + "/hang")
	while (true) {}
}`

type answer struct {
	resp response
	err  error
	at   time.Time
}

// invokeAsync invokes in the background, with a context the test may
// cancel (the client going away: Go's transport closes the connection).
func invokeAsync(ctx context.Context, url, body string, headers ...string) <-chan answer {
	out := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		// A client of its own: a connection closed by a cancel is not one
		// the other tests' client would reuse.
		client := &http.Client{Transport: &http.Transport{}}
		resp, err := client.Do(req)
		if err != nil {
			out <- answer{err: err, at: time.Now()}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- answer{resp: response{status: resp.StatusCode, header: resp.Header, body: b}, err: err, at: time.Now()}
	}()
	return out
}

// runEnd is when a run record says its run ended.
func runEnd(t *testing.T, rec map[string]any) time.Time {
	t.Helper()
	started, err := time.Parse(time.RFC3339Nano, rec["started_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return started.Add(time.Duration(rec["duration_us"].(float64)) * time.Microsecond)
}

// A spinning run and one waiting on a fetch stop within 100 ms of a
// DELETE of the run and of their client going away, in both isolation
// modes; the record says cancelled; the DELETE is the tenant's and needs
// functions:write; the executor serves the next run.
func TestCancelEndToEnd(t *testing.T) {
	for _, isolation := range isolations {
		t.Run(isolation, func(t *testing.T) {
			p := newPartner(t)
			s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) { c.Executor = loopbackExecutor(t, isolation) })
			acme, switchKey := routingTenant(s, "acme")
			globex, _ := routingTenant(s, "globex")
			reader := s.newKey("acme", "functions:read")
			r := s.as(acme, "POST", "/v1/functions", map[string]any{"name": "spin", "type": "app", "source": spinSource,
				"timeout_ms": 5000, "env": map[string]any{"PARTNER": p.URL}})
			if r.status != http.StatusCreated {
				t.Fatalf("deploy: %d %s", r.status, r.body)
			}
			url := s.url + "/v1/fn/" + r.json(t)["uuid"].(string)
			quick := s.deployAs(acme, map[string]any{"name": "quick", "source": `function main() { return "still serving" }`})
			quickURL := "/v1/fn/" + s.as(acme, "GET", "/v1/functions/"+quick, nil).json(t)["uuid"].(string)

			for _, body := range []string{`{}`, `{"hang":true}`} {
				t.Run("delete "+body, func(t *testing.T) {
					answered := invokeAsync(context.Background(), url, body)
					rid := p.waitStarted(t)
					if r := s.as(globex, "DELETE", "/v1/runs/"+rid, nil); r.status != http.StatusNotFound {
						t.Fatalf("another tenant's DELETE: %d %s", r.status, r.body)
					}
					if r := s.as(reader, "DELETE", "/v1/runs/"+rid, nil); r.status != http.StatusForbidden {
						t.Fatalf("DELETE without functions:write: %d %s", r.status, r.body)
					}
					asked := time.Now()
					r := s.as(acme, "DELETE", "/v1/runs/"+rid, nil)
					if r.status != http.StatusOK || r.json(t)["status"] != "cancelled" || r.json(t)["request_id"] != rid {
						t.Fatalf("DELETE: %d %s", r.status, r.body)
					}
					a := <-answered
					if a.err != nil {
						t.Fatal(a.err)
					}
					if took := a.at.Sub(asked); took > cancelWithin {
						t.Errorf("the run's caller was answered %v after the DELETE; want within %v", took, cancelWithin)
					}
					if a.resp.status != 499 || a.resp.errorCode(t) != "cancelled" {
						t.Fatalf("the cancelled run's caller got %d %s", a.resp.status, a.resp.body)
					}
					rec := s.stepRecord(acme, rid)
					if rec["error_code"] != "cancelled" || rec["status"] != float64(499) {
						t.Fatalf("run record: %v", rec)
					}
					if r := s.as(acme, "DELETE", "/v1/runs/"+rid, nil); r.status != http.StatusNotFound {
						t.Fatalf("DELETE of a finished run: %d %s", r.status, r.body)
					}
					if r := s.do("GET", quickURL, nil, nil); r.status != http.StatusOK || string(r.body) != `"still serving"` {
						t.Fatalf("the next run: %d %s", r.status, r.body)
					}
				})
				t.Run("disconnect "+body, func(t *testing.T) {
					ctx, cancel := context.WithCancel(context.Background())
					answered := invokeAsync(ctx, url, body)
					rid := p.waitStarted(t)
					left := time.Now()
					cancel()
					if a := <-answered; !errors.Is(a.err, context.Canceled) {
						t.Fatalf("the client's request: %v", a.err)
					}
					rec := s.stepRecord(acme, rid)
					if rec["error_code"] != "cancelled" || rec["status"] != float64(499) {
						t.Fatalf("run record: %v", rec)
					}
					if took := runEnd(t, rec).Sub(left); took > cancelWithin {
						t.Errorf("the run ended %v after its client left; want within %v", took, cancelWithin)
					}
					if r := s.do("GET", quickURL, nil, nil); r.status != http.StatusOK {
						t.Fatalf("the next run: %d %s", r.status, r.body)
					}
				})
			}

			// A streamed run stops the same ways: its stream ends with an
			// error event saying so, or its client is gone.
			t.Run("stream delete", func(t *testing.T) {
				answered := invokeAsync(context.Background(), url, `{}`, "Accept", "text/event-stream")
				rid := p.waitStarted(t)
				asked := time.Now()
				if r := s.as(acme, "DELETE", "/v1/runs/"+rid, nil); r.status != http.StatusOK {
					t.Fatalf("DELETE: %d %s", r.status, r.body)
				}
				a := <-answered
				if a.err != nil || a.resp.status != http.StatusOK || !strings.Contains(string(a.resp.body), "event: error") ||
					!strings.Contains(string(a.resp.body), `"cancelled"`) {
					t.Fatalf("the stream: %v %d %s", a.err, a.resp.status, a.resp.body)
				}
				if took := a.at.Sub(asked); took > cancelWithin {
					t.Errorf("the stream ended %v after the DELETE; want within %v", took, cancelWithin)
				}
				if rec := s.stepRecord(acme, rid); rec["error_code"] != "cancelled" {
					t.Fatalf("run record: %v", rec)
				}
			})
			t.Run("stream disconnect", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				answered := invokeAsync(ctx, url, `{"hang":true}`, "Accept", "text/event-stream")
				rid := p.waitStarted(t)
				left := time.Now()
				cancel()
				<-answered
				rec := s.stepRecord(acme, rid)
				if rec["error_code"] != "cancelled" {
					t.Fatalf("run record: %v", rec)
				}
				if took := runEnd(t, rec).Sub(left); took > cancelWithin {
					t.Errorf("the run ended %v after its client left; want within %v", took, cancelWithin)
				}
			})

			// A routing chain's step and a voice webhook's run stop too.
			s.assign(acme, "/v1/routing/customers/c1", map[string]any{"function": "spin", "timeout_ms": 5000})
			r = s.as(acme, "POST", "/v1/functions", map[string]any{"name": "ivr", "type": "app", "source": spinSource,
				"timeout_ms": 5000, "env": map[string]any{"PARTNER": p.URL}})
			if r.status != http.StatusCreated {
				t.Fatalf("deploy ivr: %d %s", r.status, r.body)
			}
			voiceURL := s.url + "/v1/voice/" + r.json(t)["uuid"].(string)
			for _, c := range []struct {
				name, url, body, suffix string
				headers                 []string
			}{
				{"routing", s.url + "/v1/routing/customers/c1", `{"routing":{}}`, "-1", []string{"Authorization", "Bearer " + switchKey}},
				{"voice", voiceURL, `{"call_id":"call-1","from":"+15550001","to":"+15550002"}`, "", nil},
			} {
				t.Run(c.name+" disconnect", func(t *testing.T) {
					ctx, cancel := context.WithCancel(context.Background())
					answered := invokeAsync(ctx, c.url, c.body, c.headers...)
					rid := p.waitStarted(t)
					left := time.Now()
					cancel()
					if a := <-answered; !errors.Is(a.err, context.Canceled) {
						t.Fatalf("the client's request: %v", a.err)
					}
					rec := s.stepRecord(acme, rid+c.suffix)
					if rec["error_code"] != "cancelled" {
						t.Fatalf("run record: %v", rec)
					}
					if took := runEnd(t, rec).Sub(left); took > cancelWithin {
						t.Errorf("the run ended %v after its client left; want within %v", took, cancelWithin)
					}
				})
			}
			t.Run("routing delete", func(t *testing.T) {
				answered := invokeAsync(context.Background(), s.url+"/v1/routing/customers/c1", `{"routing":{}}`, "Authorization", "Bearer "+switchKey)
				rid := p.waitStarted(t)
				if r := s.as(acme, "DELETE", "/v1/runs/"+rid, nil); r.status != http.StatusOK {
					t.Fatalf("DELETE: %d %s", r.status, r.body)
				}
				a := <-answered
				if a.err != nil || a.resp.status != 499 || a.resp.errorCode(t) != "cancelled" {
					t.Fatalf("the switch got %v %d %s", a.err, a.resp.status, a.resp.body)
				}
				if rec := s.stepRecord(acme, rid+"-1"); rec["error_code"] != "cancelled" {
					t.Fatalf("run record: %v", rec)
				}
			})
		})
	}
}
