package contract

import (
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/scriptforge/scriptforge/functions/jsonwalk"
)

// A quick check answers "valid" for the common contracts without the
// library. Most schemas set on functions only say which properties an
// object has, of which types, within which bounds; the library checks
// such a value in microseconds, most of it spent turning each number
// into a big.Rat through fmt (bench/schemas.sh: two validations were a
// fifth of a trivial call). A quick check is built only from a schema
// whose every keyword is in the small set below, and it only ever says
// "valid": a value it does not accept, or cannot judge (a json.Number,
// from a body with a number a float64 may not hold exactly), goes to the
// library, which stays the authority and names the failures.
// TestQuickAgreesWithLibrary compares the two on random schemas and values.

// quick is one (sub)schema of the set. Unset bounds are NaN or -1.
type quick struct {
	never bool // the schema false
	types typeSet

	props      map[string]*quick
	required   []string
	additional *quick // for properties not in props; nil: any
	minProps   int
	maxProps   int

	items    *quick // every item; nil: any
	minItems int
	maxItems int

	minimum, maximum, exclusiveMin, exclusiveMax float64
	minLength, maxLength                         int

	enum     []any // scalars only: nil, bool, float64, string
	hasEnum  bool
	constV   any
	hasConst bool
}

type typeSet uint8

const (
	tNull typeSet = 1 << iota
	tBool
	tNumber
	tInteger // a number with no fraction
	tString
	tArray
	tObject
)

var typeNames = map[string]typeSet{"null": tNull, "boolean": tBool, "number": tNumber, "integer": tInteger,
	"string": tString, "array": tArray, "object": tObject}

// annotations are keywords that never change whether a value is valid.
var annotations = map[string]bool{"title": true, "description": true, "default": true, "examples": true,
	"$comment": true, "deprecated": true, "readOnly": true, "writeOnly": true}

const draft2020 = "https://json-schema.org/draft/2020-12/schema"

// quickOf builds the quick check of a parsed schema, or returns nil when
// it uses anything outside the set (then the library checks every value).
func quickOf(doc any) *quick {
	q, ok := buildQuick(doc, true)
	if !ok {
		return nil
	}
	return q
}

func buildQuick(doc any, root bool) (*quick, bool) {
	q := &quick{minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLength: -1, maxLength: -1,
		minimum: math.NaN(), maximum: math.NaN(), exclusiveMin: math.NaN(), exclusiveMax: math.NaN()}
	switch d := doc.(type) {
	case bool:
		q.never = !d
		return q, true
	case map[string]any:
		for k, v := range d {
			if !q.take(k, v, root) {
				return nil, false
			}
		}
		return q, true
	}
	return nil, false
}

// take sets keyword k of value v, reporting whether it is one of the set.
func (q *quick) take(k string, v any, root bool) bool {
	var ok bool
	switch k {
	case "$schema":
		s, isString := v.(string)
		return root && isString && (s == draft2020 || s == draft2020+"#")
	case "type":
		q.types, ok = typesOf(v)
	case "properties":
		m, isMap := v.(map[string]any)
		if !isMap {
			return false
		}
		q.props = make(map[string]*quick, len(m))
		for name, sub := range m {
			if q.props[name], ok = buildQuick(sub, false); !ok {
				return false
			}
		}
		return true
	case "required":
		list, isList := v.([]any)
		if !isList {
			return false
		}
		for _, r := range list {
			name, isString := r.(string)
			if !isString {
				return false
			}
			q.required = append(q.required, name)
		}
		return true
	case "additionalProperties":
		q.additional, ok = buildQuick(v, false)
	case "items":
		q.items, ok = buildQuick(v, false)
	case "minimum":
		q.minimum, ok = v.(float64)
	case "maximum":
		q.maximum, ok = v.(float64)
	case "exclusiveMinimum":
		q.exclusiveMin, ok = v.(float64)
	case "exclusiveMaximum":
		q.exclusiveMax, ok = v.(float64)
	case "minLength":
		q.minLength, ok = count(v)
	case "maxLength":
		q.maxLength, ok = count(v)
	case "minItems":
		q.minItems, ok = count(v)
	case "maxItems":
		q.maxItems, ok = count(v)
	case "minProperties":
		q.minProps, ok = count(v)
	case "maxProperties":
		q.maxProps, ok = count(v)
	case "enum":
		list, isList := v.([]any)
		if !isList {
			return false
		}
		for _, e := range list {
			if !scalar(e) {
				return false
			}
		}
		q.enum, q.hasEnum = list, true
		return true
	case "const":
		q.constV, q.hasConst = v, true
		return scalar(v)
	default:
		return annotations[k]
	}
	return ok
}

