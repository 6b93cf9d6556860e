package engine

import (
	"errors"
	"math/big"
	"regexp"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions/engine/intl"
)

// The Go side of js/intl_number.js and js/intl_relative.js: the
// JavaScript reads and checks the options in the standard's order; the
// formatting, per call and hot, is package intl's.
func init() {
	libHosts["intl_numbering"] = func(r *run, host *goja.Object) {
		_ = host.Set("hasDigits", func(c goja.FunctionCall) goja.Value {
			_, ok := intl.Digits(c.Argument(0).String())
			return r.vm.ToValue(ok)
		})
		_ = host.Set("numberingSystem", func(c goja.FunctionCall) goja.Value {
			return r.vm.ToValue(intl.NumberingSystem(c.Argument(0).String(), c.Argument(1).String()))
		})
	}
	libHosts["intl_number"] = func(r *run, host *goja.Object) {
		_ = host.Set("isUnit", func(c goja.FunctionCall) goja.Value {
			return r.vm.ToValue(intl.IsSanctionedUnit(c.Argument(0).String()))
		})
		_ = host.Set("currencyDigits", func(c goja.FunctionCall) goja.Value {
			return r.vm.ToValue(intl.CurrencyDigits(c.Argument(0).String()))
		})
		_ = host.Set("isNaN", func(c goja.FunctionCall) goja.Value {
			return r.vm.ToValue(mathValue(c.Argument(0)).NaN)
		})
		// formatter(dataLocale, options) is the format function of a
		// NumberFormat: (x, toParts[, y]) formats x, or the range x to y.
		_ = host.Set("formatter", func(c goja.FunctionCall) goja.Value {
			nf := r.numberFormat(c.Argument(0).String(), c.Argument(1).ToObject(r.vm))
			return r.vm.ToValue(func(c goja.FunctionCall) goja.Value {
				x := mathValue(c.Argument(0))
				var parts []intl.Part
				var err error
				if len(c.Arguments) > 2 {
					parts, err = nf.FormatRangeToParts(x, mathValue(c.Argument(2)))
				} else {
					parts, err = nf.FormatToParts(x)
				}
				if err != nil {
					panic(r.newError("RangeError", "Intl.NumberFormat: "+err.Error()))
				}
				return r.partsValue(parts, c.Argument(1).ToBoolean(), "")
			})
		})
		// plural(dataLocale, type, digits) is {categories, select(number)}.
		_ = host.Set("plural", func(c goja.FunctionCall) goja.Value {
			rules := intl.Plurals(c.Argument(0).String(), c.Argument(1).String() == "ordinal")
			o := r.digitOptions(c.Argument(2).ToObject(r.vm))
			out := r.vm.NewObject()
			cats := rules.Categories()
			list := make([]any, len(cats))
			for i, s := range cats {
				list[i] = s
			}
			_ = out.Set("categories", r.vm.NewArray(list...))
			_ = out.Set("select", func(c goja.FunctionCall) goja.Value {
				cat, err := rules.SelectNumber(intl.FromFloat(c.Argument(0).ToFloat()), &o)
				if err != nil {
					panic(r.newError("RangeError", "Intl.PluralRules: "+err.Error()))
				}
				return r.vm.ToValue(cat)
			})
			_ = out.Set("selectRange", func(c goja.FunctionCall) goja.Value {
				a, err1 := rules.SelectNumber(intl.FromFloat(c.Argument(0).ToFloat()), &o)
				b, err2 := rules.SelectNumber(intl.FromFloat(c.Argument(1).ToFloat()), &o)
				if err := errors.Join(err1, err2); err != nil {
					panic(r.newError("RangeError", "Intl.PluralRules: "+err.Error()))
				}
				return r.vm.ToValue(rules.SelectRange(a, b))
			})
			return out
		})
	}
}

func init() {
	libHosts["intl_relative"] = func(r *run, host *goja.Object) {
		// relative(dataLocale, style, numeric, nu) formats relative times:
		// (value, valueString, unit, toParts), the arguments checked.
		_ = host.Set("relative", func(c goja.FunctionCall) goja.Value {
			rf, err := intl.NewRelativeFormat(c.Argument(0).String(), c.Argument(1).String(), c.Argument(2).String(), c.Argument(3).String())
			if err != nil {
				panic(r.newError("RangeError", "Intl.RelativeTimeFormat: "+err.Error()))
			}
			return r.vm.ToValue(func(c goja.FunctionCall) goja.Value {
				unit := c.Argument(2).String()
				parts, err := rf.FormatToParts(c.Argument(0).ToFloat(), c.Argument(1).String(), unit)
				if err != nil {
					panic(r.newError("RangeError", "Intl.RelativeTimeFormat: "+err.Error()))
				}
				return r.partsValue(parts, c.Argument(3).ToBoolean(), unit)
			})
		})
	}
}

