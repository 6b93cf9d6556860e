package gateway

import (
	"errors"
	"net/http"
	"testing"
)

// FuzzDecodeDeploy: any body either decodes or is a 400 invalid_json, never a panic.
func FuzzDecodeDeploy(f *testing.F) {
	for _, seed := range []string{
		`{"name":"a","source":"x"}`,
		`{"name":"a","env":{"A":"1","B":{"value":"2","flag":"private"}}}`,
		`{"env":{"A":{"value":1}}}`,
		`{"timeout_ms":1e400}`,
		`{"name":"a"} trailing`,
		`[`, ``, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req deployRequest
		err := decodeStrict(body, &req)
		if err == nil {
			return
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Code != "invalid_json" {
			t.Fatalf("unexpected error for %q: %v", body, err)
		}
	})
}
