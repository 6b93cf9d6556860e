package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/dop251/goja"
	"golang.org/x/text/cases"
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
				panic(r.newError("RangeError", err.Error()+": "+clip(c.Argument(0).String())))
			}
			return r.vm.ToValue(tag)
		})
		// resolve(list, service) and supported(list, service): service is
		// "collator" for Collator's locales, else the formatting ones.
		_ = host.Set("resolve", func(c goja.FunctionCall) goja.Value {
			res := intl.Resolve(r.stringList(c.Argument(0)), availability(c.Argument(1)))
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
			return r.array(intl.Supported(r.stringList(c.Argument(0)), availability(c.Argument(1))))
		})
	}
	libHosts["intl_locale"] = func(r *run, host *goja.Object) {
		str := func(v goja.Value) string {
			if v == nil || goja.IsUndefined(v) {
				return ""
			}
			return v.String()
		}
		// build(tag, language, script, region, keywords) is the canonical
		// tag with the options applied, and its parts.
		_ = host.Set("build", func(c goja.FunctionCall) goja.Value {
			keywords := map[string]string{}
			if o, ok := c.Argument(4).(*goja.Object); ok {
				for _, k := range o.Keys() {
					if v := o.Get(k); v != nil && !goja.IsUndefined(v) {
						keywords[k] = v.String()
					}
				}
			}
			loc, err := intl.BuildLocale(c.Argument(0).String(), str(c.Argument(1)), str(c.Argument(2)), str(c.Argument(3)), keywords)
			if err != nil {
				panic(r.newError("RangeError", err.Error()+": "+clip(c.Argument(0).String())))
			}
			return r.localeParts(loc)
		})
		_ = host.Set("maximize", func(c goja.FunctionCall) goja.Value { return r.vm.ToValue(intl.Maximize(c.Argument(0).String())) })
		_ = host.Set("info", func(c goja.FunctionCall) goja.Value {
			info := intl.InfoOf(c.Argument(0).String())
			o := r.vm.NewObject()
			list := func(s []string) goja.Value {
				if s == nil {
					return goja.Undefined()
				}
				return r.array(s)
			}
			_ = o.Set("calendars", list(info.Calendars))
			_ = o.Set("collations", list(info.Collations))
			_ = o.Set("hourCycles", list(info.HourCycles))
			_ = o.Set("numberingSystems", list(info.NumberingSystems))
			_ = o.Set("timeZones", list(info.TimeZones))
			text := r.vm.NewObject()
			_ = text.Set("direction", info.Direction)
			_ = o.Set("textInfo", text)
			week := r.vm.NewObject()
			_ = week.Set("firstDay", info.Week.FirstDay)
			weekend := make([]any, len(info.Week.Weekend))
			for i, d := range info.Week.Weekend {
				weekend[i] = d
			}
			_ = week.Set("weekend", r.vm.NewArray(weekend...))
			_ = week.Set("minimalDays", info.Week.MinimalDays)
			_ = o.Set("weekInfo", week)
			return o
		})
		_ = host.Set("minimize", func(c goja.FunctionCall) goja.Value { return r.vm.ToValue(intl.Minimize(c.Argument(0).String())) })
	}
	libHosts["intl_global"] = func(r *run, host *goja.Object) {
		_ = host.Set("supportedValues", func(c goja.FunctionCall) goja.Value {
			values, err := intl.SupportedValues(c.Argument(0).String())
			if err != nil {
				panic(r.newError("RangeError", "Intl.supportedValuesOf: "+err.Error()))
			}
			return r.array(values)
		})
	}
	libHosts["intl_displaynames"] = func(r *run, host *goja.Object) {
		// of(dataLocale, type, style, languageDisplay, code) is [canonical
		// code, name or undefined].
		_ = host.Set("of", func(c goja.FunctionCall) goja.Value {
			canonical, name, found, err := intl.DisplayName(c.Argument(0).String(), c.Argument(1).String(), c.Argument(2).String(), c.Argument(3).String(), c.Argument(4).String())
			if err != nil {
				panic(r.newError("RangeError", "Intl.DisplayNames: "+err.Error()))
			}
			n := goja.Undefined()
			if found {
				n = r.vm.ToValue(name)
			}
			return r.vm.NewArray(canonical, n)
		})
	}
	libHosts["intl_list"] = func(r *run, host *goja.Object) {
		// format(dataLocale, type, style, list, toParts)
		_ = host.Set("format", func(c goja.FunctionCall) goja.Value {
			parts, err := intl.FormatList(c.Argument(0).String(), c.Argument(1).String(), c.Argument(2).String(), r.stringList(c.Argument(3)))
			if err != nil {
				panic(r.newError("RangeError", "Intl.ListFormat: "+err.Error()))
			}
			if !c.Argument(4).ToBoolean() {
				var b strings.Builder
				for _, p := range parts {
					b.WriteString(p.Value)
				}
				return r.vm.ToValue(b.String())
			}
			return r.partsArray(parts, "")
		})
	}
	libHosts["intl_collator"] = func(r *run, host *goja.Object) {
		_ = host.Set("types", func(c goja.FunctionCall) goja.Value {
			return r.array(intl.CollationTypes(c.Argument(0).String()))
		})
		// compare(locale, collation, numeric, caseFirst, sensitivity,
		// ignorePunctuation) is the comparison function of a resolved
		// collator.
		_ = host.Set("compare", func(c goja.FunctionCall) goja.Value {
			tag := c.Argument(0).String()
			if co := c.Argument(1).String(); co != "default" {
				tag += "-u-co-" + co
			}
			cmp := r.collation(language.Make(tag), collatorSettings{
				numeric: c.Argument(2).ToBoolean(), caseFirst: c.Argument(3).String(),
				sensitivity: c.Argument(4).String(), ignorePunctuation: c.Argument(5).ToBoolean(),
			})
			return r.vm.ToValue(func(c goja.FunctionCall) goja.Value {
				a, b := r.toJSString(arg(c.Arguments, 0)), r.toJSString(arg(c.Arguments, 1))
				return r.vm.ToValue(cmp(norm.NFD.String(a.String()), norm.NFD.String(b.String())))
			})
		})
	}
}

