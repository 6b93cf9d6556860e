package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/voice"
	"github.com/scriptforge/scriptforge/tracing"
)

// voiceWebhook serves POST /v1/voice/<uuid>: a voice platform's call
// event. The logic is functions/voice's; this is the order of the steps:
// lookup, limits, signature, event, call lock, state in, run, state out,
// verbs out.
func (g *Gateway) voiceWebhook(c *fiber.Ctx) error {
	started := time.Now()
	span := g.step(c, "lookup")
	d, err := g.deployedAt(c)
	endStep(span, err)
	if err != nil {
		return err
	}
	if d.Version.Type != functions.TypeApp {
		return apiError(http.StatusBadRequest, "not_an_app",
			"voice webhooks run Apps; this function is a %s (deploy it with type 'app')", d.Version.Type)
	}
	if g.cfg.CallState == nil {
		return apiError(http.StatusServiceUnavailable, "unavailable", "this gateway keeps no call state")
	}
	ctx := c.UserContext()
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

	// The signature is checked on the body as it came, before anything runs.
	body := c.Body()
	if len(body) > g.cfg.MaxBodyBytes {
		return apiError(http.StatusRequestEntityTooLarge, "payload_too_large",
			"the request body is %d bytes; the limit is %d", len(body), g.cfg.MaxBodyBytes)
	}
	if v := d.Voice; v.SigningScheme != "" {
		if err := g.verifyVoice(c, v, body); err != nil {
			return err
		}
	}
	query, _ := url.ParseQuery(string(c.Context().QueryArgs().QueryString())) // a bad pair is skipped
	data, form, err := g.requestData(c, query)
	if err != nil {
		return err
	}
	ev, err := voice.Normalize(data, query)
	if errors.Is(err, voice.ErrNoCallID) {
		return apiError(http.StatusBadRequest, "missing_call_id", "%s", err.Error())
	}
	if err != nil {
		return apiError(http.StatusBadRequest, "invalid_event", "%s", err.Error())
	}
	data, err = json.Marshal(ev)
	if err != nil {
		return err
	}

	// One event of a call at a time: each sees what the previous one stored.
	// The wait is bounded by what the event ahead may take: its run and
	// its write.
	inv := invocationOf(d)
	lockCtx, cancel := context.WithTimeout(ctx, 2*max(inv.Timeout, time.Second)+time.Second)
	unlock, err := g.callLocks.Lock(lockCtx, d.Tenant, ev.Call.ID)
	cancel()
	if err != nil {
		return apiError(http.StatusServiceUnavailable, "busy", "another event of this call is still running")
	}
	defer func() {
		if unlock != nil { // nil once a streamed run owns it
			unlock()
		}
	}()
	state, err := g.cfg.CallState.CallState(ctx, d.Tenant, ev.Call.ID)
	if err != nil {
		return err
	}

	rid := requestID(c)
	inv.RequestID, inv.Data = rid, data
	inv.Request, inv.Auth = requestInfo(c, query, d.Auth != functions.AuthPublic), claims
	inv.Request.Body = form
	inv.Call = &functions.CallInfo{ID: ev.Call.ID, State: state.Data, MaxStateBytes: stateBound(d)}
	asJSON := wantsJSON(c.Get(fiber.HeaderAccept))
	// DELETE /v1/runs/{id} and the client's departure cancel runCtx (cancel.go).
	runCtx, f := g.track(c, d.Tenant, rid)
	if wantsEventStream(c) {
		rel, unl := release, unlock
		release, unlock = nil, nil
		r := &voiceRun{d: d, inv: inv, tenant: tenant, call: ev.Call, state: state, asJSON: asJSON, rid: rid, started: started}
		head := runHeader{RequestID: rid, FunctionID: d.ID, Version: d.LiveVersion, StartedAt: started.UTC()}
		return g.streamRun(c, runCtx, head, f, g.flights.ender(rid, f, func() { unl(); rel() }), func(ctx context.Context, s *runStream) sseFinal {
			res, answer, contentType, cpu, runErr := g.runVoice(ctx, r, s)
			if runErr != nil || res.Response != nil {
				return resultEvent(r.rid, r.started, res, runErr).withCPU(cpu)
			}
			return bodyMessage(http.StatusOK, r.started, contentType, nil, answer).withCPU(cpu)
		})
	}
	defer g.flights.end(rid, f)
	r := voiceRun{d: d, inv: inv, tenant: tenant, call: ev.Call, state: state, asJSON: asJSON, rid: rid, started: started}
	res, answer, contentType, cpu, runErr := g.runVoice(runCtx, &r, nil)
	setServerTiming(c, started, cpu, res)
	if runErr != nil {
		return runErr
	}
	if r := res.Response; r != nil {
		return g.sendResponse(c, r)
	}
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(answer)
}

// voiceRun is a webhook from its run on: the same whether it is
// answered with one response or an event stream.
type voiceRun struct {
	d       functions.Deployed
	inv     *functions.Invocation
	tenant  *tenantEntry
	call    voice.Call
	state   voice.State // as the run read it
	asJSON  bool        // verbs as JSON, not XML
	rid     string
	started time.Time
}

