package engine

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// parseData turns a call's data (JSON) into the value main receives.
// goja's JSON.parse reads through encoding/json's token stream, which
// allocates per token and was the largest single cost of a warm call
// (13 % of a guarded in-process invocation). This builds the same values
// the same way goja does (an object's properties in source order, a
// duplicate key keeping its first place and its last value, __proto__ an
// own property, strings as encoding/json decodes them, numbers as
// float64) in one pass over the bytes; anything it does not take as
// plainly valid (a syntax error, a number out of range, deep nesting) goes
// to JSON.parse, so errors and corner cases stay exactly as they were.
func (r *run) parseData(data []byte) (goja.Value, error) {
	p := dataParser{vm: r.vm, b: data, proto: r.objectProto}
	p.ws()
	v := p.value(0)
	p.ws()
	if p.bad || p.i != len(p.b) {
		return r.parse(goja.Undefined(), r.vm.ToValue(string(data)))
	}
	return v, nil
}

// maxDataDepth is where parseData leaves nesting to JSON.parse.
const maxDataDepth = 128

type dataParser struct {
	vm    *goja.Runtime
	proto *goja.Object // Object.prototype, given to each object once it is filled
	b     []byte
	i     int
	bad   bool
}

func (p *dataParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *dataParser) value(depth int) goja.Value {
	if p.i >= len(p.b) || depth > maxDataDepth {
		p.bad = true
		return nil
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, ok := p.str()
		if !ok {
			p.bad = true
			return nil
		}
		return p.vm.ToValue(s)
	case c == 't':
		return p.word("true", p.vm.ToValue(true))
	case c == 'f':
		return p.word("false", p.vm.ToValue(false))
	case c == 'n':
		return p.word("null", goja.Null())
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	p.bad = true
	return nil
}

func (p *dataParser) word(w string, v goja.Value) goja.Value {
	if len(p.b)-p.i < len(w) || string(p.b[p.i:p.i+len(w)]) != w {
		p.bad = true
		return nil
	}
	p.i += len(w)
	return v
}

// object builds an object as JSON.parse does: own, writable, enumerable,
// configurable data properties in source order, a duplicate key keeping
// its first place and its last value, "__proto__" a plain key. It is
// filled while it has no prototype, then given Object.prototype: a set
// on an object without one creates a data property and nothing else
// (no setter or read-only property of Object.prototype, which user code
// may have added in a warm runtime, is consulted), as defining it would,
// without the descriptor goja allocates per defined property.
func (p *dataParser) object(depth int) goja.Value {
	obj := p.vm.CreateObject(nil)
	p.i++ // {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return p.inherit(obj)
	}
	for !p.bad {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			p.bad = true
			break
		}
		key, ok := p.str()
		if !ok {
			p.bad = true
			break
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			p.bad = true
			break
		}
		p.i++
		p.ws()
		v := p.value(depth + 1)
		if p.bad {
			break
		}
		if obj.Set(key, v) != nil {
			p.bad = true // cannot happen on a plain object; JSON.parse will say
			break
		}
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return p.inherit(obj)
		}
		p.bad = true
	}
	return nil
}

func (p *dataParser) inherit(obj *goja.Object) goja.Value {
	if obj.SetPrototype(p.proto) != nil {
		p.bad = true
		return nil
	}
	return obj
}

func (p *dataParser) array(depth int) goja.Value {
	p.i++ // [
	// NewArray copies the items: short arrays need no slice of their own.
	var short [8]any
	items := short[:0]
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return p.vm.NewArray()
	}
	for !p.bad {
		p.ws()
		v := p.value(depth + 1)
		if p.bad {
			break
		}
		items = append(items, v)
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return p.vm.NewArray(items...)
		}
		p.bad = true
	}
	return nil
}

// str reads a string token. One without escapes and in valid UTF-8 is
// taken as it is; any other is decoded by encoding/json, as goja's
// JSON.parse does (lone surrogates and bad bytes become U+FFFD).
func (p *dataParser) str() (string, bool) {
	start := p.i
	p.i++ // "
	plain := true
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			raw := p.b[start:p.i]
			if plain && utf8.Valid(raw) {
				return string(raw[1 : len(raw)-1]), true
			}
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			plain = false
			p.i += 2
		case c < 0x20:
			return "", false // a control character must be escaped
		default:
			p.i++
		}
	}
	return "", false
}

// number reads a number token in JSON's grammar and parses it as
// encoding/json does; one out of float64's range is left to JSON.parse.
func (p *dataParser) number() goja.Value {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		p.bad = true
		return nil
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			p.bad = true
			return nil
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			p.bad = true
			return nil
		}
	}
	f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	if err != nil {
		p.bad = true
		return nil
	}
	return p.vm.ToValue(f)
}
