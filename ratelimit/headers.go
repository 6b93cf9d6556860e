package ratelimit

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Header names written by Decision.WriteHeaders.
const (
	HeaderPolicy     = "RateLimit-Policy"
	HeaderRateLimit  = "RateLimit"
	HeaderRetryAfter = "Retry-After"
)

// maxSFInteger is the largest Integer a structured field may carry (RFC 9651).
const maxSFInteger = 999_999_999_999_999

// WriteHeaders renders d as the RateLimit-Policy and RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers (-08/-09 structured-field form) and,
// for a denied decision, Retry-After, passing each to set. set fits both
// http.Header.Set and fiber's Ctx.Set, e.g. d.WriteHeaders(c.Set).
//
//	RateLimit-Policy: "<name>";q=<quota>;w=<window seconds>
//	RateLimit: "<name>";r=<remaining>;t=<seconds until reset>
//
// The draft describes quotas per time window; a token bucket maps onto it as
// quota q = Burst and window w = ceil(Burst/Rate) seconds, the time an empty
// bucket takes to refill completely. Seconds are rounded up so a client that
// waits as told is never early; Retry-After is at least 1.
//
// An unlimited decision writes nothing.
func (d Decision) WriteHeaders(set func(name, value string)) {
	p := d.Policy
	if p.Unlimited() {
		return
	}
	name := sfString(p.Name)
	// Clamped to [1, maxSFInteger]: a window of 0 would be meaningless.
	window := int64(math.Min(math.Max(1, math.Ceil(float64(p.Burst)/p.Rate)), maxSFInteger))
	set(HeaderPolicy, name+";q="+strconv.Itoa(p.Burst)+";w="+strconv.FormatInt(window, 10))
	set(HeaderRateLimit, name+";r="+strconv.Itoa(max(0, d.Remaining))+";t="+strconv.FormatInt(ceilSeconds(d.Reset), 10))
	if !d.Allowed {
		set(HeaderRetryAfter, strconv.FormatInt(max(1, ceilSeconds(d.RetryAfter)), 10))
	}
}

// ceilSeconds rounds d up to whole seconds, clamped to what a structured
// field Integer can hold.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return min(s, maxSFInteger)
}

// sfString renders s as a structured-field String: quoted, with '"' and '\'
// escaped. Each character a String cannot hold (controls, non-ASCII) becomes
// '?' so a stray policy name cannot break the header.
func sfString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20 || c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
