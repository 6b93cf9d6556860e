package voice

import (
	"encoding/json"
	"encoding/xml"
	"testing"
)

// Whatever an App returns, the gateway either refuses it with an error
// or renders XML that parses and JSON that reads back the same.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{
		`[{"verb":"say","text":"a<b>&c","loop":2}]`,
		`[{"verb":"gather","numDigits":1,"children":[{"verb":"say","text":"x"}]}]`,
		`[{"verb":"dial","children":[{"verb":"sip","text":"sip:a@b"}]}]`,
		`[{"verb":"hangup"}]`, `[]`, `{}`, `[{"verb":"play","digits":"1w#"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		verbs, err := ParseResponse(b)
		if err != nil {
			return
		}
		out, err := RenderXML(verbs)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ XMLName xml.Name }
		if err := xml.Unmarshal(out, &doc); err != nil {
			t.Fatalf("%s → %s: %v", b, out, err)
		}
		js, err := RenderJSON(verbs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseResponse(js)
		if err != nil {
			t.Fatalf("%s: own JSON refused: %v", js, err)
		}
		js2, _ := RenderJSON(again)
		if string(js2) != string(js) {
			t.Fatalf("JSON not stable:\n%s\n%s", js, js2)
		}
	})
}

// Normalize never panics, and an event it accepts has a usable call id.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{`{"CallSid":"CA1","CallStatus":"completed"}`, `{"id":1}`, `{"dtmf":{"digits":"1"},"uuid":"u"}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		ev, err := Normalize(b, nil)
		if err == nil && CheckCallID(ev.Call.ID) != nil {
			t.Fatalf("accepted call id %q", ev.Call.ID)
		}
	})
}
