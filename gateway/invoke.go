package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/ratelimit"
	"github.com/scriptforge/scriptforge/tracing"
)

// deployedAt is the live function a URL's UUID names (/v1/fn/<uuid>,
// /v1/voice/<uuid>): a 404 for anything that names none.
func (g *Gateway) deployedAt(c *fiber.Ctx) (functions.Deployed, error) {
	id := c.Params("uuid")
	if _, err := uuid.Parse(id); err != nil {
		return functions.Deployed{}, apiError(http.StatusNotFound, "not_found", "no function at this URL")
	}
	d, err := g.lookups.get(c.UserContext(), id)
	if errors.Is(err, functions.ErrNotFound) {
		return functions.Deployed{}, apiError(http.StatusNotFound, "not_found", "no function at this URL")
	}
	if err != nil {
		return functions.Deployed{}, err
	}
	c.Locals(keyFunctionID, d.ID)
	return d, nil
}

// admitInvocation applies the checks every call of a function by its
// UUID passes (an invocation, a voice webhook): the client IP, the
// function's auth, then admitRun's rates, CPU budget and concurrency.
// The caller defers release.
func (g *Gateway) admitInvocation(c *fiber.Ctx, d functions.Deployed) (*tenantEntry, func(), map[string]any, error) {
	tenant, ipDec, err := g.admitClient(c, d.Tenant)
	if err != nil {
		return nil, nil, nil, err
	}
	claims, err := g.authorizeInvocation(c, tenant, d)
	if err != nil {
		return nil, nil, nil, err
	}
	release, rateDec, err := g.admit.admitRun(c.UserContext(), tenant, d)
	if err != nil {
		return nil, nil, nil, err
	}
	writeRateLimit(c, ratelimit.Tightest(rateDec, ipDec))
	return tenant, release, claims, nil
}

// admitClient finds the tenant a call is for and applies its limit on
// the client's address; the decision is for the RateLimit headers.
func (g *Gateway) admitClient(c *fiber.Ctx, tenantID string) (*tenantEntry, ratelimit.Decision, error) {
	ctx := c.UserContext()
	tenant, err := g.tenants.get(ctx, tenantID)
	if err != nil {
		return nil, ratelimit.Decision{}, err
	}
	ipDec, err := g.admit.checkIP(ctx, c, tenant)
	if err != nil {
		return nil, ipDec, err
	}
	if !ipDec.Allowed {
		return nil, ipDec, limited(ipDec)
	}
	return tenant, ipDec, nil
}

// recordRun keeps the run record of a call by UUID (trigger: an HTTP
// invocation or a voice webhook) and counts it in the metrics: a failed
// run with its error code (the one its answer has) and whatever it logged.
func (g *Gateway) recordRun(trigger functions.Trigger, d functions.Deployed, rid, traceID, export string, started time.Time, cpu time.Duration, res *functions.Result, runErr error) {
	record := functions.Run{
		RequestID: rid, FunctionID: d.ID, Tenant: d.Tenant, Version: d.LiveVersion, Export: export, Trigger: trigger,
		StartedAt: started.UTC(), DurationUS: time.Since(started).Microseconds(), CPUUS: cpu.Microseconds(), TraceID: traceID,
	}
	if runErr != nil {
		record.Status = toAPIError(runErr).Status
		var re *functions.RunError
		if errors.As(runErr, &re) {
			record.Logs, record.ErrorCode, record.Error = re.Logs, re.Code, re.Message
			if re.Stack != "" {
				record.Error = re.Stack
			}
			g.metrics.invocations.WithLabelValues(re.Code).Inc()
		} else {
			record.ErrorCode, record.Error = toAPIError(runErr).Code, runErr.Error()
			code := "internal"
			var ae *APIError
			if errors.As(runErr, &ae) && ae.Code == "bad_output" { // a run that succeeded but broke its contract
				code = ae.Code
			}
			g.metrics.invocations.WithLabelValues(code).Inc()
		}
		if res != nil { // a run that succeeded, failed after it (voice: its state)
			record.Logs = res.Logs
		}
		g.keepRun(record)
		g.metrics.countRun(d.Tenant, d.ID, record.Status)
		return
	}
	record.Logs, record.Status = res.Logs, http.StatusOK
	if res.Response != nil {
		record.Status = res.Response.Status
	}
	g.keepRun(record)
	g.metrics.countRun(d.Tenant, d.ID, record.Status)
	g.metrics.invocationsOK.Inc()
	g.metrics.runSeconds.Observe(res.Duration.Seconds())
}

