package gateway_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/functions/sandbox"
	"github.com/scriptforge/scriptforge/gateway"
	"github.com/scriptforge/scriptforge/tracing"
)

// loopbackFetchEnv lets a test's sandbox processes fetch from 127.0.0.1,
// as --fetch-allow would (the address guard refuses loopback otherwise).
const loopbackFetchEnv = "SCRIPTFORGE_GATEWAY_TEST_FETCH_LOOPBACK"

// loopbackExecutor runs functions that may fetch from 127.0.0.1.
func loopbackExecutor(t *testing.T, isolation string) functions.Executor {
	t.Helper()
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	if isolation == "inprocess" {
		return engine.New(engine.Config{Host: "test", Fetch: engine.FetchConfig{AllowPrivate: allow}})
	}
	pool := sandbox.New(sandbox.Config{Size: 1, MemoryMB: sandboxMemoryMB,
		Env:     []string{childEnv + "=" + strconv.Itoa(sandboxMemoryMB), loopbackFetchEnv + "=1"},
		Command: func() *exec.Cmd { return exec.Command(os.Args[0], "-test.run=^$") }})
	if err := pool.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes each export
// with the collector's pdata, as a collector would, and keeps the spans.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []span
}

// span is what the tests look at of a received span.
type span struct {
	name, traceID, spanID, parentID string
	kind                            ptrace.SpanKind
	status                          ptrace.StatusCode
	attrs                           map[string]any
	start, end                      time.Time
	service                         string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "want protobuf on /v1/traces", http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		ex := ptraceotlp.NewExportRequest()
		if err := ex.UnmarshalProto(body); err != nil {
			t.Errorf("OTLP payload: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.add(ex.Traces())
		out, _ := ptraceotlp.NewExportResponse().MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *otlpReceiver) add(td ptrace.Traces) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range td.ResourceSpans().All() {
		service, _ := rs.Resource().Attributes().Get("service.name")
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				r.spans = append(r.spans, span{
					name: s.Name(), traceID: s.TraceID().String(), spanID: s.SpanID().String(), parentID: s.ParentSpanID().String(),
					kind: s.Kind(), status: s.Status().Code(), attrs: s.Attributes().AsRaw(),
					start: s.StartTimestamp().AsTime(), end: s.EndTimestamp().AsTime(), service: service.AsString(),
				})
			}
		}
	}
}

// waitTrace returns the spans of a trace once n of them have arrived.
func (r *otlpReceiver) waitTrace(t *testing.T, traceID string, n int) []span {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		var got []span
		for _, s := range r.spans {
			if s.traceID == traceID {
				got = append(got, s)
			}
		}
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s: %d spans arrived, want %d: %+v", traceID, len(got), n, got)
		}
	}
}

var _ = pcommon.NewTraceIDEmpty // pcommon: the ids' types, named for readers

