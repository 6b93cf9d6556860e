package gateway

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// The hand-written events say exactly what encoding/json says.
func TestSSEJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "new\nline\r\ttab", "\x00\x01\x1f\x7f", "<a href='x'>&amp;</a>",
		"é ü 日本 🎉", "bad \xff\xfe utf8", "line\u2028sep\u2029", string([]byte{0xe2, 0x80})} {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
	at := time.Date(2026, 12, 6, 9, 0, 0, 123456789, time.UTC)
	events := []any{
		runHeader{RequestID: "r1", FunctionID: "fn_a", Version: 3, StartedAt: at},
		runHeader{RequestID: "r2", FunctionID: "fn_b", Version: 1, StartedAt: at,
			Steps: []runHeaderStep{{FunctionID: "fn_a", Name: "first <step>", Version: 2}, {FunctionID: "fn_b", Name: "é", Version: 1}}},
		&streamLine{LogLine: functions.LogLine{Time: at, Level: "warn", Message: "a \"quoted\"\nline"}},
		&streamLine{Step: 2, FunctionID: "fn_b", LogLine: functions.LogLine{Time: at.Add(time.Millisecond), Level: "info", Message: ""}},
		runMessage{Status: 200, DurationMS: 1.234, Result: json.RawMessage(`{"ok":true,"n":[1,2]}`)},
		runMessage{Status: 200, DurationMS: 1.234, CPUMS: 0.567, Result: json.RawMessage(`{"ok":true}`)},
		runMessage{Status: 201, DurationMS: 0.5, ContentType: "text/plain", Body: new(string)},
	}
	for _, ev := range events {
		var got []byte
		var err error
		switch d := ev.(type) {
		case runHeader:
			got = d.appendJSON(nil)
		case *streamLine:
			got = d.appendJSON(nil)
		case runMessage:
			got, err = d.appendJSON(nil)
		}
		want, _ := json.Marshal(ev)
		var g, w any
		if err != nil || json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil || !reflect.DeepEqual(g, w) {
			t.Errorf("%T: %v\n got %s\nwant %s", ev, err, got, want)
		}
	}
}
