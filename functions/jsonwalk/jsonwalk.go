// Package jsonwalk walks JSON text already known to be valid: it finds
// the members of an object and the elements of an array as raw slices,
// without decoding what it skips. It serves the hot paths that only need
// to look at a few values: the routing data's shape after every step of
// a chain, and the quick check of common input and output schemas.
//
// Every step ends within its input whatever the text: the walker trusts
// it to be valid JSON, but must not run off the end of one that is not.
package jsonwalk

import (
	"bytes"
	"encoding/json"
)

// (routing.ValidateData runs after every step of every routed call;
// encoding/json's decoding there cost a third of the gateway's CPU,
// bench/routing.sh.)

// SkipWS returns the index of the first byte at or after i that is not
// white space.
func SkipWS(b []byte, i int) int {
	i = min(i, len(b))
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// SkipString returns the index after the string that starts at b[i] == '"'.
func SkipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// SkipValue returns the index after the value that starts at b[i].
func SkipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return SkipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = SkipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	start := i
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return max(i, start+1) // a value is at least one byte: a walk over bad text still moves on
}

// EachMember calls f with each member of the object v (valid JSON starting
// with '{'), in order; the value is trimmed of white space.
func EachMember(v []byte, f func(key string, value []byte) error) error {
	i := SkipWS(v, 1)
	for i < len(v) && v[i] != '}' {
		end := SkipString(v, i)
		key := Unquote(v[i:end])
		i = SkipWS(v, end)
		i = SkipWS(v, i+1) // the colon
		vend := SkipValue(v, i)
		if err := f(key, v[i:vend]); err != nil {
			return err
		}
		i = SkipWS(v, vend)
		if i < len(v) && v[i] == ',' {
			i = SkipWS(v, i+1)
		}
	}
	return nil
}

// EachElement calls f with each element of the array v (valid JSON starting
// with '['), with its index.
func EachElement(v []byte, f func(n int, value []byte) error) error {
	i, n := SkipWS(v, 1), 0
	for i < len(v) && v[i] != ']' {
		end := SkipValue(v, i)
		if err := f(n, v[i:end]); err != nil {
			return err
		}
		n++
		i = SkipWS(v, end)
		if i < len(v) && v[i] == ',' {
			i = SkipWS(v, i+1)
		}
	}
	return nil
}

// Count is how many elements the array v has.
func Count(v []byte) int {
	n := 0
	_ = EachElement(v, func(int, []byte) error { n++; return nil })
	return n
}

// Unquote decodes a JSON string literal; the common case is plain ASCII.
func Unquote(s []byte) string {
	if len(s) >= 2 {
		plain := true
		for _, c := range s[1 : len(s)-1] {
			if c == '\\' || c >= 0x80 { // escapes, and UTF-8 a decoder would check
				plain = false
				break
			}
		}
		if plain {
			return string(s[1 : len(s)-1])
		}
	}
	var out string
	_ = json.Unmarshal(s, &out) // valid JSON: cannot fail
	return out
}

// MemberIter walks an object's members without a callback, so that what
// the caller keeps of them stays on its stack (routing.ValidateData
// allocates nothing on valid data). Members starts one.
type MemberIter struct {
	v []byte
	i int
}

func Members(v []byte) MemberIter { return MemberIter{v: v, i: SkipWS(v, 1)} }

// Next returns the next member's raw key (the string literal, quotes
// included) and value.
func (it *MemberIter) Next() (key, value []byte, ok bool) {
	v, i := it.v, it.i
	if i >= len(v) || v[i] == '}' {
		return nil, nil, false
	}
	end := SkipString(v, i)
	key = v[i:end]
	i = SkipWS(v, end)
	i = SkipWS(v, i+1) // the colon
	vend := SkipValue(v, i)
	value = v[i:vend]
	i = SkipWS(v, vend)
	if i < len(v) && v[i] == ',' {
		i = SkipWS(v, i+1)
	}
	it.i = i
	return key, value, true
}

// ElementIter walks an array's elements, like MemberIter; Elements
// starts one.
type ElementIter struct {
	v []byte
	i int
}

func Elements(v []byte) ElementIter { return ElementIter{v: v, i: SkipWS(v, 1)} }

func (it *ElementIter) Next() (value []byte, ok bool) {
	v, i := it.v, it.i
	if i >= len(v) || v[i] == ']' {
		return nil, false
	}
	end := SkipValue(v, i)
	value = v[i:end]
	i = SkipWS(v, end)
	if i < len(v) && v[i] == ',' {
		i = SkipWS(v, i+1)
	}
	it.i = i
	return value, true
}

// KeyIs reports whether a raw key literal names name, as a decoder would
// read it: escapes are decoded only when there are any.
func KeyIs(raw []byte, name string) bool {
	if len(raw) == len(name)+2 && string(raw[1:len(raw)-1]) == name {
		return true
	}
	return bytes.IndexByte(raw, '\\') >= 0 && Unquote(raw) == name
}
