package gateway_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions/backend"
	"github.com/scriptforge/scriptforge/gateway"
)

// callbackReceiver is a partner's endpoint: it checks each POST's
// signature with its copy of the secret, answers 500 to the first
// delivery of each run, then 200.
type callbackReceiver struct {
	t      *testing.T
	mu     sync.Mutex
	secret string
	got    map[string][]map[string]any // run id → the bodies received
	paths  map[string]string           // run id → the path last POSTed to
	*httptest.Server
}

func newReceiver(t *testing.T) *callbackReceiver {
	cr := &callbackReceiver{t: t, got: map[string][]map[string]any{}, paths: map[string]string{}}
	cr.Server = httptest.NewServer(http.HandlerFunc(cr.serve))
	t.Cleanup(cr.Close)
	return cr
}

func (cr *callbackReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	cr.mu.Lock()
	defer cr.mu.Unlock()
	// X-ScriptForge-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
	var ts, sig string
	for _, part := range strings.Split(r.Header.Get("X-ScriptForge-Signature"), ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	mac := hmac.New(sha256.New, []byte(cr.secret))
	mac.Write([]byte(ts + "." + string(body)))
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(sig)) || time.Since(time.Unix(sec, 0)) > time.Minute {
		cr.t.Errorf("bad signature %q on %s", r.Header.Get("X-ScriptForge-Signature"), body)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		cr.t.Errorf("callback body: %v: %s", err, body)
	}
	id := r.Header.Get("X-ScriptForge-Request-Id")
	if id == "" || r.Header.Get("Idempotency-Key") != id || m["request_id"] != id {
		cr.t.Errorf("callback headers %v for %s", r.Header, body)
	}
	cr.got[id] = append(cr.got[id], m)
	cr.paths[id] = r.URL.Path
	if len(cr.got[id]) == 1 {
		w.WriteHeader(http.StatusInternalServerError)
	}
}

func (cr *callbackReceiver) deliveries(id string) int {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	return len(cr.got[id])
}

func callbackServer(t *testing.T, allowLoopback bool, cfg gateway.AsyncConfig) *server {
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
		c.Queue, c.Async = c.Store.(backend.Backend).Queue(), cfg
		if allowLoopback { // the switch fetch's tests use too
			c.CallbackAllowPrivate = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		}
	})
	s.startWorkers()
	return s
}

