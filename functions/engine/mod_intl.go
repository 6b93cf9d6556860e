package engine

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
	_ "time/tzdata"
	"unicode" // zones without the host's /usr/share/zoneinfo: sandboxes and containers

	"github.com/dop251/goja"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"github.com/scriptforge/scriptforge/functions/engine/intl"
)

func init() {
	registerGlobal("Intl", false, func(r *run) goja.Value {
		v := r.libExport("intl_global", "Intl")
		r.markBuiltin(v, "Intl")
		return v
	})
	libHosts["intl_common"] = func(r *run, host *goja.Object) {
		_ = host.Set("canonicalTag", func(c goja.FunctionCall) goja.Value {
			tag, err := intl.Canonicalize(c.Argument(0).String())
			if err != nil {
				panic(r.newError("RangeError", err.Error()+": "+c.Argument(0).String()))
			}
			return r.vm.ToValue(tag)
		})
		_ = host.Set("resolve", func(c goja.FunctionCall) goja.Value {
			res := intl.Resolve(r.stringList(c.Argument(0)))
			o := r.vm.NewObject()
			_ = o.Set("locale", res.Locale)
			_ = o.Set("dataLocale", res.Data)
			ext := r.vm.NewObject()
			for k, v := range res.Extension {
				_ = ext.Set(k, v)
			}
			_ = o.Set("extension", ext)
			return o
		})
		_ = host.Set("supported", func(c goja.FunctionCall) goja.Value {
			return r.vm.ToValue(intl.Supported(r.stringList(c.Argument(0))))
		})
	}
	libHosts["intl_collator"] = func(r *run, host *goja.Object) {
		// compare(locale, numeric, sensitivity, ignorePunctuation) is the
		// comparison function of a resolved collator.
		_ = host.Set("compare", func(c goja.FunctionCall) goja.Value {
			cmp := r.collation(language.Make(c.Argument(0).String()), collatorSettings{
				numeric: c.Argument(1).ToBoolean(), sensitivity: c.Argument(2).String(), ignorePunctuation: c.Argument(3).ToBoolean(),
			})
			return r.vm.ToValue(func(c goja.FunctionCall) goja.Value {
				a, b := r.toJSString(arg(c.Arguments, 0)), r.toJSString(arg(c.Arguments, 1))
				return r.vm.ToValue(cmp(norm.NFD.String(a.String()), norm.NFD.String(b.String())))
			})
		})
	}
}

// stringList is a JavaScript array of strings (the library made it).
func (r *run) stringList(v goja.Value) []string {
	var out []string
	_ = r.vm.ExportTo(v, &out)
	return out
}

// Time zones for js/intl.js and Date.prototype.toLocaleString's timeZone.
func init() {
	libHosts["intl"] = func(r *run, host *goja.Object) {
		_ = host.Set("validZone", func(c goja.FunctionCall) goja.Value {
			_, ok := zone(c.Argument(0).String())
			return r.vm.ToValue(ok)
		})
		// parts(ms, zone, withName) and format(…): en-US numeric form,
		// "MM/DD/YYYY, HH:mm:ss" on a 24-hour clock, and " TZ" with withName.
		_ = host.Set("parts", func(c goja.FunctionCall) goja.Value {
			t, withName := zonedTime(c), c.Argument(2).ToBoolean()
			var parts []any
			add := func(typ, value string) {
				p := r.vm.NewObject()
				_ = p.Set("type", typ)
				_ = p.Set("value", value)
				parts = append(parts, p)
			}
			add("month", pad2(int(t.Month())))
			add("literal", "/")
			add("day", pad2(t.Day()))
			add("literal", "/")
			add("year", strconv.Itoa(t.Year()))
			add("literal", ", ")
			add("hour", pad2(t.Hour()))
			add("literal", ":")
			add("minute", pad2(t.Minute()))
			add("literal", ":")
			add("second", pad2(t.Second()))
			if withName {
				name, _ := t.Zone()
				add("literal", " ")
				add("timeZoneName", name)
			}
			return r.vm.NewArray(parts...)
		})
		_ = host.Set("format", func(c goja.FunctionCall) goja.Value {
			t := zonedTime(c)
			s := t.Format("01/02/2006, 15:04:05")
			if c.Argument(2).ToBoolean() {
				name, _ := t.Zone()
				s += " " + name
			}
			return r.vm.ToValue(s)
		})
	}
}

