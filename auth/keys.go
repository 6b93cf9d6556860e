// Package auth decides who is calling: API keys (stored hashed, scoped) and,
// later, JWTs and tenants.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"
)

// Scopes an API key may carry.
const (
	ScopeAdmin          = "admin"
	ScopeFunctionsRead  = "functions:read"
	ScopeFunctionsWrite = "functions:write"
	ScopeInvoke         = "functions:invoke"
	// ScopeRoutingInvoke lets a softswitch ask the tenant's routing chain
	// how to route a call, and nothing else.
	ScopeRoutingInvoke = "routing:invoke"
)

// DefaultTenant owns everything until tenants are managed through the API.
const DefaultTenant = "default"

// ErrKeyNotFound is returned by a KeyStore for an unknown key hash.
var ErrKeyNotFound = errors.New("api key not found")

// Key is a stored API key. The secret itself is never stored: only its hash.
type Key struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Name      string    `json:"name"`
	Hash      string    `json:"-"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
	// LastUsedAt is when the key last authenticated a request, to the
	// minute (see Authenticator); nil: never.
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	// RevokedAt is set once the key is revoked: it authenticates nothing since.
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// IsOperator reports whether the key runs the gateway itself: an admin key
// of the default tenant. Operators create tenants and set their limits.
func (k Key) IsOperator() bool { return k.Tenant == DefaultTenant && k.HasScope(ScopeAdmin) }

// HasScope reports whether the key grants scope; admin grants everything.
func (k Key) HasScope(scope string) bool {
	for _, s := range k.Scopes {
		if s == scope || s == ScopeAdmin {
			return true
		}
	}
	return false
}

// KeyStore keeps API keys by hash.
type KeyStore interface {
	CreateKey(ctx context.Context, k Key) error
	// KeyByHash finds a live key; a revoked one is ErrKeyNotFound.
	KeyByHash(ctx context.Context, hash string) (Key, error)
	CountKeys(ctx context.Context, tenant string) (int, error)
	// Keys lists the tenant's keys, revoked ones included, oldest first.
	Keys(ctx context.Context, tenant string) ([]Key, error)
	// RevokeKey revokes one of the tenant's keys; an unknown or already
	// revoked key is ErrKeyNotFound.
	RevokeKey(ctx context.Context, tenant, id string) error
	// TouchKey records that the key was used at the given time.
	TouchKey(ctx context.Context, id string, at time.Time) error
}

// ValidScope reports whether s is a scope a key may carry.
func ValidScope(s string) bool {
	switch s {
	case ScopeAdmin, ScopeFunctionsRead, ScopeFunctionsWrite, ScopeInvoke, ScopeRoutingInvoke:
		return true
	}
	return false
}

// HashKey returns the stored form of a secret. Keys are 192 random bits, so a
// fast hash is enough: there is nothing to brute-force.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewSecret returns a new random API key secret, "sfk_" + 32 URL-safe characters.
func NewSecret() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return "sfk_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// equalSecret compares two secrets in constant time.
func equalSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