// localeParts is what Intl.Locale keeps of a tag.
func (r *run) localeParts(l intl.LocaleParts) goja.Value {
	o := r.vm.NewObject()
	_ = o.Set("tag", l.Tag)
	_ = o.Set("baseName", l.BaseName)
	_ = o.Set("language", l.Language)
	set := func(name, v string) {
		if v != "" {
			_ = o.Set(name, v)
		} else {
			_ = o.Set(name, goja.Undefined())
		}
	}
	set("script", l.Script)
	set("region", l.Region)
	kw := r.vm.NewObject()
	for k, v := range l.Keywords {
		_ = kw.Set(k, v)
	}
	_ = o.Set("keywords", kw)
	return o
}

func availability(service goja.Value) intl.Availability {
	if service != nil && service.String() == "collator" {
		return intl.Collation
	}
	return intl.Formatting
}

// array is a JavaScript Array of strings: ToValue of a Go slice would be
// an array-like wrapper that does not behave as an Array does.
func (r *run) array(list []string) goja.Value {
	items := make([]any, len(list))
	for i, s := range list {
		items[i] = s
	}
	return r.vm.NewArray(items...)
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

// guardLocaleCase gives String.prototype.toLocaleLowerCase and
// toLocaleUpperCase their locales (ECMA-402 §19.1.2–3), which goja
// ignores: x/text's cases has the language-sensitive mappings (Turkish
// and Azeri dotted i, Lithuanian dot above, Greek) of Unicode's
// SpecialCasing, and the final sigma rule for every language.
func (r *run) guardLocaleCase(str *goja.Object) {
	for name, upper := range map[string]bool{"toLocaleLowerCase": false, "toLocaleUpperCase": true} {
		orig, _ := goja.AssertFunction(str.Get(name))
		r.define(str, name, func(c goja.FunctionCall) goja.Value {
			if goja.IsUndefined(c.This) || goja.IsNull(c.This) {
				return must(orig(c.This, c.Arguments...)) // its TypeError
			}
			s := r.toJSString(c.This).String()
			lang := language.Und
			if list := r.localeList(arg(c.Arguments, 0)); len(list) > 0 {
				base, _ := language.Make(list[0]).Base()
				lang = language.Make(base.String())
			}
			if upper {
				return r.vm.ToValue(cases.Upper(lang).String(s))
			}
			return r.vm.ToValue(cases.Lower(lang).String(s))
		})
	}
}

// collation compares two strings (NFD) as a collator with some options.
type collation func(a, b string) int

// collator is the comparison for locales and options, read as
// InitializeCollator reads them (each option once, in its order), with
// the -u- keywords (co, kf, kn) of the locale where no option overrides
// them; kept for the runtime's life.
func (r *run) collator(locales, options goja.Value) collation {
	res := intl.Resolve(r.localeList(locales), intl.Collation)
	var set collatorSettings
	collationOpt, numericOpt, caseFirstOpt := "", "", ""
	if options != nil && !goja.IsUndefined(options) {
		if goja.IsNull(options) {
			panic(r.newError("TypeError", "Intl.Collator: options must not be null"))
		}
		o := options.ToObject(r.vm)
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
		flag := func(name string) string {
			v := o.Get(name)
			if v == nil || goja.IsUndefined(v) {
				return ""
			}
			return strconv.FormatBool(v.ToBoolean())
		}
		pick("usage", "sort", "search")
		pick("localeMatcher", "lookup", "best fit")
		collationOpt = strings.ToLower(pick("collation"))
		numericOpt = flag("numeric")
		caseFirstOpt = pick("caseFirst", "upper", "lower", "false")
		set.sensitivity = pick("sensitivity", "base", "accent", "case", "variant")
		set.ignorePunctuation = flag("ignorePunctuation") == "true"
	}
	keyword := func(key, option string, supported ...string) string {
		if option != "" && slices.Contains(supported, option) {
			return option
		}
		v, ok := res.Extension[key]
		if ok && v == "" {
			v = "true"
		}
		if slices.Contains(supported, v) {
			return v
		}
		return ""
	}
	set.numeric = keyword("kn", numericOpt, "true", "false") == "true"
	set.caseFirst = keyword("kf", caseFirstOpt, "upper", "lower", "false")
	tag := res.Data
	if co := keyword("co", collationOpt, intl.CollationTypes(res.Data)...); co != "" {
		tag += "-u-co-" + co
	}
	return r.collation(language.Make(tag), set)
}

// collatorSettings are a collator's resolved options.
type collatorSettings struct {
	numeric, ignorePunctuation bool
	sensitivity                string // base, accent, case or variant ("" is variant)
	caseFirst                  string // upper, lower, or false ("" is false)
}

// collation is x/text's CLDR collation of a locale with some settings,
// kept for the runtime's life.
func (r *run) collation(tag language.Tag, set collatorSettings) collation {
	var opts []collate.Option
	key := fmt.Sprintf("%s|%v|%v|%s|%s", tag, set.numeric, set.ignorePunctuation, set.sensitivity, set.caseFirst)
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
			return compareCase(a, b, set.caseFirst == "upper")
		}
	}
	if (set.caseFirst == "upper" || set.caseFirst == "lower") && !caseLevel && set.sensitivity != "base" && set.sensitivity != "accent" {
		// x/text has no caseFirst: strings that differ only in case (and
		// not at the primary or secondary level) are ordered by the case
		// of their letters first, the rest as the collation says.
		upper := set.caseFirst == "upper"
		caseless := collate.New(tag, append([]collate.Option{collate.OptionsFromTag(tag), collate.IgnoreCase}, opts...)...)
		full := cmp
		cmp = func(a, b string) int {
			if c := caseless.CompareString(a, b); c != 0 {
				return c
			}
			if c := compareCase(a, b, upper); c != 0 {
				return c
			}
			return full(a, b)
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
// case first (ICU's default) unless upperFirst.
func compareCase(a, b string, upperFirst bool) int {
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
			if ux != upperFirst {
				return 1
			}
			return -1
		}
	}
	return 0
}

