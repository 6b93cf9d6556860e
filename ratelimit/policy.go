package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrInvalidPolicy is returned (wrapped) for a Policy that cannot be enforced.
var ErrInvalidPolicy = errors.New("ratelimit: invalid policy")

// Policy is a token bucket: it refills at Rate tokens per second and holds at
// most Burst tokens; each request takes one token.
type Policy struct {
	// Name identifies the policy in the RateLimit headers (e.g. "ip", "tenant").
	Name string
	// Rate is the refill rate in tokens per second. Zero (or +Inf) means
	// unlimited.
	Rate float64
	// Burst is the bucket size: how many requests may arrive at once after an
	// idle period. It must be at least 1 for a limited policy.
	Burst int
}

// Unlimited reports whether p places no limit on requests.
func (p Policy) Unlimited() bool {
	return p.Rate == 0 || math.IsInf(p.Rate, 1)
}

// Validate reports why p cannot be enforced, or nil. A negative or NaN rate
// is rejected rather than treated as unlimited, so a configuration mistake
// does not silently switch a limit off.
func (p Policy) Validate() error {
	switch {
	case math.IsNaN(p.Rate) || p.Rate < 0:
		return fmt.Errorf("%w %q: rate %v must be zero (unlimited) or positive", ErrInvalidPolicy, p.Name, p.Rate)
	case p.Unlimited():
		return nil
	case p.Burst < 1:
		return fmt.Errorf("%w %q: burst %d must be at least 1", ErrInvalidPolicy, p.Name, p.Burst)
	}
	return nil
}

// Decision is the outcome of one Limiter.Allow call.
type Decision struct {
	// Allowed reports whether the request may proceed.
	Allowed bool
	// Policy is the policy the decision was made under.
	Policy Policy
	// Remaining is the number of whole tokens left after this request
	// (-1 for an unlimited policy).
	Remaining int
	// Reset is the time until the bucket is full again; when no whole token
	// is left it is the time until the next token instead, which is what a
	// client needs to know then.
	Reset time.Duration
	// RetryAfter is the time until one token is available for a denied
	// request, and 0 for an allowed one.
	RetryAfter time.Duration
}

// unlimitedDecision is the answer for a policy that limits nothing.
func unlimitedDecision(p Policy) Decision {
	return Decision{Allowed: true, Policy: p, Remaining: -1}
}

// Tightest picks the decision to report when several policies (tenant,
// function, client IP) applied to one request:
//
//   - a denied decision beats any allowed one; among denied ones the longest
//     RetryAfter wins, because the client must wait for all of them;
//   - among allowed ones, the lowest Remaining wins: it is the number of
//     requests the client can make before some policy refuses it, which a
//     Remaining/quota ratio would not tell (a large quota at 10% can still
//     outlast a small one at 50%); ties go to the longer Reset;
//   - unlimited decisions lose to any limited one.
//
// With no arguments it returns an allowed, unlimited decision.
func Tightest(ds ...Decision) Decision {
	if len(ds) == 0 {
		return unlimitedDecision(Policy{})
	}
	best := ds[0]
	for _, d := range ds[1:] {
		if tighter(d, best) {
			best = d
		}
	}
	return best
}

// tighter reports whether a is more restrictive than b.
func tighter(a, b Decision) bool {
	if a.Allowed != b.Allowed {
		return !a.Allowed
	}
	if !a.Allowed {
		return a.RetryAfter > b.RetryAfter
	}
	au, bu := a.Policy.Unlimited(), b.Policy.Unlimited()
	if au != bu {
		return bu
	}
	if au {
		return false
	}
	if a.Remaining != b.Remaining {
		return a.Remaining < b.Remaining
	}
	return a.Reset > b.Reset
}
