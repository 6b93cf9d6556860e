package ratelimit

import (
	"context"
	"fmt"
	"math"
	"time"
)

// balance is a bucket that Debit charges after the fact: unlike Allow's
// buckets it holds a fractional amount (CPU milliseconds, not requests)
// and may go below zero.
type balance struct {
	tokens float64   // negative: a debt
	at     time.Time // when tokens was brought up to date
	rate   float64
	burst  int
}

// refill adds what the rate earned since the last update, up to burst.
func (b *balance) refill(now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(float64(b.burst), b.tokens+d.Seconds()*b.rate)
		b.at = now
	}
}

// Debit takes n tokens from key's balance under p, however few are left
// (see Limiter.Debit). A new balance starts full. ctx is unused: the local
// limiter never blocks.
func (l *Local) Debit(_ context.Context, key string, p Policy, n float64) (Decision, error) {
	if err := checkDebit(key, p, n); err != nil {
		return Decision{}, err
	}
	if p.Unlimited() {
		return unlimitedDecision(p), nil
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.balances.Get(key)
	switch {
	case !ok:
		b = &balance{tokens: float64(p.Burst), at: now, rate: p.Rate, burst: p.Burst}
		l.balances.Add(key, b)
	case b.rate != p.Rate || b.burst != p.Burst:
		// What was earned at the old rate is kept; the new burst caps it.
		b.refill(now)
		b.rate, b.burst = p.Rate, p.Burst
		b.tokens = math.Min(b.tokens, float64(p.Burst))
	default:
		b.refill(now)
	}
	b.tokens -= n
	return b.decision(p), nil
}

// decision reports the balance as Allow reports a bucket: Remaining in
// whole tokens, Reset until full (or until the next whole token), and,
// when nothing is left, RetryAfter until the balance is above zero again.
func (b *balance) decision(p Policy) Decision {
	d := Decision{Policy: p, Allowed: b.tokens > 0, Remaining: max(0, int(math.Floor(b.tokens)))}
	switch {
	case !d.Allowed:
		// One nanosecond more than the debt takes, so that waiting as told
		// leaves the balance above zero, not at it.
		d.RetryAfter = untilTokens(-b.tokens, p.Rate) + time.Nanosecond
		d.Reset = d.RetryAfter
	case d.Remaining == 0:
		d.Reset = untilTokens(1-b.tokens, p.Rate)
	default:
		d.Reset = untilTokens(float64(p.Burst)-b.tokens, p.Rate)
	}
	return d
}

// checkDebit reports why a debit of n from key under p cannot be made.
func checkDebit(key string, p Policy, n float64) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if math.IsNaN(n) || math.IsInf(n, 0) || n < 0 {
		return fmt.Errorf("ratelimit: debit of %v from %q: must be a finite amount of at least 0", n, key)
	}
	return nil
}
