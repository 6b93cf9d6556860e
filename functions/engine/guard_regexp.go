package engine

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf16"
	"unsafe"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
	"github.com/dop251/goja/unistring"
)

// Regular expressions that are never cut short silently.
//
// goja runs a pattern on Go's regexp (RE2) when it can, and on regexp2, a
// backtracking engine, when the pattern needs it (lookaround,
// backreferences) or the match starts past index 0 (a global or sticky
// regexp with a lastIndex). regexp2 stops a match at two limits: its time
// limit (regexpTimeout) and its backtracking stack (regexpStackSlots).
// goja drops the error either one returns and reports "no match": a
// catastrophic pattern gives test() === false after a second, and
// /(a|b)*(?=c)/ gives false on a few thousand characters in milliseconds.
//
// So every built-in that matches is wrapped: exec, test and the
// Symbol.match, replace, search and split methods of RegExp.prototype,
// which String.prototype's match, matchAll, replace, replaceAll, search
// and split call (matchAll's iterator calls exec). A wrapper trusts a
// result that found something: goja never reports a partial result, it
// drops them all on an error. A "no match" is trusted when the call took
// less than the time limit and, if regexp2 ran it on an input long enough
// to reach its stack limit, when regexp2 run again here (where its error
// can be seen) finds no match either. Otherwise the call throws a
// RangeError that says which limit stopped it.

// regexpStackSlots bounds one regexp2 match's backtracking stack (8 bytes a
// slot): ten times regexp2's default, which /(a|b)*(?=c)/ already passes
// on 40,000 characters. The check below uses the same bound.
const regexpStackSlots = 1 << 20

// shortSubject: below this many characters, only a pattern of thousands
// of characters could fill the backtracking stack (see check).
const shortSubject = 32

// regexpCallLimit is the time after which a backtracking "no match" is
// not trusted. regexp2 reads a clock that a goroutine updates every
// regexpClockPeriod (100 ms by default), and a deadline falls early by as
// much as that clock lags, which on a busy machine is more than its
// period: a quarter of the timeout is left for that.
const (
	regexpCallLimit   = regexpTimeout * 3 / 4
	regexpClockPeriod = 10 * time.Millisecond
)

func init() {
	regexp2.DefaultOptimizationOptions.MaxBacktrackingStackSize = regexpStackSlots
	regexp2.SetTimeoutCheckPeriod(regexpClockPeriod)
}

// regexpGuard holds one runtime's originals, reachable only from Go.
type regexpGuard struct {
	r                          *run
	exec, test, match, replace goja.Callable
	search, split              goja.Callable
	toString, compile          goja.Callable // with scratch, give a regexp's true source and flags
	scratch                    *goja.Object
	execWrapper                *goja.Object
	patterns                   map[string]*patternInfo // by flags and source
}

// patternInfo is what the check needs to know of a pattern.
type patternInfo struct {
	source, flags string
	re2           bool               // goja runs it on RE2 (from index 0)
	compiled      [2]*regexp2.Regexp // for matchAgain: plain, and anchored for sticky
}

// usesRegExp reports whether code may hold a regexp literal: a false
// match only costs the guard (goja builds RegExp for it, a fifth of a
// trivial run), a missed one would leave RegExp.prototype unguarded. The
// source map comment the transpiler appends is not code: a last line of
// only sourceMapChars holds no quote, backtick or brace, so it is a
// comment or the inside of a template, never code.
func usesRegExp(code string) bool {
	body := strings.TrimRight(code, "\n")
	if i := strings.LastIndexByte(body, '\n'); strings.HasPrefix(body[i+1:], sourceMapPrefix) &&
		strings.Trim(body[i+1+len(sourceMapPrefix):], sourceMapChars) == "" {
		body = body[:i+1]
	}
	return strings.IndexByte(body, '/') >= 0
}

const (
	sourceMapPrefix = "//# sourceMappingURL="
	sourceMapChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=:;,._-"
)

