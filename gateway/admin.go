package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/functions/sandbox"
	"github.com/scriptforge/scriptforge/functions/schedule"
)

// deployRequest is the body of POST and PUT /v1/functions. Pointers tell
// "absent" from "zero", which PUT needs.
type deployRequest struct {
	Name      *string             `json:"name"`
	Type      *functions.Type     `json:"type"`
	Source    *string             `json:"source"`
	Env       map[string]envInput `json:"env"`
	TimeoutMS *int                `json:"timeout_ms"`
	MemoryMB  *int                `json:"memory_mb"`
	// Settings of the function, not of the version: see functions.Settings.
	Auth         *functions.AuthMode    `json:"auth"`
	Limits       *functions.UsageLimits `json:"limits"`
	FreshRuntime *bool                  `json:"fresh_runtime"`
	Voice        *voiceInput            `json:"voice"`
	// The function's place in the tenant's routing chain.
	RoutingPriority *functions.RoutingPriority `json:"routing_priority"`
	RoutingOrder    *int                       `json:"routing_order"`
	// The function's contract: absent keeps it, null removes it.
	InputSchema  optionalSchema `json:"input_schema"`
	OutputSchema optionalSchema `json:"output_schema"`
	// The function's schedule: absent keeps it, null clears it.
	Schedule optionalSchedule `json:"schedule"`
	// Where async outcomes go by default: absent keeps it, "" clears it.
	CallbackURL *string `json:"callback_url"`
}

// optionalSchedule tells an absent schedule (keep) from null (clear), as
// optionalSchema does.
type optionalSchedule struct {
	set      bool
	schedule functions.Schedule
}

func (o *optionalSchedule) UnmarshalJSON(b []byte) error {
	o.set = true
	return o.schedule.UnmarshalJSON(b)
}

// optionalSchema tells an absent schema (keep) from null (remove): a
// pointer would read both as nil. encoding/json calls UnmarshalJSON for
// null on a value that is not a pointer.
type optionalSchema struct {
	set    bool
	schema functions.JSONSchema
}

func (o *optionalSchema) UnmarshalJSON(b []byte) error {
	o.set = true
	return o.schema.UnmarshalJSON(b)
}

// voiceInput is the voice settings part of a request: each field absent
// keeps what the function has; an empty signing_scheme removes the check
// (and the secret with it).
type voiceInput struct {
	StateTTLS     *int    `json:"state_ttl_s"`
	StateMaxBytes *int    `json:"state_max_bytes"`
	SigningScheme *string `json:"signing_scheme"`
	SigningSecret *string `json:"signing_secret"`
}

// settings returns the function settings a request asks for, over cur
// (nil on create), and whether they differ from cur.
func (req deployRequest) settings(cur *functions.Settings) (functions.Settings, bool, error) {
	var s functions.Settings
	if cur != nil {
		s = *cur
	}
	if req.Auth != nil {
		s.Auth = *req.Auth
	}
	if req.Limits != nil {
		s.Limits = *req.Limits
	}
	if req.FreshRuntime != nil {
		s.FreshRuntime = *req.FreshRuntime
	}
	if v := req.Voice; v != nil {
		if v.StateTTLS != nil {
			s.Voice.StateTTLS = *v.StateTTLS
		}
		if v.StateMaxBytes != nil {
			s.Voice.StateMaxBytes = *v.StateMaxBytes
		}
		if v.SigningScheme != nil {
			s.Voice.SigningScheme = *v.SigningScheme
			if *v.SigningScheme == "" && v.SigningSecret == nil {
				s.Voice.SigningSecret = ""
			}
		}
		if v.SigningSecret != nil {
			s.Voice.SigningSecret = *v.SigningSecret
		}
	}
	if req.RoutingPriority != nil {
		s.RoutingPriority = *req.RoutingPriority
	}
	if req.RoutingOrder != nil {
		s.RoutingOrder = *req.RoutingOrder
	}
	if req.InputSchema.set {
		s.InputSchema = req.InputSchema.schema
	}
	if req.OutputSchema.set {
		s.OutputSchema = req.OutputSchema.schema
	}
	if req.Schedule.set {
		s.Schedule = req.Schedule.schedule
	}
	if req.CallbackURL != nil {
		s.CallbackURL = *req.CallbackURL
	}
	s, err := functions.ValidateSettings(s)
	return s, cur == nil || s != *cur, err
}

