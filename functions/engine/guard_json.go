package engine

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/dop251/goja"
)

// JSON.stringify, as ECMA-262 (25.5.2) has it, run in Go: goja's own is
// one Go call that no interrupt reaches and that builds any size of text,
// and a walk of the value beforehand (to bound it) would read each getter
// twice and see properties a getter adds. Here every observable step
// (getters, toJSON, the replacer, proxy traps) runs once, in order, while
// the text is counted against the memory budget, the depth is bounded and
// the run's stop is honoured.
type jsonWriter struct {
	r            *run
	b            []byte // the text so far
	replacer     goja.Callable
	propertyList []string // from an array replacer; nil for none
	gap, indent  string
	stack        []*goja.Object
	stackBuf     [8]*goja.Object // the stack's first levels, in the same allocation
	budget       float64
	steps        int64
	maxLen       int // the most bytes of text; 0 for no limit but the budget
}

func (r *run) jsonStringify(value, replacer, space goja.Value) goja.Value {
	w := &jsonWriter{r: r, budget: r.budget()}
	if !r.writeJSON(w, value, replacer, space) {
		return goja.Undefined()
	}
	return r.vm.ToValue(string(w.b))
}

// resultJSON is JSON.stringify of a run's result into r.resultText (nil
// for a function or symbol), stopped as soon as the text passes the
// result limit: the limit, not the memory budget, is what a result must
// fit, and a value that shares one big object many times costs no more
// than the limit to refuse. The text stays bytes: it goes to the caller
// as it is, not through a JavaScript string.
func (r *run) resultJSON(value goja.Value) {
	// Most results are a few hundred bytes: one buffer that size from the
	// start instead of four grown on the way.
	w := &jsonWriter{r: r, budget: r.budget(), maxLen: r.e.cfg.MaxResultBytes, b: make([]byte, 0, 512)}
	r.resultText = nil
	if r.writeJSON(w, value, goja.Undefined(), goja.Undefined()) {
		r.resultText = w.b
	}
}

// writeJSON writes value into w.b; false when it writes nothing (a
// function, a symbol or undefined).
func (r *run) writeJSON(w *jsonWriter, value, replacer, space goja.Value) bool {
	if o, ok := replacer.(*goja.Object); ok {
		if f, ok := goja.AssertFunction(o); ok {
			w.replacer = f
		} else if r.isArray(o) {
			w.propertyList = w.keyList(o)
		}
	}
	w.gap = jsonGap(space)
	w.stack = w.stackBuf[:0]
	holder := r.vm.NewObject()
	_ = holder.DefineDataProperty("", value, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE) // CreateDataProperty: no setter runs
	return w.property(holder, "", value)
}

