package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Redis is a Limiter whose buckets live in Redis, so that several gateways
// share them. Allow is GCRA (go-redis/redis_rate) on Redis's clock; Debit
// is a Lua script with Local's semantics.
//
// Keys: Debit's are <prefix>debit:<key>; Allow's are rate:<prefix>allow:<key>,
// because redis_rate puts its own "rate:" in front of every key.
type Redis struct {
	rdb    redis.UniversalClient
	gcra   *redis_rate.Limiter
	prefix string
	// now, when set, replaces Redis's clock in Debit (tests: a fake clock
	// makes the script's answers exact).
	now func() time.Time
}

// NewRedis returns a Limiter on rdb with its keys under prefix.
func NewRedis(rdb redis.UniversalClient, prefix string) *Redis {
	return &Redis{rdb: rdb, gcra: redis_rate.NewLimiter(rdb), prefix: prefix}
}

// Allow takes one token from key's GCRA bucket under p. A denied request
// takes no token.
func (r *Redis) Allow(ctx context.Context, key string, p Policy) (Decision, error) {
	if err := p.Validate(); err != nil {
		return Decision{}, err
	}
	if p.Unlimited() {
		return unlimitedDecision(p), nil
	}
	// redis_rate counts whole events per period: one event per 1/Rate
	// seconds expresses any rate, fractional ones included.
	lim := redis_rate.Limit{Rate: 1, Burst: p.Burst, Period: gcraPeriod(p)}
	res, err := r.gcra.Allow(ctx, r.allowKey(key), lim)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis allow %q: %w", key, err)
	}
	return gcraDecision(p, res.Allowed > 0, res.Remaining, res.RetryAfter, res.ResetAfter), nil
}

// allowKey is where Allow keeps key's bucket (redis_rate adds "rate:").
func (r *Redis) allowKey(key string) string { return r.prefix + "allow:" + key }

// gcraPeriod is the time one token of p takes to come back.
func gcraPeriod(p Policy) time.Duration { return time.Duration(float64(time.Second) / p.Rate) }

// gcraDecision reads a GCRA answer (whole tokens remaining, the waits
// until the next token and until the bucket is full) as Local's Decision.
func gcraDecision(p Policy, allowed bool, remaining int, retryAfter, resetAfter time.Duration) Decision {
	d := Decision{Policy: p, Allowed: allowed, Remaining: max(0, remaining)}
	if !d.Allowed {
		d.Remaining = 0
		d.RetryAfter = max(0, retryAfter)
		d.Reset = d.RetryAfter
		return d
	}
	d.Reset = max(0, resetAfter)
	if d.Remaining == 0 {
		// As Local: with no whole token left, Reset is until the next one.
		d.Reset = max(0, resetAfter-time.Duration(p.Burst-1)*gcraPeriod(p))
	}
	return d
}

// debitScript brings key's balance up to date, takes ARGV[3] from it and
// returns what is left (negative: a debt). Time is in microseconds, the
// resolution of Redis's TIME; ARGV[4] overrides it (tests).
var debitScript = redis.NewScript(`
local rate, burst, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now
if ARGV[4] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[4])
end
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'rate', 'burst')
local tokens, at = burst, now
if b[1] then
  tokens, at = tonumber(b[1]), tonumber(b[2])
  local oldRate, oldBurst = tonumber(b[3]), tonumber(b[4])
  if now > at then
    tokens = math.min(oldBurst, tokens + (now - at) / 1000000 * oldRate)
    at = now
  end
  if oldRate ~= rate or oldBurst ~= burst then
    tokens = math.min(tokens, burst)
  end
end
tokens = tokens - n
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', at),
  'rate', ARGV[1], 'burst', ARGV[2])
-- A full balance is the same as none: keep the key until it would be full.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return string.format('%.17g', tokens)
`)

// Debit takes n tokens from key's balance under p, however few are left
// (see Limiter.Debit).
func (r *Redis) Debit(ctx context.Context, key string, p Policy, n float64) (Decision, error) {
	if err := checkDebit(key, p, n); err != nil {
		return Decision{}, err
	}
	if p.Unlimited() {
		return unlimitedDecision(p), nil
	}
	v, err := debitScript.Run(ctx, r.rdb, []string{r.debitKey(key)}, r.debitArgs(p, n)...).Text()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis debit %q: %w", key, err)
	}
	d, err := balanceDecision(p, v)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis debit %q: %w", key, err)
	}
	return d, nil
}

// balanceDecision reads a balance a script returned (tokens, as text).
func balanceDecision(p Policy, v string) (Decision, error) {
	tokens, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return Decision{}, fmt.Errorf("balance %q: %w", v, err)
	}
	d := (&balance{tokens: tokens}).decision(p)
	if !d.Allowed {
		// The script's clock counts microseconds: a wait shorter than one
		// would not be seen to have passed.
		d.RetryAfter = roundUp(d.RetryAfter, time.Microsecond)
		d.Reset = d.RetryAfter
	}
	return d, nil
}

// debitArgs are debitScript's arguments for n from p's balance.
func (r *Redis) debitArgs(p Policy, n float64) []any {
	now := ""
	if r.now != nil {
		now = strconv.FormatInt(r.now().UnixMicro(), 10)
	}
	return []any{strconv.FormatFloat(p.Rate, 'g', -1, 64), p.Burst, strconv.FormatFloat(n, 'g', -1, 64), now}
}

// debitKey is where Debit keeps key's balance.
func (r *Redis) debitKey(key string) string { return r.prefix + "debit:" + key }

// roundUp rounds d up to a multiple of m.
func roundUp(d, m time.Duration) time.Duration {
	if r := d % m; r != 0 {
		return d + m - r
	}
	return d
}
