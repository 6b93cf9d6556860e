package routing

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestValidateData(t *testing.T) {
	long := `"` + strings.Repeat("v", MaxHeaderValue+1) + `"`
	for _, tc := range []struct {
		data, path string // path "" when valid
	}{
		{`{"routing":{},"egress_routing":[]}`, ""},
		{`{"headers":[{"key":"X-A","value":"1"},{"key":"P-Asserted-Identity","value":5060}],"remove_headers":[{"key":"X-B"}]}`, ""},
		{`{"egress_routing":[{"uri":"sip:a"},{"headers":null,"remove_headers":[{"key":"X-A","value":"only-this"}]}]}`, ""},
		{`[]`, "data"},
		{`null`, "data"},
		{`{"headers":"X-A: 1"}`, "headers"},
		{`{"headers":[{"key":"X-A","value":null}]}`, "headers[0].value"},
		{`{"remove_headers":[{"key":"X-A","value":null}]}`, "remove_headers[0].value"},
		{`{"headers":[{"key":"Via:","value":"1"}]}`, "headers[0].key"},
		{`{"headers":[{"key":"X-A","value":{}}]}`, "headers[0].value"},
		{`{"headers":[{"key":"X-A","value":` + long + `}]}`, "headers[0].value"},
		{`{"headers":[{"key":"X-A","value":"a\u0000b"}]}`, "headers[0].value"},
		{`{"egress_routing":[{},{"headers":[{"key":"X-A","value":"1"},{"key":"Bad Name","value":"v"}]}]}`, "egress_routing[1].headers[1].key"},
		{`{"egress_routing":[1]}`, "egress_routing[0]"},
		{`{"egress_routing":[{"remove_headers":{}}]}`, "egress_routing[0].remove_headers"},
	} {
		err := ValidateData(json.RawMessage(tc.data))
		var se *ShapeError
		switch {
		case tc.path == "" && err != nil:
			t.Fatalf("%s: %v", tc.data, err)
		case tc.path != "" && (!errors.As(err, &se) || se.Path != tc.path):
			t.Fatalf("%.80s: %v; want the path %s", tc.data, err, tc.path)
		}
		// On valid JSON, ValidateShape says the same without json.Valid.
		if shape := ValidateShape(json.RawMessage(tc.data)); (shape == nil) != (err == nil) || err != nil && shape.Error() != err.Error() {
			t.Fatalf("%.80s: ValidateShape %v, ValidateData %v", tc.data, shape, err)
		}
	}
	// Text that is not JSON is ValidateData's to refuse.
	for _, bad := range []string{`{"headers":[}`, `{"a":1,}`, `{`, ``} {
		var se *ShapeError
		if err := ValidateData(json.RawMessage(bad)); !errors.As(err, &se) || se.Path != "data" {
			t.Fatalf("%q: %v", bad, err)
		}
	}
	// The total is bounded too: 64 routes of 32 headers of 1 KiB each
	// would be 2 MiB of SIP headers.
	var b strings.Builder
	b.WriteString(`{"egress_routing":[`)
	for i := range 10 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"headers":[{"key":"X-A","value":"` + strings.Repeat("v", 1000) + `"}]}`)
	}
	b.WriteString(`]}`)
	var se *ShapeError
	if err := ValidateData(json.RawMessage(b.String())); !errors.As(err, &se) || se.Path != "egress_routing[8].headers[0]" {
		t.Fatalf("total: %v", err)
	}
}

func FuzzValidateData(f *testing.F) {
	f.Add(`{"headers":[{"key":"X-A","value":"1"}],"egress_routing":[{"remove_headers":[{"key":"X"}]}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateData(json.RawMessage(s))
		var se *ShapeError
		if err != nil && (!errors.As(err, &se) || se.Path == "") {
			t.Fatalf("an error without a path: %v", err)
		}
		_ = ValidateShape(json.RawMessage(s)) // trusts its input, but ends on any text, without a panic
	})
}

// The walker agrees with the decoding validator it replaced on any valid
// JSON: same verdict, same path (but for which of several unknown fields
// is named: the decoder visited them in map order).
func FuzzValidateDataAgrees(f *testing.F) {
	for _, s := range []string{
		`{"headers":[{"key":"X-A","value":"1"}],"egress_routing":[{"remove_headers":[{"key":"X"}]}]}`,
		`{"egress_routing":[{},{"headers":[{"key":"X-A","value":1},{"key":"Bad Name","value":"v"}]}]}`,
		`{"headers":[{"key":"X-\u00e9","value":"\u00ff"}], "headers": null, "remove_headers":[{"key":"a","value":-1.5e3}]}`,
		`{"egress_routing":[{"headers":[{"key":"k","value":"a\r"}],"headers":[]}], "x":{"headers":1}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		got, want := ValidateData(json.RawMessage(s)), oracleValidateData(json.RawMessage(s))
		var g, w *ShapeError
		errors.As(got, &g)
		errors.As(want, &w)
		switch {
		case (got == nil) != (want == nil):
			t.Fatalf("%q: walker %v, decoder %v", s, got, want)
		case got != nil && g.Path != w.Path && !strings.Contains(w.Message, "is not a header field"):
			t.Fatalf("%q: walker %v, decoder %v", s, got, want)
		}
	})
}
