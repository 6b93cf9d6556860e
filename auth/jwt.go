package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// JWTConfig is how a tenant's tokens are verified: static keys, a JWK Set
// URL, or both, and what the claims must say.
type JWTConfig struct {
	Keys     []JWTKey `json:"keys,omitempty"`
	JWKSURL  string   `json:"jwks_url,omitempty"`
	Issuer   string   `json:"issuer,omitempty"`
	Audience []string `json:"audience,omitempty"` // the token's aud must name one of these
	Required []string `json:"required_claims,omitempty"`
	// LeewaySeconds absorbs clock skew on exp, nbf and iat. 0 means 30.
	LeewaySeconds int `json:"leeway_seconds,omitempty"`
}

// JWTKey is one static key. Its algorithm is fixed here, never taken from
// a token: a token signed with another algorithm does not verify.
type JWTKey struct {
	ID  string `json:"kid,omitempty"` // matched against the token's kid
	Alg string `json:"alg"`
	// Secret is an HMAC key, as given (HS256 needs 32 bytes or more,
	// HS384 48, HS512 64: RFC 7518 asks for a key as long as the hash).
	Secret string `json:"secret,omitempty"`
	// PEM is a public key ("PUBLIC KEY", "RSA PUBLIC KEY", or a certificate).
	PEM string `json:"pem,omitempty"`
}

// Limits of a JWT configuration.
const (
	DefaultLeeway   = 30 * time.Second
	MaxLeeway       = 300
	MaxJWTKeys      = 20
	DefaultMaxToken = 8 << 10
)

// hmacMinBytes is the shortest secret each HMAC algorithm accepts.
var hmacMinBytes = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

func isHMAC(alg string) bool { _, ok := hmacMinBytes[alg]; return ok }

// Validate checks a configuration from the API; errors name the field.
func (c JWTConfig) Validate() error {
	if len(c.Keys) == 0 && c.JWKSURL == "" {
		return errors.New("jwt: give keys, a jwks_url, or both")
	}
	if len(c.Keys) > MaxJWTKeys {
		return fmt.Errorf("jwt.keys: at most %d keys", MaxJWTKeys)
	}
	kids := map[string]bool{}
	for i, k := range c.Keys {
		if _, err := parseKey(k); err != nil {
			return fmt.Errorf("jwt.keys[%d]: %w", i, err)
		}
		if k.ID != "" {
			if kids[k.ID] {
				return fmt.Errorf("jwt.keys[%d].kid: %q is used twice", i, k.ID)
			}
			kids[k.ID] = true
		}
	}
	if c.JWKSURL != "" {
		if err := checkJWKSURL(c.JWKSURL); err != nil {
			return fmt.Errorf("jwt.jwks_url: %w", err)
		}
	}
	if c.LeewaySeconds < 0 || c.LeewaySeconds > MaxLeeway {
		return fmt.Errorf("jwt.leeway_seconds: must be between 0 (30 s) and %d", MaxLeeway)
	}
	return nil
}

// checkJWKSURL wants https; plain http only for a loopback host (tests, a
// local identity provider). Where the URL may lead is checked at dial time.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("must be an absolute https URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if h := u.Hostname(); h == "localhost" || h == "127.0.0.1" || h == "::1" {
			return nil
		}
	}
	return errors.New("must use https")
}

// Redacted is the configuration as the API shows it: HMAC secrets never
// leave the gateway, so a key shows only that it has one.
func (c JWTConfig) Redacted() JWTConfig {
	out := c
	out.Keys = make([]JWTKey, len(c.Keys))
	for i, k := range c.Keys {
		if k.Secret != "" {
			k.Secret = "(set)"
		}
		out.Keys[i] = k
	}
	return out
}

// parsedKey is a static key ready to verify with.
type parsedKey struct {
	id, alg string
	key     any // []byte for HMAC, a crypto.PublicKey otherwise
}