// zonedTime is the time at c's arguments (ms, zone), in that zone; the
// JavaScript side checked both.
func zonedTime(c goja.FunctionCall) time.Time {
	loc, ok := zone(c.Argument(1).String())
	if !ok {
		loc = time.UTC
	}
	return time.UnixMilli(c.Argument(0).ToInteger()).In(loc)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

var zones sync.Map // name → *time.Location

// zone loads an IANA zone once per process. LoadLocation refuses paths
// (".." or a leading "/"); "Local" is refused here, as it would tell the
// host's zone.
func zone(name string) (*time.Location, bool) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), true
	}
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zones.Store(name, loc)
	return loc, true
}

// guardDate adds the timeZone option to Date.prototype.toLocaleString
// (goja ignores its options), which dayjs's timezone plugin relies on:
// the wall-clock time in that zone, in the en-US form that Date parses
// back ("11/24/2026, 8:03:11 PM").
func (r *run) guardDate(orig goja.Value) goja.Value {
	proto := orig.ToObject(r.vm).Get("prototype").ToObject(r.vm)
	toLocale, _ := goja.AssertFunction(proto.Get("toLocaleString"))
	getTime, _ := goja.AssertFunction(proto.Get("getTime"))
	r.define(proto, "toLocaleString", func(c goja.FunctionCall) goja.Value {
		opts, ok := arg(c.Arguments, 1).(*goja.Object)
		if !ok {
			return must(toLocale(c.This, c.Arguments...))
		}
		tz := opts.Get("timeZone")
		if tz == nil || goja.IsUndefined(tz) {
			return must(toLocale(c.This, c.Arguments...))
		}
		loc, ok := zone(tz.String())
		if !ok {
			panic(r.newError("RangeError", "Invalid time zone specified: "+tz.String()))
		}
		ms := must(getTime(c.This)).ToFloat()
		if math.IsNaN(ms) {
			return r.vm.ToValue("Invalid Date") // not the epoch, which UnixMilli would make of NaN
		}
		return r.vm.ToValue(time.UnixMilli(int64(ms)).In(loc).Format("1/2/2006, 3:04:05 PM"))
	})
	return orig
}

// guardLocaleCompare gives String.prototype.localeCompare its locales and
// options (ECMA-402 §19.1.1): goja's compares by the root collation and
// ignores both. The collation is golang.org/x/text/collate's (CLDR).
func (r *run) guardLocaleCompare(str *goja.Object) {
	orig, _ := goja.AssertFunction(str.Get("localeCompare"))
	r.define(str, "localeCompare", func(c goja.FunctionCall) goja.Value {
		if goja.IsUndefined(c.This) || goja.IsNull(c.This) {
			return must(orig(c.This, c.Arguments...)) // its TypeError
		}
		s, that := r.toJSString(c.This), r.toJSString(arg(c.Arguments, 0))
		compare := r.collator(arg(c.Arguments, 1), arg(c.Arguments, 2))
		return r.vm.ToValue(compare(norm.NFD.String(s.String()), norm.NFD.String(that.String())))
	})
}

// collation compares two strings (NFD) as a collator with some options.
type collation func(a, b string) int

// collator is the comparison for locales and options, read as
// InitializeCollator reads them (each option once, in its order), and
// kept for the runtime's life.
func (r *run) collator(locales, options goja.Value) collation {
	tag := r.requestedLocale(locales)
	var set collatorSettings
	if o, ok := options.(*goja.Object); ok {
		pick := func(name string, allowed ...string) string {
			v := o.Get(name)
			if v == nil || goja.IsUndefined(v) {
				return ""
			}
			s := r.toJSString(v).String()
			if len(allowed) > 0 && !slices.Contains(allowed, s) {
				panic(r.newError("RangeError", fmt.Sprintf("Value %s out of range for Intl.Collator options property %s", s, name)))
			}
			return s
		}
		flag := func(name string) bool {
			v := o.Get(name)
			return v != nil && !goja.IsUndefined(v) && v.ToBoolean()
		}
		pick("usage", "sort", "search")
		pick("localeMatcher", "lookup", "best fit")
		pick("collation")
		set.numeric = flag("numeric")
		if cf := pick("caseFirst", "upper", "lower", "false"); cf == "upper" || cf == "lower" {
			panic(r.newError("RangeError", "Intl.Collator: caseFirst \""+cf+"\" is not supported here"))
		}
		set.sensitivity = pick("sensitivity", "base", "accent", "case", "variant")
		set.ignorePunctuation = flag("ignorePunctuation")
	}
	return r.collation(tag, set)
}

