package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Errors of Authenticate, matched with errors.Is: the gateway answers 401.
var (
	ErrNoCredentials  = errors.New("missing credentials: send Authorization: Bearer <api key>")
	ErrBadCredentials = errors.New("invalid API key")
)

// Authenticator checks bearer API keys: the operator's key from the
// environment, if set, and keys stored hashed in a KeyStore.
type Authenticator struct {
	keys KeyStore
	// envKeyHash is the hash of SCRIPTFORGE_ADMIN_KEY; "" when unset.
	envKeyHash string

	// Last use is written at most once a minute per key: a write per
	// request would cost more than the request.
	touchMu sync.Mutex
	touched map[string]time.Time // key id → last time written
	now     func() time.Time
	// OnTouchError, if set, hears about failed last-use writes.
	OnTouchError func(error)

	// Keys that authenticated, by hash, for keyCacheTTL: a store lookup
	// per request cost more than the rest of the gateway's work on it
	// (BenchmarkAuthenticate). ForgetKeys empties it when a key is
	// revoked; gen keeps a lookup that raced with that from adding back
	// what it read before.
	cache   *expirable.LRU[string, Key]
	cacheMu sync.Mutex // orders adding after a lookup against ForgetKeys
	gen     atomic.Uint64
}

// keyCacheTTL bounds how long a key revoked through another gateway (one
// that could not tell this one) still authenticates here.
const (
	keyCacheTTL  = 10 * time.Second
	keyCacheSize = 10_000
)

// touchEvery is the resolution of a key's last-use time.
const touchEvery = time.Minute

// NewAuthenticator returns an Authenticator. envKey is the operator's
// admin key from the environment, or "".
func NewAuthenticator(keys KeyStore, envKey string) *Authenticator {
	a := &Authenticator{keys: keys, touched: map[string]time.Time{}, now: time.Now,
		cache: expirable.NewLRU[string, Key](keyCacheSize, nil, keyCacheTTL)}
	if envKey != "" {
		a.envKeyHash = HashKey(envKey)
	}
	return a
}

// Bearer returns the credential of an Authorization header value that
// uses the Bearer scheme.
func Bearer(header string) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(header), " ")
	cred = strings.TrimSpace(cred)
	return cred, ok && strings.EqualFold(scheme, "Bearer") && cred != ""
}

// Authenticate returns the key an Authorization header value carries.
func (a *Authenticator) Authenticate(ctx context.Context, header string) (Key, error) {
	if header == "" {
		return Key{}, ErrNoCredentials
	}
	secret, ok := Bearer(header)
	if !ok {
		return Key{}, fmt.Errorf("%w: use the Bearer scheme", ErrBadCredentials)
	}
	hash := HashKey(secret)
	if a.envKeyHash != "" && equalSecret(hash, a.envKeyHash) {
		return Key{ID: "env", Tenant: DefaultTenant, Name: "SCRIPTFORGE_ADMIN_KEY", Scopes: []string{ScopeAdmin}}, nil
	}
	if k, ok := a.cache.Get(hash); ok {
		a.touch(k.ID)
		return k, nil
	}
	gen := a.gen.Load()
	k, err := a.keys.KeyByHash(ctx, hash)
	if errors.Is(err, ErrKeyNotFound) {
		return Key{}, ErrBadCredentials
	}
	if err != nil {
		return Key{}, fmt.Errorf("looking up API key: %w", err)
	}
	a.cacheMu.Lock()
	if a.gen.Load() == gen {
		a.cache.Add(hash, k)
	}
	a.cacheMu.Unlock()
	a.touch(k.ID)
	return k, nil
}

// ForgetKeys drops every key remembered: call it once a key is revoked,
// and the key fails from the next request on.
func (a *Authenticator) ForgetKeys() {
	a.cacheMu.Lock()
	defer a.cacheMu.Unlock()
	a.gen.Add(1)
	a.cache.Purge()
}

// touch records a key's use in the background, once per touchEvery.
func (a *Authenticator) touch(id string) {
	now := a.now()
	a.touchMu.Lock()
	if now.Sub(a.touched[id]) < touchEvery {
		a.touchMu.Unlock()
		return
	}
	if len(a.touched) >= 100_000 { // bounded: forgetting only costs an early write
		clear(a.touched)
	}
	a.touched[id] = now
	a.touchMu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.keys.TouchKey(ctx, id, now); err != nil && a.OnTouchError != nil {
			a.OnTouchError(err)
		}
	}()
}

// Bootstrap makes sure an admin can log in on first start. With envKey
// set, that key is the admin key and nothing is stored. Otherwise, if the
// default tenant has no key yet, it creates one and returns its secret,
// which the caller prints once: only its hash is kept.
func Bootstrap(ctx context.Context, keys KeyStore, envKey string) (secret string, err error) {
	if envKey != "" {
		return "", nil
	}
	n, err := keys.CountKeys(ctx, DefaultTenant)
	if err != nil {
		return "", fmt.Errorf("counting API keys: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	secret = NewSecret()
	k := Key{ID: "key_bootstrap", Tenant: DefaultTenant, Name: "bootstrap admin key", Hash: HashKey(secret),
		Scopes: []string{ScopeAdmin}, CreatedAt: time.Now().UTC()}
	if err := keys.CreateKey(ctx, k); err != nil {
		// Gateways starting together on one database all counted none;
		// the first one's key stands, and the others have nothing to do.
		if n, cerr := keys.CountKeys(ctx, DefaultTenant); cerr == nil && n > 0 {
			return "", nil
		}
		return "", fmt.Errorf("storing the bootstrap admin key: %w", err)
	}
	return secret, nil
}
