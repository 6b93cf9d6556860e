package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// testKeys are real keys, generated once per test binary.
var testKeys = sync.OnceValue(func() map[string]crypto.Signer {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	return map[string]crypto.Signer{"rsa": rsaKey, "p256": p256, "p384": p384, "p521": p521, "ed": ed}
})

func pemOf(t *testing.T, s crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

var (
	secret256 = strings.Repeat("s", 32)
	secret384 = strings.Repeat("t", 48)
	secret512 = strings.Repeat("u", 64)
)

// signToken signs claims with alg and key, setting kid when not empty.
func signToken(t *testing.T, alg string, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing %s: %v", alg, err)
	}
	return s
}

func validClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"sub": "user-1", "iss": "https://idp.example", "aud": []string{"api", "scriptforge"},
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "role": "caller"}
}

func staticConfig(t *testing.T) JWTConfig {
	k := testKeys()
	return JWTConfig{
		Keys: []JWTKey{
			{Alg: "HS256", Secret: secret256}, {Alg: "HS384", Secret: secret384}, {Alg: "HS512", Secret: secret512},
			{ID: "rsa", Alg: "RS256", PEM: pemOf(t, k["rsa"])}, {ID: "rsa-pss", Alg: "PS256", PEM: pemOf(t, k["rsa"])},
			{ID: "p256", Alg: "ES256", PEM: pemOf(t, k["p256"])}, {ID: "p384", Alg: "ES384", PEM: pemOf(t, k["p384"])},
			{ID: "p521", Alg: "ES512", PEM: pemOf(t, k["p521"])}, {ID: "ed", Alg: "EdDSA", PEM: pemOf(t, k["ed"])},
		},
		Issuer: "https://idp.example", Audience: []string{"scriptforge"}, Required: []string{"role"},
	}
}

