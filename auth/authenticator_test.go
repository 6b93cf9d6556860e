package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions/sqlite"
)

func newStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestBootstrapCreatesOneKey(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	secret, err := auth.Bootstrap(ctx, s, "")
	if err != nil || !strings.HasPrefix(secret, "sfk_") || len(secret) != 36 {
		t.Fatalf("first start: %q %v", secret, err)
	}
	again, err := auth.Bootstrap(ctx, s, "")
	if err != nil || again != "" {
		t.Fatalf("second start must not create another key: %q %v", again, err)
	}
	a := auth.NewAuthenticator(s, "")
	k, err := a.Authenticate(ctx, "Bearer "+secret)
	if err != nil || !k.HasScope(auth.ScopeFunctionsWrite) || k.Tenant != auth.DefaultTenant {
		t.Fatalf("bootstrap key rejected: %+v %v", k, err)
	}
	// With an operator key, nothing is stored.
	s2 := newStore(t)
	if secret, err := auth.Bootstrap(ctx, s2, "operator-key"); err != nil || secret != "" {
		t.Fatalf("env key: %q %v", secret, err)
	}
	if n, _ := s2.CountKeys(ctx, auth.DefaultTenant); n != 0 {
		t.Fatalf("env key stored %d keys", n)
	}
}

// TestBootstrapRace: gateways that start together on one database all
// start; one of them creates the key and prints it.
func TestBootstrapRace(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const n = 4
	type result struct {
		secret string
		err    error
	}
	results := make(chan result, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			secret, err := auth.Bootstrap(ctx, s, "")
			results <- result{secret, err}
		}()
	}
	close(start)
	created := 0
	for range n {
		r := <-results
		if r.err != nil {
			t.Fatalf("a gateway failed to start: %v", r.err)
		}
		if r.secret != "" {
			created++
		}
	}
	if keys, _ := s.CountKeys(ctx, auth.DefaultTenant); created != 1 || keys != 1 {
		t.Fatalf("%d secrets printed, %d keys stored; want 1 and 1", created, keys)
	}
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	stored := auth.NewSecret()
	if err := s.CreateKey(ctx, auth.Key{ID: "k1", Tenant: "acme", Name: "reader", Hash: auth.HashKey(stored), Scopes: []string{auth.ScopeFunctionsRead}}); err != nil {
		t.Fatal(err)
	}
	a := auth.NewAuthenticator(s, "operator-key")
	cases := []struct {
		name, header string
		err          error
		tenant       string
		scope        string
	}{
		{"env key", "Bearer operator-key", nil, auth.DefaultTenant, auth.ScopeAdmin},
		{"scheme is case-insensitive", "bearer operator-key", nil, auth.DefaultTenant, auth.ScopeAdmin},
		{"stored key", "Bearer " + stored, nil, "acme", auth.ScopeFunctionsRead},
		{"missing", "", auth.ErrNoCredentials, "", ""},
		{"wrong key", "Bearer operator-key2", auth.ErrBadCredentials, "", ""},
		{"basic scheme", "Basic operator-key", auth.ErrBadCredentials, "", ""},
		{"no secret", "Bearer ", auth.ErrBadCredentials, "", ""},
		{"prefix of a key", "Bearer " + stored[:10], auth.ErrBadCredentials, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := a.Authenticate(ctx, c.header)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if c.err == nil && (k.Tenant != c.tenant || !k.HasScope(c.scope)) {
				t.Fatalf("key %+v", k)
			}
		})
	}
	reader, _ := a.Authenticate(ctx, "Bearer "+stored)
	if reader.HasScope(auth.ScopeFunctionsWrite) {
		t.Fatal("a read key grants write")
	}
}

// A key's use is recorded in the store, at most once a minute.
func TestAuthenticateRecordsLastUse(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	secret := auth.NewSecret()
	if err := s.CreateKey(ctx, auth.Key{ID: "k1", Tenant: "acme", Name: "ci", Hash: auth.HashKey(secret), Scopes: []string{auth.ScopeInvoke}}); err != nil {
		t.Fatal(err)
	}
	a := auth.NewAuthenticator(s, "")
	lastUsed := func() *time.Time {
		keys, err := s.Keys(ctx, "acme")
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys: %v %v", keys, err)
		}
		return keys[0].LastUsedAt
	}
	if lastUsed() != nil {
		t.Fatal("used before any request")
	}
	before := time.Now().Add(-time.Second)
	for i := 0; i < 50; i++ {
		if _, err := a.Authenticate(ctx, "Bearer "+secret); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for lastUsed() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if at := lastUsed(); at == nil || at.Before(before) {
		t.Fatalf("last use not recorded: %v", at)
	}
}

// countingKeys counts the store lookups behind an Authenticator.
type countingKeys struct {
	auth.KeyStore
	lookups int
}

func (c *countingKeys) KeyByHash(ctx context.Context, hash string) (auth.Key, error) {
	c.lookups++
	return c.KeyStore.KeyByHash(ctx, hash)
}

// A key that authenticated is remembered; ForgetKeys (on revocation)
// makes the next request read the store, and a revoked key then fails.
// Unknown keys are never remembered.
func TestAuthenticateRemembersKeys(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	keys := &countingKeys{KeyStore: store}
	secret := auth.NewSecret()
	if err := store.CreateKey(ctx, auth.Key{ID: "key_1", Tenant: auth.DefaultTenant, Name: "k", Hash: auth.HashKey(secret),
		Scopes: []string{auth.ScopeInvoke}, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	a := auth.NewAuthenticator(keys, "")
	for _, step := range []struct {
		name        string
		do          func()
		header      string
		wantErr     error
		wantLookups int
	}{
		{"first use reads the store", nil, "Bearer " + secret, nil, 1},
		{"second use does not", nil, "Bearer " + secret, nil, 1},
		{"an unknown key reads the store", nil, "Bearer sfk_unknown", auth.ErrBadCredentials, 2},
		{"and is not remembered", nil, "Bearer sfk_unknown", auth.ErrBadCredentials, 3},
		{"revoked and forgotten: refused at once", func() {
			if err := store.RevokeKey(ctx, auth.DefaultTenant, "key_1"); err != nil {
				t.Fatal(err)
			}
			a.ForgetKeys()
		}, "Bearer " + secret, auth.ErrBadCredentials, 4},
	} {
		if step.do != nil {
			step.do()
		}
		k, err := a.Authenticate(ctx, step.header)
		if !errors.Is(err, step.wantErr) || (err == nil && k.ID != "key_1") || keys.lookups != step.wantLookups {
			t.Fatalf("%s: %+v %v, %d lookups (want %v, %d)", step.name, k, err, keys.lookups, step.wantErr, step.wantLookups)
		}
	}
}
