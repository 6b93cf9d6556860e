package gateway

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/scriptforge/scriptforge/tracing"
)

// Tracing of the calls that run functions: /v1/fn/…, /v1/routing/… and
// /v1/voice/…. observe starts the request's server span (from the
// caller's traceparent, or a new trace) and answers its traceparent; the
// handlers wrap their steps (lookup, admission, run) with step, and a
// run's fetches become children of the run's span. Admin requests are
// not traced: their callers are people and scripts, not partners' systems.

// tracedPath says whether a request is one that runs functions. The
// routing admin API shares the /v1/routing/ prefix; its spans are cheap.
func tracedPath(path string) bool {
	return strings.HasPrefix(path, "/v1/fn/") || strings.HasPrefix(path, "/v1/routing/") || strings.HasPrefix(path, "/v1/voice/")
}

// requestCarrier reads the trace headers of a request for the propagator.
type requestCarrier struct{ h *fasthttp.RequestHeader }

func (r requestCarrier) Get(key string) string { return string(r.h.Peek(key)) }
func (requestCarrier) Set(string, string)      {}
func (requestCarrier) Keys() []string          { return []string{"traceparent", "tracestate"} }

// responseCarrier writes the traceparent answer; the span's tracestate is
// the caller's own, so it is not echoed.
type responseCarrier struct{ c *fiber.Ctx }

func (responseCarrier) Get(string) string { return "" }
func (r responseCarrier) Set(key, value string) {
	if key == "traceparent" {
		r.c.Set(key, value)
	}
}
func (responseCarrier) Keys() []string { return nil }

// startTrace begins the request's server span and puts it in the user
// context, where steps and the run find it. The span is ended by endTrace.
func (g *Gateway) startTrace(c *fiber.Ctx) trace.Span {
	ctx, span := g.tracer.Start(c.UserContext(), requestCarrier{&c.Request().Header}, "")
	c.SetUserContext(ctx)
	return span
}

// endTrace answers the traceparent (after the handler, so a Response a
// function returned cannot replace the gateway's) and, when spans are
// exported, names the span by its route and ends it. Attributes name the
// route pattern, never the path: the UUID in it is the function's secret.
func (g *Gateway) endTrace(c *fiber.Ctx, span trace.Span, route string, status int, requestID, functionID string) {
	tracing.Inject(c.UserContext(), responseCarrier{c})
	if !span.IsRecording() {
		return
	}
	span.SetName(c.Method() + " " + route)
	span.SetAttributes(
		attribute.String("http.request.method", method(c.Method())),
		attribute.String("http.route", route),
		attribute.Int("http.response.status_code", status),
		attribute.String("scriptforge.request_id", requestID),
	)
	if functionID != "" {
		span.SetAttributes(attribute.String("scriptforge.function.id", functionID))
	}
	if status >= 500 {
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// step starts a child span of the request's span for one step of it;
// the caller ends it with endStep. Without export it is free.
func (g *Gateway) step(c *fiber.Ctx, name string) trace.Span {
	_, span := g.tracer.Step(c.UserContext(), name)
	return span
}

// endStep ends a step's span, marked failed with the error's code.
func endStep(span trace.Span, err error) {
	if !span.IsRecording() {
		return
	}
	if err != nil {
		ae := toAPIError(err)
		span.SetAttributes(attribute.String("error.type", ae.Code))
		span.SetStatus(codes.Error, ae.Code)
	}
	span.End()
}
