package functions

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"sort"

	"github.com/scriptforge/scriptforge/functions/contract"
)

// Limits on what a deploy may carry. Lambda allows 4 KB of environment in
// total; we allow more per value but bound the whole set.
const (
	MaxNameLen    = 64
	MaxEnvVars    = 100
	MaxEnvValue   = 4096
	MaxEnvTotal   = 32 << 10
	MinMemoryMB   = 16
	MinTimeoutMS  = 1
	maxEnvNameLen = 128
)

var (
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	exportRE  = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
)

// ValidationError is input that breaks a rule; Field names the offender.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ValidateName checks a function name: URL- and shell-friendly, 1–64 characters.
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLen || !nameRE.MatchString(name) {
		return invalid("name", "must be 1–%d letters, digits, '.', '_' or '-', starting with a letter or digit", MaxNameLen)
	}
	return nil
}

// ValidExport reports whether s can name an exported function.
func ValidExport(s string) bool { return len(s) <= 128 && exportRE.MatchString(s) }

// ValidateEnv checks names, flags and sizes and returns the set sorted by name.
func ValidateEnv(env []EnvVar) ([]EnvVar, error) {
	if len(env) > MaxEnvVars {
		return nil, invalid("env", "at most %d variables", MaxEnvVars)
	}
	total := 0
	out := make([]EnvVar, len(env))
	copy(out, env)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	for i, v := range out {
		field := "env." + v.Name
		switch {
		case len(v.Name) > maxEnvNameLen || !envNameRE.MatchString(v.Name):
			return nil, invalid(field, "a name must be letters, digits and '_', not starting with a digit")
		case isReservedEnv(v.Name):
			return nil, invalid(field, "is set by the runtime and cannot be overridden")
		case !v.Flag.Valid():
			return nil, invalid(field, "flag must be plain, protected or private")
		case len(v.Value) > MaxEnvValue:
			return nil, invalid(field, "value is longer than %d bytes", MaxEnvValue)
		case i > 0 && out[i-1].Name == v.Name:
			return nil, invalid(field, "is set twice")
		}
		total += len(v.Name) + len(v.Value)
	}
	if total > MaxEnvTotal {
		return nil, invalid("env", "names and values add up to %d bytes; the limit is %d", total, MaxEnvTotal)
	}
	return out, nil
}

// Limits bounds per-function settings; the operator sets the maxima.
type Limits struct {
	DefaultTimeoutMS, MaxTimeoutMS int
	DefaultMemoryMB, MaxMemoryMB   int
}

// Timeout returns the timeout to store: the default when unset, an error when out of range.
func (l Limits) Timeout(ms *int) (int, error) {
	return bounded("timeout_ms", ms, l.DefaultTimeoutMS, MinTimeoutMS, l.MaxTimeoutMS)
}

// Memory returns the memory budget to store, like Timeout.
func (l Limits) Memory(mb *int) (int, error) {
	return bounded("memory_mb", mb, l.DefaultMemoryMB, MinMemoryMB, l.MaxMemoryMB)
}

func bounded(field string, v *int, def, lo, hi int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < lo || *v > hi {
		return 0, invalid(field, "must be between %d and %d", lo, hi)
	}
	return *v, nil
}

// Bounds of a function's own usage limits: beyond them a limit protects
// nothing, and a typo should not pass as one.
const (
	MaxRate        = 1e6
	MaxBurst       = 1e6
	MaxConcurrency = 10000
	// MaxRoutingOrder bounds routing_order either side of 0.
	MaxRoutingOrder = 1_000_000
)

