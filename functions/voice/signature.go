package voice

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Webhook signature schemes a voice function may require.
const (
	// SchemeTwilio: base64 HMAC-SHA1, keyed by the secret, of the full
	// URL followed by each POST parameter's name and value, sorted by
	// name, in X-Twilio-Signature. A JSON body is signed through the
	// URL's bodySHA256 parameter, the hex SHA-256 of the body.
	SchemeTwilio = "twilio"
	// SchemeHMACSHA256: HMAC-SHA256 of the raw body in X-Signature, as
	// hex (optionally "sha256=…") or base64.
	SchemeHMACSHA256 = "hmac-sha256"
)

// Header names the schemes read.
const (
	HeaderTwilio = "X-Twilio-Signature"
	HeaderHMAC   = "X-Signature"
)

// ValidScheme reports whether s is a scheme ("" is none).
func ValidScheme(s string) bool { return s == "" || s == SchemeTwilio || s == SchemeHMACSHA256 }

// ErrBadSignature is a webhook whose signature does not verify.
var ErrBadSignature = errors.New("the webhook signature does not verify")

// Signed is what a signature is checked against.
type Signed struct {
	URL       string     // the URL the platform called, as it saw it (see --public-url)
	Form      url.Values // the POST parameters of a form body; nil for another body
	Body      []byte     // the raw body
	Signature string     // the header's value
}

// Verify checks a webhook's signature under scheme. Comparisons take
// constant time (hmac.Equal); the error never says how close a guess was.
func Verify(scheme, secret string, s Signed) error {
	if secret == "" {
		return errors.New("voice: no signing secret set")
	}
	if s.Signature == "" {
		return fmt.Errorf("%w: the signature header is missing", ErrBadSignature)
	}
	switch scheme {
	case SchemeTwilio:
		return verifyTwilio(secret, s)
	case SchemeHMACSHA256:
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(s.Body)
		if !hmac.Equal(decodeSig(s.Signature), mac.Sum(nil)) {
			return ErrBadSignature
		}
		return nil
	}
	return fmt.Errorf("voice: unknown signature scheme %q", scheme)
}

// TwilioSignature computes the twilio scheme's signature of a URL and form.
func TwilioSignature(secret, rawURL string, form url.Values) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(rawURL))
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys) // byte order, as the scheme says
	for _, k := range keys {
		vals := append([]string(nil), form[k]...)
		sort.Strings(vals) // a repeated name: its values in order too
		for _, v := range vals {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func verifyTwilio(secret string, s Signed) error {
	form := s.Form
	if form == nil {
		// A JSON body: the URL carries its hash, and the URL alone is signed.
		u, err := url.Parse(s.URL)
		if err != nil {
			return ErrBadSignature
		}
		want := u.Query().Get("bodySHA256")
		sum := sha256.Sum256(s.Body)
		if want == "" || !hmac.Equal([]byte(strings.ToLower(want)), []byte(hex.EncodeToString(sum[:]))) {
			return fmt.Errorf("%w: a JSON body must be signed through the URL's bodySHA256", ErrBadSignature)
		}
	}
	want := TwilioSignature(secret, s.URL, form)
	if !hmac.Equal([]byte(s.Signature), []byte(want)) {
		return ErrBadSignature
	}
	return nil
}

// decodeSig reads a hex ("sha256=" prefixed or not) or base64 signature;
// what is neither decodes to nothing, which matches no MAC.
func decodeSig(sig string) []byte {
	sig = strings.TrimPrefix(strings.TrimSpace(sig), "sha256=")
	if b, err := hex.DecodeString(sig); err == nil {
		return b
	}
	if b, err := base64.StdEncoding.DecodeString(sig); err == nil {
		return b
	}
	return nil
}
