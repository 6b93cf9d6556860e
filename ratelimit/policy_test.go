package ratelimit

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		p         Policy
		unlimited bool
		valid     bool
	}{
		{Policy{Rate: 0}, true, true},
		{Policy{Rate: math.Inf(1)}, true, true},
		{Policy{Rate: 1, Burst: 1}, false, true},
		{Policy{Rate: 0.01, Burst: 100}, false, true},
		{Policy{Rate: 1, Burst: 0}, false, false},
		{Policy{Rate: -1, Burst: 5}, false, false},
		{Policy{Rate: math.Inf(-1), Burst: 5}, false, false},
		{Policy{Rate: math.NaN(), Burst: 5}, false, false},
	}
	for _, tt := range tests {
		if got := tt.p.Unlimited(); got != tt.unlimited {
			t.Errorf("%+v.Unlimited() = %v, want %v", tt.p, got, tt.unlimited)
		}
		err := tt.p.Validate()
		if (err == nil) != tt.valid || (err != nil && !errors.Is(err, ErrInvalidPolicy)) {
			t.Errorf("%+v.Validate() = %v, want valid=%v", tt.p, err, tt.valid)
		}
	}
}

func TestTightest(t *testing.T) {
	ip := Policy{Name: "ip", Rate: 10, Burst: 100}
	tenant := Policy{Name: "tenant", Rate: 1, Burst: 10}
	fn := Policy{Name: "fn", Rate: 5, Burst: 5}
	free := Policy{Name: "free"}

	allowed := func(p Policy, rem int, reset time.Duration) Decision {
		return Decision{Allowed: true, Policy: p, Remaining: rem, Reset: reset}
	}
	denied := func(p Policy, retry time.Duration) Decision {
		return Decision{Policy: p, Reset: retry, RetryAfter: retry}
	}

	tests := []struct {
		name string
		in   []Decision
		want Decision
	}{
		{"none", nil, Decision{Allowed: true, Remaining: -1}},
		{"single", []Decision{allowed(ip, 5, 0)}, allowed(ip, 5, 0)},
		{"denied beats allowed", []Decision{allowed(ip, 0, time.Second), denied(fn, time.Millisecond)}, denied(fn, time.Millisecond)},
		{"longest retry among denied", []Decision{denied(ip, time.Second), denied(tenant, 3*time.Second), denied(fn, 2*time.Second)}, denied(tenant, 3*time.Second)},
		// ip is down to 20% of its quota and tenant only to 30%, yet the
		// tenant policy refuses the client first.
		{"lowest remaining, not ratio", []Decision{allowed(ip, 20, time.Second), allowed(tenant, 3, time.Second)}, allowed(tenant, 3, time.Second)},
		{"lowest remaining absolute", []Decision{allowed(ip, 2, time.Second), allowed(tenant, 3, time.Second)}, allowed(ip, 2, time.Second)},
		{"tie goes to longer reset", []Decision{allowed(fn, 2, time.Second), allowed(tenant, 2, 5*time.Second)}, allowed(tenant, 2, 5*time.Second)},
		{"limited beats unlimited", []Decision{allowed(free, -1, 0), allowed(ip, 99, time.Second)}, allowed(ip, 99, time.Second)},
		{"all unlimited", []Decision{allowed(free, -1, 0), allowed(Policy{Name: "also"}, -1, 0)}, allowed(free, -1, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tightest(tt.in...); got != tt.want {
				t.Fatalf("Tightest = %+v, want %+v", got, tt.want)
			}
		})
	}
}
