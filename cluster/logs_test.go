package cluster

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scriptforge/scriptforge/functions/logstream"
)

// TestPackLines: every payload fits a notification and is a valid logs
// message; lines keep their order; only a line too long alone is cut,
// with the mark, on a character boundary.
func TestPackLines(t *testing.T) {
	line := func(msg string) logstream.Line {
		return logstream.Line{RequestID: "req_1", Time: time.Unix(1e9, 0).UTC(), Level: "info", Message: msg}
	}
	many := make([]logstream.Line, 200)
	for i := range many {
		many[i] = line(strings.Repeat("a", 100) + string(rune('A'+i%26)))
	}
	for _, tc := range []struct {
		name     string
		lines    []logstream.Line
		payloads int // at least
		cut      []bool
	}{
		{"one short line", []logstream.Line{line("hello")}, 1, []bool{false}},
		{"many lines split", many, 3, make([]bool, len(many))},
		{"one huge line", []logstream.Line{line(strings.Repeat("x", 20_000))}, 1, []bool{true}},
		{"multi-byte huge line", []logstream.Line{line(strings.Repeat("€", 5_000))}, 1, []bool{true}},
		{"escapes that grow", []logstream.Line{line(strings.Repeat("\x01", 3_000))}, 1, []bool{true}},
		{"html stays as is", []logstream.Line{line(strings.Repeat("<", 7_000))}, 1, []bool{false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payloads := packLines("node-1", "fn_1", tc.lines)
			if len(payloads) < tc.payloads {
				t.Fatalf("%d payloads, want at least %d", len(payloads), tc.payloads)
			}
			var got []logstream.Line
			for _, p := range payloads {
				if len(p) > maxPayload {
					t.Fatalf("a payload of %d bytes", len(p))
				}
				var e envelope
				if err := json.Unmarshal([]byte(p), &e); err != nil || e.T != msgLogs || e.Function != "fn_1" || e.From != "node-1" {
					t.Fatalf("payload %.80q: %+v, %v", p, e, err)
				}
				got = append(got, e.Lines...)
			}
			if len(got) != len(tc.lines) {
				t.Fatalf("%d lines back, want %d", len(got), len(tc.lines))
			}
			for i, l := range got {
				want := tc.lines[i].Message
				cut := strings.HasSuffix(l.Message, truncatedMark)
				if cut != tc.cut[i] || !utf8.ValidString(l.Message) {
					t.Fatalf("line %d: cut %v, want %v (valid UTF-8 %v)", i, cut, tc.cut[i], utf8.ValidString(l.Message))
				}
				if !cut && l.Message != want || cut && !strings.HasPrefix(want, strings.TrimSuffix(l.Message, truncatedMark)) {
					t.Fatalf("line %d changed", i)
				}
				if l.RequestID != "req_1" || !l.Time.Equal(tc.lines[i].Time) {
					t.Fatalf("line %d lost its tags: %+v", i, l)
				}
			}
		})
	}
}
