package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testClock is a settable clock for the parser and the cache alike.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func TestTokenCache(t *testing.T) {
	t0 := time.Unix(1_900_000_000, 0)
	clock := &testClock{t: t0}
	cache, err := NewTokenCache(100, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	newVerifier := func(cfg JWTConfig) *Verifier {
		v, err := NewVerifier(context.Background(), cfg, WithTokenCache(cache), withClock(clock.now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.Close)
		return v
	}
	// Leeway 0 means 30 s: the token is good until exp + 30 s.
	a := newVerifier(JWTConfig{Keys: []JWTKey{{Alg: "HS256", Secret: secret256}}})
	sign := func(secret string, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	token := sign(secret256, jwt.MapClaims{"sub": "u1", "aud": "x", "iat": t0.Unix(), "exp": t0.Add(time.Minute).Unix()})
	cached := func(v *Verifier, tok string) bool {
		_, ok := cache.get(tokenKey{v: v, sum: sha256.Sum256([]byte(tok))}, clock.now())
		return ok
	}

	for _, step := range []struct {
		name   string
		at     time.Duration // after t0
		v      *Verifier
		token  string
		want   error
		cached bool // in the cache afterwards, for v
	}{
		{"first use verifies and is cached", 0, a, token, nil, true},
		{"a hit within exp", 80 * time.Second, a, token, nil, true},
		{"at exp + leeway the token is expired, cached or not", 90 * time.Second, a, token, ErrTokenExpired, false},
		{"a bad signature is refused and not cached", 0, a, sign(strings.Repeat("z", 32), jwt.MapClaims{"exp": t0.Add(time.Hour).Unix()}), ErrTokenSignature, false},
	} {
		clock.set(t0.Add(step.at))
		claims, err := step.v.Verify(step.token)
		if !errors.Is(err, step.want) || (err == nil && claims["sub"] != "u1") {
			t.Fatalf("%s: %v %v, want %v", step.name, claims, err, step.want)
		}
		if got := cached(step.v, step.token); got != step.cached {
			t.Fatalf("%s: cached %v, want %v", step.name, got, step.cached)
		}
	}

	// Another tenant's verifier, sharing the cache, decides for itself.
	clock.set(t0)
	if _, err := a.Verify(token); err != nil {
		t.Fatal(err)
	}
	otherKey := newVerifier(JWTConfig{Keys: []JWTKey{{Alg: "HS256", Secret: strings.Repeat("o", 32)}}})
	if _, err := otherKey.Verify(token); !errors.Is(err, ErrTokenSignature) {
		t.Fatalf("a token cached for one verifier passed another's keys: %v", err)
	}
	otherAudience := newVerifier(JWTConfig{Keys: []JWTKey{{Alg: "HS256", Secret: secret256}}, Audience: []string{"y"}})
	if _, err := otherAudience.Verify(token); !errors.Is(err, ErrTokenAudience) {
		t.Fatalf("a token cached for one verifier passed another's audience: %v", err)
	}

	// The TTL ends an entry before exp.
	short, _ := NewTokenCache(100, time.Second)
	v, err := NewVerifier(context.Background(), JWTConfig{Keys: []JWTKey{{Alg: "HS256", Secret: secret256}}}, WithTokenCache(short), withClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(token); err != nil || short.Len() != 1 {
		t.Fatalf("%v, %d cached", err, short.Len())
	}
	key := tokenKey{v: v, sum: sha256.Sum256([]byte(token))}
	if _, ok := short.get(key, t0.Add(time.Second)); ok {
		t.Fatal("an entry outlived the cache's TTL")
	}

	// A token past maxCachedToken is verified every time, not kept.
	big := sign(secret256, jwt.MapClaims{"sub": "u1", "pad": strings.Repeat("p", maxCachedToken), "exp": t0.Add(time.Hour).Unix()})
	n := cache.Len()
	if _, err := a.Verify(big); err != nil || cache.Len() != n {
		t.Fatalf("big token: %v, cache %d -> %d", err, n, cache.Len())
	}
}
