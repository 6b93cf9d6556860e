package engine

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/scriptforge/scriptforge/functions"
)

// Trace propagation of fetch. A traced run (Invocation.Trace set by the
// gateway) sends each fetch with a traceparent of the run's trace and a
// span id of the fetch's own, so a partner's system joins the same trace,
// and reports the fetch (that span id, timings, status) in its result:
// the gateway, not the executor, turns those into spans and exports them.
// That one path serves both isolation modes, and a sandbox process, which
// may reach nothing but fetch's targets, never talks to a collector.

var traceContext propagation.TraceContext

// fetchTrace is what one traced fetch reports when it ends.
type fetchTrace struct {
	span  functions.FetchSpan
	start time.Time
}

// traceFetch adds the run's trace context to req, under a new span id,
// unless the run has no trace or the function set its own traceparent
// (its choice wins, and that fetch is not reported). nil: not reported.
func (r *run) traceFetch(req *fetchRequest) *fetchTrace {
	tc := r.inv.Trace
	if tc.Parent == "" || req.header.Get("traceparent") != "" {
		return nil
	}
	if !r.traceParsed {
		r.traceParsed = true
		carrier := propagation.MapCarrier{"traceparent": tc.Parent, "tracestate": tc.State}
		r.traceSpan = trace.SpanContextFromContext(traceContext.Extract(context.Background(), carrier))
	}
	if !r.traceSpan.IsValid() {
		return nil
	}
	var id trace.SpanID
	for !id.IsValid() {
		binary.BigEndian.PutUint64(id[:], rand.Uint64())
	}
	sc := r.traceSpan.WithSpanID(id)
	// Inject writes both headers the standard way; a tracestate the
	// function set is replaced with the run's, which goes with its parent.
	req.header.Del("tracestate")
	traceContext.Inject(trace.ContextWithSpanContext(context.Background(), sc), propagation.HeaderCarrier(req.header))
	if len(r.fetchSpans) >= functions.MaxFetchSpans {
		return nil
	}
	return &fetchTrace{start: time.Now(), span: functions.FetchSpan{SpanID: id.String(), Method: req.method, Host: req.url.Host}}
}

// end records the fetch, on the run's goroutine.
func (t *fetchTrace) end(r *run, status int, errCode string) {
	if t == nil || len(r.fetchSpans) >= functions.MaxFetchSpans {
		return
	}
	t.span.Start, t.span.Duration = t.start.UTC().Round(0), time.Since(t.start)
	t.span.Status, t.span.Error = status, errCode
	if t.span.Method == "" {
		t.span.Method = http.MethodGet
	}
	r.fetchSpans = append(r.fetchSpans, t.span)
}