func typesOf(v any) (typeSet, bool) {
	switch t := v.(type) {
	case string:
		ts, ok := typeNames[t]
		return ts, ok
	case []any:
		var set typeSet
		for _, e := range t {
			name, _ := e.(string)
			ts, ok := typeNames[name]
			if !ok {
				return 0, false
			}
			set |= ts
		}
		return set, len(t) > 0
	}
	return 0, false
}

// count is a non-negative integer keyword's value (the library has
// refused any other when it compiled the schema).
func count(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// scalar: a value equality is plain == on (numbers as float64, which a
// schema parsed without json.Number holds exactly: see decode).
func scalar(v any) bool {
	switch v.(type) {
	case nil, bool, float64, string:
		return true
	}
	return false
}

// accepts reports whether v is valid; false means "ask the library",
// whether v is invalid or only not something a quick check judges.
func (q *quick) accepts(v any) bool {
	if q.never {
		return false
	}
	if q.hasConst && !sameScalar(v, q.constV) {
		return false
	}
	if q.hasEnum && !q.inEnum(v) {
		return false
	}
	switch t := v.(type) {
	case nil:
		return q.typed(tNull)
	case bool:
		return q.typed(tBool)
	case float64:
		return q.number(t)
	case string:
		if !q.typed(tString) {
			return false
		}
		if q.minLength >= 0 || q.maxLength >= 0 {
			n := utf8.RuneCountInString(t)
			if n < q.minLength || (q.maxLength >= 0 && n > q.maxLength) {
				return false
			}
		}
		return true
	case []any:
		if !q.typed(tArray) || len(t) < q.minItems || (q.maxItems >= 0 && len(t) > q.maxItems) {
			return false
		}
		if q.items != nil {
			for _, e := range t {
				if !q.items.accepts(e) {
					return false
				}
			}
		}
		return true
	case map[string]any:
		return q.object(t)
	}
	return false // a json.Number, or anything else: the library's
}

func (q *quick) typed(t typeSet) bool { return q.types == 0 || q.types&t != 0 }

func (q *quick) number(x float64) bool {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return false
	}
	isInt := x == math.Trunc(x)
	if q.types != 0 && q.types&tNumber == 0 && !(isInt && q.types&tInteger != 0) {
		return false
	}
	// NaN bounds compare false: unset bounds pass.
	return !(x < q.minimum) && !(x > q.maximum) && !(x <= q.exclusiveMin) && !(x >= q.exclusiveMax)
}

func (q *quick) object(obj map[string]any) bool {
	if !q.typed(tObject) || len(obj) < q.minProps || (q.maxProps >= 0 && len(obj) > q.maxProps) {
		return false
	}
	for _, name := range q.required {
		if _, ok := obj[name]; !ok {
			return false
		}
	}
	for name, v := range obj {
		sub, declared := q.props[name]
		if !declared {
			sub = q.additional
		}
		if sub != nil && !sub.accepts(v) {
			return false
		}
	}
	return true
}

func (q *quick) inEnum(v any) bool {
	for _, e := range q.enum {
		if sameScalar(v, e) {
			return true
		}
	}
	return false
}

// sameScalar is JSON equality of v with a scalar s; an object or array v
// is never equal to one.
func sameScalar(v, s any) bool {
	switch a := v.(type) {
	case nil:
		return s == nil
	case bool:
		b, ok := s.(bool)
		return ok && a == b
	case float64:
		b, ok := s.(float64)
		return ok && a == b
	case string:
		b, ok := s.(string)
		return ok && a == b
	}
	return false
}

