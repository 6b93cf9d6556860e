package gateway

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// The events every streamed run sends (header, log, message) are
// written by hand: through encoding/json they cost a tenth of a streamed
// trivial call's CPU (reflection, time.Time's marshaler, and compacting
// a result that is valid JSON already). Rarer events use encoding/json.

// appendJSONString appends s as a JSON string, as encoding/json writes
// it: quotes, backslashes and control characters escaped, invalid UTF-8
// as U+FFFD, and <, >, & and U+2028/2029 escaped too.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSON appends what encoding/json makes of v (for the rare events).
func appendJSON(b []byte, v any) ([]byte, error) {
	enc, err := json.Marshal(v)
	return append(b, enc...), err
}

func (h *runHeader) appendJSON(b []byte) []byte {
	b = append(b, `{"request_id":`...)
	b = appendJSONString(b, h.RequestID)
	b = append(b, `,"function_id":`...)
	b = appendJSONString(b, h.FunctionID)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(h.Version), 10)
	b = append(b, `,"started_at":`...)
	b = appendJSONTime(b, h.StartedAt)
	if len(h.Steps) > 0 {
		b = append(b, `,"steps":[`...)
		for i, s := range h.Steps {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"function_id":`...)
			b = appendJSONString(b, s.FunctionID)
			b = append(b, `,"name":`...)
			b = appendJSONString(b, s.Name)
			b = append(b, `,"version":`...)
			b = strconv.AppendInt(b, int64(s.Version), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (l *streamLine) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if l.Step > 0 {
		b = append(b, `"step":`...)
		b = strconv.AppendInt(b, int64(l.Step), 10)
		b = append(b, ',')
	}
	if l.FunctionID != "" {
		b = append(b, `"function_id":`...)
		b = appendJSONString(b, l.FunctionID)
		b = append(b, ',')
	}
	b = append(b, `"time":`...)
	b = appendJSONTime(b, l.Time)
	b = append(b, `,"level":`...)
	b = appendJSONString(b, l.Level)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, l.Message)
	return append(b, '}')
}

// appendJSON writes a message with a JSON result by hand (the result is
// the engine's JSON, valid as it is); others through encoding/json.
func (m *runMessage) appendJSON(b []byte) ([]byte, error) {
	if m.Result == nil || m.ContentType != "" || m.Headers != nil || m.Body != nil || m.BodyBase64 != nil {
		return appendJSON(b, m)
	}
	b = append(b, `{"status":`...)
	b = strconv.AppendInt(b, int64(m.Status), 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, m.DurationMS, 'f', -1, 64)
	if m.CPUMS != 0 {
		b = append(b, `,"cpu_ms":`...)
		b = strconv.AppendFloat(b, m.CPUMS, 'f', -1, 64)
	}
	b = append(b, `,"result":`...)
	b = append(b, m.Result...)
	return append(b, '}'), nil
}
