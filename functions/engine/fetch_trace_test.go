package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// A traced run's fetches carry its trace under span ids of their own and
// come back in the result; an untraced run, a malformed context and a
// function's own traceparent are left alone.
func TestFetchTracePropagation(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	e := loopbackEngine(Config{})
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, c := range []struct {
		name    string
		trace   functions.TraceContext
		headers string // fetch's headers option, JavaScript
		fetches int
		// wantParent is the traceparent the server sees: "" none, "new" one
		// of the run's trace with a new span id, anything else as it is.
		wantParent, wantState string
		spans                 int
	}{
		{"untraced", functions.TraceContext{}, `{}`, 1, "", "", 0},
		{"traced", functions.TraceContext{Parent: parent, State: "vendor=abc"}, `{}`, 2, "new", "vendor=abc", 2},
		{"the function's own traceparent wins", functions.TraceContext{Parent: parent}, `{traceparent: "00-11111111111111111111111111111111-2222222222222222-00"}`, 1,
			"00-11111111111111111111111111111111-2222222222222222-00", "", 0},
		{"the run's tracestate replaces the function's", functions.TraceContext{Parent: parent, State: "a=1"}, `{tracestate: "b=2"}`, 1, "new", "a=1", 1},
		{"malformed context adds nothing", functions.TraceContext{Parent: "00-zz-yy-01"}, `{}`, 1, "", "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			src := `exports.main = async () => { for (let i = 0; i < ` + string(rune('0'+c.fetches)) + `; i++) await fetch("` + srv.URL + `/x?token=secret", {headers: ` + c.headers + `}); return 1 }`
			tr, err := Transpile("t.js", src)
			if err != nil {
				t.Fatal(err)
			}
			inv := &functions.Invocation{RequestID: "r", Function: functions.FunctionInfo{ID: "fn", Name: "t", Tenant: "default", Version: 1},
				Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash, Timeout: 5 * time.Second, MemoryMB: 64, Data: json.RawMessage(`{}`), Trace: c.trace}
			res, err := e.Execute(context.Background(), inv)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != c.fetches {
				t.Fatalf("%d requests, want %d", len(got), c.fetches)
			}
			ids := map[string]bool{}
			for _, h := range got {
				tp := h.Get("traceparent")
				switch c.wantParent {
				case "new":
					parts := strings.Split(tp, "-")
					if len(parts) != 4 || parts[1] != "4bf92f3577b34da6a3ce929d0e0e4736" || parts[2] == "00f067aa0ba902b7" || parts[3] != "01" {
						t.Fatalf("traceparent %q: want the run's trace with a new span id", tp)
					}
					ids[parts[2]] = true
				default:
					if tp != c.wantParent {
						t.Fatalf("traceparent %q, want %q", tp, c.wantParent)
					}
				}
				if ts := h.Get("tracestate"); c.wantParent == "new" && ts != c.wantState {
					t.Fatalf("tracestate %q, want %q", ts, c.wantState)
				}
			}
			if len(res.Fetches) != c.spans {
				t.Fatalf("%d fetch spans, want %d: %+v", len(res.Fetches), c.spans, res.Fetches)
			}
			for _, f := range res.Fetches {
				if !ids[f.SpanID] || f.Method != "GET" || f.Status != http.StatusTeapot || f.Error != "" ||
					f.Host != strings.TrimPrefix(srv.URL, "http://") || f.Start.IsZero() || f.Duration <= 0 {
					t.Fatalf("fetch span %+v: want one of the sent span ids %v, GET, 418, the host only", f, ids)
				}
			}
		})
	}
}

// A fetch that fails is reported with its error code and no status.
func TestFetchTraceError(t *testing.T) {
	res, rerr := invokeTraced(t, New(Config{}), `exports.main = async () => { try { await fetch("http://127.0.0.1:1/") } catch (e) { return e.code } }`)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if string(res.JSON) != `"blocked"` || len(res.Fetches) != 1 || res.Fetches[0].Error != "blocked" || res.Fetches[0].Status != 0 {
		t.Fatalf("%s %+v", res.JSON, res.Fetches)
	}
}

func invokeTraced(t *testing.T, e *Engine, src string) (*functions.Result, error) {
	t.Helper()
	tr, err := Transpile("t.js", src)
	if err != nil {
		t.Fatal(err)
	}
	inv := &functions.Invocation{RequestID: "r", Function: functions.FunctionInfo{ID: "fn", Name: "t", Tenant: "default", Version: 1},
		Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash, Timeout: 5 * time.Second, MemoryMB: 64, Data: json.RawMessage(`{}`),
		Trace: functions.TraceContext{Parent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	return e.Execute(context.Background(), inv)
}
