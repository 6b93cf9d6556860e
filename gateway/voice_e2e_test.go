package gateway_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/scriptforge/scriptforge/functions/voice"
	"github.com/scriptforge/scriptforge/gateway"
)

// twiml is a parsed answer: the tests compare structure, never strings.
type twiml struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []twiml    `xml:",any"`
}

func (n twiml) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func parseTwiML(t *testing.T, r response) twiml {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Fatalf("content type %q", ct)
	}
	var doc twiml
	if err := xml.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("not XML: %v: %s", err, r.body)
	}
	if doc.XMLName.Local != "Response" {
		t.Fatalf("root %q: %s", doc.XMLName.Local, r.body)
	}
	return doc
}

func verbNames(doc twiml) []string {
	var out []string
	for _, k := range doc.Kids {
		out = append(out, k.XMLName.Local)
	}
	return out
}

// The IVR a platform plays below: a menu, digits, a dial, the dial's
// outcome, then the status callback.
const ivrApp = `import { VoiceResponse } from "voice";
export async function main(data, ctx) {
	const { call } = data
	const s = ctx.call.state
	s.events = (s.events || 0) + 1
	const r = new VoiceResponse()
	if (call.final) { console.log("call over after", s.events, "events"); return null }
	if (!s.stage) {
		s.stage = "menu"; s.caller = call.from
		r.say("Welcome to Ada & Grace <Support>", {voice: "alice", language: "en-GB"})
		r.gather({numDigits: 1, timeout: 5, action: "/menu"}).say("Press 1 for sales, 2 for support")
		r.redirect("/again")
		return r
	}
	if (s.stage === "menu") {
		s.stage = "dialing"; s.choice = call.digits
		r.say("Connecting you, ref " + process.env.CORRELATION_ID)
		r.dial({callerId: call.to, timeout: 20, action: "/dialed"}).number("+15550001111").sip("sip:sales@pbx.example.com")
		return r
	}
	s.dial = call.dial_status
	return [{verb: "say", text: "Goodbye " + s.caller}, {verb: "hangup"}]
}`

func TestVoiceCallEndToEnd(t *testing.T) {
	for _, isolation := range isolations {
		t.Run(isolation, func(t *testing.T) { testVoiceCall(t, isolation) })
	}
}