// collatorSettings are a collator's resolved options.
type collatorSettings struct {
	numeric, ignorePunctuation bool
	sensitivity                string // base, accent, case or variant ("" is variant)
}

// collation is x/text's CLDR collation of a locale with some settings,
// kept for the runtime's life.
func (r *run) collation(tag language.Tag, set collatorSettings) collation {
	var opts []collate.Option
	key := fmt.Sprintf("%s|%v|%v|%s", tag, set.numeric, set.ignorePunctuation, set.sensitivity)
	caseLevel := false
	if set.numeric {
		opts = append(opts, collate.Numeric)
	}
	switch set.sensitivity {
	case "base":
		opts = append(opts, collate.IgnoreCase, collate.IgnoreDiacritics)
	case "accent":
		opts = append(opts, collate.IgnoreCase)
	case "case":
		// ICU: primary strength, then a case level. x/text's case level
		// does not ignore accents, so the case is compared here.
		opts, caseLevel = append(opts, collate.IgnoreCase, collate.IgnoreDiacritics), true
	}
	if set.ignorePunctuation {
		opts = append(opts, collate.OptionsFromTag(language.MustParse("und-u-ka-shifted")))
	}
	if cmp, ok := r.collators[key]; ok {
		return cmp
	}
	col := collate.New(tag, append([]collate.Option{collate.OptionsFromTag(tag)}, opts...)...)
	cmp := collation(col.CompareString)
	if caseLevel {
		cmp = func(a, b string) int {
			if c := col.CompareString(a, b); c != 0 {
				return c
			}
			return compareCase(a, b)
		}
	}
	if r.collators == nil {
		r.collators = map[string]collation{}
	}
	if len(r.collators) >= 64 {
		clear(r.collators)
	}
	r.collators[key] = cmp
	return cmp
}

// compareCase is the case level of two strings equal at primary
// strength: their letters, marks left out, compared for case, lower
// case first (ICU's default).
func compareCase(a, b string) int {
	letters := func(s string) []rune {
		var out []rune
		for _, c := range s {
			if !unicode.Is(unicode.Mn, c) {
				out = append(out, c)
			}
		}
		return out
	}
	x, y := letters(a), letters(b)
	for i := 0; i < min(len(x), len(y)); i++ {
		if ux, uy := unicode.IsUpper(x[i]), unicode.IsUpper(y[i]); ux != uy {
			if ux {
				return 1
			}
			return -1
		}
	}
	return 0
}

// requestedLocale is the first of locales (a tag, or a list of them), as
// CanonicalizeLocaleList reads it: a RangeError for a tag that is not
// well-formed BCP 47; en-US when none is asked for.
func (r *run) requestedLocale(locales goja.Value) language.Tag {
	if locales == nil || goja.IsUndefined(locales) {
		return language.AmericanEnglish
	}
	var first goja.Value
	if o, ok := locales.(*goja.Object); ok {
		n := toLength(o.Get("length"))
		if n == 0 {
			return language.AmericanEnglish
		}
		first = o.Get("0")
	} else {
		first = locales
	}
	if _, isStr := first.(goja.String); !isStr {
		if _, isObj := first.(*goja.Object); !isObj {
			panic(r.newError("TypeError", "Intl: a locale must be a string or an object"))
		}
	}
	s := r.toJSString(first).String()
	tag, err := language.Parse(s)
	if err != nil || s == "" {
		panic(r.newError("RangeError", "Incorrect locale information provided: "+s))
	}
	return tag
}