// keepRun hands a run record to the recorder. A scheduled or async run has no
// request keeping the gateway open and may end after Shutdown closed the
// recorder: its record is then dropped, as a late routing step's is.
func (g *Gateway) keepRun(r functions.Run) {
	if r.Trigger == functions.TriggerSchedule || r.Trigger == functions.TriggerAsync {
		g.runs.recordLate(r)
		return
	}
	g.runs.record(r)
}

// invoke runs a function: lookup by UUID, request → data and ctx, run,
// result → response, run record.
func (g *Gateway) invoke(c *fiber.Ctx) error {
	started := time.Now()
	// fiber's strings point into fasthttp's reused buffers: the lookup
	// cache copies the UUID if it keeps it.
	span := g.step(c, "lookup")
	d, err := g.deployedAt(c)
	endStep(span, err)
	if err != nil {
		return err
	}
	span = g.step(c, "admission")
	tenant, release, claims, err := g.admitInvocation(c, d)
	endStep(span, err)
	if err != nil {
		return err
	}
	defer func() {
		if release != nil { // nil once a streamed run owns it
			release()
		}
	}()
	export := strings.Clone(c.Params("export"))
	if export != "" && !functions.ValidExport(export) {
		return apiError(http.StatusNotFound, functions.CodeExportNotFound, "%q is not a valid export name", export)
	}
	// Parsed once: it is ctx.request.query, and data for a GET.
	query, _ := url.ParseQuery(string(c.Context().QueryArgs().QueryString())) // a bad pair is skipped
	data, form, err := g.requestData(c, query)
	if err != nil {
		return err
	}
	// The contract: the data is checked before the run (the caller's
	// fault, 400), the result after it (the function's, 500 bad_output).
	contract, err := g.contracts.get(d)
	if err != nil {
		return err
	}
	if err := contract.checkInput(data); err != nil {
		return err
	}
	rid := requestID(c)
	if g.wantsAsync(c) { // admitted and checked as a call; run later (async.go)
		return g.enqueue(c, d, rid, export, data, requestInfo(c, query, true).Headers)
	}
	inv := invocationOf(d)
	inv.RequestID, inv.Export, inv.Data = rid, export, data
	inv.Request, inv.Auth = requestInfo(c, query, d.Auth != functions.AuthPublic), claims
	inv.Request.Body = form
	// DELETE /v1/runs/{id} and the client's departure cancel ctx (cancel.go).
	ctx, f := g.track(c, d.Tenant, rid)
	if wantsEventStream(c) {
		done := release
		release = nil
		r := &invocationRun{d: d, inv: inv, tenant: tenant, contract: contract, rid: rid, export: export, started: started}
		head := runHeader{RequestID: rid, FunctionID: d.ID, Version: d.LiveVersion, StartedAt: started.UTC()}
		return g.streamRun(c, ctx, head, f, g.flights.ender(rid, f, done), func(ctx context.Context, s *runStream) sseFinal {
			res, runErr, cpu := g.runInvocation(ctx, r, s)
			return resultEvent(r.rid, r.started, res, runErr).withCPU(cpu)
		})
	}
	defer g.flights.end(rid, f)
	r := invocationRun{d: d, inv: inv, tenant: tenant, contract: contract, rid: rid, export: export, started: started}
	res, runErr, cpu := g.runInvocation(ctx, &r, nil)
	setServerTiming(c, started, cpu, res)
	if runErr != nil {
		return runErr
	}
	if r := res.Response; r != nil {
		return g.sendResponse(c, r)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(res.JSON)
}

// invocationRun is an invocation from its run on: the same whether it
// is answered with one response or an event stream.
type invocationRun struct {
	d           functions.Deployed
	inv         *functions.Invocation
	tenant      *tenantEntry
	contract    *compiledContract
	rid, export string
	started     time.Time
}

// runInvocation runs r (its lines also to s, if streamed), charges its
// CPU, checks its result against the contract and records it.
func (g *Gateway) runInvocation(ctx context.Context, r *invocationRun, s *runStream) (*functions.Result, error, time.Duration) {
	tap := g.tapLogs(r.inv, r.rid, s, 0)
	res, runErr := g.execute(ctx, r.inv)
	cpu := g.runCost(ctx, r.tenant, res, runErr)
	if runErr == nil {
		runErr = r.contract.checkOutput(res)
	}
	tap.finish(res, runErr)
	g.recordRun(functions.TriggerHTTP, r.d, r.rid, tracing.TraceID(ctx), r.export, r.started, cpu, res, runErr)
	return res, runErr, cpu
}

// execute runs inv under a "run" span of the request's trace: the run's
// fetches carry its context, and come back as its child spans.
func (g *Gateway) execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	ctx, span := g.tracer.Step(ctx, "run")
	inv.Trace = tracing.Invocation(ctx)
	res, err := g.cfg.Executor.Execute(ctx, inv)
	if res != nil {
		g.tracer.Fetches(ctx, res.Fetches)
	}
	endStep(span, err)
	return res, err
}

