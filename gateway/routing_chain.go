package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/routing"
	"github.com/scriptforge/scriptforge/ratelimit"
	"github.com/scriptforge/scriptforge/tracing"
)

// headerDeadline is the budget a switch may send, in milliseconds, when
// it will wait less than the assignment allows.
const headerDeadline = "X-Deadline-Ms"

// maxDeadlineHeader bounds X-Deadline-Ms: no switch waits a minute.
const maxDeadlineHeader = 60_000

// routeCall runs the routing chain of a customer or DID: the tenant comes
// from the credential, the function from the assignment. The answer is
// the final data, or {"status": {code, message}} when the call is to be
// refused: the timeout action, a script's SIP code, or 500.
func (g *Gateway) routeCall(kind routing.Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// The budget runs from the request's arrival, not from here: the
		// switch has been waiting since it sent it.
		arrived := c.Context().Time()
		if _, err := g.routingStore(); err != nil {
			return err
		}
		key, err := assignmentKey(c, kind)
		if err != nil {
			return err
		}
		caller, err := g.routingCaller(c)
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		tenant, ipDec, err := g.admitClient(c, caller.Tenant)
		if err != nil {
			return err
		}
		span := g.step(c, "lookup")
		found, chain, err := g.routingCache.lookup(ctx, caller.Tenant, kind, key)
		endStep(span, err)
		if errors.Is(err, routing.ErrNoAssignment) {
			return noAssignment(kind, key)
		}
		if err != nil {
			return err
		}
		a, assigned := found.a, found.d
		deadline, err := chainDeadline(c, arrived, a)
		if err != nil {
			return err
		}
		flat, err := answerFormat(c)
		if err != nil {
			return err
		}
		data, err := g.routingData(c)
		if err != nil {
			return err
		}
		c.Locals(keyFunctionID, assigned.ID)
		// Fair usage as for an invocation, charged to the assigned function.
		span = g.step(c, "admission")
		release, rateDec, err := g.admit.admitRun(ctx, tenant, assigned)
		endStep(span, err)
		if err != nil {
			return err
		}
		defer func() {
			if release != nil { // nil once a streamed chain owns it
				release()
			}
		}()
		rid := requestID(c)
		query, _ := url.ParseQuery(string(c.Context().QueryArgs().QueryString())) // a bad pair is skipped
		reqInfo := requestInfo(c, query, true)
		claims := map[string]any{"type": caller.ID, "key_name": caller.Name, "tenant": caller.Tenant, "scopes": caller.Scopes}
		if caller.ID != "jwt" {
			claims["type"], claims["key_id"] = "apikey", caller.ID
		}
		steps := routing.Steps(chain.first, assigned, chain.last)
		writeRateLimit(c, ratelimit.Tightest(rateDec, ipDec))
		// DELETE of rid and the switch's departure stop the chain (cancel.go).
		chainCtx, f := g.track(c, caller.Tenant, rid)
		if wantsEventStream(c) {
			done := release
			release = nil
			r := &chainRun{steps: steps, data: data, deadline: deadline, action: a.TimeoutAction, rid: rid,
				reqInfo: reqInfo, claims: claims, tenant: tenant, arrived: arrived}
			head := runHeader{RequestID: rid, FunctionID: assigned.ID, Version: assigned.LiveVersion, StartedAt: arrived.UTC()}
			for _, st := range steps {
				fn := st.Function
				head.Steps = append(head.Steps, runHeaderStep{FunctionID: fn.ID, Name: fn.Name, Version: fn.LiveVersion})
			}
			return g.streamRun(c, chainCtx, head, f, g.flights.ender(rid, f, done), func(ctx context.Context, s *runStream) sseFinal {
				out, _ := g.runChain(ctx, r, s)
				answer, err := chainAnswer(ctx, out, flat)
				if err != nil {
					return errorEvent(r.rid, r.arrived, err)
				}
				return sseFinal{"message", runMessage{Status: http.StatusOK, DurationMS: sinceMS(r.arrived), Result: answer}}
			})
		}
		defer g.flights.end(rid, f)
		r := chainRun{steps: steps, data: data, deadline: deadline, action: a.TimeoutAction, rid: rid,
			reqInfo: reqInfo, claims: claims, tenant: tenant, arrived: arrived}
		out, timing := g.runChain(chainCtx, &r, nil)
		c.Set(headerServerTiming, timing)
		answer, err := chainAnswer(chainCtx, out, flat)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(answer)
	}
}

// chainRun is a routing call from its chain on: the same whether it is
// answered with one response or an event stream.
type chainRun struct {
	steps    []routing.Step
	data     []byte
	deadline time.Time
	action   routing.TimeoutAction
	rid      string
	reqInfo  functions.RequestInfo
	claims   map[string]any
	tenant   *tenantEntry
	arrived  time.Time
}

