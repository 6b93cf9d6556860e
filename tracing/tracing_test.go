package tracing

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/scriptforge/scriptforge/functions"
)

const (
	traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	spanID  = "00f067aa0ba902b7"
)

// recording is a Tracer whose spans go to memory, synchronously.
func recording() (*Tracer, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithIDGenerator(idGenerator{}),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	return &Tracer{provider: tp, tracer: tp.Tracer("test")}, exp
}

func TestStart(t *testing.T) {
	off, err := New(Config{})
	if err != nil || off.Enabled() {
		t.Fatalf("New without an endpoint: %v, enabled %v", err, off.Enabled())
	}
	on, _ := recording()
	for _, c := range []struct {
		name      string
		headers   map[string]string
		continues bool
		wantFlags trace.TraceFlags
		wantState string
		onRecords bool // with export, the span is recorded
	}{
		{"sampled parent", map[string]string{"traceparent": "00-" + traceID + "-" + spanID + "-01", "tracestate": "a=1,b=2"}, true, 1, "a=1,b=2", true},
		{"unsampled parent", map[string]string{"traceparent": "00-" + traceID + "-" + spanID + "-00"}, true, 0, "", false},
		{"none", nil, false, 0, "", true},
		{"malformed", map[string]string{"traceparent": "00-" + traceID + "-" + spanID}, false, 0, "", true},
		{"upper case hex", map[string]string{"traceparent": "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + spanID + "-01"}, false, 0, "", true},
		{"future version with more fields", map[string]string{"traceparent": "cc-" + traceID + "-" + spanID + "-01-extra"}, true, 1, "", true},
		{"version ff", map[string]string{"traceparent": "ff-" + traceID + "-" + spanID + "-01"}, false, 0, "", true},
	} {
		for _, tr := range []*Tracer{off, on} {
			t.Run(c.name, func(t *testing.T) {
				ctx, span := tr.Start(context.Background(), propagation.MapCarrier(c.headers), "req")
				defer span.End()
				sc := span.SpanContext()
				if !sc.IsValid() || sc.SpanID().String() == spanID {
					t.Fatalf("span context %v: want a valid one with a span id of its own", sc)
				}
				if (sc.TraceID().String() == traceID) != c.continues {
					t.Fatalf("trace %s: continues the caller's %v, want %v", sc.TraceID(), !c.continues, c.continues)
				}
				if c.continues && (sc.TraceFlags() != c.wantFlags || sc.TraceState().String() != c.wantState) {
					t.Fatalf("flags %v state %q, want %v %q", sc.TraceFlags(), sc.TraceState().String(), c.wantFlags, c.wantState)
				}
				if span.IsRecording() != (tr.Enabled() && c.onRecords) {
					t.Fatalf("recording %v", span.IsRecording())
				}
				if TraceID(ctx) != sc.TraceID().String() {
					t.Fatalf("TraceID %q", TraceID(ctx))
				}
				inv := Invocation(ctx)
				if want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String(); inv.Parent != want || inv.State != sc.TraceState().String() {
					t.Fatalf("Invocation %+v, want parent %s", inv, want)
				}
				// Steps are free without export: the request's own span.
				if _, step := tr.Step(ctx, "lookup"); !tr.Enabled() && !step.SpanContext().Equal(span.SpanContext()) {
					t.Fatal("a step without export is not the request's span")
				}
			})
		}
	}
	if TraceID(context.Background()) != "" {
		t.Fatal("TraceID of no span")
	}
}

// Fetch spans keep the ids the run chose, under the run's span, with
// their times and outcome.
func TestFetches(t *testing.T) {
	tr, exp := recording()
	ctx, run := tr.Start(context.Background(), propagation.MapCarrier{"traceparent": "00-" + traceID + "-" + spanID + "-01"}, "run")
	start := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	tr.Fetches(ctx, []functions.FetchSpan{
		{SpanID: "1111111111111111", Method: "GET", Host: "api.example.com", Start: start, Duration: 3 * time.Millisecond, Status: 200},
		{SpanID: "2222222222222222", Method: "POST", Host: "api.example.com:8443", Start: start, Duration: time.Second, Error: "timeout"},
		{SpanID: "not hex", Method: "GET"}, // not one of ours: skipped
	})
	run.End()
	got := exp.GetSpans()
	if len(got) != 3 {
		t.Fatalf("%d spans: %+v", len(got), got)
	}
	for i, want := range []struct {
		id, name string
		failed   bool
	}{{"1111111111111111", "fetch GET", false}, {"2222222222222222", "fetch POST", true}} {
		s := got[i]
		if s.SpanContext.SpanID().String() != want.id || s.Name != want.name || s.Parent.SpanID() != run.SpanContext().SpanID() ||
			s.SpanContext.TraceID().String() != traceID || s.SpanKind != trace.SpanKindClient || !s.StartTime.Equal(start) ||
			(s.Status.Code == codes.Error) != want.failed {
			t.Fatalf("fetch span %d: %+v", i, s)
		}
	}
	if d := got[1].EndTime.Sub(got[1].StartTime); d != time.Second {
		t.Fatalf("duration %v", d)
	}
	// Without export, or under a span that is not recorded, nothing.
	off, _ := New(Config{})
	off.Fetches(ctx, []functions.FetchSpan{{SpanID: "3333333333333333"}})
	tr.Fetches(context.Background(), []functions.FetchSpan{{SpanID: "3333333333333333"}})
	if len(exp.GetSpans()) != 3 {
		t.Fatal("spans recorded without export or parent")
	}
}

func TestNewEndpoint(t *testing.T) {
	for _, c := range []struct {
		endpoint string
		ok       bool
	}{
		{"http://localhost:4318", true},
		{"https://collector.example.com/v1/traces", true},
		{"localhost:4318", false},
		{"ftp://x", false},
		{"http://", false},
	} {
		tr, err := New(Config{Endpoint: c.endpoint})
		if (err == nil) != c.ok {
			t.Fatalf("%q: %v", c.endpoint, err)
		}
		if err == nil {
			if !tr.Enabled() {
				t.Fatalf("%q: not enabled", c.endpoint)
			}
			_ = tr.Shutdown(context.Background())
		}
	}
}

// What a call pays for tracing: its span, the run's trace context and
// the answer's header; without export, and exporting to a processor
// that drops everything (the SDK's own cost, no network).
func BenchmarkRequest(b *testing.B) {
	off, _ := New(Config{})
	tp := sdktrace.NewTracerProvider(sdktrace.WithIDGenerator(idGenerator{}), sdktrace.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(tracetest.NewNoopExporter())))
	on := &Tracer{provider: tp, tracer: tp.Tracer("bench")}
	in := propagation.MapCarrier{"traceparent": "00-" + traceID + "-" + spanID + "-01"}
	for _, c := range []struct {
		name string
		tr   *Tracer
	}{{"off", off}, {"on", on}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ctx, span := c.tr.Start(context.Background(), in, "")
				for _, step := range []string{"lookup", "admission"} {
					_, s := c.tr.Step(ctx, step)
					s.End()
				}
				runCtx, run := c.tr.Step(ctx, "run")
				_ = Invocation(runCtx)
				run.End()
				out := propagation.MapCarrier{}
				Inject(ctx, out)
				span.End()
			}
		})
	}
}
