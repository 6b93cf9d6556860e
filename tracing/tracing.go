// Package tracing is the gateway's W3C trace context and OpenTelemetry
// export. Every traced request gets a server span whose context is
// answered as traceparent and handed to the function's run; spans are
// exported over OTLP/HTTP only when an endpoint is configured. Without
// one, a span is a span context and nothing else: no SDK span, no
// allocation beyond the context, nothing recorded.
package tracing

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/scriptforge/scriptforge/functions"
)

// Config says where spans go. With neither Endpoint nor FromEnv nothing
// is exported (traceparent is still taken and answered).
type Config struct {
	// Endpoint is the OTLP/HTTP receiver's base URL, as
	// OTEL_EXPORTER_OTLP_ENDPOINT is (http://collector:4318): spans go to
	// its /v1/traces, unless the URL already ends so.
	Endpoint string
	// FromEnv exports to what the standard OTEL_EXPORTER_OTLP_ENDPOINT /
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT variables name (the exporter
	// reads them, and the other OTEL_EXPORTER_OTLP_* ones, itself).
	FromEnv bool
	// ServiceName is the service.name resource attribute. Default "scriptforge".
	ServiceName string
	// QueueSize bounds the spans waiting for export; past it spans are
	// dropped, never waited for. Default 8192.
	QueueSize int
	// BatchTimeout is the longest a span waits before its batch is sent.
	// Default 1 s.
	BatchTimeout time.Duration
}

// Tracer starts the gateway's spans. The zero value is not usable; New
// builds one, disabled when the Config names no endpoint.
type Tracer struct {
	provider *sdktrace.TracerProvider // nil when nothing is exported
	tracer   trace.Tracer
}

var propagator propagation.TraceContext

// New builds the tracer; with an endpoint, its exporter and batch
// processor (the exporter connects lazily, on the first export).
func New(cfg Config) (*Tracer, error) {
	if cfg.Endpoint == "" && !cfg.FromEnv {
		return &Tracer{tracer: noop.NewTracerProvider().Tracer("")}, nil
	}
	var opts []otlptracehttp.Option
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("tracing: the OTLP endpoint %q is not an http(s) URL", cfg.Endpoint)
		}
		if !strings.HasSuffix(u.Path, "/v1/traces") {
			u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(u.String()))
	}
	exp, err := otlptracehttp.New(context.Background(), opts...) // does not connect
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	name := cfg.ServiceName
	if name == "" {
		name = "scriptforge"
	}
	queue := cfg.QueueSize
	if queue <= 0 {
		queue = 8192
	}
	batch := cfg.BatchTimeout
	if batch <= 0 {
		batch = time.Second
	}
	// The batch processor never blocks a span's End: a full queue drops
	// (WithBlocking is not set), so a slow collector costs spans, not requests.
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithMaxQueueSize(queue), sdktrace.WithBatchTimeout(batch),
			sdktrace.WithMaxExportBatchSize(min(512, queue))),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", name))),
		sdktrace.WithIDGenerator(idGenerator{}),
		// No sampler option: the SDK's default, ParentBased(AlwaysSample)
		// (a caller that said "not sampled" is obeyed, a new trace is
		// sampled), unless OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
		// choose another, e.g. parentbased_traceidratio and 0.1.
	)
	return &Tracer{provider: tp, tracer: tp.Tracer("github.com/scriptforge/scriptforge/gateway")}, nil
}

// Enabled reports whether spans are exported.
func (t *Tracer) Enabled() bool { return t.provider != nil }

// Shutdown exports the spans still queued, until ctx ends.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t.provider == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// Start begins the server span of a request whose headers carrier reads:
// a child of a valid incoming traceparent (with its tracestate), or the
// root of a new trace when there is none or it is malformed; a bad
// header never fails the request. Without export the span is only a
// span context in ctx (End and the setters do nothing).
func (t *Tracer) Start(ctx context.Context, carrier propagation.TextMapCarrier, name string) (context.Context, trace.Span) {
	ctx = propagator.Extract(ctx, carrier)
	if t.provider != nil {
		return t.tracer.Start(ctx, name, serverKind...)
	}
	parent := trace.SpanContextFromContext(ctx)
	cfg := trace.SpanContextConfig{TraceID: parent.TraceID(), SpanID: randomSpanID(),
		TraceFlags: parent.TraceFlags(), TraceState: parent.TraceState()}
	if !parent.IsValid() {
		cfg.TraceID = randomTraceID()
		cfg.TraceFlags = 0 // nothing records this trace
	}
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(cfg))
	return ctx, trace.SpanFromContext(ctx)
}

