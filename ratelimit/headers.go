package ratelimit

import (
	"math"
	"strconv"
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
	if d.Policy.Unlimited() {
		return
	}
	var buf [128]byte
	set(HeaderPolicy, string(d.AppendPolicy(buf[:0])))
	set(HeaderRateLimit, string(d.AppendRateLimit(buf[:0])))
	if !d.Allowed {
		set(HeaderRetryAfter, strconv.FormatInt(max(1, ceilSeconds(d.RetryAfter)), 10))
	}
}

// AppendPolicy appends the RateLimit-Policy value of a limited decision
// to b: with a buffer of the caller's and a setter that copies (fasthttp's
// ResponseHeader.SetBytesV), writing the header allocates nothing.
func (d Decision) AppendPolicy(b []byte) []byte {
	p := d.Policy
	// Clamped to [1, maxSFInteger]: a window of 0 would be meaningless.
	window := int64(math.Min(math.Max(1, math.Ceil(float64(p.Burst)/p.Rate)), maxSFInteger))
	b = appendSFString(b, p.Name)
	b = append(b, ";q="...)
	b = strconv.AppendInt(b, int64(p.Burst), 10)
	b = append(b, ";w="...)
	return strconv.AppendInt(b, window, 10)
}

// AppendRateLimit appends the RateLimit value of a limited decision to b.
func (d Decision) AppendRateLimit(b []byte) []byte {
	b = appendSFString(b, d.Policy.Name)
	b = append(b, ";r="...)
	b = strconv.AppendInt(b, int64(max(0, d.Remaining)), 10)
	b = append(b, ";t="...)
	return strconv.AppendInt(b, ceilSeconds(d.Reset), 10)
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

// appendSFString appends s as a structured-field String: quoted, with '"'
// and '\' escaped. Each character a String cannot hold (controls,
// non-ASCII) becomes '?' so a stray policy name cannot break the header.
func appendSFString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', byte(c))
		case c < 0x20 || c > 0x7e:
			b = append(b, '?')
		default:
			b = append(b, byte(c))
		}
	}
	return append(b, '"')
}
