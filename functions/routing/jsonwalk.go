package routing

import (
	"bytes"
	"encoding/json"
)

// A minimal walker over JSON already known to be valid: it finds the
// members of an object and the elements of an array as raw slices without
// decoding what it skips. ValidateData runs after every step of every
// routed call; encoding/json's decoding there cost a third of the
// gateway's CPU (bench/routing.sh).

// Each step ends within b whatever the text: the walker trusts its input
// to be valid JSON, but must not run off the end of one that is not.
func skipWS(b []byte, i int) int {
	i = min(i, len(b))
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at b[i] == '"'.
func skipString(b []byte, i int) int {
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

// skipValue returns the index after the value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
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

// members calls f with each member of the object v (valid JSON starting
// with '{'), in order; the value is trimmed of white space.
func members(v []byte, f func(key string, value []byte) error) error {
	i := skipWS(v, 1)
	for i < len(v) && v[i] != '}' {
		end := skipString(v, i)
		key := unquote(v[i:end])
		i = skipWS(v, end)
		i = skipWS(v, i+1) // the colon
		vend := skipValue(v, i)
		if err := f(key, v[i:vend]); err != nil {
			return err
		}
		i = skipWS(v, vend)
		if i < len(v) && v[i] == ',' {
			i = skipWS(v, i+1)
		}
	}
	return nil
}

// elements calls f with each element of the array v (valid JSON starting
// with '['), with its index.
func elements(v []byte, f func(n int, value []byte) error) error {
	i, n := skipWS(v, 1), 0
	for i < len(v) && v[i] != ']' {
		end := skipValue(v, i)
		if err := f(n, v[i:end]); err != nil {
			return err
		}
		n++
		i = skipWS(v, end)
		if i < len(v) && v[i] == ',' {
			i = skipWS(v, i+1)
		}
	}
	return nil
}

// count is how many elements the array v has.
func count(v []byte) int {
	n := 0
	_ = elements(v, func(int, []byte) error { n++; return nil })
	return n
}

// unquote decodes a JSON string literal; the common case is plain ASCII.
func unquote(s []byte) string {
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

// memberIter walks an object's members without a callback, so that what
// the caller keeps of them stays on its stack: ValidateData allocates
// nothing on valid data.
type memberIter struct {
	v []byte
	i int
}

func iterMembers(v []byte) memberIter { return memberIter{v: v, i: skipWS(v, 1)} }

// next returns the next member's raw key (the string literal, quotes
// included) and value.
func (it *memberIter) next() (key, value []byte, ok bool) {
	v, i := it.v, it.i
	if i >= len(v) || v[i] == '}' {
		return nil, nil, false
	}
	end := skipString(v, i)
	key = v[i:end]
	i = skipWS(v, end)
	i = skipWS(v, i+1) // the colon
	vend := skipValue(v, i)
	value = v[i:vend]
	i = skipWS(v, vend)
	if i < len(v) && v[i] == ',' {
		i = skipWS(v, i+1)
	}
	it.i = i
	return key, value, true
}

// elementIter walks an array's elements, like memberIter.
type elementIter struct {
	v []byte
	i int
}

func iterElements(v []byte) elementIter { return elementIter{v: v, i: skipWS(v, 1)} }

func (it *elementIter) next() (value []byte, ok bool) {
	v, i := it.v, it.i
	if i >= len(v) || v[i] == ']' {
		return nil, false
	}
	end := skipValue(v, i)
	value = v[i:end]
	i = skipWS(v, end)
	if i < len(v) && v[i] == ',' {
		i = skipWS(v, i+1)
	}
	it.i = i
	return value, true
}

// keyIs reports whether a raw key literal names name, as a decoder would
// read it: escapes are decoded only when there are any.
func keyIs(raw []byte, name string) bool {
	if len(raw) == len(name)+2 && string(raw[1:len(raw)-1]) == name {
		return true
	}
	return bytes.IndexByte(raw, '\\') >= 0 && unquote(raw) == name
}