// mathValue is the exact decimal of a primitive the library prepared
// (ToIntlMathematicalValue): a BigInt's digits, a string read as a
// decimal literal (NaN when it is not one), else ToNumber's.
func mathValue(v goja.Value) intl.Decimal {
	switch x := v.Export().(type) {
	case string:
		d, _ := intl.ParseDecimal(x)
		return d
	case *big.Int:
		d, _ := intl.ParseDecimal(x.String())
		return d
	}
	return intl.FromFloat(v.ToFloat())
}

// digitOptions are the rounding options of a resolved options object.
func (r *run) digitOptions(o *goja.Object) intl.NumberOptions {
	num := func(name string) int {
		v := o.Get(name)
		if v == nil || goja.IsUndefined(v) {
			return 0
		}
		return int(v.ToInteger())
	}
	str := func(name string) string {
		v := o.Get(name)
		if v == nil || goja.IsUndefined(v) {
			return ""
		}
		return v.String()
	}
	return intl.NumberOptions{
		MinInt: num("minimumIntegerDigits"), MinFrac: num("minimumFractionDigits"), MaxFrac: num("maximumFractionDigits"),
		MinSig: num("minimumSignificantDigits"), MaxSig: num("maximumSignificantDigits"),
		RoundingType: str("roundingType"), RoundingMode: intl.RoundingMode(str("roundingMode")),
		RoundingIncrement: num("roundingIncrement"), StripIfInteger: str("trailingZeroDisplay") == "stripIfInteger",
		Style: str("style"), Currency: str("currency"), Unit: str("unit"), UnitDisplay: str("unitDisplay"), CurrencyDisplay: str("currencyDisplay"), CurrencySign: str("currencySign"),
		Notation: str("notation"), CompactDisplay: str("compactDisplay"),
		UseGrouping: str("useGrouping"), SignDisplay: str("signDisplay"), NumberingSystem: str("numberingSystem"),
	}
}

// numberFormat makes the Go format of resolved options; an option it
// cannot serve is a RangeError, never a different format.
func (r *run) numberFormat(dataLocale string, o *goja.Object) *intl.NumberFormat {
	nf, err := intl.NewNumberFormat(dataLocale, r.digitOptions(o))
	if err != nil {
		panic(r.newError("RangeError", "Intl.NumberFormat: "+err.Error()))
	}
	return nf
}

// partsValue is a string of the parts, or (toParts) their array of
// {type, value[, unit]} objects, as formatToParts returns them.
func (r *run) partsValue(parts []intl.Part, toParts bool, unit string) goja.Value {
	if !toParts {
		n := 0
		for _, p := range parts {
			n += len(p.Value)
		}
		b := make([]byte, 0, n)
		for _, p := range parts {
			b = append(b, p.Value...)
		}
		return r.vm.ToValue(string(b))
	}
	list := make([]any, len(parts))
	for i, p := range parts {
		o := r.vm.NewObject()
		_ = o.Set("type", p.Type)
		_ = o.Set("value", p.Value)
		if p.Source != "" {
			_ = o.Set("source", p.Source)
		}
		if unit != "" && p.Type != "literal" {
			_ = o.Set("unit", unit)
		}
		list[i] = o
	}
	return r.vm.NewArray(list...)
}

// guardNumberLocale gives Number.prototype.toLocaleString and
// BigInt.prototype.toLocaleString their locales and options (ECMA-402
// §20.1.1, §21.1.1): goja's ignore both. The Intl library is loaded on
// the first call, not before.
func (r *run) guardNumberLocale() {
	r.guardToLocale(r.vm.ToValue(0).ToObject(r.vm).Prototype())
}

// guardBigIntLocale is guardNumberLocale for BigInt.prototype, done only
// once a run can meet a BigInt (usesBigInt): building BigInt.prototype
// costs a fifth of a fresh runtime.
func (r *run) guardBigIntLocale() {
	if r.bigIntGuarded {
		return
	}
	r.bigIntGuarded = true
	r.guardToLocale(r.vm.ToValue(big.NewInt(0)).ToObject(r.vm).Prototype())
}

// usesBigInt reports whether code may make a BigInt without the BigInt
// global or a BigInt typed array (which resolve through guards of their
// own): a literal such as 10n or 0xffn. A false match costs the guard.
func usesBigInt(code string) bool { return bigIntLiteral.MatchString(code) }

var bigIntLiteral = regexp.MustCompile(`\b(?:0[xX][0-9a-fA-F_]+|0[oObB][0-7_]+|[0-9][0-9_]*)n\b`)

// guardToLocale gives a Number or BigInt prototype its toLocaleString.
func (r *run) guardToLocale(proto *goja.Object) {
	// valueOf is thisNumberValue / thisBigIntValue: the TypeError for any
	// other this.
	valueOf, _ := goja.AssertFunction(proto.Get("valueOf"))
	r.define(proto, "toLocaleString", func(c goja.FunctionCall) goja.Value {
		x := must(valueOf(c.This))
		format, _ := goja.AssertFunction(r.lib("intl_tolocale").Get("toLocaleString"))
		return must(format(goja.Undefined(), x, arg(c.Arguments, 0), arg(c.Arguments, 1)))
	})
}
