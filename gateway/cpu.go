package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/ratelimit"
)

// A tenant's CPU budget is a bucket of CPU milliseconds that refills at
// the tenant's rate. A run may start while the bucket holds anything, and
// pays for the CPU it used once it is done, however much that was: a
// tenant whose runs burned more than was left is refused until the refill
// has paid the debt back, so it waits in proportion to what it burned.

// validateCPU refuses a default budget that could not be enforced, at
// start rather than as a failure of every call.
func (u *UsageDefaults) validateCPU() error {
	if math.IsNaN(u.TenantCPUMS) || math.IsInf(u.TenantCPUMS, 0) || u.TenantCPUMS < 0 || u.CPUBurst < 0 {
		return fmt.Errorf("gateway: tenant CPU budget %v ms per second with a burst of %v: want a rate of 0 (none) or more, and a burst of 0 (10 s) or more", u.TenantCPUMS, u.CPUBurst)
	}
	return nil
}

// cpuPolicy is the tenant's CPU budget: its own rate over the default.
func (a *admission) cpuPolicy(t auth.TenantLimits) ratelimit.Policy {
	rate := cmp.Or(t.CPUMS, a.defaults.TenantCPUMS)
	burst := int(math.Min(math.Ceil(rate*a.defaults.CPUBurst.Seconds()), math.MaxInt32))
	return ratelimit.Policy{Name: "cpu", Rate: rate, Burst: max(1, burst)}
}

// checkCPU refuses a run while the tenant's CPU budget is spent. It takes
// nothing from the budget.
func (a *admission) checkCPU(ctx context.Context, t *tenantEntry) error {
	p := a.cpuPolicy(t.Limits)
	dec, err := a.limiter.Debit(ctx, "cpu:"+t.ID, p, 0)
	if err != nil {
		return fmt.Errorf("cpu budget: %w", err)
	}
	if dec.Allowed {
		return nil
	}
	return a.cpuRefusal(p, dec)
}

// cpuRefusal is the 429 of a spent CPU budget under p.
func (a *admission) cpuRefusal(p ratelimit.Policy, dec ratelimit.Decision) error {
	a.refused("cpu")
	retry := max(time.Second, dec.RetryAfter)
	return &APIError{Status: http.StatusTooManyRequests, Code: "cpu_limited",
		Message: fmt.Sprintf("this tenant has used up its CPU budget of %s ms per second (burst %d ms); retry after %d s",
			strconv.FormatFloat(p.Rate, 'g', -1, 64), p.Burst, int(math.Ceil(retry.Seconds()))),
		RetryAfter: retry, RateLimit: &dec}
}

// runCost accounts for the CPU a run used (Result.CPU, or RunError.CPU
// for a failed run): it is debited from the tenant's budget and observed
// on /metrics. It returns the CPU, for the run record and Server-Timing.
func (g *Gateway) runCost(ctx context.Context, t *tenantEntry, res *functions.Result, runErr error) time.Duration {
	cpu := runCPU(res, runErr)
	g.observeCPU(cpu)
	g.chargeCPU(ctx, t, cpu)
	return cpu
}

// setServerTiming tells the caller the run's CPU in Server-Timing, next
// to the gateway's own time since started.
func setServerTiming(c *fiber.Ctx, started time.Time, cpu time.Duration, res *functions.Result) {
	timing := serverTiming(cpu, time.Since(started))
	if res != nil && res.Response != nil {
		// Server-Timing is a list: a function's own metrics come first and
		// ours follow, instead of one header replacing the other.
		if own := res.Response.Headers["server-timing"]; own != "" {
			timing = own + ", " + timing
			delete(res.Response.Headers, "server-timing")
		}
	}
	c.Set(headerServerTiming, timing)
}

// runCPU is the CPU time a run reports: Result.CPU, or RunError.CPU for a
// failed run (0 for one that never started, or whose sandbox died).
func runCPU(res *functions.Result, runErr error) time.Duration {
	var re *functions.RunError
	switch {
	case runErr == nil && res != nil:
		return res.CPU
	case errors.As(runErr, &re):
		return re.CPU
	}
	return 0
}

// observeCPU puts one run's CPU on /metrics.
func (g *Gateway) observeCPU(cpu time.Duration) {
	if cpu > 0 {
		g.metrics.runCPU.Observe(cpu.Seconds())
	}
}

// chargeCPU debits cpu from the tenant's budget. Not with the request's
// context: a caller that hung up still owes the CPU.
func (g *Gateway) chargeCPU(ctx context.Context, t *tenantEntry, cpu time.Duration) {
	if cpu <= 0 {
		return
	}
	key, p, ms := "cpu:"+t.ID, g.admit.cpuPolicy(t.Limits), float64(cpu)/float64(time.Millisecond)
	var err error
	if g.admit.shared != nil {
		err = g.admit.shared.Charge(key, p, ms) // in the background, with other writes
	} else {
		_, err = g.admit.limiter.Debit(context.WithoutCancel(ctx), key, p, ms)
	}
	if err != nil {
		g.log.Warn("cpu budget: debit failed", slog.String("tenant", t.ID), slog.Any("error", err))
	}
}

const headerServerTiming = "Server-Timing"

// serverTiming renders the Server-Timing header (W3C Server Timing):
// durations in milliseconds with three decimals (microseconds).
func serverTiming(cpu, total time.Duration) string {
	b := make([]byte, 0, 40)
	b = append(b, "cpu;dur="...)
	b = strconv.AppendFloat(b, float64(cpu)/float64(time.Millisecond), 'f', 3, 64)
	b = append(b, ", total;dur="...)
	b = strconv.AppendFloat(b, float64(total)/float64(time.Millisecond), 'f', 3, 64)
	return string(b)
}
