package voice

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
)

// node is a parsed XML element, to compare documents by structure.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func render(t *testing.T, src string) node {
	t.Helper()
	verbs, err := ParseResponse([]byte(src))
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	out, err := RenderXML(verbs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "<?xml") {
		t.Fatalf("no XML declaration: %s", out)
	}
	var doc node
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%s does not parse: %v", out, err)
	}
	if doc.XMLName.Local != "Response" {
		t.Fatalf("root %q", doc.XMLName.Local)
	}
	return doc
}

func TestRenderEscapes(t *testing.T) {
	hostile := `Tom & "Jerry" <b>'x'</b> ]]> &amp;` + "\n\ttab"
	src, _ := json.Marshal([]map[string]any{
		{"verb": "say", "text": hostile, "voice": "Polly.Joanna", "language": "en-US", "loop": 2},
		{"verb": "redirect", "text": "https://example.com/next?a=1&b=\"2\"<3>", "method": "POST"},
		{"verb": "gather", "action": "/menu?x=<y>&z='q'", "numDigits": 1, "input": "dtmf speech",
			"children": []map[string]any{{"verb": "say", "text": "Press <1> & go"}, {"verb": "pause", "length": 1}}},
		{"verb": "dial", "callerId": "+15551230000", "record": "record-from-answer", "hangupOnStar": true,
			"children": []map[string]any{{"verb": "number", "text": "+15557654321"}, {"verb": "sip", "text": "sip:bob@example.com;transport=tls"}, {"verb": "client", "text": "alice"}}},
		{"verb": "hangup"},
	})
	doc := render(t, string(src))
	if len(doc.Kids) != 5 {
		t.Fatalf("%d verbs", len(doc.Kids))
	}
	say := doc.Kids[0]
	if say.XMLName.Local != "Say" || say.Text != hostile || say.attr("voice") != "Polly.Joanna" || say.attr("loop") != "2" {
		t.Errorf("say: %+v", say)
	}
	if r := doc.Kids[1]; r.Text != "https://example.com/next?a=1&b=\"2\"<3>" || r.attr("method") != "POST" {
		t.Errorf("redirect: %+v", r)
	}
	g := doc.Kids[2]
	if g.attr("action") != "/menu?x=<y>&z='q'" || g.attr("numDigits") != "1" || len(g.Kids) != 2 || g.Kids[0].Text != "Press <1> & go" || g.Kids[1].attr("length") != "1" {
		t.Errorf("gather: %+v", g)
	}
	d := doc.Kids[3]
	if d.attr("hangupOnStar") != "true" || len(d.Kids) != 3 || d.Kids[1].XMLName.Local != "Sip" || d.Kids[1].Text != "sip:bob@example.com;transport=tls" {
		t.Errorf("dial: %+v", d)
	}
	if doc.Kids[4].XMLName.Local != "Hangup" {
		t.Errorf("hangup: %+v", doc.Kids[4])
	}
}

func TestJSONRoundTrip(t *testing.T) {
	src := `[{"verb":"say","text":"Hi","loop":1},{"verb":"gather","numDigits":2,"children":[{"verb":"play","text":"https://x.test/a.mp3"}]},{"verb":"dial","text":"+15551234567","timeout":20},{"verb":"reject","reason":"busy"}]`
	verbs, err := ParseResponse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out, err := RenderJSON(verbs)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseResponse(out)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	var a, b any
	_ = json.Unmarshal([]byte(src), &a)
	_ = json.Unmarshal(out, &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) || len(again) != 4 {
		t.Errorf("round trip:\n%s\n%s", ja, jb)
	}
}

