package sqlite

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/auth"
)

func TestKeys(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	created := time.Date(2025, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	admin := auth.Key{ID: "key_1", Tenant: "acme", Name: "ci", Hash: auth.HashKey("secret-1"),
		Scopes: []string{auth.ScopeFunctionsRead, auth.ScopeInvoke}, CreatedAt: created}
	if err := s.CreateKey(ctx, admin); err != nil {
		t.Fatal(err)
	}
	noScopes := auth.Key{ID: "key_2", Tenant: "acme", Name: "bare", Hash: auth.HashKey("secret-2")}
	if err := s.CreateKey(ctx, noScopes); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKey(ctx, auth.Key{ID: "key_3", Tenant: "other", Hash: auth.HashKey("secret-3")}); err != nil {
		t.Fatal(err)
	}

	got, err := s.KeyByHash(ctx, auth.HashKey("secret-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, admin) {
		t.Errorf("KeyByHash = %+v, want %+v", got, admin)
	}
	if !got.HasScope(auth.ScopeInvoke) || got.HasScope(auth.ScopeFunctionsWrite) {
		t.Errorf("scopes did not round-trip: %v", got.Scopes)
	}
	bare, err := s.KeyByHash(ctx, noScopes.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if bare.CreatedAt.IsZero() || bare.Scopes == nil || len(bare.Scopes) != 0 {
		t.Errorf("key without scopes/time = %+v, want a set CreatedAt and empty scopes", bare)
	}

	if _, err := s.KeyByHash(ctx, auth.HashKey("wrong")); !errors.Is(err, auth.ErrKeyNotFound) {
		t.Errorf("KeyByHash unknown: err = %v, want ErrKeyNotFound", err)
	}

	counts := []struct {
		tenant string
		want   int
	}{{"acme", 2}, {"other", 1}, {"nobody", 0}}
	for _, c := range counts {
		n, err := s.CountKeys(ctx, c.tenant)
		if err != nil || n != c.want {
			t.Errorf("CountKeys(%s) = %d, %v; want %d", c.tenant, n, err, c.want)
		}
	}

	bad := []struct {
		name string
		key  auth.Key
		uniq bool
	}{
		{"duplicate hash", auth.Key{ID: "key_9", Tenant: "acme", Hash: admin.Hash}, true},
		{"duplicate id", auth.Key{ID: "key_1", Tenant: "acme", Hash: auth.HashKey("fresh")}, false},
		{"no id", auth.Key{Tenant: "acme", Hash: auth.HashKey("x")}, false},
		{"no hash", auth.Key{ID: "key_10", Tenant: "acme"}, false},
	}
	for _, b := range bad {
		err := s.CreateKey(ctx, b.key)
		if err == nil {
			t.Errorf("CreateKey %s succeeded, want an error", b.name)
			continue
		}
		if isUniqueViolation(err) != b.uniq {
			t.Errorf("CreateKey %s: err = %v, unique violation wanted: %v", b.name, err, b.uniq)
		}
	}
	if n, _ := s.CountKeys(ctx, "acme"); n != 2 {
		t.Errorf("failed creates changed the count to %d", n)
	}
}