func parseKey(k JWTKey) (parsedKey, error) {
	if jwt.GetSigningMethod(k.Alg) == nil || k.Alg == "none" {
		return parsedKey{}, fmt.Errorf("alg %q is not one of HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA", k.Alg)
	}
	if isHMAC(k.Alg) {
		if k.PEM != "" {
			return parsedKey{}, fmt.Errorf("%s takes a secret, not a pem", k.Alg)
		}
		if n := hmacMinBytes[k.Alg]; len(k.Secret) < n {
			return parsedKey{}, fmt.Errorf("secret: %s needs at least %d bytes", k.Alg, n)
		}
		return parsedKey{id: k.ID, alg: k.Alg, key: []byte(k.Secret)}, nil
	}
	if k.Secret != "" {
		return parsedKey{}, fmt.Errorf("%s takes a pem public key, not a secret", k.Alg)
	}
	pub, err := parsePublicKey(k.PEM)
	if err != nil {
		return parsedKey{}, fmt.Errorf("pem: %w", err)
	}
	if err := keyFitsAlg(pub, k.Alg); err != nil {
		return parsedKey{}, err
	}
	return parsedKey{id: k.ID, alg: k.Alg, key: pub}, nil
}

func parsePublicKey(text string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(text)))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	}
	return nil, fmt.Errorf("a %q block is not a public key (private keys are never accepted)", block.Type)
}

// keyFitsAlg checks that a public key can only verify its algorithm: an
// RSA key RS*/PS* (2048 bits at least), an EC key the ES* of its curve,
// Ed25519 EdDSA.
func keyFitsAlg(pub crypto.PublicKey, alg string) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if !strings.HasPrefix(alg, "RS") && !strings.HasPrefix(alg, "PS") {
			return fmt.Errorf("an RSA key cannot verify %s", alg)
		}
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("the RSA key has %d bits; at least 2048 are needed", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		want := map[elliptic.Curve]string{elliptic.P256(): "ES256", elliptic.P384(): "ES384", elliptic.P521(): "ES512"}[k.Curve]
		if want != alg {
			return fmt.Errorf("an EC key on %s verifies %s, not %s", k.Curve.Params().Name, want, alg)
		}
	case ed25519.PublicKey:
		if alg != "EdDSA" {
			return fmt.Errorf("an Ed25519 key verifies EdDSA, not %s", alg)
		}
	default:
		return fmt.Errorf("unsupported key type %T", pub)
	}
	return nil
}

// Errors of Verify. Each wraps ErrInvalidToken: the gateway answers 401.
var (
	ErrInvalidToken     = errors.New("invalid token")
	ErrTokenMalformed   = fmt.Errorf("%w: malformed", ErrInvalidToken)
	ErrTokenTooLarge    = fmt.Errorf("%w: too large", ErrInvalidToken)
	ErrTokenAlg         = fmt.Errorf("%w: algorithm not accepted", ErrInvalidToken)
	ErrTokenUnknownKey  = fmt.Errorf("%w: no key for it", ErrInvalidToken)
	ErrTokenSignature   = fmt.Errorf("%w: bad signature", ErrInvalidToken)
	ErrTokenExpired     = fmt.Errorf("%w: expired", ErrInvalidToken)
	ErrTokenNotYetValid = fmt.Errorf("%w: not valid yet", ErrInvalidToken)
	ErrTokenIssuer      = fmt.Errorf("%w: wrong issuer", ErrInvalidToken)
	ErrTokenAudience    = fmt.Errorf("%w: wrong audience", ErrInvalidToken)
	ErrTokenClaims      = fmt.Errorf("%w: missing claims", ErrInvalidToken)
)

// Claims are a verified token's claims.
type Claims map[string]any

// Verifier checks tokens against one JWTConfig. It is safe for concurrent
// use; Close stops its JWK Set refresh.
type Verifier struct {
	cfg      JWTConfig
	static   []parsedKey
	jwks     keyfunc.Keyfunc // nil without a jwks_url
	parser   *jwt.Parser
	maxToken int
	leeway   time.Duration
	cache    *TokenCache // nil: none
	now      func() time.Time
	cancel   context.CancelFunc
	closed   sync.Once
}

// VerifierOption configures NewVerifier.
type VerifierOption func(*verifierOptions)

type verifierOptions struct {
	client       *http.Client
	maxToken     int
	refresh      time.Duration
	refreshError func(error)
	cache        *TokenCache
	now          func() time.Time
}

// WithTokenCache keeps the tokens that verified in c (see TokenCache).
func WithTokenCache(c *TokenCache) VerifierOption { return func(o *verifierOptions) { o.cache = c } }