// keyList is the PropertyList of an array replacer: its strings and
// numbers (and their wrappers) as strings, each once, in order.
func (w *jsonWriter) keyList(o *goja.Object) []string {
	list := []string{}
	n := toLength(o.Get("length"))
	for k := int64(0); k < int64(n); k++ {
		w.r.checkStopped(k, "JSON.stringify")
		v := o.Get(strconv.FormatInt(k, 10))
		var item string
		switch x := v.(type) {
		case goja.String:
			item = x.String()
		case *goja.Object:
			if c := x.ClassName(); c != "String" && c != "Number" {
				continue
			}
			item = w.r.toJSString(x).String()
		default:
			if v == nil || !isNumber(v) {
				continue
			}
			item = v.String()
		}
		if !containsString(list, item) {
			list = append(list, item)
		}
	}
	return list
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isNumber(v goja.Value) bool {
	if _, isObj := v.(*goja.Object); isObj || v == nil {
		return false
	}
	t := v.ExportType()
	return t != nil && (t.Kind() == reflect.Int64 || t.Kind() == reflect.Float64)
}

var bigIntType = reflect.TypeOf((*big.Int)(nil))

func isBigInt(v goja.Value) bool {
	if _, isObj := v.(*goja.Object); isObj || v == nil {
		return false
	}
	return v.ExportType() == bigIntType
}

// jsonGap is the indent a space argument asks for: up to ten spaces, or
// the first ten characters of a string.
func jsonGap(space goja.Value) string {
	if o, ok := space.(*goja.Object); ok {
		switch o.ClassName() {
		case "Number":
			space = goja.Value(o).ToNumber()
		case "String":
			space = o.ToString()
		}
	}
	switch s := space.(type) {
	case goja.String:
		if s.Length() > 10 {
			return s.Substring(0, 10).String()
		}
		return s.String()
	default:
		if space == nil || !isNumber(space) {
			return ""
		}
		n := space.ToFloat()
		if n >= 1 {
			return strings.Repeat(" ", int(min(n, 10)))
		}
	}
	return ""
}

// property is SerializeJSONProperty: false for a value that has no JSON
// form (undefined, a function, a symbol), which writes nothing.
func (w *jsonWriter) property(holder *goja.Object, key string, value goja.Value) bool {
	r := w.r
	if w.steps++; w.steps&1023 == 0 {
		r.checkStopped(0, "JSON.stringify")
	}
	if value == nil {
		value = goja.Undefined()
	}
	var toJSON goja.Value
	if o, isObj := value.(*goja.Object); isObj {
		toJSON = o.Get("toJSON")
	} else if isBigInt(value) {
		toJSON = r.getV(value, "toJSON") // a getter sees the BigInt itself
	}
	if f, ok := goja.AssertFunction(toJSON); ok {
		value = must(f(value, r.vm.ToValue(key)))
	}
	if w.replacer != nil {
		value = must(w.replacer(holder, r.vm.ToValue(key), value))
	}
	if o, ok := value.(*goja.Object); ok {
		switch o.ClassName() {
		case "Number":
			value = goja.Value(o).ToNumber()
		case "String":
			value = o.ToString()
		case "Boolean":
			if b, ok := o.Export().(bool); ok {
				value = r.vm.ToValue(b)
			}
		default:
			if o.ExportType() == bigIntType { // a BigInt object (goja gives it no class of its own)
				panic(r.newError("TypeError", "Do not know how to serialize a BigInt"))
			}
		}
	}
	switch x := value.(type) {
	case goja.String:
		w.quote(x)
	case *goja.Object:
		if _, callable := goja.AssertFunction(x); callable {
			return false
		}
		if x.ClassName() == "RawJSON" { // JSON.rawJSON's: its text as it is
			w.write(x.Get("rawJSON").String())
			return true
		}
		if r.isArray(x) {
			w.array(x)
		} else {
			w.object(x)
		}
	default:
		switch {
		case value == nil || goja.IsUndefined(value):
			return false
		case goja.IsNull(value):
			w.write("null")
		case isBigInt(value):
			panic(r.newError("TypeError", "Do not know how to serialize a BigInt"))
		case isNumber(value):
			if f := value.ToFloat(); math.IsNaN(f) || math.IsInf(f, 0) {
				w.write("null")
			} else {
				w.write(value.String())
			}
		default:
			b, ok := value.Export().(bool)
			if !ok {
				return false // a symbol
			}
			w.write(strconv.FormatBool(b))
		}
	}
	return true
}

// getV is GetV(value, key) for a primitive: a getter on its prototype
// gets the primitive as this, which goja's Go API cannot give.
func (r *run) getV(value goja.Value, key string) goja.Value {
	if r.getVFn == nil {
		r.getVFn, _ = goja.AssertFunction(must(r.vm.RunProgram(getVProgram())))
	}
	return must(r.getVFn(goja.Undefined(), value, r.vm.ToValue(key)))
}

var getVProgram = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("scriptforge:getv", `(function (v, k) { "use strict"; return v[k]; })`, true)
})

// enter checks a value that is about to be written inside the ones being
// written: a cycle is a TypeError, a depth past maxNesting a RangeError.
func (w *jsonWriter) enter(o *goja.Object) {
	for _, s := range w.stack {
		if s == o {
			panic(w.r.newError("TypeError", "Converting circular structure to JSON"))
		}
	}
	if len(w.stack) >= maxNesting {
		panic(w.r.newError("RangeError", fmt.Sprintf("the value nests more than %d levels deep", maxNesting)))
	}
	w.stack = append(w.stack, o)
}

// object is SerializeJSONObject.
func (w *jsonWriter) object(o *goja.Object) {
	w.enter(o)
	stepback := w.indent
	w.indent += w.gap
	keys := w.propertyList
	if keys == nil {
		keys = o.Keys()
	}
	w.write("{")
	wrote := false
	for i, k := range keys {
		w.r.checkStopped(int64(i), "JSON.stringify")
		mark := len(w.b)
		if wrote {
			w.write(",")
		}
		w.newline()
		w.quoteKey(k)
		w.write(":")
		if w.gap != "" {
			w.write(" ")
		}
		if w.property(o, k, o.Get(k)) {
			wrote = true
			continue
		}
		w.b = w.b[:mark] // nothing to write for this key
	}
	w.indent = stepback
	if wrote {
		w.newline()
	}
	w.write("}")
	w.stack = w.stack[:len(w.stack)-1]
}

// array is SerializeJSONArray.
func (w *jsonWriter) array(a *goja.Object) {
	w.enter(a)
	stepback := w.indent
	w.indent += w.gap
	n := int64(toLength(a.Get("length")))
	w.write("[")
	for k := int64(0); k < n; k++ {
		w.r.checkStopped(k, "JSON.stringify")
		if k > 0 {
			w.write(",")
		}
		w.newline()
		key := strconv.FormatInt(k, 10)
		if !w.property(a, key, a.Get(key)) {
			w.write("null")
		}
	}
	w.indent = stepback
	if n > 0 {
		w.newline()
	}
	w.write("]")
	w.stack = w.stack[:len(w.stack)-1]
}

