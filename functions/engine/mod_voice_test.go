package engine

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/voice"
)

func TestVoiceModule(t *testing.T) {
	e := New(Config{})
	for _, tc := range []struct{ name, src, want string }{
		{"fluent", `const { VoiceResponse } = require("voice");
			exports.main = async () => { const r = new VoiceResponse(); r.say('Hi'); r.gather({numDigits: 1, action: '/menu'}).say('Press 1'); return r }`,
			`[{"verb":"say","text":"Hi"},{"verb":"gather","numDigits":1,"action":"/menu","children":[{"verb":"say","text":"Press 1"}]}]`},
		{"chained with options both ways", `import { VoiceResponse } from "voice";
			export async function main() { return new VoiceResponse().say({voice: 'alice', loop: 2}, 'a').play('https://x.test/a.mp3', {loop: 1}).pause(2).hangup() }`,
			`[{"verb":"say","voice":"alice","loop":2,"text":"a"},{"verb":"play","loop":1,"text":"https://x.test/a.mp3"},{"verb":"pause","length":2},{"verb":"hangup"}]`},
		{"dial targets", `const { VoiceResponse } = require("voice");
			exports.main = async () => { const r = new VoiceResponse();
				r.dial('+15551234567', {callerId: '+15550000000', timeout: 20});
				r.dial(['+15551112222', 'sip:bob@example.com', 'client:alice'], {record: 'record-from-answer'});
				r.dial({action: '/after'}).number('+15553334444').sip('sips:carol@example.com');
				return r }`,
			`[{"verb":"dial","callerId":"+15550000000","timeout":20,"text":"+15551234567"},` +
				`{"verb":"dial","record":"record-from-answer","children":[{"verb":"number","text":"+15551112222"},{"verb":"sip","text":"sip:bob@example.com"},{"verb":"client","text":"alice"}]},` +
				`{"verb":"dial","action":"/after","children":[{"verb":"number","text":"+15553334444"},{"verb":"sip","text":"sips:carol@example.com"}]}]`},
		{"record redirect reject sms", `const { VoiceResponse } = require("voice");
			exports.main = async () => new VoiceResponse().record({maxLength: 30, finishOnKey: '#', transcribe: true}).sms('bye', {to: '+15551234567'}).redirect('/next', {method: 'GET'}).reject('busy')`,
			`[{"verb":"record","maxLength":30,"finishOnKey":"#","transcribe":true},{"verb":"sms","to":"+15551234567","text":"bye"},{"verb":"redirect","method":"GET","text":"/next"},{"verb":"reject","reason":"busy"}]`},
		{"errors name verb and attribute", `const { VoiceResponse } = require("voice");
			exports.main = async () => { const r = new VoiceResponse(); const out = [];
				for (const f of [() => r.say('x', {loop: -1}), () => r.gather({numDigits: 'one'}), () => r.gather({input: 'keys'}).say('x'),
					() => r.say('x', {volume: 2}), () => r.gather().dial, () => r.gather().say(), () => r.dial('not a number'), () => r.reject('nope')]) {
					try { f(); out.push('no error') } catch (e) { out.push(e.name + ': ' + e.message) } }
				return out }`,
			`["TypeError: voice: say attribute \"loop\": must be an integer from 0 to 1000 (got -1)",` +
				`"TypeError: voice: gather attribute \"numDigits\": must be an integer from 1 to 100",` +
				`"TypeError: voice: gather attribute \"input\": must be one of dtmf, speech, dtmf speech (got \"keys\")",` +
				`"TypeError: voice: say attribute \"volume\": unknown attribute (allowed: voice, language, loop)",` +
				`"no error",` +
				`"TypeError: voice: say attribute \"text\": is required",` +
				`"TypeError: voice: dial attribute \"text\": must be a phone number (+ and digits) (got \"not a number\")",` +
				`"TypeError: voice: reject attribute \"reason\": must be one of rejected, busy (got \"nope\")"]`},
		{"toString is the XML", `const { VoiceResponse } = require("voice");
			exports.main = async () => new VoiceResponse().say('a < b & "c"').toString()`, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, rerr := invoke(t, e, functions.TypeApp, tc.src, "", `{}`, 2*time.Second)
			if rerr != nil {
				t.Fatalf("%s\n%s", rerr.Message, rerr.Stack)
			}
			if tc.want == "" { // the XML case: parse it
				var s string
				if err := json.Unmarshal(res.JSON, &s); err != nil {
					t.Fatal(err)
				}
				var doc struct {
					Say string `xml:"Say"`
				}
				if err := xml.Unmarshal([]byte(s), &doc); err != nil || doc.Say != `a < b & "c"` {
					t.Fatalf("%s: %v %q", s, err, doc.Say)
				}
				return
			}
			if string(res.JSON) != tc.want {
				t.Fatalf("got  %s\nwant %s", res.JSON, tc.want)
			}
			// What the builder made is what the gateway accepts.
			if _, err := voice.ParseResponse(res.JSON); err != nil && strings.HasPrefix(tc.want, "[{") {
				t.Fatalf("the gateway refuses it: %v", err)
			}
		})
	}
}

