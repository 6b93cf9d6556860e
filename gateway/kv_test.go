package gateway_test

import (
	"net/http"
	"testing"
)

// The kv module end to end, in both isolation modes: a counter survives
// calls (fresh runtimes, durable store), and tenants do not share keys.
func TestKVEndToEnd(t *testing.T) {
	for _, isolation := range isolations {
		t.Run(isolation, func(t *testing.T) {
			s := startServerWith(t, t.TempDir(), isolation, 0)
			if r := s.admin("POST", "/v1/tenants", map[string]any{"id": "acme"}); r.status != http.StatusCreated {
				t.Fatalf("tenant: %d %s", r.status, r.body)
			}
			src := `const kv = require("kv"); export async function main() { return kv.incr("visits") }`
			_, mine := s.deploy("counter", "app", src)
			r := s.as(s.newKey("acme", "functions:write"), "POST", "/v1/functions", map[string]any{"name": "counter", "type": "app", "source": src})
			if r.status != http.StatusCreated {
				t.Fatalf("deploy in acme: %d %s", r.status, r.body)
			}
			theirs := r.json(t)["uuid"].(string)
			for i, want := range []string{"1", "2", "3"} {
				if r := s.do("POST", "/v1/fn/"+mine, `{}`, nil); r.status != 200 || string(r.body) != want {
					t.Fatalf("call %d: %d %s", i, r.status, r.body)
				}
			}
			if r := s.do("POST", "/v1/fn/"+theirs, `{}`, nil); r.status != 200 || string(r.body) != "1" {
				t.Fatalf("the other tenant's counter: %d %s", r.status, r.body)
			}
		})
	}
}