// tracedServer is a gateway exporting to a new receiver, whose functions
// may fetch from loopback.
func tracedServer(t *testing.T, isolation string, logs io.Writer) (*server, *otlpReceiver) {
	rcv := newOTLPReceiver(t)
	tr, err := tracing.New(tracing.Config{Endpoint: rcv.URL, BatchTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	exec := loopbackExecutor(t, isolation)
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
		c.Executor, c.Tracer = exec, tr
		if logs != nil {
			c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	})
	t.Cleanup(func() { _ = tr.Shutdown(t.Context()) })
	return s, rcv
}

const (
	incomingTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	incomingParent = "00f067aa0ba902b7"
)

// An invocation with a traceparent exports one server span, its child of
// the caller's span, with lookup, admission and run below it and a fetch
// span below the run whose id is the parent the fetched server saw; the
// answer's traceparent names the server span; the access line and the
// run record carry the trace id. Nothing secret is in any span.
func TestTraceExportEndToEnd(t *testing.T) {
	for _, isolation := range isolations {
		t.Run(isolation, func(t *testing.T) {
			var partnerSaw sync.Map // traceparent, tracestate
			partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				partnerSaw.Store("traceparent", r.Header.Get("traceparent"))
				partnerSaw.Store("tracestate", r.Header.Get("tracestate"))
				w.WriteHeader(http.StatusAccepted)
			}))
			defer partner.Close()
			var logs syncBuffer
			s, rcv := tracedServer(t, isolation, &logs)
			dep := s.admin("POST", "/v1/functions", map[string]any{"name": "traced", "type": "app", "source": `export async function main(data) {
				const r = await fetch(process.env.PARTNER + "/orders?token=" + process.env.TOKEN, {method: "POST", body: "{}"})
				return {status: r.status}
			}`, "env": map[string]any{"PARTNER": partner.URL, "TOKEN": map[string]string{"value": "s3cret-token", "flag": "private"}}})
			if dep.status != http.StatusCreated {
				t.Fatalf("deploy: %d %s", dep.status, dep.body)
			}
			id, uuid := dep.json(t)["id"].(string), dep.json(t)["uuid"].(string)
			r := s.do("POST", "/v1/fn/"+uuid, `{}`, map[string]string{
				"traceparent": "00-" + incomingTrace + "-" + incomingParent + "-01", "tracestate": "vendor=abc"})
			if r.status != http.StatusOK || string(r.body) != `{"status":202}` {
				t.Fatalf("invoke: %d %s", r.status, r.body)
			}
			answered := strings.Split(r.header.Get("traceparent"), "-")
			if len(answered) != 4 || answered[1] != incomingTrace || answered[2] == incomingParent {
				t.Fatalf("answered traceparent %q: want the caller's trace and the gateway's span", r.header.Get("traceparent"))
			}
			seen, _ := partnerSaw.Load("traceparent")
			partnerParent := strings.Split(seen.(string), "-")
			if len(partnerParent) != 4 || partnerParent[1] != incomingTrace {
				t.Fatalf("the partner saw traceparent %q: want trace %s", seen, incomingTrace)
			}
			if ts, _ := partnerSaw.Load("tracestate"); ts != "vendor=abc" {
				t.Fatalf("the partner saw tracestate %q", ts)
			}

			spans := rcv.waitTrace(t, incomingTrace, 5)
			byName := map[string]span{}
			for _, sp := range spans {
				byName[sp.name] = sp
			}
			server, ok := byName["POST /v1/fn/:uuid"]
			if !ok {
				t.Fatalf("no server span: %+v", spans)
			}
			if server.spanID != answered[2] || server.parentID != incomingParent || server.kind != ptrace.SpanKindServer || server.service != "scriptforge" {
				t.Fatalf("server span %+v: want id %s, parent %s, kind server", server, answered[2], incomingParent)
			}
			for _, name := range []string{"lookup", "admission", "run"} {
				if sp := byName[name]; sp.parentID != server.spanID {
					t.Fatalf("%s span %+v: want a child of the server span %s", name, sp, server.spanID)
				}
			}
			fetch := byName["fetch POST"]
			if fetch.parentID != byName["run"].spanID || fetch.spanID != partnerParent[2] || fetch.kind != ptrace.SpanKindClient {
				t.Fatalf("fetch span %+v: want a client child of the run %s with the id the partner saw, %s", fetch, byName["run"].spanID, partnerParent[2])
			}
			if fetch.start.Before(byName["run"].start) || fetch.end.After(byName["run"].end) || !fetch.end.After(fetch.start) {
				t.Fatalf("fetch span [%v, %v] not within the run [%v, %v]", fetch.start, fetch.end, byName["run"].start, byName["run"].end)
			}
			for _, c := range []struct {
				sp   span
				key  string
				want any
			}{
				{server, "http.response.status_code", int64(200)},
				{server, "http.route", "/v1/fn/:uuid"},
				{server, "scriptforge.function.id", id},
				{server, "scriptforge.request_id", r.header.Get("X-Request-Id")},
				{fetch, "http.response.status_code", int64(202)},
				{fetch, "http.request.method", "POST"},
				{fetch, "server.address", strings.TrimPrefix(partner.URL, "http://")},
			} {
				if got := c.sp.attrs[c.key]; got != c.want {
					t.Errorf("%s: %s = %v (%T), want %v", c.sp.name, c.key, got, got, c.want)
				}
			}
			for _, sp := range spans {
				for k, v := range sp.attrs {
					if str, _ := v.(string); strings.Contains(str, uuid) || strings.Contains(str, "s3cret") || strings.Contains(str, "token") {
						t.Errorf("span %s attribute %s = %q gives a secret away", sp.name, k, str)
					}
				}
			}

			rec := s.stepRecord(adminKey, r.header.Get("X-Request-Id"))
			if rec["trace_id"] != incomingTrace {
				t.Fatalf("run record: trace_id %v, want %s", rec["trace_id"], incomingTrace)
			}
			if line := logs.lines(t)[r.header.Get("X-Request-Id")]; line["trace_id"] != incomingTrace {
				t.Fatalf("access line %v: want trace_id %s", line, incomingTrace)
			}
		})
	}
}