// acceptsJSON is accepts on the text of a value known to be valid JSON,
// without decoding it: what the gateway checked with json.Valid already.
// It says "valid" only where decoding could not change the answer: a
// key or string with an escape, a string that is not valid UTF-8, a
// number a float64 may not hold exactly (see decode), or an object
// with a key twice (a decoder keeps the last) or many keys all go to
// the decoded check instead.
func (q *quick) acceptsJSON(b []byte) bool {
	if q.never || len(b) == 0 {
		return false
	}
	if q.hasConst || q.hasEnum {
		v, ok := rawScalar(b)
		if !ok || (q.hasConst && !sameScalar(v, q.constV)) || (q.hasEnum && !q.inEnum(v)) {
			return false
		}
	}
	switch b[0] {
	case 'n':
		return q.typed(tNull)
	case 't', 'f':
		return q.typed(tBool)
	case '"':
		s, ok := rawString(b)
		if !ok || !q.typed(tString) {
			return false
		}
		if q.minLength >= 0 || q.maxLength >= 0 {
			n := utf8.RuneCountInString(s)
			if n < q.minLength || (q.maxLength >= 0 && n > q.maxLength) {
				return false
			}
		}
		return true
	case '[':
		if !q.typed(tArray) {
			return false
		}
		n := 0
		for it := jsonwalk.Elements(b); ; n++ {
			e, ok := it.Next()
			if !ok {
				break
			}
			if q.items != nil && !q.items.acceptsJSON(e) {
				return false
			}
		}
		return n >= q.minItems && (q.maxItems < 0 || n <= q.maxItems)
	case '{':
		return q.objectJSON(b)
	}
	x, ok := rawNumber(b)
	return ok && q.number(x)
}

// maxQuickKeys bounds the keys of one object the raw check compares for
// duplicates; a larger object is decoded.
const maxQuickKeys = 32

func (q *quick) objectJSON(b []byte) bool {
	if !q.typed(tObject) {
		return false
	}
	var keys [maxQuickKeys]string
	n := 0
	for it := jsonwalk.Members(b); ; {
		rawKey, v, ok := it.Next()
		if !ok {
			break
		}
		key, plain := rawString(rawKey)
		if !plain || n == maxQuickKeys {
			return false
		}
		for _, k := range keys[:n] {
			if k == key {
				return false // the decoder keeps the last: let it
			}
		}
		keys[n] = key
		n++
		sub, declared := q.props[key]
		if !declared {
			sub = q.additional
		}
		if sub != nil && !sub.acceptsJSON(v) {
			return false
		}
	}
	if n < q.minProps || (q.maxProps >= 0 && n > q.maxProps) {
		return false
	}
	for _, name := range q.required {
		found := false
		for _, k := range keys[:n] {
			if k == name {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// rawString is the content of a string literal when it reads the same
// decoded: no escape, valid UTF-8. The string shares b's bytes: it must
// not outlive the check.
func rawString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	s := b[1 : len(b)-1]
	for _, c := range s {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(s) {
		return "", false
	}
	return unsafe.String(unsafe.SliceData(s), len(s)), true
}

// rawNumber parses a number literal that a float64 holds exactly, by
// decode's rule: at most 15 digits, no exponent.
func rawNumber(b []byte) (float64, bool) {
	digits := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' || c == '.':
		default:
			return 0, false // an exponent, or not a number
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	x, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
	return x, err == nil
}

// rawScalar is a scalar literal's value as decode gives it; false for
// an object, an array, or what rawString and rawNumber refuse.
func rawScalar(b []byte) (any, bool) {
	switch b[0] {
	case 'n':
		return nil, true
	case 't':
		return true, true
	case 'f':
		return false, true
	case '"':
		s, ok := rawString(b)
		return s, ok
	case '{', '[':
		return nil, false
	}
	x, ok := rawNumber(b)
	return x, ok
}
