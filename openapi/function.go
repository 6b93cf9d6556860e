package openapi

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Function is what a function's own OpenAPI document describes.
type Function struct {
	UUID, Name string
	// Type is script, app or worker: apps and workers also serve
	// /v1/fn/{uuid}/{export}.
	Type string
	// Auth is public, apikey or jwt.
	Auth string
	// ServerURL is the gateway's public base, e.g. https://fn.example.com.
	ServerURL string
	// InputSchema and OutputSchema are the function's JSON Schemas; empty
	// ones are described as any JSON value.
	InputSchema, OutputSchema json.RawMessage
}

// ForFunction builds the OpenAPI 3.1 document of one function: its
// invocation paths, its auth, its input and output schemas, the headers
// the gateway sends and its error shape.
//
// The document is kept within what client generators built for OpenAPI
// 3.0 read (oapi-codegen is tested against it): the operations are plain
// JSON in and out, and a schema's own definitions ($defs) become
// components, with its local $refs rewritten to point at them, since a
// "#/$defs/…" inside the document would resolve against the document,
// not the schema.
func ForFunction(f Function) ([]byte, error) {
	comps := map[string]any{}
	input, err := embedSchema("Input", f.InputSchema, comps)
	if err != nil {
		return nil, fmt.Errorf("openapi: input_schema: %w", err)
	}
	output, err := embedSchema("Output", f.OutputSchema, comps)
	if err != nil {
		return nil, fmt.Errorf("openapi: output_schema: %w", err)
	}
	comps["Input"], comps["Output"] = input, output
	comps["Error"] = errorSchema
	comps["ValidationFailure"] = failureSchema

	path := "/v1/fn/" + f.UUID
	paths := map[string]any{
		path: map[string]any{
			"post": fnOperation("invoke", "Invoke the function", "The request body is the function's `data`.", f, nil, true),
			"get": fnOperation("invokeGet", "Invoke the function with a query",
				"The query string is the function's `data`, as an object of strings (a repeated name gives an array of strings).",
				f, []any{queryParam}, false),
		},
	}
	if f.Type == "app" || f.Type == "worker" {
		paths[path+"/{export}"] = map[string]any{
			"parameters": []any{exportParam},
			"post":       fnOperation("invokeExport", "Invoke one exported function", "Calls the named export instead of `main`; the request body is its `data`.", f, nil, true),
		}
	}
	doc := map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info": map[string]any{
			"title":       "ScriptForge function " + f.Name,
			"version":     "1",
			"description": description(f),
		},
		"servers": []any{map[string]any{"url": strings.TrimRight(f.ServerURL, "/")}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":   comps,
			"headers":   headers,
			"responses": responses(),
		},
	}
	switch f.Auth {
	case "apikey", "jwt":
		format := "API key"
		if f.Auth == "jwt" {
			format = "JWT"
		}
		doc["components"].(map[string]any)["securitySchemes"] = map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": format,
				"description": bearerText[f.Auth]},
		}
		doc["security"] = []any{map[string]any{"bearer": []any{}}}
	}
	return json.MarshalIndent(doc, "", "  ")
}

var bearerText = map[string]string{
	"apikey": "An API key of the function's tenant with the functions:invoke scope.",
	"jwt":    "A JWT that verifies against the tenant's JWT settings; its claims are the function's ctx.auth.",
}

func description(f Function) string {
	who := "public: the URL is the secret, no credential is needed"
	switch f.Auth {
	case "apikey":
		who = "an API key of the function's tenant with the functions:invoke scope, as `Authorization: Bearer <key>`"
	case "jwt":
		who = "a JWT of the function's tenant, as `Authorization: Bearer <token>`"
	}
	return "The contract of one ScriptForge function. Who may call it: " + who + ". " +
		"The request is checked against the input schema before the function runs (`400 invalid_input`, listing every failing JSON pointer and keyword in `error.details.failures`); " +
		"the result is checked against the output schema after it (`500 bad_output`). " +
		"Every answer carries `X-Request-Id`; fair-usage limits answer `429` with `Retry-After` and the `RateLimit-Policy` and `RateLimit` headers, which successful answers carry too when a limit applies."
}