// Step starts a child span of ctx's span for one step of the request
// (lookup, admission, run). Without export it is ctx's span itself, so
// End is a no-op and nothing is allocated.
func (t *Tracer) Step(ctx context.Context, name string) (context.Context, trace.Span) {
	if t.provider == nil {
		return ctx, trace.SpanFromContext(ctx)
	}
	return t.tracer.Start(ctx, name, internalKind...)
}

// The span kinds as start options, made once: an option is an interface
// value, allocated at each conversion.
var (
	serverKind   = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
	internalKind = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)}
)

// Inject writes the traceparent (and tracestate) of ctx's span to carrier.
func Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	propagator.Inject(ctx, carrier)
}

// TraceID is ctx's trace id in hex, "" when it has none.
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return sc.TraceID().String()
}

// Invocation is ctx's span as the trace context a run carries into its fetches.
func Invocation(ctx context.Context) functions.TraceContext {
	var c traceCarrier
	propagator.Inject(ctx, &c)
	return functions.TraceContext(c)
}

// traceCarrier takes the two headers Inject writes, without a map.
type traceCarrier functions.TraceContext

func (c *traceCarrier) Get(key string) string {
	switch key {
	case "traceparent":
		return c.Parent
	case "tracestate":
		return c.State
	}
	return ""
}

func (c *traceCarrier) Set(key, value string) {
	switch key {
	case "traceparent":
		c.Parent = value
	case "tracestate":
		c.State = value
	}
}

func (c *traceCarrier) Keys() []string { return []string{"traceparent", "tracestate"} }

// Fetches records the fetches a run reported as client spans, children
// of ctx's span (the run's), with the span ids their traceparent headers
// named: what a partner's server saw as its parent is then in the trace.
func (t *Tracer) Fetches(ctx context.Context, fetches []functions.FetchSpan) {
	if t.provider == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return
	}
	for _, f := range fetches {
		id, err := trace.SpanIDFromHex(f.SpanID)
		if err != nil {
			continue // not one this gateway's runs make
		}
		attrs := []attribute.KeyValue{
			attribute.String("http.request.method", f.Method),
			attribute.String("server.address", f.Host),
		}
		if f.Status != 0 {
			attrs = append(attrs, attribute.Int("http.response.status_code", f.Status))
		}
		if f.Error != "" {
			attrs = append(attrs, attribute.String("error.type", f.Error))
		}
		_, span := t.tracer.Start(context.WithValue(ctx, spanIDKey{}, id), "fetch "+f.Method,
			trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(f.Start), trace.WithAttributes(attrs...))
		switch {
		case f.Error != "":
			span.SetStatus(codes.Error, f.Error)
		case f.Status >= 500:
			span.SetStatus(codes.Error, "")
		}
		span.End(trace.WithTimestamp(f.Start.Add(f.Duration)))
	}
}

// spanIDKey carries a span id chosen in advance (a fetch's, chosen in the
// run) to idGenerator, the one way the SDK lets a span have a given id.
type spanIDKey struct{}

// idGenerator is the SDK's random ids, but for spans whose id was chosen
// already. math/rand/v2's generator is per thread (no lock, unlike the
// SDK's default); W3C ids need to be unique, not secret.
type idGenerator struct{}

var _ sdktrace.IDGenerator = idGenerator{}

func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	return randomTraceID(), idGenerator{}.NewSpanID(ctx, trace.TraceID{})
}

func (idGenerator) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if id, ok := ctx.Value(spanIDKey{}).(trace.SpanID); ok && id.IsValid() {
		return id
	}
	return randomSpanID()
}

func randomSpanID() (id trace.SpanID) {
	for !id.IsValid() {
		binary.BigEndian.PutUint64(id[:], rand.Uint64())
	}
	return id
}

func randomTraceID() (id trace.TraceID) {
	for !id.IsValid() {
		binary.BigEndian.PutUint64(id[:8], rand.Uint64())
		binary.BigEndian.PutUint64(id[8:], rand.Uint64())
	}
	return id
}
