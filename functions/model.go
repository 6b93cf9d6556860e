// Package functions holds the function model shared by the store, the
// runtime and the gateway: functions, their immutable versions, environment
// variables, the Store interface and the execution contract.
package functions

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scriptforge/scriptforge/functions/schedule"
)

// Type says how a function runs.
type Type string

const (
	// TypeScript is a synchronous main(data): no require, no timers, no Promises.
	TypeScript Type = "script"
	// TypeApp may be async, require whitelisted modules and export several functions.
	TypeApp Type = "app"
	// TypeWorker is an App with a long-lived runtime of its own: module
	// state persists between invocations, in a dedicated sandbox process.
	TypeWorker Type = "worker"
)

// Valid reports whether t is a type this gateway can run.
func (t Type) Valid() bool { return t == TypeScript || t == TypeApp || t == TypeWorker }

// EnvFlag says who may read an environment variable back through the API.
type EnvFlag string

const (
	// EnvPlain values are shown back in the admin API.
	EnvPlain EnvFlag = "plain"
	// EnvProtected values are write-only once set: the API shows the name, never the value.
	EnvProtected EnvFlag = "protected"
	// EnvPrivate values are never shown back and are masked in the run's console output.
	EnvPrivate EnvFlag = "private"
)

// Valid reports whether f is a known flag.
func (f EnvFlag) Valid() bool { return f == EnvPlain || f == EnvProtected || f == EnvPrivate }

// EnvVar is one environment variable of a version.
type EnvVar struct {
	Name  string  `json:"name"`
	Value string  `json:"value"`
	Flag  EnvFlag `json:"flag"`
}

// Function is the mutable head of a deployed function: identity, exposure
// and which version is live. Everything that runs lives in a Version.
type Function struct {
	ID            string    `json:"id"` // File ID: stable, internal
	Tenant        string    `json:"tenant"`
	UUID          string    `json:"uuid"` // exposes the function at /v1/fn/<uuid>; rotatable
	Name          string    `json:"name"`
	LiveVersion   int       `json:"live_version"`
	LatestVersion int       `json:"latest_version"`
	Settings                // who may call it and how much; not versioned
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Settings say who may invoke a function and how much. They belong to the
// function, not to a version: a rollback must never reopen a function
// that was closed since.
type Settings struct {
	Auth   AuthMode    `json:"auth"`
	Limits UsageLimits `json:"limits"`
	// FreshRuntime asks for a new runtime per call (strict isolation, slower)
	// instead of a warm one reused across calls of the live version. A
	// setting of the function, so a rollback never relaxes it.
	FreshRuntime bool `json:"fresh_runtime"`
	// Voice configures the function as a voice webhook (POST /v1/voice/<uuid>).
	Voice VoiceSettings `json:"voice"`
	// RoutingPriority places the function in every Class 4 routing chain
	// of its tenant, before or after the assigned function; RoutingOrder
	// sorts the functions of one place (lowest first). A setting, not a
	// version field: a rollback must not pull a script into the chain.
	RoutingPriority RoutingPriority `json:"routing_priority"`
	RoutingOrder    int             `json:"routing_order"`
	// InputSchema and OutputSchema are JSON Schemas (2020-12) of the
	// invocation's data and of the function's JSON result, checked by the
	// gateway before and after each run (see functions/contract). Settings,
	// not version fields: a rollback must not drop a contract partners
	// rely on. Empty: no contract.
	InputSchema  JSONSchema `json:"input_schema,omitempty"`
	OutputSchema JSONSchema `json:"output_schema,omitempty"`
	// Schedule runs the function on a calendar (see functions/schedule).
	// A setting, not a version field: a rollback must not start or stop
	// background runs. Empty: not scheduled.
	Schedule Schedule `json:"schedule"`
	// CallbackURL receives the outcome of the function's async runs whose
	// caller gave no X-Callback-Url. A setting, not a version field: where
	// results go is the partner's, not the code's. Empty: none.
	CallbackURL string `json:"callback_url"`
}

// Schedule is a function's schedule as the compact JSON of a validated
// schedule.Spec (zone and overlap filled in, lists sorted), so equal
// schedules are equal strings and Settings stays comparable with ==.
type Schedule string

// MarshalJSON writes the schedule as a JSON object; none as null.
func (s Schedule) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return []byte(s), nil
}

// UnmarshalJSON keeps any JSON value, compacted, for ValidateSettings to
// judge; null is no schedule.
func (s *Schedule) UnmarshalJSON(b []byte) error {
	var js JSONSchema
	if err := js.UnmarshalJSON(b); err != nil {
		return err
	}
	*s = Schedule(js)
	return nil
}

// Parse decodes and validates the schedule; nil when there is none.
// Errors are *schedule.Error naming the field from the settings' root,
// e.g. schedule.tz: the gateway answers them 422, as it does a bad
// input_schema.
func (s Schedule) Parse() (*schedule.Schedule, error) {
	if s == "" {
		return nil, nil
	}
	bad := func(field, format string, args ...any) error {
		return &schedule.Error{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if s[0] != '{' {
		return nil, bad("schedule", `must be an object such as {"cron": "*/5 * * * *", "tz": "Europe/Paris"}, or null`)
	}
	var spec schedule.Spec
	dec := json.NewDecoder(strings.NewReader(string(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, bad("schedule."+te.Field, "has the wrong type (%s where %s belongs)", te.Value, te.Type)
		}
		return nil, bad("schedule", "%s (its fields: cron, minutes, hours, days_of_month, days_of_week, tz, overlap)", strings.TrimPrefix(err.Error(), "json: "))
	}
	sc, err := schedule.Parse(spec)
	var se *schedule.Error
	if errors.As(err, &se) {
		return nil, bad("schedule."+se.Field, "%s", se.Message)
	}
	return sc, err
}

// JSONSchema is a JSON Schema document as its compact JSON text. A string
// rather than bytes keeps Settings comparable with ==; it encodes as the
// JSON value itself, not as a string.
type JSONSchema string

// MarshalJSON writes the schema as JSON; an empty one (never encoded
// with omitempty) as null.
func (s JSONSchema) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return []byte(s), nil
}

// UnmarshalJSON keeps any JSON value, compacted, for ValidateSettings to
// judge; null is no schema.
func (s *JSONSchema) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = ""
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return err
	}
	*s = JSONSchema(buf.String())
	return nil
}

