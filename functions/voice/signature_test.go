package voice

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"testing"
)

// Twilio's documented example: this URL and these parameters, signed with
// the auth token 12345, give 0/KCTR6DLpKmkAf8muzZqo1nDgQ= (checked with
// openssl dgst -sha1 -hmac over the concatenation, not with this code).
const (
	twilioURL   = "https://mycompany.com/myapp.php?foo=1&bar=2"
	twilioToken = "12345"
	twilioSig   = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
)

var twilioForm = url.Values{
	"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
	"From": {"+12349013030"}, "To": {"+18005551212"},
}

func TestVerify(t *testing.T) {
	body := []byte(`{"call_id":"c-1","status":"ringing"}`)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(body)
	sum := mac.Sum(nil)
	bodyHash := sha256.Sum256(body)
	jsonURL := "https://fn.example.com/v1/voice/x?bodySHA256=" + hex.EncodeToString(bodyHash[:])

	cases := []struct {
		name, scheme, secret string
		s                    Signed
		ok                   bool
	}{
		{"twilio documented example", SchemeTwilio, twilioToken, Signed{URL: twilioURL, Form: twilioForm, Signature: twilioSig}, true},
		{"twilio wrong token", SchemeTwilio, "54321", Signed{URL: twilioURL, Form: twilioForm, Signature: twilioSig}, false},
		{"twilio other URL", SchemeTwilio, twilioToken, Signed{URL: "http://mycompany.com/myapp.php?foo=1&bar=2", Form: twilioForm, Signature: twilioSig}, false},
		{"twilio changed digit", SchemeTwilio, twilioToken, Signed{URL: twilioURL, Form: url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1235"},
			"From": {"+12349013030"}, "To": {"+18005551212"}}, Signature: twilioSig}, false},
		{"twilio extra parameter", SchemeTwilio, twilioToken, Signed{URL: twilioURL, Form: url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
			"From": {"+12349013030"}, "To": {"+18005551212"}, "X": {""}}, Signature: twilioSig}, false},
		{"twilio missing header", SchemeTwilio, twilioToken, Signed{URL: twilioURL, Form: twilioForm}, false},
		{"twilio json body with bodySHA256", SchemeTwilio, "tok", Signed{URL: jsonURL, Body: body, Signature: TwilioSignature("tok", jsonURL, nil)}, true},
		{"twilio json body altered", SchemeTwilio, "tok", Signed{URL: jsonURL, Body: []byte(`{"call_id":"c-2"}`), Signature: TwilioSignature("tok", jsonURL, nil)}, false},
		{"twilio json body without bodySHA256", SchemeTwilio, "tok", Signed{URL: "https://a.test/x", Body: body, Signature: TwilioSignature("tok", "https://a.test/x", nil)}, false},
		{"hmac hex", SchemeHMACSHA256, "s3cret", Signed{Body: body, Signature: hex.EncodeToString(sum)}, true},
		{"hmac sha256= prefix", SchemeHMACSHA256, "s3cret", Signed{Body: body, Signature: "sha256=" + hex.EncodeToString(sum)}, true},
		{"hmac base64", SchemeHMACSHA256, "s3cret", Signed{Body: body, Signature: base64.StdEncoding.EncodeToString(sum)}, true},
		{"hmac wrong secret", SchemeHMACSHA256, "other", Signed{Body: body, Signature: hex.EncodeToString(sum)}, false},
		{"hmac body changed", SchemeHMACSHA256, "s3cret", Signed{Body: append([]byte(" "), body...), Signature: hex.EncodeToString(sum)}, false},
		{"hmac garbage", SchemeHMACSHA256, "s3cret", Signed{Body: body, Signature: "not a signature"}, false},
		{"hmac truncated", SchemeHMACSHA256, "s3cret", Signed{Body: body, Signature: hex.EncodeToString(sum[:16])}, false},
		{"unknown scheme", "md5", "s3cret", Signed{Body: body, Signature: "x"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(c.scheme, c.secret, c.s)
			if c.ok != (err == nil) {
				t.Fatalf("ok=%v, err=%v", c.ok, err)
			}
			if !c.ok && c.scheme != "md5" && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("not ErrBadSignature: %v", err)
			}
		})
	}
	if got := TwilioSignature(twilioToken, twilioURL, twilioForm); got != twilioSig {
		t.Fatalf("TwilioSignature = %s", got)
	}
}
