package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/scriptforge/scriptforge/gateway"
)

// syncBuffer is a log sink the gateway's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lines returns the access lines logged so far, by request id.
func (s *syncBuffer) lines(t *testing.T) map[string]map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]any{}
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if m["msg"] == "request" {
			out[m["request_id"].(string)] = m
		}
	}
	return out
}

// Access lines: a successful invocation at debug (at info with
// LogOKInvocations), a failed one at info, a 5xx at warn, admin requests
// at info; never the function's UUID.
func TestAccessLog(t *testing.T) {
	for _, logOK := range []bool{false, true} {
		var sink syncBuffer
		s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
			c.Logger = slog.New(slog.NewJSONHandler(&sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c.LogOKInvocations = logOK
		})
		_, okUUID := s.deploy("fine", "script", `function main() { return 1 }`)
		_, badUUID := s.deploy("throws", "script", `function main() { throw new Error("no") }`)
		_, teapotUUID := s.deploy("teapot", "app", `export function main() { return new Response("x", {status: 418}) }`)
		okLevel := "DEBUG"
		if logOK {
			okLevel = "INFO"
		}
		for _, tc := range []struct {
			name, method, path string
			status             int
			level              string
			function           bool
		}{
			{"a successful invocation", "POST", "/v1/fn/" + okUUID, 200, okLevel, true},
			{"a function that threw", "POST", "/v1/fn/" + badUUID, 500, "WARN", true},
			{"a function that answered 418", "POST", "/v1/fn/" + teapotUUID, 418, "INFO", true},
			{"an unknown function", "POST", "/v1/fn/0190c0de-0000-7000-8000-000000000000", 404, "INFO", false},
			{"an admin request", "GET", "/v1/functions", 200, "INFO", false},
		} {
			var r response
			if strings.HasPrefix(tc.path, "/v1/fn/") {
				r = s.do(tc.method, tc.path, `{}`, map[string]string{"Content-Type": "application/json"})
			} else {
				r = s.admin(tc.method, tc.path, nil)
			}
			if r.status != tc.status {
				t.Fatalf("%s: %d %s", tc.name, r.status, r.body)
			}
			line := sink.lines(t)[r.header.Get("X-Request-Id")]
			if line == nil {
				t.Fatalf("logOK=%v %s: no access line", logOK, tc.name)
			}
			if line["level"] != tc.level || line["status"] != float64(tc.status) {
				t.Errorf("logOK=%v %s: level %v status %v, want %s %d", logOK, tc.name, line["level"], line["status"], tc.level, tc.status)
			}
			if _, has := line["function_id"]; has != tc.function {
				t.Errorf("logOK=%v %s: function_id present %v, want %v", logOK, tc.name, has, tc.function)
			}
		}
		s.stop()
		sink.mu.Lock()
		logged := sink.b.String()
		sink.mu.Unlock()
		for _, u := range []string{okUUID, badUUID, teapotUUID} {
			if strings.Contains(logged, u) {
				t.Fatalf("a function UUID reached the log: %s", u)
			}
		}
	}
	// At info, a successful invocation logs nothing.
	var sink syncBuffer
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&sink, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	_, uuid := s.deploy("fine", "script", `function main() { return 1 }`)
	r := s.do("POST", "/v1/fn/"+uuid, `{}`, map[string]string{"Content-Type": "application/json"})
	if line := sink.lines(t)[r.header.Get("X-Request-Id")]; r.status != 200 || line != nil {
		t.Fatalf("%d; at info a successful invocation logged %v", r.status, line)
	}
}