func testVoiceCall(t *testing.T, isolation string) {
	const public = "https://voice.example.com"
	const token = "twilio-auth-token-0123"
	s := startServerWith(t, t.TempDir(), isolation, 0, func(c *gateway.Config) { c.PublicURL = public })
	r := s.admin("POST", "/v1/functions", map[string]any{"name": "ivr", "type": "app", "source": ivrApp,
		"voice": map[string]any{"signing_scheme": "twilio", "signing_secret": token, "state_ttl_s": 600}})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), token) {
		t.Fatalf("the signing secret was shown back: %s", r.body)
	}
	v, _ := r.json(t)["voice"].(map[string]any)
	if v["signing_secret_set"] != true || v["signing_scheme"] != "twilio" {
		t.Fatalf("voice settings: %s", r.body)
	}
	id := r.json(t)["uuid"].(string)
	path := "/v1/voice/" + id
	const callID = "CA5f1c0e0b8a9d4e7f9a1b2c3d4e5f6a7b"
	base := url.Values{"AccountSid": {"AC0000"}, "CallSid": {callID}, "From": {"+15551234567"}, "To": {"+15557654321"},
		"Direction": {"inbound"}, "ApiVersion": {"2010-04-01"}}
	event := func(extra map[string]string) url.Values {
		f := url.Values{}
		for k, vs := range base {
			f[k] = vs
		}
		for k, v := range extra {
			f.Set(k, v)
		}
		return f
	}
	// post sends a form event signed as Twilio signs it: the public URL
	// (not the loopback one the test dials), then the sorted parameters.
	post := func(form url.Values, sig string, accept string) response {
		if sig == "" {
			sig = voice.TwilioSignature(token, public+path, form)
		}
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig}
		if accept != "" {
			h["Accept"] = accept
		}
		return s.do("POST", path, form.Encode(), h)
	}
	state := func() map[string]any {
		st, err := s.store.CallState(context.Background(), "default", callID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Version == 0 {
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal(st.Data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}

	// 1. The call is answered: a greeting, a gather with its prompt.
	doc := parseTwiML(t, post(event(map[string]string{"CallStatus": "ringing"}), "", ""))
	if got := strings.Join(verbNames(doc), ","); got != "Say,Gather,Redirect" {
		t.Fatalf("answer verbs %s", got)
	}
	if say := doc.Kids[0]; say.Text != "Welcome to Ada & Grace <Support>" || say.attr("voice") != "alice" || say.attr("language") != "en-GB" {
		t.Fatalf("say %+v", say)
	}
	g := doc.Kids[1]
	if g.attr("numDigits") != "1" || g.attr("action") != "/menu" || len(g.Kids) != 1 || g.Kids[0].XMLName.Local != "Say" {
		t.Fatalf("gather %+v", g)
	}
	if st := state(); st["stage"] != "menu" || st["events"] != 1.0 || st["caller"] != "+15551234567" {
		t.Fatalf("state after answer: %v", st)
	}

	// 2. A forged event (wrong signature) is refused before any run; so
	// is one signed for another URL (the loopback one the test dials, as a
	// check unaware of the proxy would compute). The same event rightly
	// signed runs. Another call id, so the call above goes on untouched.
	forged := event(map[string]string{"CallSid": "CA-other", "CallStatus": "ringing"})
	for name, sig := range map[string]string{"wrong token": voice.TwilioSignature("not-the-token", public+path, forged),
		"other URL": voice.TwilioSignature(token, s.url+path, forged), "garbage": "AAAA"} {
		if r = post(forged, sig, ""); r.status != http.StatusForbidden || r.errorCode(t) != "bad_signature" {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
	}
	if st, _ := s.store.CallState(context.Background(), "default", "CA-other"); st.Version != 0 {
		t.Fatal("a refused event ran")
	}
	if r = post(forged, "", ""); r.status != http.StatusOK {
		t.Fatalf("valid signature refused: %d %s", r.status, r.body)
	}
	if st, _ := s.store.CallState(context.Background(), "default", "CA-other"); st.Version != 1 {
		t.Fatal("the signed event did not run")
	}
	if st := state(); st["events"] != 1.0 {
		t.Fatalf("another call's events reached this one: %v", st)
	}

	// 3. Digits in: a dial to two targets, as JSON for a caller that asks.
	r = post(event(map[string]string{"CallStatus": "in-progress", "Digits": "1"}), "", "application/json")
	var verbs []map[string]any
	if err := json.Unmarshal(r.body, &verbs); err != nil || r.status != http.StatusOK {
		t.Fatalf("JSON answer: %d %s", r.status, r.body)
	}
	if len(verbs) != 2 || verbs[0]["text"] != "Connecting you, ref "+callID || verbs[1]["verb"] != "dial" {
		t.Fatalf("JSON verbs: %s", r.body)
	}
	if st := state(); st["stage"] != "dialing" || st["choice"] != "1" {
		t.Fatalf("state after digits: %v", st)
	}

	// 4. The dial's action callback; XML this time.
	doc = parseTwiML(t, post(event(map[string]string{"CallStatus": "in-progress", "DialCallStatus": "completed"}), "", ""))
	if got := strings.Join(verbNames(doc), ","); got != "Say,Hangup" || doc.Kids[0].Text != "Goodbye +15551234567" {
		t.Fatalf("after dial: %s", r.body)
	}
	if st := state(); st["dial"] != "completed" || st["events"] != 3.0 {
		t.Fatalf("state after dial: %v", st)
	}

	// 5. The status callback: an empty answer, and the state is gone.
	doc = parseTwiML(t, post(event(map[string]string{"CallStatus": "completed", "CallDuration": "73"}), "", ""))
	if len(doc.Kids) != 0 {
		t.Fatalf("status callback answer: %+v", doc)
	}
	if st := state(); st != nil {
		t.Fatalf("state after the call ended: %v", st)
	}

	// An event with no call id is the platform's mistake (signed, so it gets that far).
	noID := url.Values{"From": {"+15551234567"}, "CallStatus": {"ringing"}}
	if r = post(noID, "", ""); r.status != http.StatusBadRequest || r.errorCode(t) != "missing_call_id" {
		t.Fatalf("no call id: %d %s", r.status, r.body)
	}
	// A Script is not a voice function.
	_, scriptID := s.deploy("plain", "script", `function main() { return 1 }`)
	if r = s.do("POST", "/v1/voice/"+scriptID, `{"call_id":"x"}`, map[string]string{"Content-Type": "application/json"}); r.status != http.StatusBadRequest || r.errorCode(t) != "not_an_app" {
		t.Fatalf("script: %d %s", r.status, r.body)
	}
}

// Events of one call that arrive at once lose none of their writes, and a
// state over the bound fails the run and leaves the stored state as it was.
func TestVoiceStateConcurrencyAndBound(t *testing.T) {
	s := startServer(t, t.TempDir())
	fid, id := s.deploy("counter", "app", `export async function main(data, ctx) {
		const s = ctx.call.state
		const n = s.n || 0
		await new Promise(r => setTimeout(r, 2)) // read, wait, write: a lost update if two overlap
		s.n = n + 1
		if (data.call.digits === "big") s.blob = "x".repeat(70 * 1024)
		if (data.call.digits === "5k") s.blob = "x".repeat(5 * 1024)
		return []
	}`)
	path := "/v1/voice/" + id
	h := map[string]string{"Content-Type": "application/json", "Accept": "application/json"}
	const events = 24
	var wg sync.WaitGroup
	for i := range events {
		wg.Go(func() {
			r := s.do("POST", path, fmt.Sprintf(`{"call_id":"c-42","status":"in-progress","seq":%d}`, i), h)
			if r.status != http.StatusOK || string(r.body) != "[]" {
				t.Errorf("event %d: %d %s", i, r.status, r.body)
			}
		})
	}
	wg.Wait()
	st, err := s.store.CallState(context.Background(), "default", "c-42")
	if err != nil || string(st.Data) != fmt.Sprintf(`{"n":%d}`, events) {
		t.Fatalf("after %d concurrent events: %s %v", events, st.Data, err)
	}
	r := s.do("POST", path, `{"call_id":"c-42","digits":"big"}`, h)
	if r.status != http.StatusInternalServerError || r.errorCode(t) != "call_state" || !strings.Contains(string(r.body), "over the bound") {
		t.Fatalf("oversized state: %d %s", r.status, r.body)
	}
	if again, _ := s.store.CallState(context.Background(), "default", "c-42"); string(again.Data) != string(st.Data) || again.Version != st.Version {
		t.Fatalf("the stored state changed: %s", again.Data)
	}
	// A bound of the function's own: 4 KiB refuses the 5 KiB that 64 KiB takes.
	if r := s.do("POST", path, `{"call_id":"c-43","digits":"5k"}`, h); r.status != http.StatusOK {
		t.Fatalf("5 KiB under the default bound: %d %s", r.status, r.body)
	}
	if r := s.admin("PUT", "/v1/functions/"+fid, map[string]any{"voice": map[string]any{"state_max_bytes": 4096}}); r.status != http.StatusOK {
		t.Fatalf("setting state_max_bytes: %d %s", r.status, r.body)
	}
	if r := s.do("POST", path, `{"call_id":"c-44","digits":"5k"}`, h); r.status != http.StatusInternalServerError || r.errorCode(t) != "call_state" {
		t.Fatalf("5 KiB over a 4 KiB bound: %d %s", r.status, r.body)
	}
	if st, _ := s.store.CallState(context.Background(), "default", "c-44"); st.Version != 0 {
		t.Fatalf("a state over the bound was stored: %s", st.Data)
	}
	// Another tenant's call of the same id is another state.
	if other, _ := s.store.CallState(context.Background(), "acme", "c-42"); other.Version != 0 {
		t.Fatal("state leaked across tenants")
	}
	// Settings are checked.
	for _, bad := range []map[string]any{{"state_ttl_s": 5}, {"state_max_bytes": 100}, {"state_max_bytes": 2 << 20}, {"signing_scheme": "md5", "signing_secret": "x"}, {"signing_scheme": "twilio"}} {
		r := s.admin("POST", "/v1/functions", map[string]any{"name": "bad", "type": "app", "source": "export const main = () => 1", "voice": bad})
		if r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest {
			t.Errorf("voice settings %v: %d %s", bad, r.status, r.body)
		}
	}
}

// A JSON event signed with hmac-sha256 over the raw body: one byte
// changed and it is refused before the run.
func TestVoiceHMACSignature(t *testing.T) {
	s := startServer(t, t.TempDir())
	r := s.admin("POST", "/v1/functions", map[string]any{"name": "hooked", "type": "app",
		"source": `export async function main({ call }) { return [{verb: "say", text: "hi " + call.id}] }`,
		"voice":  map[string]any{"signing_scheme": "hmac-sha256", "signing_secret": "k3y"}})
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	path := "/v1/voice/" + r.json(t)["uuid"].(string)
	body := `{"call_id":"v-7","from":"+15551234567","status":"ringing"}`
	mac := hmac.New(sha256.New, []byte("k3y"))
	mac.Write([]byte(body))
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	h := map[string]string{"Content-Type": "application/json", "X-Signature": sig}
	doc := parseTwiML(t, s.do("POST", path, body, h))
	if len(doc.Kids) != 1 || doc.Kids[0].Text != "hi v-7" {
		t.Fatalf("signed event: %+v", doc)
	}
	tampered := strings.Replace(body, "ringing", "complete", 1)
	if r := s.do("POST", path, tampered, h); r.status != http.StatusForbidden || r.errorCode(t) != "bad_signature" {
		t.Fatalf("tampered body: %d %s", r.status, r.body)
	}
	delete(h, "X-Signature")
	if r := s.do("POST", path, body, h); r.status != http.StatusForbidden {
		t.Fatalf("no signature: %d %s", r.status, r.body)
	}
}