// withClock makes the Verifier read the time from now (tests).
func withClock(now func() time.Time) VerifierOption { return func(o *verifierOptions) { o.now = now } }

// WithRefreshErrors receives failed JWK Set fetches (default: dropped;
// the tokens that need the set fail with ErrTokenUnknownKey meanwhile).
func WithRefreshErrors(f func(error)) VerifierOption {
	return func(o *verifierOptions) { o.refreshError = f }
}

// WithHTTPClient sets the client that fetches the JWK Set (default:
// PublicClient, which reaches public addresses only).
func WithHTTPClient(c *http.Client) VerifierOption { return func(o *verifierOptions) { o.client = c } }

// WithMaxTokenBytes bounds a token (default 8 KiB): it is refused before parsing.
func WithMaxTokenBytes(n int) VerifierOption { return func(o *verifierOptions) { o.maxToken = n } }

// WithJWKSRefresh sets how often the JWK Set is fetched again (default 1 h).
func WithJWKSRefresh(d time.Duration) VerifierOption {
	return func(o *verifierOptions) { o.refresh = d }
}

// NewVerifier parses the static keys and, with a jwks_url, fetches the JWK
// Set and keeps it fresh in the background. A JWK Set that cannot be
// fetched at first is not an error: tokens that need it fail until a
// refresh succeeds, and static keys keep working.
func NewVerifier(ctx context.Context, c JWTConfig, opts ...VerifierOption) (*Verifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	o := verifierOptions{maxToken: DefaultMaxToken, refresh: time.Hour, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.client == nil {
		o.client = PublicClient(30 * time.Second)
	}
	v := &Verifier{cfg: c, maxToken: o.maxToken, cache: o.cache, now: o.now}
	algs := map[string]bool{}
	for _, k := range c.Keys {
		pk, _ := parseKey(k) // Validate parsed it already
		v.static = append(v.static, pk)
		algs[pk.alg] = true
	}
	if c.JWKSURL != "" {
		ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		v.cancel = cancel
		noErr := true
		jwks, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{c.JWKSURL}, keyfunc.Override{
			Client: o.client, HTTPTimeout: 30 * time.Second, NoErrorReturnFirstHTTPReq: &noErr,
			RefreshInterval: o.refresh,
			// An unknown kid may be a rotated key: fetch again, at most every 5 minutes.
			RefreshUnknownKID: rate.NewLimiter(rate.Every(5*time.Minute), 1),
			RateLimitWaitMax:  time.Second,
			RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
				return func(_ context.Context, err error) {
					if o.refreshError != nil {
						o.refreshError(err)
					}
				}
			},
		})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("jwt.jwks_url: %w", err)
		}
		v.jwks = jwks
		for _, a := range []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"} {
			algs[a] = true // what a JWK Set may hold; keyFitsAlg narrows it per key
		}
	}
	methods := make([]string, 0, len(algs))
	for a := range algs {
		methods = append(methods, a)
	}
	leeway := DefaultLeeway
	if c.LeewaySeconds > 0 {
		leeway = time.Duration(c.LeewaySeconds) * time.Second
	}
	v.leeway = leeway
	popts := []jwt.ParserOption{jwt.WithValidMethods(methods), jwt.WithLeeway(leeway), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithTimeFunc(o.now)}
	if c.Issuer != "" {
		popts = append(popts, jwt.WithIssuer(c.Issuer))
	}
	v.parser = jwt.NewParser(popts...)
	return v, nil
}

// Close stops the JWK Set refresh.
func (v *Verifier) Close() {
	v.closed.Do(func() {
		if v.cancel != nil {
			v.cancel()
		}
	})
}

