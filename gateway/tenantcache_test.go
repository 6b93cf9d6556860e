package gateway

import (
	"errors"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/auth"
)

// TestTenantEvictedBeforeVerifier: a request holding a tenant entry that
// an invalidation dropped before its verifier was built is told to try
// again, instead of getting no verifier and no error.
func TestTenantEvictedBeforeVerifier(t *testing.T) {
	for _, tc := range []struct {
		name string
		drop func(tc *tenantCache)
	}{
		{"forget", func(tc *tenantCache) { tc.forget("acme") }},
		{"purge", func(tc *tenantCache) { tc.purge() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := newTenantCache(nil, 10, time.Minute)
			e := &tenantEntry{Tenant: auth.Tenant{ID: "acme", JWT: &auth.JWTConfig{Issuer: "https://issuer.example"}}}
			cache.lru.Add("acme", e)
			tc.drop(cache)
			v, err := e.verifier(nil, nil)
			if v != nil || !errors.Is(err, errTenantChanged) {
				t.Fatalf("verifier after eviction: %v, %v", v, err)
			}
		})
	}
}
