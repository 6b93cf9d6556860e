package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/ratelimit"
)

// UsageDefaults are the fair-usage limits of a tenant that sets none of
// its own (see auth.TenantLimits). A zero rate or concurrency is no limit.
type UsageDefaults struct {
	TenantRate        float64
	TenantBurst       int
	IPRate            float64
	IPBurst           int
	TenantConcurrency int
	// TenantCPUMS is a tenant's CPU budget in milliseconds of run CPU time
	// per second (0: none), and CPUBurst how much CPU a tenant may use at
	// once, in time at that rate (default 10 s: 10,000 ms at 1000 ms/s).
	TenantCPUMS float64
	CPUBurst    time.Duration
	// Queue is how many runs may wait for a concurrency slot, per tenant
	// and per function, and QueueWait how long each may wait.
	Queue     int
	QueueWait time.Duration
}

// admission applies the fair-usage limits to invocations: the client IP's
// bucket before authentication (so a flood of bad credentials is limited
// too), then the function's and the tenant's buckets, then their
// concurrency caps. A refused run never starts, and takes no tokens from
// the buckets after the one that refused.
type admission struct {
	limiter     ratelimit.Limiter // tenants and functions
	ipLimiter   ratelimit.Limiter // client IPs
	concurrency ratelimit.ConcurrencyLimiter
	// shared, when the limits are shared through Redis, decides a run's
	// limits in one round trip and charges CPU in the background; nil,
	// each limit is asked on its own.
	shared   ratelimit.RunAdmitter
	defaults UsageDefaults
	proxies  ratelimit.TrustedProxies
	ipHeader string
	refused  func(policy string) // counts refusals, for /metrics
}

// clientIP is the caller's address: the peer, or what a trusted proxy
// in front of the gateway says in ipHeader.
func (a *admission) clientIP(c *fiber.Ctx) netip.Addr {
	peer, _ := netip.ParseAddr(c.Context().RemoteIP().String())
	if a.ipHeader == "" {
		return peer
	}
	return a.proxies.ClientIP(peer, c.Get(a.ipHeader))
}

// policies returns the tenant's buckets: its own limits over the defaults.
func (a *admission) policies(t auth.TenantLimits) (tenant, ip ratelimit.Policy) {
	d := a.defaults
	// Tenant limits are validated non-negative: zero means the default.
	tenant = ratelimit.Policy{Name: "tenant", Rate: cmp.Or(t.Rate, d.TenantRate), Burst: cmp.Or(t.Burst, d.TenantBurst)}
	ip = ratelimit.Policy{Name: "ip", Rate: cmp.Or(t.IPRate, d.IPRate), Burst: cmp.Or(t.IPBurst, d.IPBurst)}
	return withBurst(tenant), withBurst(ip)
}

// withBurst gives a rate without a burst the default one.
func withBurst(p ratelimit.Policy) ratelimit.Policy {
	if p.Rate > 0 && p.Burst <= 0 {
		p.Burst = functions.DefaultBurst(p.Rate)
	}
	return p
}

// checkIP takes a token from the client IP's bucket for this tenant.
func (a *admission) checkIP(ctx context.Context, c *fiber.Ctx, t *tenantEntry) (ratelimit.Decision, error) {
	_, ipPolicy := a.policies(t.Limits)
	if ipPolicy.Unlimited() {
		return a.ipLimiter.Allow(ctx, "", ipPolicy) // no key to build, no address to parse
	}
	key := "ip:" + t.ID + ":" + ratelimit.IPKey(a.clientIP(c))
	return a.allow(ctx, a.ipLimiter, key, ipPolicy)
}

// admitRun is what every run of a function passes before it starts, in
// this order: its rate limits (the function's, then the tenant's), the
// tenant's CPU budget, then a concurrency slot. It returns the slot's
// release and the rate decision to advertise; a refusal is the error.
func (a *admission) admitRun(ctx context.Context, t *tenantEntry, d functions.Deployed) (release func(), rate ratelimit.Decision, err error) {
	if a.shared != nil {
		if release, rate, ok, err := a.admitShared(ctx, t, d, true); ok {
			return release, rate, err
		}
	}
	rate, err = a.checkRates(ctx, t, d)
	if err != nil {
		return nil, rate, err
	}
	if !rate.Allowed {
		return nil, rate, limited(rate)
	}
	if err := a.checkCPU(ctx, t); err != nil {
		return nil, rate, err
	}
	release, err = a.acquire(ctx, t, d)
	return release, rate, err
}

