// Package ratelimit implements the fair-usage limits of the gateway:
// token-bucket request rates per key (Limiter, Local), budgets charged
// after the work they pay for, such as CPU time (Limiter.Debit), caps on
// concurrent invocations per key (Concurrency), the IETF RateLimit
// response headers (Decision.WriteHeaders, Tightest) and client-IP
// extraction behind trusted proxies (TrustedProxies, IPKey).
//
// Cluster shares all of them between gateways through Redis. Its limiter
// is also a RunAdmitter: a run's buckets, budget and slots are decided in
// one script call (pipelined with the runs admitted at the same moment),
// and what the run owes and gives back afterwards is written in the
// background, many runs' in one round trip.
//
// The package knows nothing about HTTP frameworks; the gateway's middleware
// maps requests to keys and policies and decisions to responses.
package ratelimit
