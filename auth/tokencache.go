package auth

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// TokenCache remembers tokens that verified, so that a caller sending the
// same token again skips the signature check and the claims' parsing
// (BenchmarkVerify: 7 µs for HS256, 90 µs for ES256, against well under
// one for a hit). It is shared by every Verifier given it (WithTokenCache),
// so one bound holds for all tenants.
//
// What a hit skips cannot have changed: the signature and the claims are
// the token's own, and the issuer, audience and required claims belong to
// the Verifier, which is part of the key (a tenant whose settings change
// gets a new Verifier, and none of the old one's entries). Time is what
// changes: an entry ends when the token expires (exp plus the leeway, as
// the parser checks it) and after the cache's TTL at the latest, which
// bounds how long a key removed from a JWK Set still admits the tokens it
// signed. nbf and iat only ever become truer as time passes.
type TokenCache struct {
	mu  sync.Mutex
	lru *simplelru.LRU[tokenKey, cachedToken]
	ttl time.Duration
}

type tokenKey struct {
	v   *Verifier
	sum [sha256.Size]byte
}

type cachedToken struct {
	claims Claims
	until  time.Time
}

// maxCachedToken is the largest token cached: bigger ones are rare, and
// the bound keeps an entry's claims small.
const maxCachedToken = 2 << 10

// NewTokenCache returns a cache of at most entries tokens, each kept at
// most ttl.
func NewTokenCache(entries int, ttl time.Duration) (*TokenCache, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("auth: token cache ttl %v must be positive", ttl)
	}
	lru, err := simplelru.NewLRU[tokenKey, cachedToken](entries, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: token cache: %w", err)
	}
	return &TokenCache{lru: lru, ttl: ttl}, nil
}

func (c *TokenCache) get(k tokenKey, now time.Time) (Claims, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.lru.Get(k)
	if !ok {
		return nil, false
	}
	if !now.Before(e.until) {
		c.lru.Remove(k)
		return nil, false
	}
	return e.claims, true
}

// add keeps claims that verified at now until expires (exp + leeway) or
// the TTL, whichever comes first.
func (c *TokenCache) add(k tokenKey, claims Claims, now, expires time.Time) {
	until := now.Add(c.ttl)
	if expires.Before(until) {
		until = expires
	}
	if !now.Before(until) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Add(k, cachedToken{claims: claims, until: until})
}

// Len returns the number of tokens cached.
func (c *TokenCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
