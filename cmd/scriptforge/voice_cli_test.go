package main

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/scriptforge/scriptforge/functions/voice"
)

// deploy's voice flags and serve's --public-url, through the real binary:
// a Twilio-signed event verifies against the public URL, not the one the
// request reached.
func TestCLIVoiceWebhook(t *testing.T) {
	const public = "https://voice.example.com/"
	g := startGateway(t, "--public-url", public)
	file := writeFile(t, "ivr.js", `import { VoiceResponse } from "voice";
		export async function main({ call }) { return new VoiceResponse().say("Hello " + call.from) }`)
	out, errOut, code := g.cli(t, "deploy", file, "--type", "app", "--voice-signing-scheme", "twilio",
		"--voice-signing-secret", "tok-123", "--voice-state-ttl", "10m")
	if code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	path := "/v1/voice/" + uuid
	form := url.Values{"CallSid": {"CA1"}, "From": {"+15551234567"}, "CallStatus": {"ringing"}}
	post := func(sig string) (int, string) {
		req, _ := http.NewRequest("POST", g.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := post(voice.TwilioSignature("tok-123", strings.TrimSuffix(public, "/")+path, form))
	var doc struct {
		XMLName xml.Name `xml:"Response"`
		Say     string   `xml:"Say"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); status != 200 || err != nil || doc.Say != "Hello +15551234567" {
		t.Fatalf("signed for the public URL: %d %s %v", status, body, err)
	}
	if status, body := post(voice.TwilioSignature("tok-123", g.url+path, form)); status != 403 {
		t.Fatalf("signed for the local URL: %d %s", status, body)
	}
	if out, _, _ := g.cli(t, "fn", "show", "ivr", "--json"); strings.Contains(out, "tok-123") {
		t.Fatalf("the secret is shown: %s", out)
	}
}