func TestVerifyEveryAlgorithm(t *testing.T) {
	v, err := NewVerifier(context.Background(), staticConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	k := testKeys()
	for _, tc := range []struct {
		alg, kid string
		key      any
	}{
		{"HS256", "", []byte(secret256)}, {"HS384", "", []byte(secret384)}, {"HS512", "", []byte(secret512)},
		{"RS256", "rsa", k["rsa"]}, {"PS256", "rsa-pss", k["rsa"]},
		{"ES256", "p256", k["p256"]}, {"ES384", "p384", k["p384"]}, {"ES512", "p521", k["p521"]}, {"EdDSA", "ed", k["ed"]},
	} {
		claims, err := v.Verify(signToken(t, tc.alg, tc.key, tc.kid, validClaims()))
		if err != nil || claims["sub"] != "user-1" || claims["role"] != "caller" {
			t.Errorf("%s: %v %v", tc.alg, claims, err)
		}
	}
}

func TestVerifyRefusesBadTokens(t *testing.T) {
	v, err := NewVerifier(context.Background(), staticConfig(t), WithMaxTokenBytes(4096))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	k := testKeys()
	with := func(name string, value any) jwt.MapClaims {
		c := validClaims()
		if value == nil {
			delete(c, name)
		} else {
			c[name] = value
		}
		return c
	}
	hs := func(c jwt.MapClaims) string { return signToken(t, "HS256", []byte(secret256), "", c) }
	good := hs(validClaims())
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString
	rsaPEM := pemOf(t, k["rsa"])
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now()

	for _, tc := range []struct {
		name  string
		token string
		want  error
	}{
		{"alg none", enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", ErrTokenAlg},
		{"HS256 signed with the RSA public key (alg confusion)", signToken(t, "HS256", []byte(rsaPEM), "rsa", validClaims()), ErrTokenAlg},
		{"HS256 with the RSA pem, no kid", signToken(t, "HS256", []byte(rsaPEM), "", validClaims()), ErrTokenSignature},
		{"wrong HMAC secret", signToken(t, "HS256", []byte(strings.Repeat("x", 32)), "", validClaims()), ErrTokenSignature},
		{"wrong RSA key", signToken(t, "RS256", otherRSA, "rsa", validClaims()), ErrTokenSignature},
		{"tampered payload", parts[0] + "." + enc([]byte(`{"sub":"admin","exp":9999999999,"iss":"https://idp.example","aud":"scriptforge","role":"x"}`)) + "." + parts[2], ErrTokenSignature},
		{"header alg changed", enc([]byte(`{"alg":"HS384","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2], ErrTokenSignature},
		{"expired", hs(with("exp", now.Add(-time.Hour).Unix())), ErrTokenExpired},
		{"not before in the future", hs(with("nbf", now.Add(time.Hour).Unix())), ErrTokenNotYetValid},
		{"issued in the future", hs(with("iat", now.Add(time.Hour).Unix())), ErrTokenNotYetValid},
		{"no expiry", hs(with("exp", nil)), ErrTokenClaims},
		{"wrong issuer", hs(with("iss", "https://evil.example")), ErrTokenIssuer},
		{"wrong audience", hs(with("aud", "someone-else")), ErrTokenAudience},
		{"no audience", hs(with("aud", nil)), ErrTokenAudience},
		{"missing required claim", hs(with("role", nil)), ErrTokenClaims},
		{"unknown kid", signToken(t, "ES256", k["p256"], "nope", validClaims()), ErrTokenUnknownKey},
		{"kid of a key of another alg", signToken(t, "ES384", k["p384"], "p256", validClaims()), ErrTokenAlg},
		{"EC key of another curve", signToken(t, "ES256", k["p256"], "p384", validClaims()), ErrTokenAlg},
		{"oversized", hs(with("pad", strings.Repeat("p", 5000))), ErrTokenTooLarge},
		{"empty", "", ErrTokenMalformed},
		{"two segments", parts[0] + "." + parts[1], ErrTokenMalformed},
		{"garbage", "not.a.token", ErrTokenMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.token)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), secret256) || (len(tc.token) > 20 && strings.Contains(err.Error(), tc.token)) {
				t.Fatalf("the error echoes secrets or the token: %v", err)
			}
		})
	}
	// Within the leeway an expired token still passes.
	if _, err := v.Verify(hs(with("exp", now.Add(-10*time.Second).Unix()))); err != nil {
		t.Fatalf("10 s past expiry, within the 30 s leeway: %v", err)
	}
}

func TestJWTConfigValidate(t *testing.T) {
	k := testKeys()
	smallRSA, _ := rsa.GenerateKey(rand.Reader, 1024)
	privDER, _ := x509.MarshalPKCS8PrivateKey(k["p256"])
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	for _, tc := range []struct {
		name  string
		cfg   JWTConfig
		field string // "" when valid
	}{
		{"hmac", JWTConfig{Keys: []JWTKey{{Alg: "HS256", Secret: secret256}}}, ""},
		{"jwks only", JWTConfig{JWKSURL: "https://idp.example/.well-known/jwks.json"}, ""},
		{"nothing", JWTConfig{Issuer: "x"}, "jwt"},
		{"unknown alg", JWTConfig{Keys: []JWTKey{{Alg: "HS1", Secret: secret256}}}, "jwt.keys[0]"},
		{"alg none", JWTConfig{Keys: []JWTKey{{Alg: "none"}}}, "jwt.keys[0]"},
		{"short secret", JWTConfig{Keys: []JWTKey{{Alg: "HS256", Secret: "short"}}}, "jwt.keys[0]"},
		{"HS512 needs 64 bytes", JWTConfig{Keys: []JWTKey{{Alg: "HS512", Secret: secret256}}}, "jwt.keys[0]"},
		{"HMAC with a pem", JWTConfig{Keys: []JWTKey{{Alg: "HS256", Secret: secret256, PEM: pemOf(t, k["rsa"])}}}, "jwt.keys[0]"},
		{"RSA with a secret", JWTConfig{Keys: []JWTKey{{Alg: "RS256", Secret: secret256}}}, "jwt.keys[0]"},
		{"bad pem", JWTConfig{Keys: []JWTKey{{Alg: "RS256", PEM: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}}}, "jwt.keys[0]"},
		{"private key", JWTConfig{Keys: []JWTKey{{Alg: "ES256", PEM: privPEM}}}, "jwt.keys[0]"},
		{"RSA key for ES256", JWTConfig{Keys: []JWTKey{{Alg: "ES256", PEM: pemOf(t, k["rsa"])}}}, "jwt.keys[0]"},
		{"P-384 key for ES256", JWTConfig{Keys: []JWTKey{{Alg: "ES256", PEM: pemOf(t, k["p384"])}}}, "jwt.keys[0]"},
		{"Ed25519 for RS256", JWTConfig{Keys: []JWTKey{{Alg: "RS256", PEM: pemOf(t, k["ed"])}}}, "jwt.keys[0]"},
		{"1024-bit RSA", JWTConfig{Keys: []JWTKey{{Alg: "RS256", PEM: pemOf(t, smallRSA)}}}, "jwt.keys[0]"},
		{"duplicate kid", JWTConfig{Keys: []JWTKey{{ID: "a", Alg: "HS256", Secret: secret256}, {ID: "a", Alg: "HS384", Secret: secret384}}}, "jwt.keys[1].kid"},
		{"http jwks", JWTConfig{JWKSURL: "http://idp.example/jwks"}, "jwt.jwks_url"},
		{"http jwks on loopback", JWTConfig{JWKSURL: "http://127.0.0.1:8080/jwks"}, ""},
		{"relative jwks", JWTConfig{JWKSURL: "/jwks"}, "jwt.jwks_url"},
		{"leeway", JWTConfig{Keys: []JWTKey{{Alg: "HS256", Secret: secret256}}, LeewaySeconds: 3600}, "jwt.leeway_seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.field == "" && err != nil || tc.field != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.field)) {
				t.Fatalf("got %v; want an error on %q", err, tc.field)
			}
		})
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c := staticConfig(t)
	b, _ := json.Marshal(c.Redacted())
	for _, s := range []string{secret256, secret384, secret512} {
		if strings.Contains(string(b), s) {
			t.Fatalf("redacted config shows a secret: %s", b)
		}
	}
	if c.Keys[0].Secret != secret256 {
		t.Fatal("Redacted changed the original")
	}
	if !strings.Contains(string(b), "BEGIN PUBLIC KEY") {
		t.Fatal("public keys should stay visible")
	}
}

// jwksServer serves a JWK Set that the test can change.
type jwksServer struct {
	mu   sync.Mutex
	keys []jwkset.JWK
	hits int
}

func (s *jwksServer) set(t *testing.T, keys ...any) {
	t.Helper()
	var jwks []jwkset.JWK
	for i := 0; i < len(keys); i += 2 {
		_, symmetric := keys[i+1].([]byte)
		j, err := jwkset.NewJWKFromKey(keys[i+1], jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: keys[i].(string)},
			Marshal: jwkset.JWKMarshalOptions{Private: symmetric}})
		if err != nil {
			t.Fatal(err)
		}
		jwks = append(jwks, j)
	}
	s.mu.Lock()
	s.keys = jwks
	s.mu.Unlock()
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits++
	set := jwkset.JWKSMarshal{}
	for _, k := range s.keys {
		set.Keys = append(set.Keys, k.Marshal())
	}
	_ = json.NewEncoder(w).Encode(set)
}

func TestVerifyWithJWKS(t *testing.T) {
	k := testKeys()
	srv := &jwksServer{}
	srv.set(t, "k1", k["rsa"].Public(), "shared", []byte(strings.Repeat("o", 32)))
	hs := httptest.NewServer(srv)
	defer hs.Close()
	v, err := NewVerifier(context.Background(), JWTConfig{JWKSURL: hs.URL}, WithHTTPClient(hs.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(signToken(t, "RS256", k["rsa"], "k1", validClaims())); err != nil {
		t.Fatalf("a key from the JWK Set: %v", err)
	}
	// An HMAC ("oct") key published in the set never verifies anything.
	if _, err := v.Verify(signToken(t, "HS256", []byte(strings.Repeat("o", 32)), "shared", validClaims())); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("a symmetric key from the JWK Set was used: %v", err)
	}
	// A JWK without alg verifies only algorithms of its type.
	if _, err := v.Verify(signToken(t, "ES256", k["p256"], "k1", validClaims())); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("an ES256 token verified against an RSA JWK: %v", err)
	}
	// Rotation: a new kid is fetched on first sight.
	srv.set(t, "k1", k["rsa"].Public(), "k2", k["p256"].Public())
	if _, err := v.Verify(signToken(t, "ES256", k["p256"], "k2", validClaims())); err != nil {
		t.Fatalf("a rotated-in key: %v", err)
	}
	if _, err := v.Verify(signToken(t, "ES256", k["p256"], "k3", validClaims())); !errors.Is(err, ErrTokenUnknownKey) {
		t.Fatalf("an unknown kid: %v", err)
	}
}

// A JWK Set that cannot be fetched does not stop the verifier: its static
// keys keep working and JWKS tokens fail as unknown keys.
func TestUnreachableJWKS(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) }))
	defer hs.Close()
	v, err := NewVerifier(context.Background(), JWTConfig{JWKSURL: hs.URL, Keys: []JWTKey{{Alg: "HS256", Secret: secret256}}}, WithHTTPClient(hs.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(signToken(t, "HS256", []byte(secret256), "", validClaims())); err != nil {
		t.Fatalf("static key with the JWK Set down: %v", err)
	}
	if _, err := v.Verify(signToken(t, "RS256", testKeys()["rsa"], "k1", validClaims())); !errors.Is(err, ErrTokenUnknownKey) {
		t.Fatalf("JWKS token with the set down: %v", err)
	}
	// The default client refuses the loopback JWK Set outright.
	v2, err := NewVerifier(context.Background(), JWTConfig{JWKSURL: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	if _, err := v2.Verify(signToken(t, "RS256", testKeys()["rsa"], "k1", validClaims())); !errors.Is(err, ErrTokenUnknownKey) {
		t.Fatalf("loopback JWK Set through the public client: %v", err)
	}
}

func TestWWWAuthenticate(t *testing.T) {
	if got := WWWAuthenticate(ErrNoCredentials); got != `Bearer realm="scriptforge"` {
		t.Fatal(got)
	}
	got := WWWAuthenticate(ErrTokenExpired)
	if got != `Bearer realm="scriptforge", error="invalid_token", error_description="invalid token: expired"` {
		t.Fatal(got)
	}
}