// runVoice runs r (its lines also to s, if streamed), stores the call's
// state, renders the verbs and records the run.
func (g *Gateway) runVoice(ctx context.Context, r *voiceRun, s *runStream) (res *functions.Result, answer []byte, contentType string, cpu time.Duration, runErr error) {
	d, inv := r.d, r.inv
	tap := g.tapLogs(inv, r.rid, s, 0)
	res, runErr = g.execute(ctx, inv)
	cpu = g.runCost(ctx, r.tenant, res, runErr)
	if runErr == nil {
		// The run is over and its state is the call's now: stored even if
		// the run's caller has just gone away.
		runErr = g.storeCallState(context.WithoutCancel(ctx), d, r.call, r.state, res.CallState)
	}
	if runErr == nil && res.Response == nil {
		answer, contentType, runErr = renderVoice(res.JSON, r.asJSON)
	}
	if r.call.Final {
		// The call is over whatever the run did: its state goes now, not at its TTL.
		if err := g.cfg.CallState.DeleteCallState(context.WithoutCancel(ctx), d.Tenant, r.call.ID); err != nil {
			g.log.Warn("voice: delete call state", slog.String("function", d.ID), slog.Any("error", err))
		}
	}
	tap.finish(res, runErr)
	g.recordRun(functions.TriggerVoice, d, r.rid, tracing.TraceID(ctx), "", r.started, cpu, res, runErr)
	return res, answer, contentType, cpu, runErr
}

// verifyVoice checks the webhook's signature against the URL the platform
// called: --public-url's scheme and host (behind a proxy, the request's
// own are not what was signed), then the path and query as received.
func (g *Gateway) verifyVoice(c *fiber.Ctx, v functions.VoiceSettings, body []byte) error {
	base := g.cfg.PublicURL
	if base == "" {
		base = c.BaseURL()
	}
	s := voice.Signed{URL: strings.TrimRight(base, "/") + c.OriginalURL(), Body: body}
	switch v.SigningScheme {
	case voice.SchemeTwilio:
		s.Signature = c.Get(voice.HeaderTwilio)
		if mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); mt == "application/x-www-form-urlencoded" {
			form, err := url.ParseQuery(string(body))
			if err != nil {
				return apiError(http.StatusForbidden, "bad_signature", "the form body cannot be read, so its signature cannot be checked")
			}
			s.Form = form
		}
	case voice.SchemeHMACSHA256:
		s.Signature = c.Get(voice.HeaderHMAC)
	}
	if err := voice.Verify(v.SigningScheme, v.SigningSecret, s); err != nil {
		if errors.Is(err, voice.ErrBadSignature) {
			return apiError(http.StatusForbidden, "bad_signature", "%s", err.Error())
		}
		return err
	}
	return nil
}

// stateBound is the function's bound on a call's state, in bytes of JSON.
func stateBound(d functions.Deployed) int {
	if d.Voice.StateMaxBytes > 0 {
		return d.Voice.StateMaxBytes
	}
	return voice.DefaultMaxStateBytes
}

// storeCallState writes what the run left in ctx.call.state, checking
// that the previous write is still the one it read. A final event's
// state is deleted instead (by the caller).
func (g *Gateway) storeCallState(ctx context.Context, d functions.Deployed, call voice.Call, read voice.State, out json.RawMessage) error {
	if out == nil || call.Final {
		return nil
	}
	// The sandbox checked the bound; a sandbox is not trusted with it.
	if bound := stateBound(d); len(out) > bound {
		return &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeCallState,
			Message: fmt.Sprintf("ctx.call.state is %d bytes of JSON, over its bound of %d; the stored state was left as it was", len(out), bound)}
	}
	if string(out) == "null" {
		return g.cfg.CallState.DeleteCallState(ctx, d.Tenant, call.ID)
	}
	ttl := voice.DefaultStateTTL
	if d.Voice.StateTTLS > 0 {
		ttl = time.Duration(d.Voice.StateTTLS) * time.Second
	}
	_, err := g.cfg.CallState.SaveCallState(ctx, d.Tenant, call.ID, out, read.Version, ttl)
	if errors.Is(err, voice.ErrStateConflict) {
		return apiError(http.StatusConflict, "call_state_conflict",
			"another event of call %s changed its state during this run; nothing was stored, send the event again", call.ID)
	}
	return err
}

// renderVoice turns a run's return value into the answer: null (a status
// callback that says nothing) is an empty Response.
func renderVoice(ret json.RawMessage, asJSON bool) ([]byte, string, error) {
	var verbs []voice.Verb
	if string(ret) != "null" {
		var err error
		if verbs, err = voice.ParseResponse(ret); err != nil {
			return nil, "", &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeBadResult, Message: err.Error()}
		}
	}
	if asJSON {
		out, err := voice.RenderJSON(verbs)
		return out, fiber.MIMEApplicationJSON, err
	}
	out, err := voice.RenderXML(verbs)
	return out, "text/xml; charset=utf-8", err
}

// wantsJSON: the verb list as JSON only when the caller asks for it.
func wantsJSON(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(mt), "application/json") {
			return true
		}
	}
	return false
}
