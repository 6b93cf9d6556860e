package openapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/schema_validation"
)

const (
	testUUID   = "0b6f3a8e-2c1d-4e5f-9a7b-1c2d3e4f5a6b"
	testInput  = `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","required":["sku","qty"],"properties":{"sku":{"type":"string","pattern":"^[A-Z]+-[0-9]+$"},"qty":{"type":"integer","minimum":1},"ship":{"$ref":"#/$defs/address"},"gift":{"type":"boolean"}},"additionalProperties":false,"$defs":{"address":{"type":"object","required":["zip"],"properties":{"zip":{"type":"string"},"next":{"$ref":"#/$defs/address"}}}}}`
	testOutput = `{"type":"object","required":["total"],"properties":{"total":{"type":"number"},"lines":{"type":"array","items":{"type":"string"}}}}`
)

// functionDocs are the shapes a function's document takes: each auth
// mode, a Script and an App, with and without schemas.
var functionDocs = map[string]Function{
	"public script with schemas": {UUID: testUUID, Name: "orders", Type: "script", Auth: "public", ServerURL: "https://fn.example.com",
		InputSchema: json.RawMessage(testInput), OutputSchema: json.RawMessage(testOutput)},
	"apikey app without schemas": {UUID: testUUID, Name: "hook", Type: "app", Auth: "apikey", ServerURL: "https://fn.example.com/"},
	"jwt worker, input only":     {UUID: testUUID, Name: "w", Type: "worker", Auth: "jwt", ServerURL: "http://127.0.0.1:8080", InputSchema: json.RawMessage(`true`)},
	"false output":               {UUID: testUUID, Name: "never", Type: "script", Auth: "public", ServerURL: "http://x", OutputSchema: json.RawMessage(`false`)},
}

func build(t *testing.T, f Function) []byte {
	t.Helper()
	doc, err := ForFunction(f)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestFunctionDocumentIsValid: every shape is a valid OpenAPI 3.1
// document whose $refs all resolve (the schema's own $defs included).
func TestFunctionDocumentIsValid(t *testing.T) {
	for name, f := range functionDocs {
		t.Run(name, func(t *testing.T) {
			raw := build(t, f)
			d, err := libopenapi.NewDocument(raw)
			if err != nil {
				t.Fatal(err)
			}
			if ok, es := schema_validation.ValidateOpenAPIDocument(d); !ok {
				t.Fatalf("not a valid OpenAPI 3.1 document:%s\n%s", errs(es), raw)
			}
			var doc object
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			walkRefs(doc, func(ref string) {
				if _, err := resolve(doc, ref); err != nil {
					t.Errorf("$ref %s does not resolve: %v", ref, err)
				}
			})
			paths := doc["paths"].(object)
			if _, ok := paths["/v1/fn/"+testUUID].(object)["post"]; !ok {
				t.Fatalf("no POST of the function: %v", paths)
			}
			_, exports := paths["/v1/fn/"+testUUID+"/{export}"]
			if exports != (f.Type != "script") {
				t.Fatalf("exports path present = %v for a %s", exports, f.Type)
			}
			_, secured := doc["security"]
			if secured != (f.Auth != "public") {
				t.Fatalf("security present = %v for auth %s", secured, f.Auth)
			}
			if f.Auth == "jwt" && !strings.Contains(string(raw), `"bearerFormat": "JWT"`) {
				t.Fatal("a jwt function's scheme does not say JWT")
			}
			for _, h := range []string{"X-Request-Id", "RateLimit-Policy", "RateLimit", "Retry-After"} {
				if _, ok := doc["components"].(object)["headers"].(object)[h]; !ok {
					t.Fatalf("header %s is not described", h)
				}
			}
		})
	}
}

// TestFunctionDocumentMatchesTraffic: what the gateway answers a function
// with schemas validates against its document, and what breaks the
// schema does not.
func TestFunctionDocumentMatchesTraffic(t *testing.T) {
	d, err := libopenapi.NewDocument(build(t, functionDocs["public script with schemas"]))
	if err != nil {
		t.Fatal(err)
	}
	v, es := validator.NewValidator(d)
	if len(es) > 0 {
		t.Fatal(es)
	}
	url := "https://fn.example.com/v1/fn/" + testUUID
	for _, tt := range []struct {
		name, body string
		valid      bool
	}{
		{"valid", `{"sku":"AB-1","qty":2,"ship":{"zip":"1","next":{"zip":"2"}}}`, true},
		{"missing qty", `{"sku":"AB-1"}`, false},
		{"bad nested def", `{"sku":"AB-1","qty":2,"ship":{"next":{}}}`, false},
		{"extra field", `{"sku":"AB-1","qty":2,"x":1}`, false},
	} {
		req, _ := http.NewRequest("POST", url, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		if ok, es := v.ValidateHttpRequest(req); ok != tt.valid {
			t.Errorf("%s: valid = %v, want %v:%s", tt.name, ok, tt.valid, errs(es))
		}
	}
}

func walkRefs(v any, fn func(string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if s, ok := c.(string); ok && k == "$ref" {
				fn(s)
			}
			walkRefs(c, fn)
		}
	case []any:
		for _, c := range t {
			walkRefs(c, fn)
		}
	}
}

// TestGeneratedClientCompiles runs a real client generator, oapi-codegen,
// on function documents and compiles what it writes, in a module of its
// own (from the module cache or proxy). Without the go tool or the
// modules it skips, except under CI=true, where it fails.
func TestGeneratedClientCompiles(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("runs the go tool: skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		unavailable(t, "no go tool: %v", err)
	}
	const generator = "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2"
	dir := t.TempDir()
	// run runs the go tool; a failure is the machine's (unavailable) when
	// setup is true, else the document's or the generator's: a failure.
	run := func(setup bool, name string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local") // never fetch a toolchain
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil && setup {
			unavailable(t, "%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
		}
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module fnclients\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(true, goTool, "run", generator, "--version")
	for i, name := range []string{"public script with schemas", "apikey app without schemas", "jwt worker, input only"} {
		pkg := "client" + string(rune('a'+i))
		spec := filepath.Join(dir, pkg+".json")
		if err := os.WriteFile(spec, build(t, functionDocs[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		code := run(false, goTool, "run", generator, "-generate", "types,client", "-package", pkg, spec)
		if err := os.MkdirAll(filepath.Join(dir, pkg), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, pkg, "client.go"), code, 0o644); err != nil {
			t.Fatal(err)
		}
		// The generated client has the operations by their ids.
		for _, op := range []string{"func (c *Client) Invoke(", "func (c *Client) InvokeGet("} {
			if !bytes.Contains(code, []byte(op)) {
				t.Fatalf("%s: the generated client lacks %q", name, op)
			}
		}
	}
	// The input schema's fields are typed in the client.
	if a, _ := os.ReadFile(filepath.Join(dir, "clienta", "client.go")); !bytes.Contains(a, []byte("Sku ")) || !bytes.Contains(a, []byte("Qty ")) {
		t.Fatalf("the client of a function with an input schema has no typed fields:\n%s", a)
	}
	run(true, goTool, "mod", "tidy") // fetches the generated code's runtime module
	run(false, goTool, "build", "./...")
	run(false, goTool, "vet", "./...")
}

// unavailable fails under CI and skips elsewhere: a developer without the
// modules at hand is not blocked, but CI never passes without the check.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
