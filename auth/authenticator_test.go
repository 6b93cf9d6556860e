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