// TestAsyncCallback: the result is POSTed, signed; a 500 is retried, the
// 200 after it is delivery; a rotated secret signs the next ones.
func TestAsyncCallback(t *testing.T) {
	s := callbackServer(t, true, gateway.AsyncConfig{CallbackBackoff: queueBackoff})
	cr := newReceiver(t)
	fnID, uuid := s.deploy("double", "script", `function main(d) { return {x: d.x * 2} }`)
	cb := map[string]string{"X-Callback-Url": cr.URL + "/hook"}

	// Refused before anything is queued.
	for _, tc := range []struct {
		name, url string
		status    int
		code      string
	}{
		{"no secret yet", cr.URL + "/hook", 409, "no_callback_secret"},
		{"not http", "ftp://example.com/x", 400, "invalid_callback_url"},
		{"relative", "/hook", 400, "invalid_callback_url"},
		{"credentials", "https://u:p@example.com/", 400, "invalid_callback_url"},
	} {
		if tc.name == "not http" { // from here on the tenant has a secret
			r := s.admin("POST", "/v1/callback-secret", nil)
			cr.secret, _ = r.json(t)["secret"].(string)
			if r.status != http.StatusCreated || !strings.HasPrefix(cr.secret, "whsec_") {
				t.Fatalf("secret: %d %s", r.status, r.body)
			}
		}
		r := s.do("POST", "/v1/fn/"+uuid, `{"x":1}`, map[string]string{"Prefer": "respond-async", "X-Callback-Url": tc.url})
		if r.status != tc.status || r.errorCode(t) != tc.code {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}

	id := s.accept(uuid, `{"x": 21}`, cb)
	m := s.waitCallback(id, "delivered")
	if m["status"] != "succeeded" || m["callback_attempts"] != 2.0 || cr.deliveries(id) != 2 {
		t.Fatalf("run %v after %d deliveries", m, cr.deliveries(id))
	}
	cr.mu.Lock()
	last := cr.got[id][1]
	cr.mu.Unlock()
	if last["status"] != "succeeded" || last["result"].(map[string]any)["x"] != 42.0 {
		t.Fatalf("callback body %v", last)
	}

	// Rotated: the old secret no longer signs.
	r := s.admin("POST", "/v1/callback-secret", nil)
	cr.mu.Lock()
	old := cr.secret
	cr.secret, _ = r.json(t)["secret"].(string)
	cr.mu.Unlock()
	if cr.secret == old || cr.secret == "" {
		t.Fatalf("rotate: %s", r.body)
	}
	id = s.accept(uuid, `{"x": 1}`, cb)
	s.waitCallback(id, "delivered")

	// The function's callback_url serves callers that name none; a
	// caller's header still wins.
	for _, bad := range []string{"ftp://example.com/x", "https://u:p@example.com/", "/relative"} {
		if r := s.admin("PUT", "/v1/functions/"+fnID, map[string]any{"callback_url": bad}); r.status != http.StatusBadRequest || r.errorCode(t) != "invalid_callback_url" {
			t.Errorf("callback_url %q: %d %s", bad, r.status, r.body)
		}
	}
	if r := s.admin("PUT", "/v1/functions/"+fnID, map[string]any{"callback_url": cr.URL + "/setting"}); r.status != http.StatusOK || r.json(t)["callback_url"] != cr.URL+"/setting" {
		t.Fatalf("set callback_url: %d %s", r.status, r.body)
	}
	for want, headers := range map[string]map[string]string{"/setting": nil, "/hook": cb} {
		id := s.accept(uuid, `{"x": 2}`, headers)
		s.waitCallback(id, "delivered")
		cr.mu.Lock()
		got := cr.paths[id]
		cr.mu.Unlock()
		if got != want {
			t.Errorf("headers %v: delivered to %s, want %s", headers, got, want)
		}
	}
	// Cleared, a call without the header has no callback.
	if r := s.admin("PUT", "/v1/functions/"+fnID, map[string]any{"callback_url": ""}); r.status != http.StatusOK || r.json(t)["callback_url"] != "" {
		t.Fatalf("clear callback_url: %d %s", r.status, r.body)
	}
	id = s.accept(uuid, `{"x": 3}`, nil)
	if m := s.waitRun(id, "succeeded"); m["callback_state"] != nil && m["callback_state"] != "" {
		t.Errorf("a run with no callback: %v", m)
	}
}

// TestAsyncCallbackExhausted: a callback that can never be delivered (a
// loopback address, refused without the switch) makes the run dead, with
// each delivery's error, after the configured attempts.
func TestAsyncCallbackExhausted(t *testing.T) {
	s := callbackServer(t, false, gateway.AsyncConfig{CallbackAttempts: 2, CallbackBackoff: queueBackoff})
	cr := newReceiver(t)
	_, uuid := s.deploy("f", "script", `function main() { return 1 }`)
	s.admin("POST", "/v1/callback-secret", nil)
	id := s.accept(uuid, `{}`, map[string]string{"X-Callback-Url": cr.URL})
	m := s.waitRun(id, "dead")
	errs, _ := m["errors"].([]any)
	if m["callback_state"] != "failed" || len(errs) != 2 || !strings.Contains(errs[1].(map[string]any)["error"].(string), "loopback") || cr.deliveries(id) != 0 {
		t.Fatalf("run %v", m)
	}
	r := s.admin("GET", "/v1/dead-letters", nil)
	if !strings.Contains(string(r.body), id) {
		t.Fatalf("not in the dead letters: %s", r.body)
	}
}

// waitCallback polls the run until its callback_state is want.
func (s *server) waitCallback(id, want string) map[string]any {
	s.t.Helper()
	var m map[string]any
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		m = s.admin("GET", "/v1/runs/"+id, nil).json(s.t)
		if m["callback_state"] == want {
			return m
		}
	}
	s.t.Fatalf("run %s: callback not %s: %v", id, want, m)
	return nil
}
