package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"
)

// Limiter decides whether a request identified by key may proceed under a
// policy. Local is the in-process implementation; a shared (e.g. Redis)
// implementation for several gateway instances can satisfy the same
// interface.
type Limiter interface {
	// Allow takes one token for key under p, or says when to retry.
	Allow(ctx context.Context, key string, p Policy) (Decision, error)
	// Debit takes n tokens from key's bucket under p for work already
	// done, however few are left: the bucket may go below zero, and then
	// refuses until its refill has paid the debt back. The decision says
	// whether the bucket still holds tokens, i.e. whether new work may
	// start; a debit of 0 only asks that. Buckets of Debit are their own:
	// a key is used with Allow or with Debit, not both.
	Debit(ctx context.Context, key string, p Policy, n float64) (Decision, error)
}

// Local is an in-process Limiter with one token bucket per key.
//
// Buckets live in an LRU of bounded size, so a flood of distinct keys (client
// IPs) costs bounded memory. An evicted key starts again with a full bucket:
// size the LRU well above the number of keys active within one refill period,
// and use a separate Local per key kind (IP, tenant, function) so that a
// flood of IP keys cannot evict tenant buckets.
//
// One mutex guards the LRU and the buckets. That makes taking a token and
// reading what is left atomic, and costs far less than the work a request
// does behind the gateway.
type Local struct {
	mu       sync.Mutex
	lru      *simplelru.LRU[string, *bucket]
	balances *simplelru.LRU[string, *balance] // Debit's buckets
	now      func() time.Time
}

// bucket remembers the policy its limiter was configured with, so a changed
// policy is noticed without taking the limiter's own lock.
type bucket struct {
	lim   *rate.Limiter
	rate  float64
	burst int
}

// LocalOption configures a Local.
type LocalOption func(*Local)

// WithClock makes Local read the time from now instead of time.Now, so tests
// can be deterministic.
func WithClock(now func() time.Time) LocalOption {
	return func(l *Local) { l.now = now }
}

// NewLocal returns a Local that keeps buckets for at most maxKeys keys,
// evicting the least recently used.
func NewLocal(maxKeys int, opts ...LocalOption) (*Local, error) {
	if maxKeys < 1 {
		return nil, fmt.Errorf("ratelimit: maxKeys %d must be at least 1", maxKeys)
	}
	c, err := simplelru.NewLRU[string, *bucket](maxKeys, nil)
	if err != nil {
		return nil, err
	}
	bal, err := simplelru.NewLRU[string, *balance](maxKeys, nil)
	if err != nil {
		return nil, err
	}
	l := &Local{lru: c, balances: bal, now: time.Now}
	for _, o := range opts {
		o(l)
	}
	return l, nil
}

// Allow takes one token from key's bucket under p. A denied request takes no
// token. ctx is unused: the local limiter never blocks.
func (l *Local) Allow(_ context.Context, key string, p Policy) (Decision, error) {
	if err := p.Validate(); err != nil {
		return Decision{}, err
	}
	if p.Unlimited() {
		return unlimitedDecision(p), nil
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()

	b, ok := l.lru.Get(key)
	switch {
	case !ok:
		// A new bucket starts full: a first request is never refused.
		b = &bucket{lim: rate.NewLimiter(rate.Limit(p.Rate), p.Burst), rate: p.Rate, burst: p.Burst}
		l.lru.Add(key, b)
	case b.rate != p.Rate || b.burst != p.Burst:
		// Keep the tokens already earned; the new burst caps them on the
		// next refill.
		b.lim.SetLimitAt(now, rate.Limit(p.Rate))
		b.lim.SetBurstAt(now, p.Burst)
		b.rate, b.burst = p.Rate, p.Burst
	}

	d := Decision{Policy: p}
	if b.lim.AllowN(now, 1) {
		tokens := b.lim.TokensAt(now)
		d.Allowed = true
		d.Remaining = max(0, int(math.Floor(tokens)))
		if d.Remaining == 0 {
			d.Reset = untilTokens(1-tokens, p.Rate)
		} else {
			d.Reset = untilTokens(float64(p.Burst)-tokens, p.Rate)
		}
		return d, nil
	}
	d.RetryAfter = untilTokens(1-b.lim.TokensAt(now), p.Rate)
	d.Reset = d.RetryAfter
	return d, nil
}

// Len returns the number of keys that currently have a bucket.
func (l *Local) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len() + l.balances.Len()
}

// untilTokens returns how long a bucket refilling at r tokens per second
// takes to gain n tokens, rounded up to the nanosecond so that waiting that
// long really yields them.
func untilTokens(n, r float64) time.Duration {
	if n <= 0 {
		return 0
	}
	ns := math.Ceil(n * float64(time.Second) / r)
	if ns >= math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ns)
}