// A caller's traceparent is taken when valid; absent or malformed, the
// gateway starts a trace and the request goes on as ever. With no
// endpoint nothing is exported, and the answer still names a span.
func TestTraceparentPropagation(t *testing.T) {
	var logs syncBuffer
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, uuid := s.deploy("plain", "script", `function main(data, ctx) { return ctx.request.headers.traceparent || "none" }`)
	for _, c := range []struct {
		name, path string
		headers    map[string]string
		status     int
		sameTrace  bool // the answer continues the caller's trace
	}{
		{"valid", "/v1/fn/" + uuid, map[string]string{"traceparent": "00-" + incomingTrace + "-" + incomingParent + "-01"}, 200, true},
		{"valid, not sampled", "/v1/fn/" + uuid, map[string]string{"traceparent": "00-" + incomingTrace + "-" + incomingParent + "-00"}, 200, true},
		{"absent", "/v1/fn/" + uuid, nil, 200, false},
		{"malformed", "/v1/fn/" + uuid, map[string]string{"traceparent": "00-nothex-" + incomingParent + "-01", "tracestate": "=,="}, 200, false},
		{"zero trace id", "/v1/fn/" + uuid, map[string]string{"traceparent": "00-00000000000000000000000000000000-" + incomingParent + "-01"}, 200, false},
		{"too long", "/v1/fn/" + uuid, map[string]string{"traceparent": strings.Repeat("0", 8000)}, 200, false},
		{"unknown function", "/v1/fn/00000000-0000-4000-8000-000000000000", map[string]string{"traceparent": "00-" + incomingTrace + "-" + incomingParent + "-01"}, 404, true},
		{"voice", "/v1/voice/00000000-0000-4000-8000-000000000000", nil, 404, false},
		{"routing", "/v1/routing/customers/c1", map[string]string{"traceparent": "00-" + incomingTrace + "-" + incomingParent + "-01"}, 401, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := s.do("POST", c.path, `{}`, c.headers)
			if r.status != c.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, c.status)
			}
			tp := strings.Split(r.header.Get("traceparent"), "-")
			if len(tp) != 4 || tp[0] != "00" || len(tp[1]) != 32 || len(tp[2]) != 16 || tp[1] == strings.Repeat("0", 32) {
				t.Fatalf("answered traceparent %q", r.header.Get("traceparent"))
			}
			if (tp[1] == incomingTrace) != c.sameTrace || tp[2] == incomingParent {
				t.Fatalf("answered traceparent %q: continues the caller's trace %v, want %v", r.header.Get("traceparent"), tp[1] == incomingTrace, c.sameTrace)
			}
			if c.sameTrace && tp[3] != c.headers["traceparent"][53:] {
				t.Fatalf("answered flags %s, want the caller's", tp[3])
			}
			if c.status == 200 {
				if line := logs.lines(t)[r.header.Get("X-Request-Id")]; line["trace_id"] != tp[1] {
					t.Fatalf("access line %v: want trace_id %s", line, tp[1])
				}
				// The function sees the caller's own header, as sent.
				if want := `"` + cmpOr(c.headers["traceparent"], "none") + `"`; string(r.body) != want {
					t.Fatalf("ctx.request.headers.traceparent = %s, want %s", r.body, want)
				}
			}
		})
	}
	// Admin requests are not traced.
	if r := s.admin("GET", "/v1/functions", nil); r.header.Get("traceparent") != "" {
		t.Fatalf("an admin answer has a traceparent: %q", r.header.Get("traceparent"))
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// A routing chain is one trace: the server span, lookup, admission and
// one run span for the whole chain; every step's record has the trace id.
func TestTraceRoutingChain(t *testing.T) {
	s, rcv := tracedServer(t, "inprocess", nil)
	admin, sw := routingTenant(s, "acme")
	s.deployAs(admin, map[string]any{"name": "first", "routing_priority": "run-first", "source": `function main(d) { d.routing.seen = true; return d }`})
	lcr := s.deployAs(admin, map[string]any{"name": "lcr", "source": `function main(d) { d.egress_routing = [{uri: "sip:x@gw.example"}]; return d }`})
	s.assign(admin, "/v1/routing/customers/c7", map[string]any{"function": "lcr", "timeout_ms": 5000})
	r := s.route(sw, "/v1/routing/customers/c7", map[string]any{"routing": map[string]any{"to": "+15550100"}},
		"traceparent", "00-"+incomingTrace+"-"+incomingParent+"-01")
	if r.status != http.StatusOK {
		t.Fatalf("route: %d %s", r.status, r.body)
	}
	spans := rcv.waitTrace(t, incomingTrace, 4)
	byName := map[string]span{}
	for _, sp := range spans {
		byName[sp.name] = sp
	}
	server := byName["POST /v1/routing/customers/:customer"]
	if server.parentID != incomingParent || server.attrs["scriptforge.function.id"] != lcr || server.attrs["http.response.status_code"] != int64(200) {
		t.Fatalf("server span %+v in %+v", server, spans)
	}
	for _, name := range []string{"lookup", "admission", "run"} {
		if byName[name].parentID != server.spanID {
			t.Fatalf("%s span %+v: want a child of %s", name, byName[name], server.spanID)
		}
	}
	rid := r.header.Get("X-Request-Id")
	for _, step := range []string{"-1", "-2"} {
		if rec := s.stepRecord(admin, rid+step); rec["trace_id"] != incomingTrace {
			t.Fatalf("record %s: trace_id %v", rid+step, rec["trace_id"])
		}
	}
}