func TestValidation(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"not an array", `{"verb":"say"}`, "array of verbs"},
		{"unknown verb", `[{"verb":"speak","text":"x"}]`, `unknown verb "speak"`},
		{"no verb name", `[{"text":"x"}]`, `needs a "verb" name`},
		{"unknown attribute", `[{"verb":"say","text":"x","volume":3}]`, `say attribute "volume": unknown attribute`},
		{"loop not a number", `[{"verb":"say","text":"x","loop":"2"}]`, `say attribute "loop": must be an integer`},
		{"loop negative", `[{"verb":"say","text":"x","loop":-1}]`, `say attribute "loop": must be an integer from 0 to 1000`},
		{"loop fraction", `[{"verb":"say","text":"x","loop":1.5}]`, `attribute "loop"`},
		{"numDigits zero", `[{"verb":"gather","numDigits":0}]`, `gather attribute "numDigits"`},
		{"bad input", `[{"verb":"gather","input":"keys"}]`, `gather attribute "input": must be one of dtmf, speech, dtmf speech`},
		{"finishOnKey two keys", `[{"verb":"gather","finishOnKey":"##"}]`, `gather attribute "finishOnKey"`},
		{"bad method", `[{"verb":"redirect","text":"/x","method":"PUT"}]`, `redirect attribute "method"`},
		{"action javascript", `[{"verb":"gather","action":"javascript:alert(1)"}]`, `gather attribute "action": must be an http(s) URL`},
		{"say without text", `[{"verb":"say"}]`, `say attribute "text": is required`},
		{"say text not string", `[{"verb":"say","text":{"a":1}}]`, `say attribute "text": must be a string`},
		{"control character", `[{"verb":"say","text":"a\u0001b"}]`, "character XML cannot carry (U+0001)"},
		{"hangup with text", `[{"verb":"hangup","text":"x"}]`, `hangup attribute "text": takes no text`},
		{"dial nobody", `[{"verb":"dial"}]`, "needs someone to dial"},
		{"dial bad number", `[{"verb":"dial","text":"call me"}]`, `dial attribute "text": must be a phone number`},
		{"dial record bad", `[{"verb":"dial","text":"+1555","record":"yes"}]`, `dial attribute "record"`},
		{"sip not a uri", `[{"verb":"dial","children":[{"verb":"sip","text":"bob@example.com"}]}]`, `sip attribute "text": must be a sip: or sips: URI`},
		{"number at top", `[{"verb":"number","text":"+1555"}]`, "number: is only valid inside dial"},
		{"dial in gather", `[{"verb":"gather","children":[{"verb":"dial","text":"+1"}]}]`, "dial: cannot be nested in gather"},
		{"say children", `[{"verb":"say","text":"x","children":[]}]`, `say attribute "children": takes no nested verbs`},
		{"reject reason", `[{"verb":"reject","reason":"nope"}]`, `reject attribute "reason": must be one of rejected, busy`},
		{"record transcribe", `[{"verb":"record","transcribe":"yes"}]`, `record attribute "transcribe": must be true or false`},
		{"pause too long", `[{"verb":"pause","length":99999}]`, `pause attribute "length"`},
		{"play nothing", `[{"verb":"play"}]`, "a URL to play is required"},
		{"play digits bad", `[{"verb":"play","digits":"12a"}]`, `play attribute "digits"`},
		{"sms to", `[{"verb":"sms","text":"hi","to":"bob"}]`, `sms attribute "to"`},
		{"too many", "[" + strings.Repeat(`{"verb":"hangup"},`, MaxVerbs) + `{"verb":"hangup"}]`, "at most 200 verbs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseResponse([]byte(c.src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want …%s…", err, c.want)
			}
		})
	}
	// Every valid value of each kind passes.
	for _, ok := range []string{
		`[{"verb":"gather","finishOnKey":""}]`,
		`[{"verb":"play","digits":"ww1234#"}]`,
		`[{"verb":"dial","text":15551234567}]`,
		`[{"verb":"record","maxLength":30,"finishOnKey":"#","transcribe":true,"action":"https://a.test/r"}]`,
		`[{"verb":"sms","text":"hi","to":"+15551234567"}]`,
		`[]`,
	} {
		if _, err := ParseResponse([]byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