// ValidateSettings checks settings from the API and fills defaults: a
// missing auth mode is public, and a rate without a burst may burst to one
// second's worth of calls.
func ValidateSettings(s Settings) (Settings, error) {
	if s.Auth == "" {
		s.Auth = AuthPublic
	}
	if !s.Auth.Valid() {
		return Settings{}, invalid("auth", "must be public, jwt or apikey, not %q", s.Auth)
	}
	if !s.RoutingPriority.Valid() {
		return Settings{}, invalid("routing_priority", "must be disabled, run-first or run-last, not %q", s.RoutingPriority)
	}
	if s.RoutingOrder < -MaxRoutingOrder || s.RoutingOrder > MaxRoutingOrder {
		return Settings{}, invalid("routing_order", "must be between %d and %d", -MaxRoutingOrder, MaxRoutingOrder)
	}
	l := s.Limits
	switch {
	case l.Rate < 0 || l.Rate > MaxRate || l.Rate != l.Rate:
		return Settings{}, invalid("limits.rate", "must be between 0 (no limit of its own) and %g per second", float64(MaxRate))
	case l.Burst < 0 || l.Burst > MaxBurst:
		return Settings{}, invalid("limits.burst", "must be between 0 and %d", int(MaxBurst))
	case l.Burst > 0 && l.Rate == 0:
		return Settings{}, invalid("limits.burst", "needs a rate")
	case l.Concurrency < 0 || l.Concurrency > MaxConcurrency:
		return Settings{}, invalid("limits.concurrency", "must be between 0 (no limit of its own) and %d", MaxConcurrency)
	}
	if l.Rate > 0 && l.Burst == 0 {
		s.Limits.Burst = DefaultBurst(l.Rate)
	}
	v := &s.Voice
	switch {
	case v.StateTTLS != 0 && (v.StateTTLS < MinCallStateTTLS || v.StateTTLS > MaxCallStateTTLS):
		return Settings{}, invalid("voice.state_ttl_s", "must be between %d and %d seconds (0: an hour)", MinCallStateTTLS, MaxCallStateTTLS)
	case v.StateMaxBytes != 0 && (v.StateMaxBytes < MinCallStateBytes || v.StateMaxBytes > MaxCallStateBytes):
		return Settings{}, invalid("voice.state_max_bytes", "must be between %d and %d bytes (0: 64 KiB)", MinCallStateBytes, MaxCallStateBytes)
	// The scheme names are functions/voice's (SchemeTwilio, SchemeHMACSHA256).
	case v.SigningScheme != "" && v.SigningScheme != "twilio" && v.SigningScheme != "hmac-sha256":
		return Settings{}, invalid("voice.signing_scheme", "must be twilio or hmac-sha256 (or empty for none), not %q", v.SigningScheme)
	case v.SigningScheme != "" && v.SigningSecret == "":
		return Settings{}, invalid("voice.signing_secret", "is required with a signing scheme")
	case v.SigningScheme == "" && v.SigningSecret != "":
		return Settings{}, invalid("voice.signing_scheme", "is required with a signing secret")
	case len(v.SigningSecret) > 512:
		return Settings{}, invalid("voice.signing_secret", "is at most 512 bytes")
	}
	v.SecretSet = v.SigningSecret != ""
	for _, sc := range []struct {
		field  string
		schema JSONSchema
	}{{"input_schema", s.InputSchema}, {"output_schema", s.OutputSchema}} {
		if sc.schema != "" {
			// A *contract.SchemaError: the gateway answers it 422.
			if err := contract.Check(sc.field, []byte(sc.schema)); err != nil {
				return Settings{}, err
			}
		}
	}
	if s.CallbackURL != "" {
		if err := CheckCallbackURL(s.CallbackURL); err != nil {
			return Settings{}, invalid("callback_url", "%v", err)
		}
	}
	sc, err := s.Schedule.Parse()
	if err != nil {
		return Settings{}, err
	}
	if sc != nil {
		s.Schedule = Schedule(sc.String())
	}
	return s, nil
}

// Bounds of a function's voice.state_ttl_s and voice.state_max_bytes. A
// state is read and written whole on every event of its call: a megabyte
// is already far more than a call flow needs.
const (
	MinCallStateTTLS  = 60
	MaxCallStateTTLS  = 7 * 24 * 3600
	MinCallStateBytes = 1 << 10
	MaxCallStateBytes = 1 << 20
)

// DefaultBurst is the burst of a rate limit given without one: one
// second's worth of calls, at least one.
func DefaultBurst(rate float64) int { return max(1, int(math.Ceil(rate))) }

// MaxCallbackURL bounds a callback URL, given by setting or by header.
const MaxCallbackURL = 2048

// CheckCallbackURL checks a URL async outcomes are POSTed to: absolute
// http(s), without credentials. Where it points is checked when it is
// dialled: a name can resolve elsewhere later.
func CheckCallbackURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case len(s) > MaxCallbackURL:
		return fmt.Errorf("is %d bytes; the limit is %d", len(s), MaxCallbackURL)
	case err != nil:
		return fmt.Errorf("is not a URL")
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.User != nil:
		return fmt.Errorf("must be an absolute http or https URL without credentials")
	}
	return nil
}