// runChain runs the chain of r (its steps' lines also to s, if
// streamed) and records its steps; it returns the outcome and the
// answer's Server-Timing.
func (g *Gateway) runChain(ctx context.Context, r *chainRun, s *runStream) (routing.Outcome, string) {
	// One "run" span for the chain; every step's fetches are its children.
	runCtx, span := g.tracer.Step(ctx, "run")
	tc := tracing.Invocation(runCtx)
	rid, reqInfo, claims := r.rid, r.reqInfo, r.claims
	invocation := func(d functions.Deployed) *functions.Invocation {
		inv := invocationOf(d)
		inv.RequestID, inv.Request, inv.Auth, inv.Trace = rid, reqInfo, claims, tc
		return inv
	}
	// live says which steps sent their lines as they were printed; nil
	// when nobody watches (the common case costs no allocation).
	var live []bool
	if s != nil || g.logs.Followers() > 0 || g.cfg.Bus.FollowedAny() {
		stepLive, n := make([]bool, len(r.steps)), 0
		live = stepLive
		plain := invocation
		invocation = func(d functions.Deployed) *functions.Invocation {
			inv := plain(d)
			if n < len(stepLive) { // steps are made in order, before any runs
				stepLive[n] = g.tapLogs(inv, rid+"-"+strconv.Itoa(n+1), s, n+1).live
			}
			n++
			return inv
		}
	}
	out := (&routing.Chain{Exec: g.cfg.Executor}).Run(runCtx, routing.Request{
		Steps: r.steps, Data: r.data, Deadline: r.deadline, Action: r.action, Invocation: invocation,
	})
	for _, s := range out.Steps {
		if s.Result != nil {
			g.tracer.Fetches(runCtx, s.Result.Fetches)
		}
	}
	endStep(span, nil)
	return out, g.recordChain(ctx, r.tenant, rid, tracing.TraceID(ctx), r.arrived, out, live)
}

// chainAnswer is the answer to a chain's outcome: the final data (flat
// or nested), or {"status": …} when the call is to be refused; an error
// (499) when ctx was cancelled while the chain ran.
func chainAnswer(ctx context.Context, out routing.Outcome, flat bool) (json.RawMessage, error) {
	switch {
	case ctx.Err() != nil && out.Late != nil: // cancelled: not a routing decision
		return nil, &APIError{Status: functions.StatusCancelled, Code: functions.CodeCancelled,
			Message: "the routing chain was cancelled: " + context.Cause(ctx).Error()}
	case out.Invalid != nil:
		step := out.Steps[len(out.Steps)-1].Step.Function
		return nil, &APIError{Status: http.StatusUnprocessableEntity, Code: "invalid_routing_data",
			Message: out.Invalid.Error() + " (returned by " + step.Name + ")",
			Details: fiber.Map{"path": out.Invalid.Path, "function_id": step.ID}}
	case out.Status != nil && flat:
		return routing.FlatStatus(*out.Status), nil
	case out.Status != nil:
		return json.Marshal(fiber.Map{"status": out.Status})
	case flat:
		// The data passed the last step's check: flattening cannot fail.
		return routing.Flatten(out.Data)
	}
	return out.Data, nil
}

// answerFormat reads ?format=: the nested answer (json, the default) or
// the flat one, for a switch whose JSON reader cannot walk arrays.
func answerFormat(c *fiber.Ctx) (flat bool, err error) {
	switch f := c.Query("format"); f {
	case "", "json":
		return false, nil
	case "flat":
		return true, nil
	default:
		return false, apiError(http.StatusBadRequest, "invalid_format", "format must be json (the default) or flat, not %q", f)
	}
}

// routingCaller authenticates the switch: a tenant key with
// routing:invoke, or a JWT of the tenant it names (whose scopes, when it
// carries any, must include routing:invoke).
func (g *Gateway) routingCaller(c *fiber.Ctx) (auth.Key, error) {
	header := c.Get(fiber.HeaderAuthorization)
	if cred, ok := auth.Bearer(header); ok && looksLikeJWT(cred) {
		k, err := g.jwtKey(c, cred)
		if err != nil {
			return auth.Key{}, err
		}
		if len(k.Scopes) > 0 && !k.HasScope(auth.ScopeRoutingInvoke) {
			return auth.Key{}, routingForbidden("this token's scopes do not include routing:invoke")
		}
		return k, nil
	}
	k, err := g.auth.Authenticate(c.UserContext(), header)
	switch {
	case errors.Is(err, auth.ErrNoCredentials):
		return auth.Key{}, unauthorized("routing needs a credential: send Authorization: Bearer <API key with routing:invoke, or JWT>", "")
	case errors.Is(err, auth.ErrBadCredentials):
		return auth.Key{}, unauthorized(err.Error(), "invalid_token")
	case err != nil:
		return auth.Key{}, err
	case !k.HasScope(auth.ScopeRoutingInvoke):
		return auth.Key{}, routingForbidden("this API key lacks the routing:invoke scope")
	}
	return k, nil
}

func routingForbidden(msg string) *APIError {
	return &APIError{Status: http.StatusForbidden, Code: "forbidden", Message: msg,
		Challenge: `Bearer realm="scriptforge", error="insufficient_scope", scope="routing:invoke"`}
}

