package gateway_test

import (
	"net/http"
	"testing"
)

// Warm runtimes through the whole gateway, in both isolation modes: module
// state persists between calls of the live version, a deploy starts it
// afresh, another tenant's function with the same code has its own, and
// fresh_runtime: true opts out.
func TestWarmRuntimesEndToEnd(t *testing.T) {
	const counter = `let n = 0; export function main() { n++; return {n} }`
	for _, iso := range isolations {
		t.Run(iso, func(t *testing.T) {
			s := startServerWith(t, t.TempDir(), iso, 0)
			id, uuid := s.deploy("counter", "app", counter)
			calls := func(uuid string, k int) []float64 {
				t.Helper()
				var ns []float64
				for range k {
					r := s.do("POST", "/v1/fn/"+uuid, `{}`, nil)
					if r.status != http.StatusOK {
						t.Fatalf("call: %d %s", r.status, r.body)
					}
					ns = append(ns, r.json(t)["n"].(float64))
				}
				return ns
			}
			if ns := calls(uuid, 3); ns[0] != 1 || ns[2] != 3 {
				t.Fatalf("warm calls of one version: n = %v, want 1, 2, 3", ns)
			}
			// Another tenant, same code: its own runtime.
			other := s.createFor(otherTenant(), "counter", `let n = 0; function main() { n++; return {n} }`)
			if ns := calls(other, 1); ns[0] != 1 {
				t.Fatalf("another tenant's function: n = %v, want 1", ns)
			}
			// A new version starts afresh (same source, new version number).
			if r := s.admin("PUT", "/v1/functions/"+id, map[string]any{"source": counter + "\n"}); r.status != http.StatusOK {
				t.Fatalf("redeploy: %d %s", r.status, r.body)
			}
			if ns := calls(uuid, 2); ns[0] != 1 || ns[1] != 2 {
				t.Fatalf("after a deploy: n = %v, want 1, 2", ns)
			}
			// fresh_runtime is a setting: shown back, and every call starts at 1.
			r := s.admin("PUT", "/v1/functions/"+id, map[string]any{"fresh_runtime": true})
			if r.status != http.StatusOK || r.json(t)["fresh_runtime"] != true || r.json(t)["version"].(float64) != 2 {
				t.Fatalf("set fresh_runtime: %d %s (a setting makes no new version)", r.status, r.body)
			}
			if ns := calls(uuid, 3); ns[0] != 1 || ns[1] != 1 || ns[2] != 1 {
				t.Fatalf("fresh_runtime: n = %v, want 1 every call", ns)
			}
			if r := s.admin("PUT", "/v1/functions/"+id, map[string]any{"fresh_runtime": "yes"}); r.status != http.StatusBadRequest {
				t.Fatalf("fresh_runtime of the wrong type: %d %s", r.status, r.body)
			}
		})
	}
}
