package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/auth"
)

func testKeys(t *testing.T, open Open) {
	s := openTest(t, open)
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
		{"duplicate id", auth.Key{ID: "key_1", Tenant: "acme", Hash: auth.HashKey("fresh")}, true},
		{"no id", auth.Key{Tenant: "acme", Hash: auth.HashKey("x")}, false},
		{"no hash", auth.Key{ID: "key_10", Tenant: "acme"}, false},
	}
	for _, b := range bad {
		err := s.CreateKey(ctx, b.key)
		if err == nil {
			t.Errorf("CreateKey %s succeeded, want an error", b.name)
			continue
		}
		if s.b.IsUniqueViolation(err) != b.uniq {
			t.Errorf("CreateKey %s: err = %v, unique violation wanted: %v", b.name, err, b.uniq)
		}
	}
	if n, _ := s.CountKeys(ctx, "acme"); n != 2 {
		t.Errorf("failed creates changed the count to %d", n)
	}
}

func testKeyUseAndRevocation(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	for i, tenant := range []string{"acme", "acme", "other"} {
		k := auth.Key{ID: "key_" + string(rune('a'+i)), Tenant: tenant, Name: "k", Hash: auth.HashKey("s" + string(rune('a'+i))),
			Scopes: []string{auth.ScopeInvoke}}
		if err := s.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	used := time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)
	if err := s.TouchKey(ctx, "key_a", used); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchKey(ctx, "key_a", used.Add(-time.Hour)); err != nil { // a late writer
		t.Fatal(err)
	}
	keys, err := s.Keys(ctx, "acme")
	if err != nil || len(keys) != 2 || keys[0].ID != "key_a" || keys[1].ID != "key_b" {
		t.Fatalf("Keys: %+v %v", keys, err)
	}
	if keys[0].LastUsedAt == nil || !keys[0].LastUsedAt.Equal(used) || keys[1].LastUsedAt != nil {
		t.Fatalf("last used: %v %v", keys[0].LastUsedAt, keys[1].LastUsedAt)
	}

	if err := s.RevokeKey(ctx, "other", "key_a"); !errors.Is(err, auth.ErrKeyNotFound) {
		t.Fatalf("another tenant revoked the key: %v", err)
	}
	if err := s.RevokeKey(ctx, "acme", "key_a"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeKey(ctx, "acme", "key_a"); !errors.Is(err, auth.ErrKeyNotFound) {
		t.Fatalf("revoked twice: %v", err)
	}
	if _, err := s.KeyByHash(ctx, auth.HashKey("sa")); !errors.Is(err, auth.ErrKeyNotFound) {
		t.Fatalf("a revoked key still authenticates: %v", err)
	}
	if _, err := s.KeyByHash(ctx, auth.HashKey("sb")); err != nil {
		t.Fatalf("the other key stopped working: %v", err)
	}
	keys, _ = s.Keys(ctx, "acme")
	if keys[0].RevokedAt == nil || keys[1].RevokedAt != nil {
		t.Fatalf("revoked_at: %+v", keys)
	}
}

func testTenants(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	def, err := s.Tenant(ctx, auth.DefaultTenant)
	if err != nil || def.ID != auth.DefaultTenant {
		t.Fatalf("the default tenant exists from the start: %+v %v", def, err)
	}
	limits := auth.TenantLimits{Rate: 10, Burst: 20, IPRate: 1, IPBurst: 2, Concurrency: 4}
	acme, err := s.CreateTenant(ctx, auth.Tenant{ID: "acme", Name: "Acme Corp", Limits: limits})
	if err != nil || acme.CreatedAt.IsZero() || acme.Limits != limits {
		t.Fatalf("create: %+v %v", acme, err)
	}
	if _, err := s.CreateTenant(ctx, auth.Tenant{ID: "acme", Name: "again"}); !errors.Is(err, auth.ErrTenantExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := s.Tenant(ctx, "nobody"); !errors.Is(err, auth.ErrTenantNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	acme.Name, acme.Limits = "Acme", auth.TenantLimits{Rate: 1}
	acme.RunsRetention = auth.RunsRetention{MaxCount: 500, MaxAge: auth.Duration(48 * time.Hour)}
	acme.JWT = &auth.JWTConfig{Keys: []auth.JWTKey{{ID: "k", Alg: "HS256", Secret: "0123456789abcdef0123456789abcdef"}}, Audience: []string{"api"}}
	upd, err := s.UpdateTenant(ctx, acme)
	if err != nil || upd.Name != "Acme" || upd.Limits != (auth.TenantLimits{Rate: 1}) || !upd.UpdatedAt.After(acme.UpdatedAt) {
		t.Fatalf("update: %+v %v", upd, err)
	}
	if _, err := s.UpdateTenant(ctx, auth.Tenant{ID: "nobody"}); !errors.Is(err, auth.ErrTenantNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	s.Close()
	s2 := s.reopen(t)
	all, err := s2.Tenants(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("after reopen: %+v %v", all, err)
	}
	// The default tenant was made by the migration, on the real clock.
	i := slices.IndexFunc(all, func(t auth.Tenant) bool { return t.ID == "acme" })
	if i < 0 || all[i].Name != "Acme" || all[i].Limits.Rate != 1 || all[i].JWT == nil || !reflect.DeepEqual(*all[i].JWT, *acme.JWT) ||
		all[i].RunsRetention != acme.RunsRetention {
		t.Fatalf("after reopen: %+v", all)
	}
	if def := all[1-i]; def.JWT != nil || def.RunsRetention != (auth.RunsRetention{}) {
		t.Fatalf("the default tenant gained JWT settings or a runs retention: %+v", def)
	}
}
