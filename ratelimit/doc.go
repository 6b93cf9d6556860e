// Package ratelimit implements the fair-usage limits of the gateway:
// token-bucket request rates per key (Limiter, Local), budgets charged
// after the work they pay for, such as CPU time (Limiter.Debit), caps on
// concurrent invocations per key (Concurrency), the IETF RateLimit
// response headers (Decision.WriteHeaders, Tightest) and client-IP
// extraction behind trusted proxies (TrustedProxies, IPKey).
//
// The package knows nothing about HTTP frameworks; the gateway's middleware
// maps requests to keys and policies and decisions to responses.
package ratelimit
