package engine

import (
	"fmt"
	"slices"
	"unicode"

	"github.com/dop251/goja"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"github.com/scriptforge/scriptforge/functions/engine/intl"
)

func init() {
	registerGlobal("Intl", false, func(r *run) goja.Value { return r.libExport("intl_global", "Intl") })
	libHosts["intl_common"] = func(r *run, host *goja.Object) {
		_ = host.Set("canonicalTag", func(c goja.FunctionCall) goja.Value {
			tag, err := intl.Canonicalize(c.Argument(0).String())
			if err != nil {
				panic(r.newError("RangeError", err.Error()+": "+clip(c.Argument(0).String())))
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
