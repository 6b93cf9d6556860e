package gateway_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// TestCurrentKey: GET /v1/key answers any valid key with what it grants,
// and refuses a missing or unknown one.
func TestCurrentKey(t *testing.T) {
	s := startServer(t, t.TempDir())
	readOnly := s.newKey("default", "functions:read")
	invokeOnly := s.newKey("default", "functions:invoke")
	for _, c := range []struct {
		name, key string
		status    int
		grants    []string
		operator  bool
	}{
		{"operator", adminKey, 200, []string{"admin", "functions:read", "functions:write", "functions:invoke", "routing:invoke"}, true},
		{"read only", readOnly, 200, []string{"functions:read"}, false},
		{"invoke only", invokeOnly, 200, []string{"functions:invoke"}, false},
		{"unknown key", "sfk_nope", 401, nil, false},
		{"no key", "", 401, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			headers := map[string]string{}
			if c.key != "" {
				headers["Authorization"] = "Bearer " + c.key
			}
			r := s.do("GET", "/v1/key", nil, headers)
			if r.status != c.status {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if c.status != http.StatusOK {
				if code := r.errorCode(t); code != "unauthorized" {
					t.Fatalf("code %q", code)
				}
				return
			}
			var v struct {
				Tenant   string   `json:"tenant"`
				Scopes   []string `json:"scopes"`
				Grants   []string `json:"grants"`
				Operator bool     `json:"operator"`
			}
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Fatal(err)
			}
			if v.Tenant != "default" || !slices.Equal(v.Grants, c.grants) || v.Operator != c.operator || len(v.Scopes) == 0 {
				t.Fatalf("%+v", v)
			}
		})
	}
}