// localeList is CanonicalizeLocaleList (ECMA-402 §9.2.1) in Go, for the
// built-ins that take locales without building an Intl object
// (localeCompare, toLocaleUpperCase): a TypeError for null or an entry
// that is neither a string nor an object, a RangeError for a tag that is
// not well-formed; each element read once, in order.
func (r *run) localeList(locales goja.Value) []string {
	if locales == nil || goja.IsUndefined(locales) {
		return nil
	}
	if goja.IsNull(locales) {
		panic(r.newError("TypeError", "Intl: locales must not be null"))
	}
	var list []goja.Value
	if s, ok := locales.(goja.String); ok {
		list = []goja.Value{s}
	} else {
		o := locales.ToObject(r.vm)
		n := toLength(o.Get("length"))
		for k := 0; k < int(min(n, 1<<20)); k++ {
			// goja has no HasProperty: a missing element reads as nil.
			if v := o.Get(strconv.Itoa(k)); v != nil {
				list = append(list, v)
			}
		}
	}
	var out []string
	for _, v := range list {
		if _, isStr := v.(goja.String); !isStr {
			if _, isObj := v.(*goja.Object); !isObj {
				panic(r.newError("TypeError", "Intl: a locale must be a string or an object"))
			}
		}
		s := r.toJSString(v).String()
		tag, err := intl.Canonicalize(s)
		if err != nil {
			panic(r.newError("RangeError", "Incorrect locale information provided: "+clip(s)))
		}
		if !slices.Contains(out, tag) {
			out = append(out, tag)
		}
	}
	return out
}
