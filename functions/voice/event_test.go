package voice

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"
)

// formData is what the gateway makes of a form body: one value → string.
func formData(t *testing.T, body string) json.RawMessage {
	t.Helper()
	v, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	for k, vs := range v {
		m[k] = vs[0]
	}
	b, _ := json.Marshal(m)
	return b
}

func TestNormalize(t *testing.T) {
	twilio := "AccountSid=AC123&ApiVersion=2010-04-01&CallSid=CA42&CallStatus=in-progress&Called=%2B15557654321&Caller=%2B15551234567" +
		"&Direction=inbound&From=%2B15551234567&To=%2B15557654321&Digits=1&SpeechResult=sales+please&Confidence=0.91" +
		"&RecordingUrl=https%3A%2F%2Fapi.example.com%2Frec%2FRE1&CallDuration=42&DialCallStatus=no-answer&CallerName=Ada"
	cases := []struct {
		name string
		data json.RawMessage
		want Call
	}{
		{"twilio form", formData(t, twilio), Call{ID: "CA42", From: "+15551234567", To: "+15557654321", Direction: "inbound", Status: "in-progress",
			Digits: "1", Speech: "sales please", Confidence: "0.91", RecordingURL: "https://api.example.com/rec/RE1", Duration: "42", AccountID: "AC123",
			DialStatus: "no-answer", CallerName: "Ada"}},
		{"twilio status callback", formData(t, "CallSid=CA42&CallStatus=completed&Direction=outbound-api&CallDuration=61"),
			Call{ID: "CA42", Status: "completed", Final: true, Direction: "outbound", Duration: "61"}},
		{"plain json", json.RawMessage(`{"call_id":"c-1","from":"+1555","to":"+1666","direction":"inbound","status":"ringing","digits":12,"speech":"hi","recording_url":"https://x.test/r"}`),
			Call{ID: "c-1", From: "+1555", To: "+1666", Direction: "inbound", Status: "ringing", Digits: "12", Speech: "hi", RecordingURL: "https://x.test/r"}},
		{"plivo-style uuid and cancelled", json.RawMessage(`{"CallUUID":"u-9","CallStatus":"CANCELLED"}`), Call{ID: "u-9", Status: "canceled", Final: true}},
		{"no_answer spelling", json.RawMessage(`{"id":"x","status":"no_answer"}`), Call{ID: "x", Status: "no-answer", Final: true}},
		{"busy is final", json.RawMessage(`{"id":"x","status":"busy"}`), Call{ID: "x", Status: "busy", Final: true}},
		{"failed is final", json.RawMessage(`{"id":"x","status":"failed"}`), Call{ID: "x", Status: "failed", Final: true}},
		{"nested dtmf", json.RawMessage(`{"uuid":"v-1","dtmf":{"digits":"42#"}}`), Call{ID: "v-1", Digits: "42#"}},
		{"CallSid wins over id", json.RawMessage(`{"id":"other","CallSid":"CA1"}`), Call{ID: "CA1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := Normalize(c.data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Call != c.want {
				t.Errorf("got  %+v\nwant %+v", ev.Call, c.want)
			}
			if string(ev.Raw) != string(c.data) {
				t.Errorf("raw %s", ev.Raw)
			}
		})
	}
	// The URL's query fills in what the body lacks, and no more.
	ev, err := Normalize(json.RawMessage(`{"From":"+1555","CallStatus":"ringing"}`), url.Values{"CallSid": {"CA9"}, "From": {"+1999"}})
	if err != nil || ev.Call.ID != "CA9" || ev.Call.From != "+1555" {
		t.Fatalf("query: %+v %v", ev.Call, err)
	}
	for _, bad := range []struct {
		name string
		data string
	}{{"no call id", `{"From":"+1555","CallStatus":"ringing"}`}, {"empty call id", `{"CallSid":""}`}, {"not an object", `["CA1"]`}, {"string", `"CA1"`},
		{"id with a space", `{"CallSid":"CA 1"}`}, {"id too long", `{"CallSid":"` + string(make([]byte, 0)) + longID + `"}`}} {
		t.Run(bad.name, func(t *testing.T) {
			if _, err := Normalize(json.RawMessage(bad.data), nil); err == nil {
				t.Fatal("accepted")
			} else if bad.name == "no call id" && !errors.Is(err, ErrNoCallID) {
				t.Fatalf("%v", err)
			}
		})
	}
}

var longID = func() string {
	b := make([]byte, MaxCallIDBytes+1)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}()
