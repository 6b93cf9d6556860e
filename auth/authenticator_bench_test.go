package auth_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions/sqlite"
)

// BenchmarkAuthenticate checks a stored API key, as every invocation of
// an auth=apikey function does: hash it, then find the hash among the
// keys remembered, or in SQLite (the first time, and every 10 s).
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	secret := auth.NewSecret()
	if err := s.CreateKey(ctx, auth.Key{ID: "key_bench", Tenant: auth.DefaultTenant, Name: "bench", Hash: auth.HashKey(secret),
		Scopes: []string{auth.ScopeInvoke}, CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	a := auth.NewAuthenticator(s, "")
	header := "Bearer " + secret
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if k, err := a.Authenticate(ctx, header); err != nil || k.ID != "key_bench" {
				b.Fatal(k, err)
			}
		}
	})
}