// chainDeadline is the assignment's budget from arrival, or the switch's
// own when it is shorter.
func chainDeadline(c *fiber.Ctx, arrived time.Time, a routing.Assignment) (time.Time, error) {
	budget := time.Duration(a.TimeoutMS) * time.Millisecond
	if v := c.Get(headerDeadline); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 1 || ms > maxDeadlineHeader {
			return time.Time{}, apiError(http.StatusBadRequest, "invalid_deadline",
				"%s must be a whole number of milliseconds from 1 to %d, not %q", headerDeadline, maxDeadlineHeader, v)
		}
		budget = min(budget, time.Duration(ms)*time.Millisecond)
	}
	return arrived.Add(budget), nil
}

// routingData reads the switch's JSON body and checks its header
// manipulation as strictly as a script's.
func (g *Gateway) routingData(c *fiber.Ctx) ([]byte, error) {
	body := c.Body()
	if len(body) > g.cfg.MaxBodyBytes {
		return nil, apiError(http.StatusRequestEntityTooLarge, "payload_too_large",
			"the request body is %d bytes; the limit is %d", len(body), g.cfg.MaxBodyBytes)
	}
	if len(body) == 0 {
		return nil, apiError(http.StatusBadRequest, "invalid_json", `the request body is empty; send the call's routing data, e.g. {"routing": {...}, "egress_routing": [...]}`)
	}
	data, err := g.checkJSON(body)
	if err != nil {
		return nil, err
	}
	if err := routing.ValidateShape(data); err != nil { // checkJSON checked the syntax
		var se *routing.ShapeError
		errors.As(err, &se)
		return nil, &APIError{Status: http.StatusUnprocessableEntity, Code: "invalid_routing_data",
			Message: err.Error() + " (in the request body)", Details: fiber.Map{"path": se.Path}}
	}
	return data, nil
}

// recordChain keeps a run record per step that ran, under the request id
// with the step's number (rid-1, rid-2, …: a record's id is unique), and
// charges their CPU, in one debit; it returns the Server-Timing of the
// answer. A chain answered at its deadline is recorded when its executor
// has stopped it, after the answer. live says which steps' lines went
// out as they were printed (nil: none).
func (g *Gateway) recordChain(ctx context.Context, t *tenantEntry, rid, traceID string, arrived time.Time, out routing.Outcome, live []bool) string {
	ctx = context.WithoutCancel(ctx)
	if out.Late != nil {
		g.late.Add(1)
		go func() {
			defer g.late.Done()
			g.recordSteps(ctx, t, rid, traceID, <-out.Late, false, live, g.runs.recordLate)
		}()
		return serverTiming(0, time.Since(arrived))
	}
	cpu := g.recordSteps(ctx, t, rid, traceID, out.Steps, out.Invalid != nil, live, g.runs.record)
	return serverTiming(cpu, time.Since(arrived))
}

// recordSteps records the steps with record, charges their CPU and
// returns it. invalid: the last step returned malformed routing data.
func (g *Gateway) recordSteps(ctx context.Context, t *tenantEntry, rid, traceID string, steps []routing.StepResult, invalid bool, live []bool, record func(functions.Run)) time.Duration {
	var total time.Duration
	for i, s := range steps {
		stepID := rid + "-" + strconv.Itoa(i+1)
		tap := logTap{hub: g.logs, bus: g.cfg.Bus, fn: s.Step.Function.ID, rid: stepID, live: i < len(live) && live[i]}
		tap.finish(s.Result, s.Err)
		d := s.Step.Function
		cpu := runCPU(s.Result, s.Err)
		g.observeCPU(cpu)
		total += cpu
		r := functions.Run{
			RequestID: stepID, FunctionID: d.ID, Tenant: d.Tenant, Version: d.LiveVersion,
			Trigger: functions.TriggerRouting, Status: http.StatusOK, StartedAt: s.Started.UTC(),
			DurationUS: s.Duration.Microseconds(), CPUUS: cpu.Microseconds(), TraceID: traceID,
		}
		if s.Result != nil {
			r.Logs = s.Result.Logs
		}
		var re *functions.RunError
		switch {
		case errors.As(s.Err, &re):
			r.ErrorCode, r.Error = re.Code, re.Message
			if re.Stack != "" {
				r.Error = re.Stack
			}
			if len(re.Logs) > 0 {
				r.Logs = re.Logs
			}
		case s.Err != nil:
			r.ErrorCode, r.Error = "internal", s.Err.Error()
		}
		if invalid && i == len(steps)-1 {
			r.Status = http.StatusUnprocessableEntity
		}
		if re != nil && r.ErrorCode == functions.CodeCancelled {
			r.Status = functions.StatusCancelled
		}
		record(r)
		g.metrics.countRun(d.Tenant, d.ID, r.Status)
	}
	g.chargeCPU(ctx, t, total)
	return total
}
