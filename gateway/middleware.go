package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/trace"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/tracing"
)

type localKey int

const (
	keyRequestID localKey = iota
	keyAPIKey
	keyFunctionID
)

// newRequestID returns a UUIDv7 (RFC 9562): 74 random bits after a
// millisecond timestamp. The gateway always makes its own id, so a client
// cannot collide with another request's run record. Time-ordered ids keep
// run-record inserts at the end of the store's index: with random ids each
// insert lands on a random page, three times the cost once the table
// outgrows the page cache (BenchmarkSaveRuns in functions/sqlite). Ids of
// one millisecond are in random order (uuid.NewV7 would order them under
// a global lock); the index does not care. Built here to cost one
// allocation, the string.
func newRequestID() string {
	var u [16]byte
	if _, err := rand.Read(u[6:]); err != nil {
		panic("gateway: no randomness: " + err.Error())
	}
	ms := uint64(time.Now().UnixMilli())
	for i := range 6 {
		u[i] = byte(ms >> (40 - 8*i))
	}
	u[6] = 0x70 | u[6]&0x0f // version 7
	u[8] = 0x80 | u[8]&0x3f // variant 10
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// requestID returns the request's id, creating it for requests rejected
// before the middleware ran (fasthttp's body and header limits).
func requestID(c *fiber.Ctx) string {
	if id, ok := c.Locals(keyRequestID).(string); ok {
		return id
	}
	id := newRequestID()
	c.Locals(keyRequestID, id)
	return id
}

// observe is the first middleware: request id, the trace context of the
// calls that run functions (tracing.go), then the HTTP metrics and one
// access-log line for every request, whatever the outcome; a traced
// request's line has its trace_id. The line
// of an invocation answered below 400 is at debug unless
// Config.LogOKInvocations: its run record says the same, and a JSON line
// per call cost more than the rest of the gateway's work on it.
func (g *Gateway) observe(c *fiber.Ctx) error {
	start := time.Now()
	rid := requestID(c)
	c.Set(fiber.HeaderXRequestID, rid)
	var span trace.Span
	if tracedPath(c.Path()) {
		span = g.startTrace(c)
	}
	err := c.Next()
	if err != nil {
		g.countAuthFailure(err)
		// Write the error body now so the status below is the one sent.
		if herr := g.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path // the pattern: never the secret UUID itself
	elapsed := time.Since(start)
	g.metrics.observeHTTP(route, status, elapsed)
	fnID, invocation := c.Locals(keyFunctionID).(string)
	if span != nil {
		g.endTrace(c, span, route, status, rid, fnID)
	}
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelWarn
	case status < 400 && invocation && !g.cfg.LogOKInvocations:
		level = slog.LevelDebug
	}
	ctx := c.UserContext()
	if !g.log.Enabled(ctx, level) {
		return nil
	}
	attrs := []slog.Attr{
		slog.String("request_id", rid),
		slog.String("method", c.Method()),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
		slog.String("ip", c.IP()),
	}
	if invocation {
		attrs = append(attrs, slog.String("function_id", fnID))
	}
	if span != nil {
		attrs = append(attrs, slog.String("trace_id", tracing.TraceID(ctx)))
	}
	g.log.LogAttrs(ctx, level, "request", attrs...)
	return nil
}

// requireScope authenticates the admin API caller and checks one scope;
// "" checks none (any valid credential, as GET /v1/key needs).
func (g *Gateway) requireScope(scope string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		header := c.Get(fiber.HeaderAuthorization)
		var key auth.Key
		var err error
		if cred, ok := auth.Bearer(header); ok && looksLikeJWT(cred) {
			key, err = g.jwtKey(c, cred)
		} else {
			key, err = g.auth.Authenticate(c.UserContext(), header)
		}
		if err != nil {
			return err
		}
		if scope != "" && !key.HasScope(scope) {
			return apiError(http.StatusForbidden, "forbidden", "this key lacks the %s scope", scope)
		}
		c.Locals(keyAPIKey, key)
		return c.Next()
	}
}

func tenantOf(c *fiber.Ctx) string {
	if k, ok := c.Locals(keyAPIKey).(auth.Key); ok {
		return k.Tenant
	}
	return auth.DefaultTenant
}

func atoiParam(c *fiber.Ctx, name string) (int, error) {
	n, err := strconv.Atoi(c.Params(name))
	if err != nil || n < 1 {
		return 0, apiError(http.StatusBadRequest, "bad_request", "%s must be a positive integer", name)
	}
	return n, nil
}

// countAuthFailure counts a 401 or 403 of the gateway's own: a function
// that answers 403 (a Response, or a SIP-style rejection) is no auth failure.
func (g *Gateway) countAuthFailure(err error) {
	var re *functions.RunError
	if errors.As(err, &re) {
		return
	}
	switch toAPIError(err).Status {
	case http.StatusUnauthorized:
		g.metrics.authFailed.WithLabelValues("unauthenticated").Inc()
	case http.StatusForbidden:
		g.metrics.authFailed.WithLabelValues("forbidden").Inc()
	}
}