// sendResponse sends a Response a function returned, as it is, but for
// the headers that are the server's.
func (g *Gateway) sendResponse(c *fiber.Ctx, r *functions.HTTPResponse) error {
	for k, v := range r.Headers {
		switch {
		case reservedHeader(k):
		case k == "set-cookie":
			for _, cookie := range strings.Split(v, "\n") {
				c.Response().Header.Add(fiber.HeaderSetCookie, cookie)
			}
		default:
			c.Set(k, v)
		}
	}
	if r.Headers["content-type"] == "" {
		c.Set(fiber.HeaderContentType, fiber.MIMEOctetStream)
	}
	return c.Status(r.Status).Send(r.Body)
}

// reservedHeader lists headers a function may not set: framing is the
// server's, and the request id is the gateway's.
func reservedHeader(name string) bool {
	switch strings.ToLower(name) {
	case "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "x-request-id", "date", "server":
		return true
	}
	return false
}

// requestData turns the request into the function's first argument, as
// JSON. For a form request (URL-encoded or multipart) it also gives the
// raw body, a copy (fasthttp reuses its buffer), which
// ctx.request.formData() reads; nil for any other.
func (g *Gateway) requestData(c *fiber.Ctx, query url.Values) (data json.RawMessage, form []byte, err error) {
	switch c.Method() {
	case http.MethodGet, http.MethodHead, http.MethodDelete:
		data, err = json.Marshal(flatten(query))
		return data, nil, err
	}
	body := c.Body()
	if len(body) > g.cfg.MaxBodyBytes {
		return nil, nil, apiError(http.StatusRequestEntityTooLarge, "payload_too_large",
			"the request body is %d bytes; the limit is %d", len(body), g.cfg.MaxBodyBytes)
	}
	ct := c.Get(fiber.HeaderContentType)
	mediaType := "application/json"
	if !strings.EqualFold(ct, mediaType) && !strings.EqualFold(ct, "application/json; charset=utf-8") { // the common ones, without a parse
		mediaType, _, _ = mime.ParseMediaType(ct)
	}
	switch {
	case ct == "" || mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		if len(body) == 0 {
			return json.RawMessage("{}"), nil, nil
		}
		data, err = g.checkJSON(body)
		return data, nil, err
	case mediaType == "application/x-www-form-urlencoded":
		// curl -d '{"a":1}' sends JSON labelled as a form; a real form never
		// starts with a brace or bracket.
		if t := bytes.TrimSpace(body); len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
			data, err = g.checkJSON(t)
		} else {
			fields, _ := url.ParseQuery(string(body)) // a bad pair is skipped
			data, err = json.Marshal(flatten(fields))
		}
		return data, bytes.Clone(body), err
	case mediaType == "multipart/form-data":
		// Its text fields are data, as a URL-encoded form's are; files
		// (and everything) are ctx.request.formData().
		fields, err := engine.FormFields(body, ct, g.cfg.MaxBodyBytes)
		if err != nil {
			return nil, nil, apiError(http.StatusBadRequest, "invalid_form", "the multipart/form-data body cannot be read: %v", err)
		}
		data, err = json.Marshal(flatten(fields))
		return data, bytes.Clone(body), err
	case strings.HasPrefix(mediaType, "text/") || strings.HasSuffix(mediaType, "/xml") || strings.HasSuffix(mediaType, "+xml"):
		data, err = json.Marshal(string(body))
		return data, nil, err
	}
	return nil, nil, apiError(http.StatusUnsupportedMediaType, "unsupported_media_type",
		"content type %q is not accepted; send JSON, a form, or text", ct)
}