// admitQueuedRun admits the run of a call accepted earlier, whose rate
// tokens were taken then: the tenant's CPU budget and concurrency.
func (a *admission) admitQueuedRun(ctx context.Context, t *tenantEntry, d functions.Deployed) (func(), error) {
	if a.shared != nil {
		if release, _, ok, err := a.admitShared(ctx, t, d, false); ok {
			return release, err
		}
	}
	if err := a.checkCPU(ctx, t); err != nil {
		return nil, err
	}
	return a.acquire(ctx, t, d)
}

// admitShared is admitRun (rates: with the rate buckets) or
// admitQueuedRun in one request to the shared limits: the same checks
// and answers, but a refused run takes nothing at all. ok is false when
// the request was not decided so: the caller asks each limit.
func (a *admission) admitShared(ctx context.Context, t *tenantEntry, d functions.Deployed, rates bool) (release func(), rate ratelimit.Decision, ok bool, err error) {
	var req ratelimit.RunRequest
	var buckets [2]ratelimit.Bucket
	if rates {
		tenantPolicy, _ := a.policies(t.Limits)
		buckets[0] = ratelimit.Bucket{Key: "function:" + d.ID, Policy: withBurst(ratelimit.Policy{Name: "function", Rate: d.Limits.Rate, Burst: d.Limits.Burst})}
		buckets[1] = ratelimit.Bucket{Key: "tenant:" + t.ID, Policy: tenantPolicy}
		req.Rates = buckets[:]
	}
	req.Budget = ratelimit.Bucket{Key: "cpu:" + t.ID, Policy: a.cpuPolicy(t.Limits)}
	var slots [2]ratelimit.Slot
	slots[0] = ratelimit.Slot{Key: "tenant:" + t.ID, Limit: orDefault(t.Limits.Concurrency, a.defaults.TenantConcurrency)}
	slots[1] = ratelimit.Slot{Key: "function:" + d.ID, Limit: d.Limits.Concurrency}
	req.Slots = slots[:]
	v, ok := a.shared.AdmitRun(ctx, req)
	if !ok {
		return nil, rate, false, nil
	}
	if v.Refused >= 0 {
		dec := v.Rates[v.Refused]
		a.refused(dec.Policy.Name)
		return nil, dec, true, limited(dec)
	}
	if rates {
		rate = ratelimit.Tightest(v.Rates[0], v.Rates[1])
	}
	if !v.Budget.Allowed {
		return nil, rate, true, a.cpuRefusal(req.Budget.Policy, v.Budget)
	}
	if v.Release != nil {
		return v.Release, rate, true, nil
	}
	// Admitted, but a slot is full or others wait for it: wait in line.
	release, err = a.acquire(ctx, t, d)
	return release, rate, true, err
}

// checkRates takes a token from the function's bucket, then from the
// tenant's. In that order, a function refused at its own limit costs its
// tenant nothing, so one hot function cannot starve its siblings. It
// returns the decision to answer with: the refusal, or the tighter of
// the two.
func (a *admission) checkRates(ctx context.Context, t *tenantEntry, d functions.Deployed) (ratelimit.Decision, error) {
	fnPolicy := withBurst(ratelimit.Policy{Name: "function", Rate: d.Limits.Rate, Burst: d.Limits.Burst})
	fd, err := a.allowKey(ctx, a.limiter, "function:", d.ID, fnPolicy)
	if err != nil || !fd.Allowed {
		return fd, err
	}
	tenantPolicy, _ := a.policies(t.Limits)
	td, err := a.allowKey(ctx, a.limiter, "tenant:", t.ID, tenantPolicy)
	if err != nil || !td.Allowed {
		return td, err
	}
	return ratelimit.Tightest(fd, td), nil
}