func fnOperation(id, summary, desc string, f Function, params []any, body bool) map[string]any {
	op := map[string]any{
		"operationId": id,
		"summary":     summary,
		"description": desc,
		"responses": map[string]any{
			"200":     map[string]any{"$ref": "#/components/responses/Result"},
			"400":     map[string]any{"$ref": "#/components/responses/BadRequest"},
			"404":     map[string]any{"$ref": "#/components/responses/NotFound"},
			"413":     map[string]any{"$ref": "#/components/responses/PayloadTooLarge"},
			"429":     map[string]any{"$ref": "#/components/responses/TooManyRequests"},
			"500":     map[string]any{"$ref": "#/components/responses/FunctionFailed"},
			"503":     map[string]any{"$ref": "#/components/responses/Unavailable"},
			"504":     map[string]any{"$ref": "#/components/responses/Timeout"},
			"default": map[string]any{"$ref": "#/components/responses/OtherError"},
		},
	}
	if f.Auth == "apikey" || f.Auth == "jwt" {
		r := op["responses"].(map[string]any)
		r["401"] = map[string]any{"$ref": "#/components/responses/Unauthorized"}
		r["403"] = map[string]any{"$ref": "#/components/responses/Forbidden"}
	}
	if params != nil {
		op["parameters"] = params
	}
	if body {
		op["requestBody"] = map[string]any{
			"required": true,
			"content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/Input"},
			}},
		}
	}
	return op
}

var (
	queryParam = map[string]any{
		"name": "data", "in": "query", "style": "form", "explode": true,
		"description": "The query's names and values.",
		"schema":      map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
	}
	exportParam = map[string]any{
		"name": "export", "in": "path", "required": true,
		"description": "The name of an exported function.",
		"schema":      map[string]any{"type": "string", "pattern": "^[A-Za-z_$][A-Za-z0-9_$]*$"},
	}
	errorSchema = map[string]any{
		"type":     "object",
		"required": []any{"error"},
		"properties": map[string]any{"error": map[string]any{
			"type":     "object",
			"required": []any{"code", "message", "request_id"},
			"properties": map[string]any{
				"code":       map[string]any{"type": "string", "description": "A stable code: invalid_input, bad_output, function_error, timeout, rate_limited, …"},
				"message":    map[string]any{"type": "string"},
				"request_id": map[string]any{"type": "string"},
				"sip_code":   map[string]any{"type": "integer", "description": "The SIP-style code a function threw, if any."},
				"details": map[string]any{
					"type": "object", "description": "For invalid_input and bad_output: every failing location.",
					"properties": map[string]any{
						"failures": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/ValidationFailure"}},
						"more":     map[string]any{"type": "integer", "description": "Failures past the 256 listed."},
					},
				},
			},
		}},
	}
	failureSchema = map[string]any{
		"type":     "object",
		"required": []any{"pointer", "keyword", "schema_path", "message"},
		"properties": map[string]any{
			"pointer":     map[string]any{"type": "string", "description": "The failing location in the value, a JSON pointer (\"\" is the whole value)."},
			"keyword":     map[string]any{"type": "string", "description": "The schema keyword that failed."},
			"schema_path": map[string]any{"type": "string", "description": "The keyword's location in the schema, a JSON pointer."},
			"message":     map[string]any{"type": "string"},
		},
	}
	headers = map[string]any{
		"X-Request-Id": map[string]any{"description": "The request's id; the run record is kept under it.",
			"schema": map[string]any{"type": "string"}},
		"RateLimit-Policy": map[string]any{"description": "The tightest limit that applies (IETF RateLimit headers).",
			"schema": map[string]any{"type": "string"}},
		"RateLimit": map[string]any{"description": "What is left of that limit.",
			"schema": map[string]any{"type": "string"}},
		"Retry-After": map[string]any{"description": "Seconds to wait before calling again.",
			"schema": map[string]any{"type": "integer"}},
		"Server-Timing": map[string]any{"description": "The run's CPU time and the gateway's time on the call, in milliseconds.",
			"schema": map[string]any{"type": "string"}},
	}
)

func headerRefs(names ...string) map[string]any {
	out := map[string]any{}
	for _, n := range names {
		out[n] = map[string]any{"$ref": "#/components/headers/" + n}
	}
	return out
}

func errorResponse(desc string, hdrs ...string) map[string]any {
	return map[string]any{
		"description": desc,
		"headers":     headerRefs(append([]string{"X-Request-Id"}, hdrs...)...),
		"content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/Error"},
		}},
	}
}