// checkJSON accepts a JSON body as the function's data: valid, and nested
// no deeper than the gateway allows (deep nesting costs the runtime's
// parser stack, and no real payload needs it).
func (g *Gateway) checkJSON(body []byte) (json.RawMessage, error) {
	if !json.Valid(body) {
		return nil, apiError(http.StatusBadRequest, "invalid_json", "the request body is not valid JSON")
	}
	if jsonTooDeep(body, g.cfg.MaxJSONDepth) {
		return nil, apiError(http.StatusBadRequest, "json_too_deep", "the request body nests deeper than %d levels", g.cfg.MaxJSONDepth)
	}
	return append(json.RawMessage(nil), body...), nil
}

// flatten maps query or form values to an object: one value → string, a
// repeated key → array of strings.
func flatten(values url.Values) map[string]any {
	out := make(map[string]any, len(values))
	for k, v := range values {
		if len(v) == 1 {
			out[k] = v[0]
		} else {
			out[k] = v
		}
	}
	return out
}

// requestInfo is ctx.request. Strings are copied: fasthttp reuses its
// buffers once the handler returns. All of them are copied into one
// string, one allocation instead of two per header (BenchmarkRequestInfo).
// A credential the gateway checked is not passed on (the function gets
// ctx.auth): it would end up in logs.
func requestInfo(c *fiber.Ctx, query url.Values, dropAuthorization bool) functions.RequestInfo {
	type field struct {
		name            string // a common name; "" when it is lowered into buf
		nameAt, valueAt int
		end             int
	}
	var fieldsArr [32]field
	fields := fieldsArr[:0]
	var bufArr [4 << 10]byte
	buf := bufArr[:0]
	c.Request().Header.VisitAll(func(k, v []byte) {
		f := field{name: commonHeaders[string(k)], nameAt: len(buf)}
		if f.name == "" {
			buf = appendLower(buf, k)
		}
		f.valueAt = len(buf)
		buf = append(buf, v...)
		f.end = len(buf)
		fields = append(fields, f)
	})
	uri, path := len(buf), 0
	buf = append(buf, c.OriginalURL()...)
	path = len(buf)
	buf = append(buf, c.Path()...)
	ip := len(buf)
	buf = append(buf, c.IP()...)
	all := string(buf)

	headers := make(map[string]string, len(fields))
	for _, f := range fields {
		name := f.name
		if name == "" {
			name = all[f.nameAt:f.valueAt]
		}
		if dropAuthorization && name == "authorization" {
			continue
		}
		headers[name] = all[f.valueAt:f.end]
	}
	return functions.RequestInfo{
		Method:  method(c.Method()),
		URL:     all[uri:path],
		Path:    all[path:ip],
		Query:   query,
		Headers: headers,
		IP:      all[ip:],
	}
}

// appendLower appends the header name k in lower case, as strings.ToLower
// would write it.
func appendLower(b, k []byte) []byte {
	for _, ch := range k {
		if ch >= utf8.RuneSelf {
			return append(b, strings.ToLower(string(k))...)
		}
	}
	for _, ch := range k {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b = append(b, ch)
	}
	return b
}

// commonHeaders maps the names fasthttp normalizes common headers to, to
// the lower case ctx.request.headers uses: a constant needs no copy.
var commonHeaders = func() map[string]string {
	m := map[string]string{}
	for _, name := range []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control", "Connection",
		"Content-Length", "Content-Type", "Cookie", "Fly-Client-Ip", "Fly-Forwarded-Port", "Fly-Region",
		"Fly-Request-Id", "Host", "If-Modified-Since", "If-None-Match", "Origin", "Pragma", "Referer",
		"Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Traceparent", "User-Agent", "Via",
		"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip", "X-Request-Id",
	} {
		m[name] = strings.ToLower(name)
	}
	return m
}()

// method returns the request method as a constant for the common ones
// (fiber's string points into fasthttp's buffer).
func method(m string) string {
	switch m {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodHead:
		return http.MethodHead
	}
	return strings.Clone(m)
}

// invocationOf is what every call of d's live version shares.
func invocationOf(d functions.Deployed) *functions.Invocation {
	return &functions.Invocation{
		Function:     functions.FunctionInfo{ID: d.ID, UUID: d.UUID, Name: d.Name, Tenant: d.Tenant, Version: d.LiveVersion},
		Type:         d.Version.Type,
		Code:         d.Version.Code,
		Hash:         d.Version.Hash,
		Env:          d.Version.Env,
		Timeout:      time.Duration(d.Version.TimeoutMS) * time.Millisecond,
		MemoryMB:     d.Version.MemoryMB,
		FreshRuntime: d.FreshRuntime,
	}
}