// callInvoke runs src as a voice webhook of call id with state.
func callInvoke(t *testing.T, e *Engine, src, id, state string, max int) (*functions.Result, error) {
	t.Helper()
	tr, err := Transpile("call.js", src)
	if err != nil {
		t.Fatal(err)
	}
	inv := &functions.Invocation{RequestID: "req-1", Function: functions.FunctionInfo{ID: "fn_call", Name: "call", Tenant: "default", Version: 1},
		Type: functions.TypeApp, Code: tr.Code, Hash: tr.Hash, Timeout: 2 * time.Second, MemoryMB: 64, Data: json.RawMessage(`{}`)}
	if id != "" {
		inv.Call = &functions.CallInfo{ID: id, MaxStateBytes: max}
		if state != "" {
			inv.Call.State = json.RawMessage(state)
		}
	}
	return e.Execute(context.Background(), inv)
}

func TestCallContext(t *testing.T) {
	e := New(Config{})
	src := `export async function main(data, ctx) {
		if (!ctx.call) return [Object.keys(ctx).includes("call"), process.env.CORRELATION_ID === undefined]
		const s = ctx.call.state
		s.n = (s.n || 0) + 1
		if (s.n === 3) ctx.call.state = {big: "x".repeat(100)}
		if (s.n === 4) ctx.call.state = null
		return [ctx.call.id, process.env.CORRELATION_ID, Object.keys(ctx).includes("call")]
	}`
	for _, tc := range []struct {
		id, state  string
		want, keep string
	}{
		{"CA1", "", `["CA1","CA1",true]`, `{"n":1}`},
		{"CA2", `{"n":1,"menu":"main"}`, `["CA2","CA2",true]`, `{"n":2,"menu":"main"}`},
		{"", "", `[false,true]`, ""}, // a plain call of the same warm runtime: no call, no CORRELATION_ID
		{"CA3", `{"n":3}`, `["CA3","CA3",true]`, `null`},
	} {
		res, err := callInvoke(t, e, src, tc.id, tc.state, 1000)
		if err != nil {
			t.Fatalf("%s: %v", tc.id, err)
		}
		if string(res.JSON) != tc.want || string(res.CallState) != tc.keep {
			t.Errorf("%s: got %s state %s; want %s state %s", tc.id, res.JSON, res.CallState, tc.want, tc.keep)
		}
	}
	// Over the bound: the run fails clearly, with no state to store.
	_, err := callInvoke(t, e, src, "CA4", `{"n":2}`, 50)
	var re *functions.RunError
	if !errors.As(err, &re) || re.Code != functions.CodeCallState || !strings.Contains(re.Message, "over the bound of 50 bytes") {
		t.Fatalf("got %v", err)
	}
	// A run that never reads ctx.call leaves the state alone (nil, not "null").
	res, err := callInvoke(t, e, `export async function main() { return 1 }`, "CA5", `{"a":1}`, 1000)
	if err != nil || res.CallState != nil {
		t.Fatalf("%v %s", err, res.CallState)
	}
	for _, bad := range []string{`ctx.call.state = [1]`, `ctx.call.state = () => 1`, `ctx.call.state = {f: 1n}`} {
		_, err := callInvoke(t, e, `export async function main(d, ctx) { `+bad+`; return 1 }`, "CA6", "", 1000)
		if !errors.As(err, &re) || re.Code != functions.CodeCallState {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