func responses() map[string]any {
	return map[string]any{
		"Result": map[string]any{
			"description": "The function's result. A function may also answer with a Response of its own (any status and content type), which is not checked against the output schema.",
			"headers":     headerRefs("X-Request-Id", "RateLimit-Policy", "RateLimit", "Server-Timing"),
			"content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/Output"},
			}},
		},
		"BadRequest":      errorResponse("The request does not match the input schema (`invalid_input`, with `error.details.failures`), or is not valid JSON (`invalid_json`, `json_too_deep`)."),
		"Unauthorized":    errorResponse("No credential, or a bad one; the answer carries a `WWW-Authenticate` challenge."),
		"Forbidden":       errorResponse("A credential of another tenant, or without the `functions:invoke` scope."),
		"NotFound":        errorResponse("No function at this URL, or no such export."),
		"PayloadTooLarge": errorResponse("The body is over the gateway's limit."),
		"TooManyRequests": errorResponse("A fair-usage limit refused the call; the function did not run.", "Retry-After", "RateLimit-Policy", "RateLimit"),
		"FunctionFailed":  errorResponse("The function threw (`function_error`), ran out of memory (`memory_limit`), or returned a result that does not match the output schema (`bad_output`, with `error.details.failures`).", "Server-Timing"),
		"Unavailable":     errorResponse("The function cannot run now (`quarantined`, `sandbox_restarting`).", "Retry-After"),
		"Timeout":         errorResponse("The function ran past its time limit.", "Server-Timing"),
		"OtherError":      errorResponse("Another error, in the same shape (e.g. 422 for a SIP-style code the function threw)."),
	}
}

// componentName keeps the characters a component name may have.
var componentName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// embedSchema turns a function's schema into a component: its $defs (or
// draft-7 definitions) become components named prefix_<name>, its local
// $refs are rewritten to match, and $schema and $id, which would change
// how the document's references resolve, are dropped. An absent schema
// is any JSON value.
func embedSchema(prefix string, raw json.RawMessage, comps map[string]any) (any, error) {
	if len(raw) == 0 {
		return map[string]any{"description": "Any JSON value: the function declares no schema."}, nil
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		if doc == false {
			return map[string]any{"not": map[string]any{}}, nil
		}
		return map[string]any{}, nil
	}
	names := map[string]string{} // a $defs name → its component
	for _, key := range []string{"$defs", "definitions"} {
		defs, _ := obj[key].(map[string]any)
		for name := range defs {
			c := prefix + "_" + componentName.ReplaceAllString(name, "_")
			for n := 2; comps[c] != nil || taken(names, c); n++ {
				c = fmt.Sprintf("%s_%s_%d", prefix, componentName.ReplaceAllString(name, "_"), n)
			}
			names[key+"/"+name] = c
		}
	}
	rewrite := func(ref string) string {
		ptr, ok := strings.CutPrefix(ref, "#")
		if !ok || (ptr != "" && ptr[0] != '/') {
			return ref // an anchor or another document: left as is
		}
		for def, c := range names {
			if rest, ok := strings.CutPrefix(ptr, "/"+escapeDefName(def)); ok && (rest == "" || rest[0] == '/') {
				return "#/components/schemas/" + c + rest
			}
		}
		return "#/components/schemas/" + prefix + ptr
	}
	for _, key := range []string{"$defs", "definitions"} {
		defs, _ := obj[key].(map[string]any)
		for name, def := range defs {
			comps[names[key+"/"+name]] = rewriteRefs(def, rewrite)
		}
		delete(obj, key)
	}
	delete(obj, "$schema")
	delete(obj, "$id")
	return rewriteRefs(obj, rewrite), nil
}

func taken(names map[string]string, c string) bool {
	for _, v := range names {
		if v == c {
			return true
		}
	}
	return false
}

// escapeDefName escapes the name part of "$defs/name" for a JSON pointer.
func escapeDefName(def string) string {
	key, name, _ := strings.Cut(def, "/")
	return key + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(name)
}

// rewriteRefs rewrites every "$ref" string in a schema, in place. It
// walks values that are not schemas too (an enum of objects with a
// "$ref" member would be rewritten): harmless for the document's
// purpose, and a schema walker that knows every keyword is the
// validator's job, not this one's.
func rewriteRefs(v any, rewrite func(string) string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if s, ok := c.(string); ok && k == "$ref" {
				t[k] = rewrite(s)
				continue
			}
			t[k] = rewriteRefs(c, rewrite)
		}
		if b, ok := t["$ref"]; ok && len(t) > 1 {
			// OpenAPI 3.0 tools ignore siblings of $ref; 2020-12 applies
			// them. allOf says the same to both.
			delete(t, "$ref")
			t["allOf"] = append([]any{map[string]any{"$ref": b}}, asSlice(t["allOf"])...)
		}
	case []any:
		for i, c := range t {
			t[i] = rewriteRefs(c, rewrite)
		}
	}
	return v
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