func (w *jsonWriter) newline() {
	if w.gap != "" {
		w.write("\n")
		w.write(w.indent)
	}
}

// fits panics unless n bytes of text fit: the memory budget (the text
// ends as a JavaScript string of up to two bytes a character), and the
// result's limit when the text is a run's result.
func (w *jsonWriter) fits(n int) {
	if bytes := float64(n) * 2; bytes > w.budget {
		panic(w.r.exceeded("JSON.stringify", bytes))
	}
	if w.maxLen > 0 && n > w.maxLen {
		w.r.resultOver = true
		panic(w.r.newError("RangeError", fmt.Sprintf("the return value is over the result limit of %d bytes", w.maxLen)))
	}
}

// write appends text, within the budget: the text ends as a JavaScript
// string of up to two bytes a character.
func (w *jsonWriter) write(s string) {
	w.fits(len(w.b) + len(s))
	w.b = append(w.b, s...)
}

// quoteKey quotes a property name from Keys: a plain ASCII one straight
// from the Go string, without making a JavaScript string of it first
// (an allocation per key of every object of every result).
func (w *jsonWriter) quoteKey(k string) {
	if isASCII(k) {
		if i := plainRun(k); i == len(k) {
			w.fits(len(w.b) + len(k) + 2)
			w.b = append(append(append(w.b, '"'), k...), '"')
			return
		}
	}
	w.quote(w.r.vm.ToValue(k).(goja.String))
}

// quote is QuoteJSONString over a string's UTF-16 code units: a lone
// surrogate is written as an escape, as the standard has it since
// ES2019.
func (w *jsonWriter) quote(s goja.String) {
	n := s.Length()
	w.fits(len(w.b) + n + 2)
	b := w.b
	b = append(b, '"')
	if str := s.String(); isASCII(str) {
		// The common case, at the speed of a copy: runs that need no
		// escape go in whole.
		for len(str) > 0 {
			i := plainRun(str)
			b = append(b, str[:i]...)
			if i == len(str) {
				break
			}
			b = appendEscape(b, uint16(str[i]))
			str = str[i+1:]
		}
		w.b = append(b, '"')
		w.fits(len(w.b))
		return
	}
	for i := 0; i < n; i++ {
		c := s.CharAt(i)
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			b = appendEscape(b, c)
		case c < utf8.RuneSelf:
			b = append(b, byte(c))
		case utf16.IsSurrogate(rune(c)):
			if c < 0xDC00 && i+1 < n {
				if d := s.CharAt(i + 1); d >= 0xDC00 && d <= 0xDFFF {
					b = utf8.AppendRune(b, utf16.DecodeRune(rune(c), rune(d)))
					i++
					continue
				}
			}
			b = fmt.Appendf(b, `\u%04x`, c)
		default:
			b = utf8.AppendRune(b, rune(c))
		}
	}
	w.b = append(b, '"')
	w.fits(len(w.b)) // escapes made it longer
}

// appendEscape writes the JSON escape of a character that needs one.
func appendEscape(b []byte, c uint16) []byte {
	switch c {
	case '"':
		return append(b, `\"`...)
	case '\\':
		return append(b, `\\`...)
	case '\b':
		return append(b, `\b`...)
	case '\f':
		return append(b, `\f`...)
	case '\n':
		return append(b, `\n`...)
	case '\r':
		return append(b, `\r`...)
	case '\t':
		return append(b, `\t`...)
	}
	return fmt.Appendf(b, `\u%04x`, c)
}

func isASCII(s string) bool {
	const hi = 0x8080808080808080
	i := 0
	if len(s) >= 8 {
		p := unsafe.Pointer(unsafe.StringData(s))
		for ; i+8 <= len(s); i += 8 {
			if *(*uint64)(unsafe.Add(p, i))&hi != 0 {
				return false
			}
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// plainRun is the length of the longest prefix of s that JSON writes as
// it is: no control character, quote or backslash (and, as quote calls
// it, ASCII). It reads eight bytes at a time: strings of megabytes are
// what a hostile result is made of, and a run must reach its memory
// limit long before its time limit, with the race detector on too.
func plainRun(s string) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	if len(s) >= 8 {
		p := unsafe.Pointer(unsafe.StringData(s))
		for ; i+8 <= len(s); i += 8 {
			x := *(*uint64)(unsafe.Add(p, i))
			q, bs := x^(lo*'"'), x^(lo*'\\')
			// A flag in a word (a byte under 0x20, a zero byte of q or bs
			// where a quote or backslash was, or a high bit) sends it to
			// the exact loop below.
			if (x|(x-lo*0x20)&^x|(q-lo)&^q|(bs-lo)&^bs)&hi != 0 {
				break
			}
		}
	}
	for i < len(s) && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' {
		i++
	}
	return i
}
