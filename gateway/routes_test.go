package gateway_test

import (
	"encoding/json"
	"github.com/scriptforge/scriptforge/openapi"
	"strings"
	"testing"
)

// Every operation the gateway serves is in its OpenAPI document, and the
// document describes nothing it does not serve. The spec's own tests keep
// a hand-written list; this one reads the routes from the server itself.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	gw := startServer(t, t.TempDir()).gw
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapi.Spec(), &doc); err != nil {
		t.Fatal(err)
	}
	// The spec names some parameters differently from the routes.
	rename := strings.NewReplacer("{requestId}", "{request_id}")
	served := map[string]bool{}
	for _, r := range gw.Routes() {
		path := rename.Replace(r.Path)
		key := r.Method + " " + path
		if served[key] {
			continue
		}
		served[key] = true
		if _, ok := doc.Paths[path][strings.ToLower(r.Method)]; !ok {
			t.Errorf("%s is served but not in openapi.json", key)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "parameters", "summary", "description":
				continue
			}
			if !served[strings.ToUpper(method)+" "+path] {
				t.Errorf("%s %s is in openapi.json but not served", strings.ToUpper(method), path)
			}
		}
	}
}
