// Package contract compiles a function's input and output JSON Schemas
// (its settings input_schema and output_schema) and validates JSON values
// against them, with github.com/santhosh-tekuri/jsonschema/v6.
//
// Schemas come from tenants, so nothing here trusts them: a schema is
// bounded in size and nesting, may not load anything ($ref to another
// document, file or URL, is refused rather than fetched), is probed for
// $ref loops when it is set, and every validation runs under a budget of
// schema evaluations and wall time, so no instance can make one schema
// cost without end. A failure lists every failing instance location
// (a JSON pointer) with its keyword.
package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Bounds on a schema as it is set. 64 KiB is far more than any real
// contract needs and keeps compiling one (and each pooled copy) cheap.
const (
	MaxSchemaBytes = 64 << 10
	MaxSchemaDepth = 64
	// MaxFailures bounds the failures one answer lists: every failing
	// location up to it, then a count of the rest.
	MaxFailures = 256
)

// Budget bounds one validation. Go's regexp is linear, but applicators
// that revisit one instance through $refs (anyOf of anyOfs, items of
// recursive refs) can multiply the work; the budget cuts it off.
type Budget struct {
	// Steps is how many (sub)schema evaluations a validation may make.
	// Default 1,000,000.
	Steps int
	// Time bounds a validation's wall time. Default 100 ms.
	Time time.Duration
}

func (b Budget) withDefaults() Budget {
	if b.Steps <= 0 {
		b.Steps = 1_000_000
	}
	if b.Time <= 0 {
		b.Time = 100 * time.Millisecond
	}
	return b
}

// SchemaError is a schema that cannot be set: Field is input_schema or
// output_schema, Problem says what is wrong with it.
type SchemaError struct {
	Field   string
	Problem string
}

func (e *SchemaError) Error() string { return e.Field + ": " + e.Problem }

// ErrBudget is a validation stopped by its Budget.
var ErrBudget = errors.New("contract: validation stopped at its budget")

// ErrNotJSON is a value that is not JSON.
var ErrNotJSON = errors.New("contract: the value is not JSON")

// Failure is one failing location of an instance.
type Failure struct {
	// Pointer is the instance location as a JSON pointer ("" is the root).
	Pointer string `json:"pointer"`
	// Keyword is the schema keyword that failed, e.g. "required".
	Keyword string `json:"keyword"`
	// SchemaPath is the keyword's location in the schema, a JSON pointer.
	SchemaPath string `json:"schema_path"`
	Message    string `json:"message"`
	// cycle marks the validator's $ref loop, refused when a schema is set.
	cycle bool
}

// Result is what a validation found: no Failures when the value is valid.
type Result struct {
	Failures []Failure `json:"failures"`
	// More counts the failures past MaxFailures, not listed.
	More int `json:"more,omitempty"`
}

// OK reports whether the value was valid.
func (r Result) OK() bool { return len(r.Failures) == 0 }

// Summary is the failures in one line: "/a: required; /b/0: type …".
func (r Result) Summary(limit int) string {
	var sb strings.Builder
	for i, f := range r.Failures {
		if i == limit {
			fmt.Fprintf(&sb, "; and %d more", len(r.Failures)-limit+r.More)
			return sb.String()
		}
		if i > 0 {
			sb.WriteString("; ")
		}
		ptr := f.Pointer
		if ptr == "" {
			ptr = "(root)"
		}
		fmt.Fprintf(&sb, "%s: %s (%s)", ptr, f.Message, f.Keyword)
	}
	if r.More > 0 {
		fmt.Fprintf(&sb, "; and %d more", r.More)
	}
	return sb.String()
}

// Check reports whether raw can be set as a schema, without compiling
// the copies a Schema keeps; Compile does the same checks.
func Check(field string, raw []byte) error {
	_, err := Compile(field, raw, Budget{})
	return err
}

// printer writes the validator's messages in English.
var printer = message.NewPrinter(language.English)

// decode parses one JSON value for the validator. Numbers are float64,
// which the validator checks much faster than json.Number (it compares
// json.Numbers as big.Rats), unless the text has a number a float64
// might not hold exactly (more than 15 significant digits, or an
// exponent): then every number is a json.Number, compared exactly.
func decode(raw []byte) (any, error) {
	var v any
	if !exactFloats(raw) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, err := dec.Token(); err == nil {
			return nil, errors.New("data after the JSON value")
		}
		return v, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// exactFloats reports whether every number in the JSON text fits a
// float64 exactly: at most 15 digits, no exponent. It looks at runs of
// digits outside strings, a byte scan with no allocation.
func exactFloats(raw []byte) bool {
	inString, escaped, digits := false, false, 0
	for _, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString, digits = true, 0
		case c >= '0' && c <= '9':
			if digits++; digits > 15 {
				return false
			}
		case (c == 'e' || c == 'E') && digits > 0: // an exponent, not the e of true or false
			return false
		case c == '.':
			// the fraction's digits count with the integer's
		default:
			digits = 0
		}
	}
	return true
}

// depth is how deeply v nests objects and arrays.
func depth(v any) int {
	d := 0
	switch t := v.(type) {
	case map[string]any:
		for _, c := range t {
			d = max(d, depth(c))
		}
		return d + 1
	case []any:
		for _, c := range t {
			d = max(d, depth(c))
		}
		return d + 1
	}
	return 0
}

// failures flattens a validation error into its leaves: each is one
// keyword failing at one location. Groups (allOf, properties, the
// root's "doesn't validate") only carry their causes.
func failures(err *jsonschema.ValidationError, out *Result) {
	if len(err.Causes) > 0 {
		for _, c := range err.Causes {
			failures(c, out)
		}
		return
	}
	if len(out.Failures) == MaxFailures {
		out.More++
		return
	}
	kw := err.ErrorKind.KeywordPath()
	keyword := ""
	if len(kw) > 0 {
		keyword = kw[len(kw)-1]
	}
	_, frag, _ := strings.Cut(err.SchemaURL, "#")
	if _, ok := err.ErrorKind.(*kind.Schema); !ok && len(kw) > 0 {
		frag += pointer(kw)
	}
	out.Failures = append(out.Failures, Failure{
		Pointer:    pointer(err.InstanceLocation),
		Keyword:    keyword,
		SchemaPath: frag,
		Message:    err.ErrorKind.LocalizedString(printer),
	})
	if _, ok := err.ErrorKind.(*kind.RefCycle); ok {
		out.Failures[len(out.Failures)-1].cycle = true
	}
}

// pointer writes tokens as a JSON pointer (RFC 6901).
func pointer(tokens []string) string {
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteByte('/')
		sb.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return sb.String()
}