// allowKey is allow for the key prefix+id, built only for a limited policy.
func (a *admission) allowKey(ctx context.Context, l ratelimit.Limiter, prefix, id string, p ratelimit.Policy) (ratelimit.Decision, error) {
	if p.Unlimited() {
		return l.Allow(ctx, "", p)
	}
	return a.allow(ctx, l, prefix+id, p)
}

func (a *admission) allow(ctx context.Context, l ratelimit.Limiter, key string, p ratelimit.Policy) (ratelimit.Decision, error) {
	dec, err := l.Allow(ctx, key, p)
	if err != nil {
		return dec, fmt.Errorf("rate limiter: %w", err)
	}
	if !dec.Allowed {
		a.refused(p.Name)
	}
	return dec, nil
}

// writeRateLimit sets the RateLimit-Policy and RateLimit headers of an
// allowed decision, without allocating.
func writeRateLimit(c *fiber.Ctx, d ratelimit.Decision) {
	if d.Policy.Unlimited() {
		return
	}
	var buf [128]byte
	h := &c.Response().Header
	h.SetBytesV(ratelimit.HeaderPolicy, d.AppendPolicy(buf[:0]))
	h.SetBytesV(ratelimit.HeaderRateLimit, d.AppendRateLimit(buf[:0]))
}

// acquire takes a concurrency slot of the tenant, then of the function,
// waiting in a short queue for each.
func (a *admission) acquire(ctx context.Context, t *tenantEntry, d functions.Deployed) (func(), error) {
	limit := orDefault(t.Limits.Concurrency, a.defaults.TenantConcurrency)
	if limit <= 0 && d.Limits.Concurrency <= 0 {
		return noRelease, nil
	}
	releaseTenant, err := a.concurrency.Acquire(ctx, "tenant:"+t.ID, limit, a.defaults.Queue, a.defaults.QueueWait)
	if err != nil {
		return nil, a.busy("tenant", limit, err)
	}
	if d.Limits.Concurrency <= 0 {
		return releaseTenant, nil
	}
	releaseFn, err := a.concurrency.Acquire(ctx, "function:"+d.ID, d.Limits.Concurrency, a.defaults.Queue, a.defaults.QueueWait)
	if err != nil {
		releaseTenant()
		return nil, a.busy("function", d.Limits.Concurrency, err)
	}
	if limit <= 0 {
		return releaseFn, nil
	}
	return func() { releaseFn(); releaseTenant() }, nil
}

func noRelease() {}

// busy is the 429 of a full concurrency cap.
func (a *admission) busy(scope string, limit int, err error) error {
	if errors.Is(err, ratelimit.ErrTooManyKeys) {
		// The gateway's own capacity, not this caller's doing.
		return &APIError{Status: http.StatusServiceUnavailable, Code: "overloaded",
			Message: "the gateway is tracking too many busy functions; retry shortly", RetryAfter: time.Second}
	}
	if !errors.Is(err, ratelimit.ErrConcurrency) {
		return err // the caller went away while queued
	}
	a.refused(scope + "_concurrency")
	wait := time.Second
	return &APIError{Status: http.StatusTooManyRequests, Code: "concurrency_limited",
		Message:    fmt.Sprintf("the %s already has %d runs in progress, its limit, and its queue is full or moved too slowly; retry shortly", scope, limit),
		RetryAfter: wait}
}

// limited is the 429 of a denied rate decision.
func limited(dec ratelimit.Decision) error {
	what := "this function"
	switch dec.Policy.Name {
	case "ip":
		what = "your client address"
	case "tenant":
		what = "this tenant"
	}
	retry := max(time.Second, dec.RetryAfter)
	return &APIError{Status: http.StatusTooManyRequests, Code: "rate_limited",
		Message: fmt.Sprintf("%s is over its limit of %s invocations per second (burst %d); retry after %s s",
			what, strconv.FormatFloat(dec.Policy.Rate, 'g', -1, 64), dec.Policy.Burst, strconv.Itoa(int(math.Ceil(retry.Seconds())))),
		RetryAfter: retry, RateLimit: &dec}
}
