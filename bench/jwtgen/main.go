// Command jwtgen prints an HS256 JWT for benchmarks and manual tests:
//
//	go run ./bench/jwtgen -secret "$SECRET" -tenant acme -ttl 1h
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func main() {
	secret := flag.String("secret", "", "HMAC secret (at least 32 bytes)")
	tenant := flag.String("tenant", "", `the "tenant" claim (needed for the admin API)`)
	sub := flag.String("sub", "bench", "subject")
	scope := flag.String("scope", "", `space-separated scopes (the "scope" claim), e.g. "functions:read"`)
	aud := flag.String("aud", "", "audience, if the tenant requires one")
	iss := flag.String("iss", "", "issuer, if the tenant requires one")
	ttl := flag.Duration("ttl", time.Hour, "time to expiry")
	flag.Parse()
	if len(*secret) < 32 {
		fmt.Fprintln(os.Stderr, "jwtgen: -secret must be at least 32 bytes")
		os.Exit(2)
	}
	now := time.Now()
	claims := jwt.MapClaims{"sub": *sub, "iat": now.Unix(), "exp": now.Add(*ttl).Unix()}
	for k, v := range map[string]string{"tenant": *tenant, "scope": *scope, "aud": *aud, "iss": *iss} {
		if v != "" {
			claims[k] = v
		}
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(*secret))
	if err != nil {
		fmt.Fprintln(os.Stderr, "jwtgen:", err)
		os.Exit(1)
	}
	fmt.Println(token)
}
