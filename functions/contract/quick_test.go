package contract

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestQuickAgreesWithLibrary: on random schemas made of the quick set's
// keywords and random values, the quick check accepts exactly what the
// library accepts. (It may only ever err towards "ask the library"; it
// is tested for equality, so a check that turned cautious shows too.)
func TestQuickAgreesWithLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases, accepted := 4000, 0
	if testing.Short() {
		cases = 500
	}
	for i := range cases {
		doc := randomSchema(rng, 0)
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Compile("input_schema", raw, Budget{})
		if err != nil {
			t.Fatalf("case %d: %s: %v", i, raw, err)
		}
		if s.quick == nil {
			t.Fatalf("case %d: no quick check for %s", i, raw)
		}
		for range 8 {
			val, err := json.Marshal(randomValue(rng, 0))
			if err != nil {
				t.Fatal(err)
			}
			v, err := decode(val)
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.get()
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.run(c, v)
			if err != nil {
				t.Fatal(err)
			}
			s.put(c)
			quick := s.quick.accepts(v)
			if quick != res.OK() {
				t.Fatalf("schema %s, value %s: quick %v, library %v (%v)", raw, val, quick, res.OK(), res.Failures)
			}
			// On the text, compact and indented, it answers the same:
			// these values have no escapes, duplicate keys or inexact
			// numbers, which it leaves to the decoder.
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, val, " ", "\t"); err != nil {
				t.Fatal(err)
			}
			for _, text := range [][]byte{val, pretty.Bytes()} {
				if got := s.quick.acceptsJSON(bytes.TrimSpace(text)); got != quick {
					t.Fatalf("schema %s, value %s: on the text %v, decoded %v", raw, text, got, quick)
				}
			}
			if quick {
				accepted++
			}
		}
	}
	// Both answers must be common, or the test proves little.
	if total := cases * 8; accepted < total/10 || accepted > total*9/10 {
		t.Fatalf("%d of %d values valid: the generator is off balance", accepted, total)
	}
}

// TestQuickDeclines: schemas with a keyword outside the set, or numbers
// a float64 may not hold exactly, get no quick check; values it cannot
// judge go to the library.
func TestQuickDeclines(t *testing.T) {
	for _, raw := range []string{
		`{"type":"string","pattern":"^a"}`,
		`{"$ref":"#/$defs/a","$defs":{"a":{"type":"string"}}}`,
		`{"type":"object","properties":{"a":{"format":"email"}}}`,
		`{"allOf":[{"type":"string"}]}`,
		`{"type":"number","multipleOf":0.5}`,
		`{"type":"number","maximum":12345678901234567890}`,
		`{"type":"number","minimum":1e3}`,
		`{"enum":[{"a":1}]}`,
		`{"$schema":"http://json-schema.org/draft-07/schema#","items":[{"type":"string"}]}`,
		`{"properties":{"a":{"unknownKeyword":1}}}`,
	} {
		s, err := Compile("input_schema", []byte(raw), Budget{})
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if s.quick != nil {
			t.Errorf("%s: a quick check was built", raw)
		}
	}
	s, err := Compile("input_schema", []byte(`{"type":"integer","maximum":10}`), Budget{})
	if err != nil || s.quick == nil {
		t.Fatal(s, err)
	}
	// 20 digits: decoded as a json.Number, judged by the library.
	v, err := decode([]byte(`12345678901234567890`))
	if err != nil {
		t.Fatal(err)
	}
	if s.quick.accepts(v) {
		t.Fatal("the quick check judged a json.Number")
	}
	if res, err := s.ValidateValue(v); err != nil || res.OK() {
		t.Fatalf("a number past the maximum passed: %v %v", res, err)
	}
}

var (
	sampleNumbers = []float64{-2, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 10}
	sampleStrings = []string{"", "a", "ab", "héllo", "abc", "ü"}
	sampleKeys    = []string{"a", "b", "c"}
	sampleTypes   = []string{"null", "boolean", "number", "integer", "string", "array", "object"}
)

func pick[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }

func randomScalar(rng *rand.Rand) any {
	switch rng.IntN(4) {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return pick(rng, sampleNumbers)
	}
	return pick(rng, sampleStrings)
}

func randomValue(rng *rand.Rand, depth int) any {
	n := 5
	if depth < 3 {
		n = 7
	}
	switch rng.IntN(n) {
	case 5:
		list := make([]any, rng.IntN(4))
		for i := range list {
			list[i] = randomValue(rng, depth+1)
		}
		return list
	case 6:
		obj := map[string]any{}
		for range rng.IntN(4) {
			obj[pick(rng, sampleKeys)] = randomValue(rng, depth+1)
		}
		return obj
	}
	return randomScalar(rng)
}