// changesVersion reports whether a PUT asks for a new version: anything
// but the settings does.
func (req deployRequest) changesVersion() bool {
	return req.Type != nil || req.Source != nil || req.Env != nil || req.TimeoutMS != nil || req.MemoryMB != nil
}

// envInput is "value" or {"value": "...", "flag": "private"}.
type envInput struct {
	Value *string
	Flag  functions.EnvFlag
}

func (e *envInput) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		e.Value = &s
		return nil
	}
	var obj struct {
		Value *string           `json:"value"`
		Flag  functions.EnvFlag `json:"flag"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&obj); err != nil {
		return fmt.Errorf("an env entry is a string or {\"value\", \"flag\"}: %w", err)
	}
	e.Value, e.Flag = obj.Value, obj.Flag
	return nil
}

// decodeStrict reads a JSON body into v: unknown fields, wrong types and
// trailing data are the caller's errors, each with a message that says where.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF):
			return apiError(http.StatusBadRequest, "invalid_json", "the request body is empty; send a JSON object")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return apiError(http.StatusBadRequest, "invalid_json", "malformed JSON: the body ends in the middle of a value")
		case errors.As(err, &te):
			return apiError(http.StatusBadRequest, "invalid_json", "field %q must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		case errors.As(err, &se):
			return apiError(http.StatusBadRequest, "invalid_json", "malformed JSON at byte %d: %v", se.Offset, err)
		}
		return apiError(http.StatusBadRequest, "invalid_json", "%v", err)
	}
	if dec.More() {
		return apiError(http.StatusBadRequest, "invalid_json", "unexpected data after the JSON object")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	}
	return goKind
}

// functionView is a function as the API shows it: env values that are
// not plain are never sent back.
type functionView struct {
	ID            string         `json:"id"`
	UUID          string         `json:"uuid"`
	Name          string         `json:"name"`
	Tenant        string         `json:"tenant"`
	Type          functions.Type `json:"type"`
	Version       int            `json:"version"`
	LatestVersion int            `json:"latest_version"`
	URL           string         `json:"url"`
	TimeoutMS     int            `json:"timeout_ms"`
	MemoryMB      int            `json:"memory_mb"`
	Env           []envView      `json:"env"`
	Hash          string         `json:"hash"`
	functions.Settings
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Source    string    `json:"source,omitempty"`
	// Quarantine is set while the function is quarantined (see quarantine.go).
	Quarantine *sandbox.Quarantine `json:"quarantine,omitempty"`
	// NextFires are the schedule's next fire times, in its zone.
	NextFires []time.Time `json:"next_fires,omitempty"`
	// LastFire is the schedule's latest slot and what became of it
	// (GET /v1/functions/{id} only).
	LastFire *schedule.Fire `json:"last_fire,omitempty"`
}

// nextFires is how many fire times a function's view shows.
const nextFires = 5

type envView struct {
	Name  string            `json:"name"`
	Flag  functions.EnvFlag `json:"flag"`
	Value *string           `json:"value,omitempty"`
}

type versionView struct {
	Version   int            `json:"version"`
	Type      functions.Type `json:"type"`
	Hash      string         `json:"hash"`
	TimeoutMS int            `json:"timeout_ms"`
	MemoryMB  int            `json:"memory_mb"`
	Env       []envView      `json:"env"`
	CreatedAt time.Time      `json:"created_at"`
	Live      bool           `json:"live"`
	Source    string         `json:"source,omitempty"`
}

func envViews(env []functions.EnvVar) []envView {
	out := make([]envView, 0, len(env))
	for _, v := range env {
		ev := envView{Name: v.Name, Flag: v.Flag}
		if v.Flag == functions.EnvPlain {
			value := v.Value
			ev.Value = &value
		}
		out = append(out, ev)
	}
	return out
}

func (g *Gateway) view(c *fiber.Ctx, d functions.Deployed, withSource bool) functionView {
	v := functionView{
		ID: d.ID, UUID: d.UUID, Name: d.Name, Tenant: d.Tenant, Type: d.Version.Type,
		Version: d.LiveVersion, LatestVersion: d.LatestVersion, URL: g.functionURL(c, d.UUID),
		TimeoutMS: d.Version.TimeoutMS, MemoryMB: d.Version.MemoryMB, Env: envViews(d.Version.Env),
		Hash: d.Version.Hash, Settings: d.Settings, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	if withSource {
		v.Source = d.Version.Source
	}
	v.Quarantine = g.quarantine(d.ID)
	// Stored schedules were validated on the way in; one that no longer
	// parses (a zone dropped from the tz database) shows no fires.
	if sc, err := d.Schedule.Parse(); err == nil && sc != nil {
		v.NextFires = sc.NextN(time.Now(), nextFires)
	}
	return v
}

func (g *Gateway) functionURL(c *fiber.Ctx, id string) string {
	base := g.cfg.PublicURL
	if base == "" {
		base = c.BaseURL()
	}
	return strings.TrimRight(base, "/") + "/v1/fn/" + id
}

// buildVersion validates a deploy request against the previous version (nil
// on create) and compiles the source. Fields a PUT omits keep their value.
func (g *Gateway) buildVersion(req deployRequest, prev *functions.Version) (functions.NewVersion, error) {
	var nv functions.NewVersion
	switch {
	case req.Type != nil:
		nv.Type = *req.Type
	case prev != nil:
		nv.Type = prev.Type
	default:
		nv.Type = functions.TypeScript
	}
	if !nv.Type.Valid() {
		return nv, &functions.ValidationError{Field: "type", Message: `must be "script", "app" or "worker"`}
	}
	switch {
	case req.Source != nil:
		nv.Source = *req.Source
	case prev != nil:
		nv.Source = prev.Source
	default:
		return nv, &functions.ValidationError{Field: "source", Message: "is required"}
	}
	var err error
	limits := g.cfg.Limits
	if req.TimeoutMS == nil && prev != nil {
		nv.TimeoutMS = prev.TimeoutMS
	} else if nv.TimeoutMS, err = limits.Timeout(req.TimeoutMS); err != nil {
		return nv, err
	}
	if req.MemoryMB == nil && prev != nil {
		nv.MemoryMB = prev.MemoryMB
	} else if nv.MemoryMB, err = limits.Memory(req.MemoryMB); err != nil {
		return nv, err
	}
	if nv.Env, err = mergeEnv(req.Env, prev); err != nil {
		return nv, err
	}
	if prev != nil && req.Source == nil && nv.Type == prev.Type {
		nv.Code, nv.Hash = prev.Code, prev.Hash
		return nv, nil
	}
	tr, err := engine.Transpile("function.js", nv.Source)
	if err != nil {
		return nv, err
	}
	nv.Code, nv.Hash = tr.Code, tr.Hash
	return nv, nil
}

// envRank orders the flags by how little of a value they show.
var envRank = map[functions.EnvFlag]int{functions.EnvPlain: 0, functions.EnvProtected: 1, functions.EnvPrivate: 2}

// mergeEnv applies the env of a request. Absent env keeps the previous set;
// an entry without a value keeps its previous value (so a protected secret
// can be kept without knowing it).
func mergeEnv(in map[string]envInput, prev *functions.Version) ([]functions.EnvVar, error) {
	if in == nil {
		if prev != nil {
			return prev.Env, nil
		}
		return []functions.EnvVar{}, nil
	}
	old := map[string]functions.EnvVar{}
	if prev != nil {
		for _, v := range prev.Env {
			old[v.Name] = v
		}
	}
	out := make([]functions.EnvVar, 0, len(in))
	for name, e := range in {
		v := functions.EnvVar{Name: name, Flag: e.Flag}
		was, existed := old[name]
		if v.Flag == "" {
			v.Flag = functions.EnvPlain
			if existed {
				v.Flag = was.Flag
			}
		}
		switch {
		case e.Value != nil:
			v.Value = *e.Value
		case existed && envRank[v.Flag] < envRank[was.Flag]:
			// Kept values are never shown: a weaker flag would show (or
			// stop masking) a secret nobody sent.
			return nil, &functions.ValidationError{Field: "env." + name,
				Message: fmt.Sprintf("is %s: making it %s needs a new value (the current one is never shown back)", was.Flag, v.Flag)}
		case existed:
			v.Value = was.Value
		default:
			return nil, &functions.ValidationError{Field: "env." + name, Message: "needs a value"}
		}
		out = append(out, v)
	}
	return functions.ValidateEnv(out)
}

func (g *Gateway) createFunction(c *fiber.Ctx) error {
	var req deployRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if req.Name == nil {
		return &functions.ValidationError{Field: "name", Message: "is required"}
	}
	if err := functions.ValidateName(*req.Name); err != nil {
		return err
	}
	set, _, err := req.settings(nil)
	if err != nil {
		return err
	}
	if err := g.checkAuthMode(c, set.Auth); err != nil {
		return err
	}
	nv, err := g.buildVersion(req, nil)
	if err != nil {
		return err
	}
	d, err := g.cfg.Store.Create(c.UserContext(), tenantOf(c), *req.Name, set, nv)
	if err != nil {
		return err
	}
	g.lookups.forget(d.UUID)
	g.changed(functionChanged(d))
	g.prepare(d)
	return c.Status(http.StatusCreated).JSON(g.view(c, d, false))
}

func (g *Gateway) updateFunction(c *fiber.Ctx) error {
	var req deployRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	ctx, tenant, id := c.UserContext(), tenantOf(c), c.Params("id")
	cur, err := g.cfg.Store.Get(ctx, tenant, id)
	if err != nil {
		return err
	}
	if req.Name != nil && *req.Name != cur.Name {
		return &functions.ValidationError{Field: "name", Message: "cannot be changed; deploy a new function instead"}
	}
	set, changed, err := req.settings(&cur.Settings)
	if err != nil {
		return err
	}
	if set.Auth != cur.Auth {
		if err := g.checkAuthMode(c, set.Auth); err != nil {
			return err
		}
	}
	var nv functions.NewVersion
	if req.changesVersion() || !changed {
		if nv, err = g.buildVersion(req, &cur.Version); err != nil {
			return err
		}
	}
	// Settings first: a deploy that fails after them leaves the function
	// as it was plus the new settings, never new code under old auth.
	if changed {
		if _, err := g.cfg.Store.UpdateSettings(ctx, tenant, id, set); err != nil {
			return err
		}
		g.lookups.forget(cur.UUID)
		if req.changesVersion() { // else published below, once
			g.changed(functionChanged(cur))
		}
	}
	d := cur
	if req.changesVersion() || !changed {
		if d, err = g.cfg.Store.Deploy(ctx, tenant, id, nv); err != nil {
			return err
		}
	} else if d, err = g.cfg.Store.Get(ctx, tenant, id); err != nil {
		return err
	}
	g.lookups.forget(d.UUID)
	g.changed(functionChanged(d))
	g.prepare(d)
	return c.JSON(g.view(c, d, false))
}

// checkAuthMode refuses jwt for a tenant that has no JWT settings: no
// token could ever verify, and callers would get 401s for a setup mistake.
func (g *Gateway) checkAuthMode(c *fiber.Ctx, mode functions.AuthMode) error {
	if mode != functions.AuthJWT {
		return nil
	}
	t, err := g.tenants.get(c.UserContext(), tenantOf(c))
	if err != nil {
		return err
	}
	if t.JWT == nil {
		return &functions.ValidationError{Field: "auth", Message: "jwt needs the tenant's JWT settings first (PATCH /v1/tenants/{tenant} with a jwt object)"}
	}
	return nil
}

func (g *Gateway) listFunctions(c *fiber.Ctx) error {
	list, err := g.cfg.Store.List(c.UserContext(), tenantOf(c))
	if err != nil {
		return err
	}
	out := make([]functionView, 0, len(list))
	for _, d := range list {
		out = append(out, g.view(c, d, false))
	}
	return c.JSON(fiber.Map{"functions": out})
}

func (g *Gateway) getFunction(c *fiber.Ctx) error {
	d, err := g.cfg.Store.Get(c.UserContext(), tenantOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	v := g.view(c, d, true)
	v.LastFire = g.lastFire(c.UserContext(), d)
	return c.JSON(v)
}

func (g *Gateway) deleteFunction(c *fiber.Ctx) error {
	ctx, tenant, id := c.UserContext(), tenantOf(c), c.Params("id")
	d, err := g.cfg.Store.Get(ctx, tenant, id)
	if err != nil {
		return err
	}
	if err := g.cfg.Store.Delete(ctx, tenant, id); err != nil {
		return err
	}
	g.lookups.forget(d.UUID)
	if g.cfg.Workers != nil && d.Version.Type == functions.TypeWorker {
		g.cfg.Workers.Forget(d.ID)
	}
	gone := functionChanged(d)
	gone.Gone = true
	g.changed(gone)
	return c.SendStatus(http.StatusNoContent)
}

func (g *Gateway) versions(c *fiber.Ctx) ([]versionView, []functions.Version, error) {
	ctx, tenant, id := c.UserContext(), tenantOf(c), c.Params("id")
	d, err := g.cfg.Store.Get(ctx, tenant, id)
	if err != nil {
		return nil, nil, err
	}
	vs, err := g.cfg.Store.Versions(ctx, tenant, id)
	if err != nil {
		return nil, nil, err
	}
	views := make([]versionView, 0, len(vs))
	for _, v := range vs {
		views = append(views, versionView{
			Version: v.Number, Type: v.Type, Hash: v.Hash, TimeoutMS: v.TimeoutMS, MemoryMB: v.MemoryMB,
			Env: envViews(v.Env), CreatedAt: v.CreatedAt, Live: v.Number == d.LiveVersion,
		})
	}
	return views, vs, nil
}

func (g *Gateway) listVersions(c *fiber.Ctx) error {
	views, _, err := g.versions(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"versions": views})
}

func (g *Gateway) getVersion(c *fiber.Ctx) error {
	n, err := atoiParam(c, "version")
	if err != nil {
		return err
	}
	views, vs, err := g.versions(c)
	if err != nil {
		return err
	}
	for i, v := range vs {
		if v.Number == n {
			views[i].Source = v.Source
			return c.JSON(views[i])
		}
	}
	return functions.ErrNoSuchVersion
}

func (g *Gateway) rollback(c *fiber.Ctx) error {
	var req struct {
		Version *int `json:"version"`
	}
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if req.Version == nil || *req.Version < 1 {
		return &functions.ValidationError{Field: "version", Message: "must be a version number (see GET .../versions)"}
	}
	d, err := g.cfg.Store.Rollback(c.UserContext(), tenantOf(c), c.Params("id"), *req.Version)
	if err != nil {
		return err
	}
	g.lookups.forget(d.UUID)
	g.changed(functionChanged(d))
	g.prepare(d)
	return c.JSON(g.view(c, d, false))
}

func (g *Gateway) rotateUUID(c *fiber.Ctx) error {
	ctx, tenant, id := c.UserContext(), tenantOf(c), c.Params("id")
	old, err := g.cfg.Store.Get(ctx, tenant, id)
	if err != nil {
		return err
	}
	if _, err := g.cfg.Store.RotateUUID(ctx, tenant, id, uuid.NewString()); err != nil {
		return err
	}
	d, err := g.cfg.Store.Get(ctx, tenant, id)
	if err != nil {
		return err
	}
	g.lookups.forget(old.UUID, d.UUID)
	g.changed(functionChanged(d, old.UUID))
	return c.JSON(g.view(c, d, false))
}