// Verify checks a token's size, algorithm, signature, times, issuer,
// audience and required claims, and returns its claims. With a token
// cache, the claims of a token seen before may be shared with other
// callers: treat them as read-only.
func (v *Verifier) Verify(token string) (Claims, error) {
	if len(token) > v.maxToken {
		return nil, fmt.Errorf("%w: %d bytes; the limit is %d", ErrTokenTooLarge, len(token), v.maxToken)
	}
	if v.cache == nil || len(token) > maxCachedToken {
		return v.verify(token)
	}
	var buf [maxCachedToken]byte // hashed from the stack: []byte(token) would allocate
	key := tokenKey{v: v, sum: sha256.Sum256(buf[:copy(buf[:], token)])}
	if claims, ok := v.cache.get(key, v.now()); ok {
		return claims, nil
	}
	claims, err := v.verify(token)
	if err != nil {
		return nil, err
	}
	// The parser required exp: the token is valid until exp plus the leeway.
	if exp, err := jwt.MapClaims(claims).GetExpirationTime(); err == nil && exp != nil {
		v.cache.add(key, claims, v.now(), exp.Add(v.leeway))
	}
	return claims, nil
}

func (v *Verifier) verify(token string) (Claims, error) {
	var claims jwt.MapClaims
	_, err := v.parser.ParseWithClaims(token, &claims, v.key)
	if err != nil {
		return nil, classify(err)
	}
	if len(v.cfg.Audience) > 0 {
		aud, _ := claims.GetAudience()
		if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(v.cfg.Audience, a) }) {
			return nil, ErrTokenAudience
		}
	}
	for _, name := range v.cfg.Required {
		if _, ok := claims[name]; !ok {
			return nil, fmt.Errorf("%w: %s", ErrTokenClaims, name)
		}
	}
	return Claims(claims), nil
}

// key picks the key a token names: by kid, among the static keys and then
// the JWK Set; without a kid, the static key of the token's algorithm.
// The token's alg must be the key's: the key decides, not the token.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	alg, _ := t.Header["alg"].(string)
	kid, _ := t.Header["kid"].(string)
	var candidates jwt.VerificationKeySet
	for _, k := range v.static {
		switch {
		case kid != "" && k.id == kid && k.alg != alg:
			return nil, fmt.Errorf("%w: key %q is for %s, the token says %s", ErrTokenAlg, kid, k.alg, alg)
		case kid != "" && k.id == kid:
			return k.key, nil
		case kid == "" && k.alg == alg:
			candidates.Keys = append(candidates.Keys, k.key) // a rotation: old and new keys side by side
		}
	}
	if len(candidates.Keys) > 0 {
		return candidates, nil
	}
	if v.jwks == nil || kid == "" {
		return nil, ErrTokenUnknownKey
	}
	key, err := v.jwks.Keyfunc(t)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTokenUnknownKey, err)
	}
	// A JWK Set never supplies an HMAC key: it is public, and a shared
	// secret published there would let anyone sign.
	if _, ok := key.([]byte); ok {
		return nil, fmt.Errorf("%w: symmetric keys from a JWK Set are refused", ErrTokenUnknownKey)
	}
	if err := keyFitsAlg(key, alg); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTokenAlg, err)
	}
	if jwk, err := v.jwks.Storage().KeyRead(context.Background(), kid); err == nil {
		if a := string(jwk.Marshal().ALG); a != "" && a != alg {
			return nil, fmt.Errorf("%w: key %q is for %s", ErrTokenAlg, kid, a)
		}
	}
	return key, nil
}

// classify maps golang-jwt's errors to ours.
func classify(err error) error {
	var ours error
	switch {
	case errors.Is(err, ErrInvalidToken):
		return err // from key
	case errors.Is(err, jwt.ErrTokenMalformed):
		ours = ErrTokenMalformed
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if strings.Contains(err.Error(), "signing method") {
			ours = ErrTokenAlg
		} else {
			ours = ErrTokenSignature
		}
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		ours = ErrTokenUnknownKey
	case errors.Is(err, jwt.ErrTokenExpired):
		ours = ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		ours = ErrTokenClaims
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		ours = ErrTokenNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		ours = ErrTokenIssuer
	default:
		ours = ErrInvalidToken
	}
	return ours
}

// WWWAuthenticate is the RFC 6750 challenge for a failed request: plain
// when no token came, invalid_token with a description otherwise. The
// description never quotes the token.
func WWWAuthenticate(err error) string {
	const realm = `Bearer realm="scriptforge"`
	if err == nil || errors.Is(err, ErrNoCredentials) {
		return realm
	}
	desc := strings.NewReplacer(`"`, "'", `\`, "/").Replace(err.Error())
	return realm + `, error="invalid_token", error_description="` + desc + `"`
}