// VoiceSettings say how a function's voice webhooks are checked and how
// long a call's state is kept.
type VoiceSettings struct {
	// StateTTLS is how long a call's state lives after its last write, in
	// seconds. 0: an hour.
	StateTTLS int `json:"state_ttl_s,omitempty"`
	// StateMaxBytes bounds the JSON of a call's state. 0: 64 KiB.
	StateMaxBytes int `json:"state_max_bytes,omitempty"`
	// SigningScheme is "" (no check), "twilio" or "hmac-sha256".
	SigningScheme string `json:"signing_scheme,omitempty"`
	// SigningSecret verifies each webhook. Write-only: the API shows
	// SecretSet instead.
	SigningSecret string `json:"-"`
	SecretSet     bool   `json:"signing_secret_set,omitempty"`
}

// RoutingPriority says where a function runs in the routing chain. The
// zero value is disabled, so settings written before routing existed, and
// callers that leave it out, need no default filled in; JSON spells it
// "disabled".
type RoutingPriority string

const (
	// RoutingDisabled: only where it is assigned to a customer or DID.
	RoutingDisabled RoutingPriority = ""
	// RoutingRunFirst: before the assigned function of every chain.
	RoutingRunFirst RoutingPriority = "run-first"
	// RoutingRunLast: after the assigned function of every chain.
	RoutingRunLast RoutingPriority = "run-last"
)

const disabledText = "disabled"

// Valid reports whether p is a known priority.
func (p RoutingPriority) Valid() bool {
	return p == RoutingDisabled || p == RoutingRunFirst || p == RoutingRunLast
}

// MarshalText writes the zero value as "disabled".
func (p RoutingPriority) MarshalText() ([]byte, error) {
	if p == RoutingDisabled {
		return []byte(disabledText), nil
	}
	return []byte(p), nil
}

// UnmarshalText reads "disabled" as the zero value; other unknown words
// are kept for ValidateSettings to refuse by name.
func (p *RoutingPriority) UnmarshalText(b []byte) error {
	if string(b) == disabledText {
		*p = RoutingDisabled
		return nil
	}
	*p = RoutingPriority(b)
	return nil
}

// AuthMode says what an invocation must present.
type AuthMode string

const (
	// AuthPublic: nothing; the UUID is the secret.
	AuthPublic AuthMode = "public"
	// AuthJWT: a bearer JWT that verifies against the tenant's JWT keys.
	AuthJWT AuthMode = "jwt"
	// AuthAPIKey: a bearer API key of the function's tenant with the
	// functions:invoke scope.
	AuthAPIKey AuthMode = "apikey"
)

// Valid reports whether m is a known mode.
func (m AuthMode) Valid() bool { return m == AuthPublic || m == AuthJWT || m == AuthAPIKey }

// UsageLimits are a function's own fair-usage limits, applied on top of
// its tenant's. A zero field sets no limit of the function's own.
type UsageLimits struct {
	// Rate is sustained invocations per second; Burst how many may come at once.
	Rate  float64 `json:"rate,omitempty"`
	Burst int     `json:"burst,omitempty"`
	// Concurrency caps the function's runs in progress.
	Concurrency int `json:"concurrency,omitempty"`
}

// Version is an immutable snapshot of what runs: source, compiled code and
// configuration. Rolling back makes an older snapshot live again, config and all.
type Version struct {
	FunctionID string    `json:"function_id"`
	Number     int       `json:"version"`
	Type       Type      `json:"type"`
	Source     string    `json:"source"` // what the user deployed
	Code       string    `json:"-"`      // what the runtime executes (ESM transpiled to CommonJS)
	Hash       string    `json:"hash"`   // sha256 of Code: the compiled-program cache key
	Env        []EnvVar  `json:"env"`
	TimeoutMS  int       `json:"timeout_ms"`
	MemoryMB   int       `json:"memory_mb"`
	CreatedAt  time.Time `json:"created_at"`
}

// Deployed is a function with its live version: what an invocation needs.
type Deployed struct {
	Function
	Version Version
}

// idEncoding is lower-case base32 without padding: readable, copyable, URL-safe.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random identifier with the given prefix, e.g. "fn_2q3x…".
// 80 random bits: unique without coordination between gateways.
func NewID(prefix string) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("functions: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return prefix + idEncoding.EncodeToString(b[:])
}

// ReservedEnv are the variables the runtime sets itself; users cannot set them.
var ReservedEnv = []string{"SCRIPTFORGE_ID", "SCRIPTFORGE_UUID", "SCRIPTFORGE_NAME", "APP_ID", "EXEC_HOST"}

func isReservedEnv(name string) bool {
	if strings.HasPrefix(name, "SCRIPTFORGE_") {
		return true
	}
	for _, r := range ReservedEnv {
		if r == name {
			return true
		}
	}
	return false
}
