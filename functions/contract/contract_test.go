package contract

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const person = `{
  "type": "object",
  "required": ["name", "age"],
  "properties": {
    "name": {"type": "string", "minLength": 1},
    "age": {"type": "integer", "minimum": 0},
    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
    "address": {"$ref": "#/$defs/address"}
  },
  "additionalProperties": false,
  "$defs": {"address": {"type": "object", "required": ["zip"], "properties": {"zip": {"pattern": "^[0-9]{5}$"}}}}
}`

func TestValidate(t *testing.T) {
	s, err := Compile("input_schema", []byte(person), Budget{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		value string
		want  []string // "pointer keyword", in any order
	}{
		{"valid", `{"name":"Ada","age":36,"tags":["a","b"],"address":{"zip":"12345"}}`, nil},
		{"missing both", `{}`, []string{" required"}},
		{"several pointers", `{"name":"","age":-1,"tags":["a",1,"a"],"address":{"zip":"x"},"extra":true}`,
			[]string{"/name minLength", "/age minimum", "/tags/1 type", "/tags uniqueItems", "/address/zip pattern", " additionalProperties"}},
		{"wrong root type", `[1]`, []string{" type"}},
		{"big integer is exact", `{"name":"a","age":12345678901234567890123}`, nil},
		{"decimal is not integer", `{"name":"a","age":1.5}`, []string{"/age type"}},
		{"pointer escapes", `{"name":"a","age":1,"a/b~c":1}`, []string{" additionalProperties"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Validate([]byte(tt.value))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Failures {
				got = append(got, f.Pointer+" "+f.Keyword)
				if f.Message == "" || !strings.HasPrefix(f.SchemaPath, "/") && f.SchemaPath != "" {
					t.Errorf("failure %+v lacks a message or a schema path", f)
				}
			}
			if !sameSet(got, tt.want) {
				t.Fatalf("failures %q, want %q (%+v)", got, tt.want, res.Failures)
			}
			if res.OK() != (len(tt.want) == 0) {
				t.Fatalf("OK() = %v", res.OK())
			}
		})
	}
}

func TestSchemaPathAndSummary(t *testing.T) {
	s, err := Compile("input_schema", []byte(person), Budget{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Validate([]byte(`{"name":"a","age":-1}`))
	if err != nil || len(res.Failures) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if f := res.Failures[0]; f.SchemaPath != "/properties/age/minimum" || f.Pointer != "/age" {
		t.Fatalf("failure %+v", f)
	}
	if sum := res.Summary(5); !strings.Contains(sum, "/age:") || !strings.Contains(sum, "(minimum)") {
		t.Fatalf("summary %q", sum)
	}
}

func TestNotJSON(t *testing.T) {
	s, err := Compile("input_schema", []byte(`true`), Budget{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Validate([]byte(`{"a":`)); !errors.Is(err, ErrNotJSON) {
		t.Fatalf("err = %v", err)
	}
}

func TestFailuresAreBounded(t *testing.T) {
	s, err := Compile("input_schema", []byte(`{"type":"array","items":{"type":"string"}}`), Budget{})
	if err != nil {
		t.Fatal(err)
	}
	items := strings.Repeat("1,", MaxFailures+9) + "1"
	res, err := s.Validate([]byte("[" + items + "]"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != MaxFailures || res.More != 10 {
		t.Fatalf("%d failures, %d more", len(res.Failures), res.More)
	}
}

// TestBadSchemas: schemas refused when they are set, each with a problem
// that names what is wrong. The hostile ones must be refused quickly and
// must not touch the network or the file system.
func TestBadSchemas(t *testing.T) {
	deepAllOf := `{"type":"string"}`
	for range 200 {
		deepAllOf = `{"allOf":[` + deepAllOf + `]}`
	}
	tests := []struct {
		name, schema, want string
	}{
		{"not JSON", `{"type":`, "not JSON"},
		{"not a schema", `42`, "object or a boolean"},
		{"bad keyword value", `{"type":"strin"}`, "type"},
		{"bad regexp", `{"pattern":"("}`, "pattern"},
		{"ref loop", `{"$ref":"#"}`, "$ref loop"},
		{"ref loop through defs", `{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"allOf":[{"$ref":"#/$defs/a"}]}},"$ref":"#/$defs/a"}`, "$ref loop"},
		{"remote ref", `{"$ref":"https://example.com/schema.json"}`, "may not refer to other documents"},
		{"file ref", `{"$ref":"file:///etc/passwd"}`, "may not refer to other documents"},
		{"another urn", `{"properties":{"a":{"$ref":"urn:other"}}}`, "may not refer to other documents"},
		{"remote id base", `{"$id":"http://127.0.0.1:1/x.json","$ref":"y.json"}`, "may not refer to other documents"},
		{"remote metaschema", `{"$schema":"http://127.0.0.1:1/meta.json"}`, "may not refer to other documents"},
		{"huge schema", `{"enum":["` + strings.Repeat("x", MaxSchemaBytes) + `"]}`, "the limit is"},
		{"deep allOf", deepAllOf, "nests"},
		{"huge pattern", `{"pattern":"` + strings.Repeat("(a{1000})", 6000)[:54000] + `"}`, "pattern"},
		{"huge repetition", `{"pattern":"((a{1000}){1000}){1000}"}`, "pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Compile("input_schema", []byte(tt.schema), Budget{})
			var se *SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a SchemaError", err)
			}
			if se.Field != "input_schema" || !strings.Contains(se.Problem, tt.want) {
				t.Fatalf("problem %q, want it to say %q", se.Problem, tt.want)
			}
			if d := time.Since(start); d > 15*time.Second { // generous for loaded -race runs
				t.Fatalf("took %s", d)
			}
		})
	}
}

// TestBudget: a schema whose evaluations multiply per level of the
// instance (each level tries two branches that revisit the rest) is
// stopped at its budget, not left to run 2^depth evaluations.
func TestBudget(t *testing.T) {
	explode := `{"$defs":{"n":{"anyOf":[{"type":"array","items":{"$ref":"#/$defs/n"},"minItems":2},{"type":"array","items":{"$ref":"#/$defs/n"}}]}},"$ref":"#/$defs/n"}`
	s, err := Compile("input_schema", []byte(explode), Budget{Steps: 20_000, Time: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	deep := strings.Repeat("[", 40) + "0" + strings.Repeat("]", 40)
	start := time.Now()
	_, err = s.Validate([]byte(deep))
	if !errors.Is(err, ErrBudget) {
		t.Fatalf("err = %v, want ErrBudget", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("took %s", d)
	}
	// The schema still works for values within the budget, and the copy
	// that was stopped is not reused half-way.
	for range 3 {
		res, err := s.Validate([]byte(`[[0]]`))
		if err != nil || res.OK() {
			t.Fatalf("%+v %v", res, err)
		}
	}
	// A wall-time budget stops it too.
	s, err = Compile("input_schema", []byte(explode), Budget{Steps: 1 << 40, Time: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Validate([]byte(deep)); !errors.Is(err, ErrBudget) {
		t.Fatalf("err = %v, want ErrBudget", err)
	}
}

func TestConcurrentValidations(t *testing.T) {
	s, err := Compile("output_schema", []byte(person), Budget{})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			for j := range 200 {
				v := fmt.Sprintf(`{"name":"n","age":%d}`, i*j-100)
				res, err := s.Validate([]byte(v))
				if err == nil && res.OK() != (i*j-100 >= 0) {
					err = fmt.Errorf("%s: %+v", v, res)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestExactFloats: the fast decoding (float64) is used only where every
// number fits a float64 exactly; the rest decode as json.Number.
func TestExactFloats(t *testing.T) {
	for _, tt := range []struct {
		json string
		want bool
	}{
		{`{"n":42,"ok":true,"no":false,"x":null}`, true},
		{`[1.5, -3, 123456789012345]`, true},
		{`[1234567890123456]`, false},
		{`[0.1234567890123456]`, false},
		{`[1e5]`, false},
		{`[1.5E-3]`, false},
		{`{"s":"1234567890123456789 e5 \" 99999999999999999"}`, true},
	} {
		if got := exactFloats([]byte(tt.json)); got != tt.want {
			t.Errorf("exactFloats(%s) = %v, want %v", tt.json, got, tt.want)
		}
	}
	// Both decodings agree on what is valid.
	s, err := Compile("input_schema", []byte(`{"type":"integer","multipleOf":3}`), Budget{})
	if err != nil {
		t.Fatal(err)
	}
	for v, ok := range map[string]bool{`9`: true, `9.0`: true, `10`: false, `1e1`: false, `3e2`: true, `123456789012345678903`: true, `123456789012345678904`: false} {
		res, err := s.Validate([]byte(v))
		if err != nil || res.OK() != ok {
			t.Errorf("%s: %+v %v, want ok=%v", v, res, err, ok)
		}
	}
}
