package gateway_test

import (
	"bytes"
	"net/http"
	"testing"
)

// TestEnvFlagNeverWeakensAKeptValue: a protected or private value kept
// without being sent cannot be given a weaker flag, which would show it
// (plain) or stop masking it (protected); with a new value it can.
func TestEnvFlagNeverWeakensAKeptValue(t *testing.T) {
	s := startServer(t, t.TempDir())
	r := s.admin("POST", "/v1/functions", map[string]any{
		"name": "env", "type": "script", "source": `function main() { return {} }`,
		"env": map[string]any{"PROT": map[string]string{"value": "hunter1", "flag": "protected"}, "SECRET": map[string]string{"value": "hunter2", "flag": "private"}},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	for _, c := range []struct {
		name   string
		env    map[string]any
		status int
	}{
		{"protected to plain, kept", map[string]any{"PROT": map[string]any{"flag": "plain"}, "SECRET": map[string]any{}}, 400},
		{"private to protected, kept", map[string]any{"PROT": map[string]any{}, "SECRET": map[string]any{"flag": "protected"}}, 400},
		{"private to plain, kept", map[string]any{"PROT": map[string]any{}, "SECRET": map[string]any{"flag": "plain"}}, 400},
		{"protected to private, kept", map[string]any{"PROT": map[string]any{"flag": "private"}, "SECRET": map[string]any{}}, 200},
		{"private to plain, new value", map[string]any{"PROT": map[string]any{}, "SECRET": map[string]any{"flag": "plain", "value": "open"}}, 200},
	} {
		r := s.admin("PUT", "/v1/functions/"+id, map[string]any{"env": c.env})
		if r.status != c.status {
			t.Fatalf("%s: %d %s", c.name, r.status, r.body)
		}
		if c.status == http.StatusBadRequest && r.errorCode(t) != "invalid_env" {
			t.Fatalf("%s: %s", c.name, r.body)
		}
		got := s.admin("GET", "/v1/functions/"+id, nil)
		if bytes.Contains(got.body, []byte("hunter")) {
			t.Fatalf("%s: a kept value is shown: %s", c.name, got.body)
		}
	}
}