// guardRegExp wraps RegExp.prototype's matching methods, once per runtime,
// before anything can reach it: a regexp literal in the code (usesRegExp),
// in code built from strings (checkSources), the RegExp global, a library,
// or String.prototype's match, matchAll and search given a string.
func (r *run) guardRegExp() {
	if r.regexps != nil {
		return
	}
	vm := r.vm
	proto := r.global.orig.Get("RegExp").ToObject(vm).Get("prototype").ToObject(vm)
	g := &regexpGuard{r: r, patterns: map[string]*patternInfo{}}
	r.regexps = g
	fn := func(name string) goja.Callable {
		f, _ := goja.AssertFunction(proto.Get(name))
		return f
	}
	sym := func(s *goja.Symbol) goja.Callable {
		f, _ := goja.AssertFunction(proto.GetSymbol(s))
		return f
	}
	g.exec, g.test = fn("exec"), fn("test")
	g.match, g.replace, g.search, g.split = sym(goja.SymMatch), sym(goja.SymReplace), sym(goja.SymSearch), sym(goja.SymSplit)
	g.toString, g.compile = fn("toString"), fn("compile")
	g.scratch = must(vm.New(r.global.orig.Get("RegExp")))

	g.execWrapper = r.native("exec", 1, func(c goja.FunctionCall) goja.Value {
		return g.single(g.exec, c, "exec")
	})
	// goja marks RegExp.prototype non-standard when its exec is set, and
	// then runs every match, replace and split through exec, one position
	// at a time: quadratic in the input. So the property's value is
	// replaced in place; only if goja's layout has changed is it set, which
	// is slower but still correct (TestRegExpFastPathKept notices).
	if !replaceBuiltinValue(proto, "exec", g.execWrapper) {
		_ = proto.DefineDataProperty("exec", g.execWrapper, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	r.define(proto, "test", func(c goja.FunctionCall) goja.Value { return g.single(g.test, c, "test") })
	// Named and sized as the built-ins they replace: [Symbol.match] and so on.
	defineSym := func(s *goja.Symbol, name string, length int, f func(goja.FunctionCall) goja.Value) {
		_ = proto.DefineDataPropertySymbol(s, r.native("["+name+"]", length, f), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	defineSym(goja.SymMatch, "Symbol.match", 1, func(c goja.FunctionCall) goja.Value { return g.single(g.match, c, "match") })
	defineSym(goja.SymSearch, "Symbol.search", 1, func(c goja.FunctionCall) goja.Value { return g.single(g.search, c, "search") })
	defineSym(goja.SymReplace, "Symbol.replace", 2, g.replaceCall)
	defineSym(goja.SymSplit, "Symbol.split", 2, g.splitCall)
}

// callState is what a wrapper knows of a call before it runs.
type callState struct {
	rx      *goja.Object // nil when this is not a RegExp: nothing to check
	subject goja.String
	start   int // lastIndex before the call
	began   time.Time
}

func (g *regexpGuard) begin(c *goja.FunctionCall) callState {
	st := callState{began: time.Now()}
	if len(c.Arguments) > 0 {
		// Converted once, here: the original gets the string, so a
		// hostile toString runs once, as it would without the guard.
		st.subject = g.r.toJSString(c.Arguments[0])
		c.Arguments = append([]goja.Value{st.subject}, c.Arguments[1:]...)
	} else {
		st.subject = g.r.toJSString(goja.Undefined())
	}
	if o, ok := c.This.(*goja.Object); ok && o.ClassName() == "RegExp" {
		st.rx = o
		// A number only: an object's valueOf is user code, which goja
		// calls itself.
		switch li := o.Get("lastIndex").Export().(type) {
		case int64:
			st.start = int(min(max(li, 0), int64(st.subject.Length())))
		case float64:
			st.start = int(min(max(li, 0), float64(st.subject.Length())))
		}
	}
	return st
}

// single wraps exec, test, Symbol.match and Symbol.search: their "no
// match" is null, false or -1.
func (g *regexpGuard) single(orig goja.Callable, c goja.FunctionCall, name string) goja.Value {
	st := g.begin(&c)
	res := must(orig(c.This, c.Arguments...))
	if !noMatch(res) || st.rx == nil {
		return res
	}
	var findAll bool
	global, sticky := g.flags(st.rx)
	start := st.start
	switch name {
	case "search":
		start = 0
	case "match":
		if global {
			start, findAll = 0, true
			break
		}
		fallthrough
	default: // exec, test, non-global match: from lastIndex if global or sticky
		if !sticky && !global {
			start = 0
		}
	}
	if g.check(st, start, sticky, findAll, false, name != "exec" && name != "test") {
		panic(g.stackError(st))
	}
	return res
}

func noMatch(v goja.Value) bool {
	switch v.(type) {
	case nil:
		return true
	case *goja.Object: // a match
		return false
	}
	if goja.IsNull(v) {
		return true
	}
	switch x := v.Export().(type) {
	case bool:
		return !x
	case int64:
		return x == -1
	}
	return false
}

// replaceCall wraps Symbol.replace: no match leaves the input as it was.
func (g *regexpGuard) replaceCall(c goja.FunctionCall) goja.Value {
	st := g.begin(&c)
	res := must(g.replace(c.This, c.Arguments...))
	if st.rx == nil || !res.StrictEquals(st.subject) {
		return res
	}
	global, sticky := g.flags(st.rx)
	start := st.start
	if global || !sticky {
		start = 0
	}
	if !g.check(st, start, sticky, true, false, true) {
		return res
	}
	// A match exists, so the replacement may have given back the same text
	// ('$&', or a function returning its match). Ask goja again, counting
	// what it finds; lastIndex is put back around the second call.
	after := st.rx.Get("lastIndex")
	_ = st.rx.Set("lastIndex", st.start)
	found := 0
	probe := g.r.vm.ToValue(func(goja.FunctionCall) goja.Value { found++; return goja.Undefined() })
	must(g.replace(c.This, st.subject, probe))
	_ = st.rx.Set("lastIndex", after)
	if found == 0 {
		panic(g.stackError(st))
	}
	return res
}

// splitCall wraps Symbol.split: no match gives [input].
func (g *regexpGuard) splitCall(c goja.FunctionCall) goja.Value {
	st := g.begin(&c)
	res := must(g.split(c.This, c.Arguments...))
	if st.rx == nil {
		return res
	}
	if a, ok := res.(*goja.Object); !ok || g.r.lengthOf(a) != 1 || !a.Get("0").StrictEquals(st.subject) {
		return res
	}
	if g.check(st, 0, false, true, true, true) {
		panic(g.stackError(st))
	}
	return res
}

// check looks again at a "no match" of the call: it throws if the call
// ran into the time limit, or if regexp2 fails again at a limit, and
// reports whether regexp2 finds a match after all (the caller's "no
// match" was then a match stopped at the stack limit, except for a replace
// that gave back the same text). usesExec: the method goes through the
// regexp's exec property when the regexp is not goja's plain kind.
func (g *regexpGuard) check(st callState, start int, sticky, findAll, split, usesExec bool) bool {
	took := time.Since(st.began)
	if st.subject.Length()-start < shortSubject && took < regexpCallLimit {
		return false // the common case, decided without looking at the pattern
	}
	if usesExec && !st.rx.Get("exec").SameAs(g.execWrapper) {
		return false // the function's own exec decides what matches
	}
	info := g.pattern(st.rx)
	if info == nil || !g.backtracks(info, st.subject, start, findAll, split) {
		return false // RE2 has no limit to run into
	}
	if took >= regexpCallLimit {
		panic(g.timeError(st, took))
	}
	n := st.subject.Length() - start
	if n <= 0 {
		return false
	}
	// A backtracking match needs stack slots for what it consumed; below
	// this length no pattern of this size reaches the limit.
	if n*16*(len(info.source)+8) < regexpStackSlots {
		return false
	}
	found, err := matchAgain(info, st.subject, start, sticky, split, regexpTimeout-took)
	switch {
	case errors.Is(err, regexp2.ErrBacktrackingStackLimit):
		panic(g.stackError(st))
	case err != nil:
		panic(g.timeError(st, time.Since(st.began)))
	}
	return found
}

// backtracks mirrors goja's choice of engine for the call (regexp.go).
func (g *regexpGuard) backtracks(info *patternInfo, s goja.String, start int, findAll, split bool) bool {
	if !info.re2 || start != 0 {
		return true
	}
	if !findAll {
		return false
	}
	ascii, valid := scanString(s)
	if ascii {
		return false
	}
	return !(strings.Contains(info.flags, "u") && valid)
}

// scanString reports whether s is ASCII and whether it is valid UTF-16.
func scanString(s goja.String) (ascii, valid bool) {
	ascii, valid = true, true
	n := s.Length()
	for i := 0; i < n; i++ {
		c := s.CharAt(i)
		if c >= 0x80 {
			ascii = false
		}
		switch {
		case utf16.IsSurrogate(rune(c)) && c < 0xDC00 && i+1 < n && s.CharAt(i+1) >= 0xDC00 && s.CharAt(i+1) <= 0xDFFF:
			i++
		case utf16.IsSurrogate(rune(c)):
			valid = false
		}
	}
	return ascii, valid
}

// parts gives rx's source and flags as goja compiled them, whatever user
// code did to rx's properties or prototype: compile copies rx's pattern
// into the scratch regexp, a plain one, whose toString goja builds from
// the pattern (/source/flags, the source's slashes escaped).
func (g *regexpGuard) parts(rx *goja.Object) (source, flags string, ok bool) {
	if _, err := g.compile(g.scratch, rx); err != nil {
		return "", "", false
	}
	v, err := g.toString(g.scratch)
	if err != nil {
		return "", "", false
	}
	s := v.String()
	i := strings.LastIndexByte(s, '/')
	if len(s) < 2 || s[0] != '/' || i < 1 {
		return "", "", false
	}
	return s[1:i], s[i+1:], true
}

// flags reports whether rx has the flags g and y (one look at its parts).
func (g *regexpGuard) flags(rx *goja.Object) (global, sticky bool) {
	_, flags, ok := g.parts(rx)
	return ok && strings.IndexByte(flags, 'g') >= 0, ok && strings.IndexByte(flags, 'y') >= 0
}

// pattern returns what the check needs to know of rx's pattern, cached
// for the runtime's life (a warm runtime serves many calls).
func (g *regexpGuard) pattern(rx *goja.Object) *patternInfo {
	src, flags, ok := g.parts(rx)
	if !ok {
		return nil
	}
	key := flags + "/" + src
	if p, ok := g.patterns[key]; ok {
		return p
	}
	p := &patternInfo{source: src, flags: flags, re2: runsOnRE2(src, flags)}
	if len(g.patterns) >= 256 {
		clear(g.patterns)
	}
	g.patterns[key] = p
	return p
}

// runsOnRE2 mirrors goja's compileRegexp: a pattern RE2 can run. A pattern
// with characters past the BMP is converted first in goja; here it is
// taken to backtrack, which only costs a check.
func runsOnRE2(source, flags string) bool {
	for _, c := range source {
		if c > 0xFFFF {
			return false
		}
	}
	re2, err := parser.TransformRegExp(source, strings.Contains(flags, "s"), strings.Contains(flags, "u"))
	if err != nil {
		return false
	}
	mods := ""
	for _, f := range "msi" {
		if strings.ContainsRune(flags, f) {
			mods += string(f)
		}
	}
	if mods != "" {
		re2 = "(?" + mods + ":" + re2 + ")"
	}
	// A repeat count over RE2's bound sends goja to regexp2; any other
	// error made the pattern a SyntaxError, which never gets here.
	_, err = regexp.Compile(re2)
	return err == nil
}

// matchAgain runs the pattern on regexp2 from start, where its errors can
// be seen, with the same stack bound and what is left of the time limit.
// For split, matches that split nothing (empty, at either end) do not count.
func matchAgain(info *patternInfo, s goja.String, start int, sticky, split bool, left time.Duration) (bool, error) {
	if left <= 0 {
		return false, errors.New("time limit")
	}
	re := info.regexp2(sticky)
	if re == nil {
		return false, nil // goja compiled it its own way; nothing to learn here
	}
	re.MatchTimeout = left // a runtime is used by one goroutine at a time
	runes, at := subjectRunes(s, start, strings.Contains(info.flags, "u"))
	m, err := re.FindRunesMatchStartingAt(runes, at)
	for err == nil && m != nil && split && m.RuneLength == 0 && (m.RuneIndex == 0 || m.RuneIndex == len(runes)) {
		m, err = re.FindNextMatch(m)
	}
	return m != nil, err
}

// regexp2 compiles the pattern for matchAgain once, nil if it cannot.
func (p *patternInfo) regexp2(sticky bool) *regexp2.Regexp {
	i := 0
	if sticky {
		i = 1
	}
	if p.compiled[i] != nil {
		return p.compiled[i]
	}
	opts := regexp2.ECMAScript
	for _, f := range p.flags {
		switch f {
		case 'i':
			opts |= regexp2.IgnoreCase
		case 'm':
			opts |= regexp2.Multiline
		case 's':
			opts |= regexp2.Singleline
		case 'u':
			opts |= regexp2.Unicode
		}
	}
	src := p.source
	if sticky {
		src = `\G(?:` + src + `)`
	}
	re, err := regexp2.Compile(src, opts, regexp2.OptionMaxBacktrackingStackSize(regexpStackSlots))
	if err != nil {
		return nil
	}
	p.compiled[i] = re
	return re
}

// subjectRunes gives s as regexp2 sees it in goja: UTF-16 units, or code
// points with the u flag; at is start's position among them.
func subjectRunes(s goja.String, start int, unicode bool) ([]rune, int) {
	n := s.Length()
	runes := make([]rune, 0, n)
	at := -1
	for i := 0; i < n; i++ {
		if i >= start && at < 0 {
			at = len(runes)
		}
		c := rune(s.CharAt(i))
		if unicode && utf16.IsSurrogate(c) && c < 0xDC00 && i+1 < n {
			if d := rune(s.CharAt(i + 1)); d >= 0xDC00 && d <= 0xDFFF {
				runes = append(runes, utf16.DecodeRune(c, d))
				i++
				continue
			}
		}
		runes = append(runes, c)
	}
	if at < 0 {
		at = len(runes)
	}
	return runes, at
}

func (g *regexpGuard) describeRx(st callState) string {
	src, flags, ok := g.parts(st.rx)
	if !ok {
		src = "?"
	}
	if len(src) > 80 {
		src = src[:80] + "…"
	}
	return "/" + src + "/" + flags
}

func (g *regexpGuard) timeError(st callState, took time.Duration) *goja.Object {
	return g.r.newError("RangeError", fmt.Sprintf(
		"the regular expression %s was stopped after its time limit of %d ms (it ran %d ms on %d characters): "+
			"the pattern backtracks too much, as nested quantifiers like (a+)+ do; a stopped match is not reported as no match",
		g.describeRx(st), regexpTimeout.Milliseconds(), took.Milliseconds(), st.subject.Length()))
}

func (g *regexpGuard) stackError(st callState) *goja.Object {
	return g.r.newError("RangeError", fmt.Sprintf(
		"the regular expression %s was stopped at its backtracking limit of %d entries on %d characters: "+
			"the pattern keeps too many alternatives open over a long input; a stopped match is not reported as no match",
		g.describeRx(st), regexpStackSlots, st.subject.Length()))
}

// replaceBuiltinValue sets the value of a built-in data property of obj
// without goja noticing the change. goja keeps RegExp.prototype on a fast
// path while its exec, global, multiline, ignoreCase, unicode and sticky
// are the originals, and setting any of them ends that path for the
// runtime; replacing exec with a wrapper that calls the original keeps
// what the fast path assumes. It reports false, changing nothing, when
// goja's layout is not the one this was written for.
func replaceBuiltinValue(obj *goja.Object, name string, v goja.Value) bool {
	self := reflect.ValueOf(obj).Elem().FieldByName("self")
	if !self.IsValid() || self.Kind() != reflect.Interface || self.IsNil() {
		return false
	}
	impl := self.Elem()
	if impl.Kind() != reflect.Pointer || impl.Elem().Kind() != reflect.Struct {
		return false
	}
	values := impl.Elem().FieldByName("values")
	key := reflect.ValueOf(unistring.String(name))
	if values.Kind() != reflect.Map || values.Type().Key() != key.Type() {
		return false
	}
	prop := values.MapIndex(key)
	if !prop.IsValid() || prop.Kind() != reflect.Interface || prop.IsNil() {
		return false
	}
	p := prop.Elem()
	if p.Kind() != reflect.Pointer || p.Elem().Kind() != reflect.Struct || p.Elem().Type().Name() != "valueProperty" {
		return false
	}
	field := p.Elem().FieldByName("value")
	valueType := reflect.TypeOf((*goja.Value)(nil)).Elem()
	if !field.IsValid() || field.Type() != valueType {
		return false
	}
	if acc := p.Elem().FieldByName("accessor"); !acc.IsValid() || acc.Kind() != reflect.Bool || acc.Bool() {
		return false
	}
	reflect.NewAt(valueType, unsafe.Pointer(field.UnsafeAddr())).Elem().Set(reflect.ValueOf(&v).Elem())
	return true
}
