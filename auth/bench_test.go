package auth

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkVerify verifies one valid token per algorithm family, in
// parallel, as every invocation of an auth=jwt function does; -cached
// with a TokenCache, the same token each time.
//
//	go test -run '^$' -bench . -benchmem ./auth/
func BenchmarkVerify(b *testing.B) {
	k := testKeys()
	pemOfKey := func(name string) string {
		der, err := x509.MarshalPKIXPublicKey(k[name].Public())
		if err != nil {
			b.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	cfg := JWTConfig{Keys: []JWTKey{
		{Alg: "HS256", Secret: secret256},
		{ID: "p256", Alg: "ES256", PEM: pemOfKey("p256")},
		{ID: "rsa", Alg: "RS256", PEM: pemOfKey("rsa")},
	}, Issuer: "https://idp.example", Audience: []string{"scriptforge"}}
	v, err := NewVerifier(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	cache, _ := NewTokenCache(1000, time.Minute)
	cached, err := NewVerifier(context.Background(), cfg, WithTokenCache(cache))
	if err != nil {
		b.Fatal(err)
	}
	defer cached.Close()
	for _, tc := range []struct {
		alg, kid string
		key      any
	}{{"HS256", "", []byte(secret256)}, {"ES256", "p256", k["p256"]}, {"RS256", "rsa", k["rsa"]}} {
		for _, vc := range []struct {
			name string
			v    *Verifier
		}{{tc.alg, v}, {tc.alg + "-cached", cached}} {
			b.Run(vc.name, func(b *testing.B) {
				now := time.Now()
				tok := jwt.NewWithClaims(jwt.GetSigningMethod(tc.alg), jwt.MapClaims{"sub": "user-1", "iss": "https://idp.example",
					"aud": "scriptforge", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
				if tc.kid != "" {
					tok.Header["kid"] = tc.kid
				}
				token, err := tok.SignedString(tc.key)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if c, err := vc.v.Verify(token); err != nil || c["sub"] != "user-1" {
							b.Fatal(c, err)
						}
					}
				})
			})
		}
	}
}