func randomSchema(rng *rand.Rand, depth int) any {
	if depth > 0 && rng.IntN(8) == 0 {
		return rng.IntN(4) != 0 // true, now and then false
	}
	s := map[string]any{}
	if depth == 0 && rng.IntN(4) == 0 {
		s["$schema"] = draft2020
	}
	if rng.IntN(3) != 0 {
		if rng.IntN(3) == 0 {
			i := rng.IntN(len(sampleTypes))
			j := (i + 1 + rng.IntN(len(sampleTypes)-1)) % len(sampleTypes) // another
			s["type"] = []any{sampleTypes[i], sampleTypes[j]}
		} else {
			s["type"] = pick(rng, sampleTypes)
		}
	}
	if rng.IntN(5) == 0 {
		s["title"] = "annotation"
	}
	maybe := func(k string, v func() any) {
		if rng.IntN(5) == 0 {
			s[k] = v()
		}
	}
	num := func() any { return pick(rng, sampleNumbers) }
	small := func() any { return float64(rng.IntN(4)) }
	for _, k := range []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} {
		maybe(k, num)
	}
	for _, k := range []string{"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"} {
		maybe(k, small)
	}
	maybe("const", func() any { return randomScalar(rng) })
	maybe("enum", func() any {
		list := make([]any, 1+rng.IntN(3))
		for i := range list {
			list[i] = randomScalar(rng)
		}
		return list
	})
	if depth < 3 {
		maybe("items", func() any { return randomSchema(rng, depth+1) })
		maybe("additionalProperties", func() any { return randomSchema(rng, depth+1) })
		if rng.IntN(2) == 0 {
			props := map[string]any{}
			for range 1 + rng.IntN(3) {
				props[pick(rng, sampleKeys)] = randomSchema(rng, depth+1)
			}
			s["properties"] = props
		}
		maybe("required", func() any { return []any{pick(rng, sampleKeys)} })
	}
	return s
}

// TestQuickTextLeavesToTheDecoder: text whose decoded value could differ
// from what the raw check reads is not accepted by it, and Validate
// still gives the library's answer.
func TestQuickTextLeavesToTheDecoder(t *testing.T) {
	s, err := Compile("input_schema", []byte(`{"type":"object","properties":{"a":{"type":"string","maxLength":1},"n":{"type":"integer","maximum":10}},"maxProperties":1}`), Budget{})
	if err != nil || s.quick == nil {
		t.Fatal(s, err)
	}
	for _, c := range []struct {
		text  string
		valid bool
	}{
		{`{"a":"xy","a":"x"}`, true},         // a key twice: the decoder keeps the last
		{`{"a":"x","a":"xy"}`, false},        // …whichever it is
		{`{"a":"\u0078"}`, true},             // an escape: one character decoded
		{`{"\u0061":"xy"}`, false},           // an escaped key names a
		{`{"n":1e1}`, true},                  // an exponent: 10
		{`{"n":1e2}`, false},                 // 100
		{`{"n":10.0000000000000001}`, false}, // 17 digits: not 10, exactly
		{"{\"a\":\"\xff\"}", true},           // not UTF-8: one U+FFFD decoded
		{` {"a":"x"} `, true},
	} {
		res, err := s.Validate([]byte(c.text))
		if err != nil || res.OK() != c.valid {
			t.Errorf("%s: valid %v (%v), want %v", c.text, res.OK(), err, c.valid)
		}
	}
	// Counted on the text, a key given twice would make two properties.
	two, err := Compile("input_schema", []byte(`{"type":"object","minProperties":2,"required":["a"]}`), Budget{})
	if err != nil || two.quick == nil {
		t.Fatal(two, err)
	}
	if res, err := two.Validate([]byte(`{"a":1,"a":2}`)); err != nil || res.OK() {
		t.Errorf(`{"a":1,"a":2} against minProperties 2: valid %v (%v)`, res.OK(), err)
	}
}

// FuzzQuickText: whatever valid JSON the raw check accepts, the library
// accepts too.
//
//	go test -fuzz FuzzQuickText ./functions/contract/
func FuzzQuickText(f *testing.F) {
	s, err := Compile("input_schema", []byte(`{"type":"object","required":["n"],"properties":{"n":{"type":"integer","minimum":0,"maximum":100},"s":{"type":"string","minLength":1,"maxLength":3},"e":{"enum":["a",1,null]},"l":{"type":"array","items":{"type":"number"},"maxItems":2}},"additionalProperties":false,"maxProperties":3}`), Budget{})
	if err != nil || s.quick == nil {
		f.Fatal(s, err)
	}
	for _, seed := range []string{`{"n":1}`, `{"n":1,"n":-1}`, `{"n":1,"s":"ab\u00e9"}`, `{"n":1.0,"e":"a"}`, `{"n":5,"l":[1,2.5]}`, `{"n":1e1}`, `{"n":12345678901234567}`, `{"n":1,"x":0}`, `[{"n":1}]`, `{"n":1,"s":"\ud800"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if !json.Valid(text) || !s.quick.acceptsJSON(bytes.TrimSpace(text)) {
			return
		}
		v, err := decode(text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		c, err := s.get()
		if err != nil {
			t.Fatal(err)
		}
		defer s.put(c)
		if res, err := s.run(c, v); err != nil || !res.OK() {
			t.Fatalf("%s: accepted on its text, refused by the library: %v %v", text, res.Failures, err)
		}
	})
}
